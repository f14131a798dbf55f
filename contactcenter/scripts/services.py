"""Call scripts on a call: which script, its text for this caller, and the agent's answers.

* `choose_script` — a call's campaign first (the campaign's `script` naming a script, a script
  bound to the campaign, or the campaign's own free text), then its queue, then its IVR intent,
  then the default script. Once an agent has answered, the call keeps the script it started.
* `script_view` — the script rendered for the call (variables filled in, see `variables`), the
  path walked so far and the step to answer next.
* `record_answer` — one answer, checked against the step (a choice must be one of its options)
  and the path (only the step to answer next, or one already answered, which rewinds the path:
  the branches after it no longer apply). Written to `Interaction.script_answers`.
* `save_script` / `delete_script` — what the admin pages call; nothing invalid is stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.contacts.models import Interaction
from contactcenter.dialer.models import Campaign, DialAttempt
from contactcenter.errors import DomainError, Kind
from contactcenter.scripts.definition import ScriptInvalid, ScriptProblem, validate
from contactcenter.scripts.models import CallScript
from contactcenter.scripts.variables import ScriptContext, build_context, render_text

MAX_ANSWER_LENGTH = 1000
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
INTENT = re.compile(r"^[\w.-][\w .-]{0,119}$")  # as the IVR flows name them: "billing", "new order"


class AnswerRefused(DomainError, ValueError):
    """The answer does not fit the script or the path (`code` says how)."""

    def __init__(self, code: str, message: str, kind: Kind = "invalid") -> None:
        super().__init__(message, code=code, kind=kind)


@dataclass(frozen=True)
class ChosenScript:
    name: str
    title: str
    definition: dict[str, Any]
    reason: str  # campaign | queue | intent | default: why the call got it (kept once answered)
    script_id: int | None = None  # None for a campaign's free-text script


@dataclass(frozen=True)
class ScriptView:
    """What the desktop shows: rendered steps, the answered path, and the step to answer next."""

    name: str
    title: str
    reason: str
    start: str
    steps: dict[str, dict[str, Any]]
    path: list[dict[str, Any]] = field(default_factory=list)
    current: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "reason": self.reason,
            "start": self.start,
            "steps": self.steps,
            "path": self.path,
            "current": self.current,
        }


# ------------------------------------------------------------------------------- choosing


def campaign_of(session: Session, call: Interaction) -> Campaign | None:
    """The dialer campaign that placed the call, if any."""
    attempt = session.scalar(
        select(DialAttempt)
        .where(or_(DialAttempt.interaction_id == call.id, DialAttempt.call_sid == call.call_sid))
        .order_by(DialAttempt.id.desc())
        .limit(1)
    )
    return session.get(Campaign, attempt.campaign_id) if attempt is not None else None


def _chosen(script: CallScript, reason: str) -> ChosenScript:
    return ChosenScript(script.name, script.title, dict(script.definition or {}), reason, script.id)


def _free_text_script(campaign: Campaign) -> ChosenScript:
    definition = {"start": "script", "steps": {"script": {"kind": "end", "say": campaign.script}}}
    return ChosenScript(f"campaign-{campaign.id}", campaign.name, definition, "campaign")


def choose_script(session: Session, call: Interaction) -> ChosenScript | None:
    """The script for `call`: already answered > campaign > queue > intent > default.

    Scripts number in the tens, so the active ones are read once and the rules applied here;
    that keeps the JSON `intents` match the same on SQLite and PostgreSQL. Where two scripts
    tie, the older one (lowest id) wins, so a second script for the same queue changes nothing
    until the first is deactivated.
    """
    active = list(session.scalars(select(CallScript).where(CallScript.active.is_(True)).order_by(CallScript.id)))
    by_name = {s.name: s for s in active}
    stored = call.script_answers or {}
    if stored.get("script") in by_name:
        return _chosen(by_name[stored["script"]], str(stored.get("reason") or "answered"))
    campaign = campaign_of(session, call)
    if campaign is not None:
        named = (campaign.script or "").strip()
        if named in by_name:
            return _chosen(by_name[named], "campaign")
        bound = next((s for s in active if s.campaign_id == campaign.id), None)
        if bound is not None:
            return _chosen(bound, "campaign")
        if named:
            return _free_text_script(campaign)
    if call.queue_id is not None:
        queued = next((s for s in active if s.queue_id == call.queue_id), None)
        if queued is not None:
            return _chosen(queued, "queue")
    intent = (call.intent or "").strip().casefold()
    if intent:
        matched = next((s for s in active if intent in {str(i).casefold() for i in s.intents or []}), None)
        if matched is not None:
            return _chosen(matched, "intent")
    default = next((s for s in active if s.is_default), None)
    return _chosen(default, "default") if default is not None else None


# ------------------------------------------------------------------------------- rendering


def context_for(session: Session, call: Interaction, agent: User | None = None) -> ScriptContext:
    """The whitelisted values of `call` (the agent on it, or `agent` when none is recorded yet)."""
    if call.agent_id is not None:
        agent = session.get(User, call.agent_id) or agent
    campaign = campaign_of(session, call)
    queue = session.get(Queue, call.queue_id) if call.queue_id is not None else None
    customer = call.customer
    return build_context(
        customer_name=customer.name if customer is not None else None,
        customer_segment=customer.segment if customer is not None else None,
        customer_attributes=customer.attributes if customer is not None else None,
        agent_name=agent.display_name if agent is not None else None,
        campaign_name=campaign.name if campaign is not None else None,
        intent=call.intent,
        queue_name=queue.display_name if queue is not None else None,
        ivr_variables=call.ivr_variables,
    )


def render_steps(definition: dict[str, Any], context: ScriptContext) -> dict[str, dict[str, Any]]:
    """Every step with its texts filled in for the call (plain text; escaped where shown)."""
    rendered: dict[str, dict[str, Any]] = {}
    for step_id, step in (definition.get("steps") or {}).items():
        out: dict[str, Any] = {"kind": step.get("kind"), "say": render_text(str(step.get("say") or ""), context)}
        if step.get("question"):
            out["question"] = render_text(str(step["question"]), context)
        if step.get("next"):
            out["next"] = step["next"]
        if step.get("kind") == "choice":
            out["options"] = [
                {"value": o["value"], "label": render_text(o["label"], context), "next": o["next"]}
                for o in step.get("options") or []
            ]
        rendered[step_id] = out
    return rendered


def next_step(step: dict[str, Any], answer: str) -> str | None:
    if step.get("kind") == "choice":
        return next((o["next"] for o in step.get("options") or [] if o["value"] == answer), None)
    return step.get("next") or None


def walk(definition: dict[str, Any], answers: dict[str, Any]) -> tuple[list[str], str | None]:
    """(answered steps in order, step to answer next or None when the script has ended)."""
    steps = definition.get("steps") or {}
    path: list[str] = []
    current: str | None = definition.get("start")
    while current in steps and current in answers and current not in path:
        path.append(current)
        current = next_step(steps[current], str(answers[current].get("answer", "")))
    if current is not None and (current not in steps or current in path):
        current = None
    return path, current


def script_view(session: Session, call: Interaction, agent: User | None = None) -> ScriptView | None:
    chosen = choose_script(session, call)
    if chosen is None:
        return None
    steps = render_steps(chosen.definition, context_for(session, call, agent))
    stored = call.script_answers or {}
    answers = stored.get("answers", {}) if stored.get("script") == chosen.name else {}
    path, current = walk(chosen.definition, answers)
    answered = [
        {"step": s, "answer": answers[s].get("answer"), "label": _shown_label(steps[s], answers[s])} for s in path
    ]
    return ScriptView(
        chosen.name, chosen.title, chosen.reason, str(chosen.definition.get("start") or ""), steps, answered, current
    )


def _shown_label(step: dict[str, Any], answer: dict[str, Any]) -> str:
    """A choice shows its option's label as rendered for this call; other answers as given."""
    option = next((o for o in step.get("options") or [] if o["value"] == answer.get("answer")), None)
    return str(option["label"] if option is not None else answer.get("label") or answer.get("answer") or "")


# ------------------------------------------------------------------------------- answering


def record_answer(session: Session, call: Interaction, step_id: str, answer: Any, agent: User) -> ScriptView:
    """Store the agent's answer to `step_id` on the call; returns the script as it now stands."""
    chosen = choose_script(session, call)
    if chosen is None:
        raise AnswerRefused("no_script", "no script applies to this call", "not_found")
    steps = chosen.definition.get("steps") or {}
    step = steps.get(step_id)
    if step is None:
        raise AnswerRefused("unknown_step", "the script has no such step", "not_found")
    stored = dict(call.script_answers or {})
    answers: dict[str, Any] = dict(stored.get("answers", {})) if stored.get("script") == chosen.name else {}
    path, current = walk(chosen.definition, answers)
    if step_id != current and step_id not in path:
        raise AnswerRefused("not_on_path", "this step is not the one to answer now", "conflict")
    value, label = _checked_answer(step, answer)
    # Answering an earlier step again rewinds: the answers after it belonged to another branch.
    kept = path[: path.index(step_id)] if step_id in path else path
    answers = {s: answers[s] for s in kept}
    answers[step_id] = {"answer": value, "label": label, "at": clock.now().isoformat(), "agent_id": agent.id}
    call.script_answers = {
        "script": chosen.name,
        "script_id": chosen.script_id,
        "title": chosen.title,
        "reason": chosen.reason,
        "answers": answers,
    }
    session.flush()
    view = script_view(session, call, agent)
    assert view is not None
    return view


def _checked_answer(step: dict[str, Any], answer: Any) -> tuple[str, str]:
    kind = step.get("kind")
    if kind == "end":
        raise AnswerRefused("no_answer", "the last step takes no answer", "conflict")
    if kind == "info":
        return "done", "Done"
    if not isinstance(answer, (str, int)) or isinstance(answer, bool):
        raise AnswerRefused("bad_answer", "the answer must be text")
    text = " ".join(str(answer).split())
    if kind == "choice":
        option = next((o for o in step.get("options") or [] if o["value"] == text), None)
        if option is None:
            raise AnswerRefused("bad_answer", "the answer must be one of the step's options")
        return option["value"], option["label"]
    if not text:
        raise AnswerRefused("bad_answer", "the answer is empty")
    if len(text) > MAX_ANSWER_LENGTH:
        raise AnswerRefused("bad_answer", f"the answer is longer than {MAX_ANSWER_LENGTH} characters")
    return text, text


# ------------------------------------------------------------------------------- administration


@dataclass
class ScriptFields:
    """What an admin edits; `definition` is the parsed YAML (validated by `save_script`)."""

    name: str
    title: str
    definition: Any
    queue_id: int | None = None
    campaign_id: int | None = None
    intents: Sequence[str] = ()
    is_default: bool = False
    active: bool = True


def check_fields(
    session: Session, fields: ScriptFields, script_id: int | None = None
) -> tuple[dict[str, Any], list[ScriptProblem]]:
    definition, problems = validate(fields.definition)
    if not re.match(NAME_PATTERN, fields.name or ""):
        problems.insert(0, ScriptProblem("bad-name", "the name is 1-64 lower-case letters, digits, '-' or '_'"))
    elif session.scalar(
        select(CallScript.id).where(CallScript.name == fields.name, CallScript.id != (script_id or -1))
    ):
        problems.insert(0, ScriptProblem("duplicate-name", "another script already has this name"))
    if not fields.title.strip() or len(fields.title) > 200:
        problems.insert(0, ScriptProblem("bad-title", "the title is 1-200 characters"))
    if fields.queue_id is not None and session.get(Queue, fields.queue_id) is None:
        problems.append(ScriptProblem("bad-queue", "no such queue"))
    if fields.campaign_id is not None and session.get(Campaign, fields.campaign_id) is None:
        problems.append(ScriptProblem("bad-campaign", "no such campaign"))
    if len(fields.intents) > 20 or any(not INTENT.match(i) for i in fields.intents):
        problems.append(ScriptProblem("bad-intents", "up to 20 intents of letters, digits, spaces, '.', '-' or '_'"))
    return definition, problems


def save_script(session: Session, fields: ScriptFields, script: CallScript | None = None) -> CallScript:
    """Create (or update) a script; raises ScriptInvalid listing every problem, storing nothing."""
    definition, problems = check_fields(session, fields, script.id if script is not None else None)
    if problems:
        raise ScriptInvalid(problems)
    if script is None:
        script = CallScript(name=fields.name)
        session.add(script)
    script.name, script.title, script.definition = fields.name, fields.title.strip(), definition
    script.queue_id, script.campaign_id = fields.queue_id, fields.campaign_id
    script.intents = list(dict.fromkeys(i.strip() for i in fields.intents))
    script.is_default, script.active = fields.is_default, fields.active
    session.flush()
    return script


def parse_intents(raw: str) -> list[str]:
    """Intents from "billing, new order" (comma-separated; an intent may have spaces)."""
    return [i for i in (" ".join(part.split()) for part in (raw or "").split(",")) if i]


def delete_script(session: Session, script: CallScript) -> None:
    """Delete a script; answers already given on calls keep its name and title."""
    session.delete(script)
    session.flush()
