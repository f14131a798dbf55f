"""Walks a flow for one call: from the node the caller is at, through every node that needs no
input, to the next one that does (or to the end of the IVR).

Pure with respect to I/O: the CRM is reached through the `SelfService` port, the carrier through
plain `Instruction`s, and time through the one clock. The web layer persists the returned session
and renders the instructions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from contactcenter import clock
from contactcenter.ivr.flow import Flow
from contactcenter.ivr.flow_nodes import (
    BranchNode,
    CallbackNode,
    CollectNode,
    HangupNode,
    HoursNode,
    LanguageNode,
    LookupNode,
    MenuNode,
    Node,
    PlayNode,
    QueueNode,
    SayNode,
    SurveyNode,
    TransferNode,
    VoicemailNode,
)
from contactcenter.ivr.flow_rules import Prompt, prompt_text
from contactcenter.ivr.session import IvrSession
from contactcenter.telephony.interfaces import Dial, Gather, Hangup, Instruction, Play, Record, Say

# More nodes than this in one turn means a flow loops without asking the caller anything.
MAX_NODES_PER_TURN = 64
DEFAULT_LANGUAGE = "en-US"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


class SelfService(Protocol):
    """What the IVR may ask of the CRM store. Answers are sentences to speak, or None."""

    def ticket_status(self, number: str, customer_id: int | None, language: str) -> str | None:
        """Status of ticket `number` if it belongs to `customer_id` (the identified caller)."""
        ...

    def open_tickets(self, customer_id: int | None, language: str) -> str | None: ...

    def account_summary(self, customer_id: int | None, language: str) -> str | None: ...

    def request_callback(self, session: IvrSession, queue: str, priority: int) -> None: ...

    def voicemail(
        self, session: IvrSession, recording_url: str, duration_s: int | None, queue: str | None, subject: str | None
    ) -> None: ...


@dataclass(frozen=True)
class IvrUrls:
    """Where the carrier posts back; the step number makes every turn's URL unique."""

    gather: str
    recording: str
    dial: str

    @staticmethod
    def _with_step(url: str, step: int) -> str:
        return f"{url}{'&' if '?' in url else '?'}step={step}"

    def for_step(self, kind: str, step: int) -> str:
        return self._with_step(getattr(self, kind), step)


@dataclass(frozen=True)
class PathEntry:
    node: str
    type: str
    at: str
    input: str | None = None
    result: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class HandOff:
    """The caller needs a person: everything the ACD and the agent's screen pop need."""

    queue: str
    skills: Mapping[str, int]
    priority: int
    intent: str | None
    variables: Mapping[str, Any]
    language: str


@dataclass
class Turn:
    instructions: list[Instruction] = field(default_factory=list)
    visited: list[PathEntry] = field(default_factory=list)
    handoff: HandOff | None = None
    # Why the caller left the IVR, once they have: completed (self-served to the goodbye),
    # queued, transferred, voicemail, loop-guard.
    exit: str | None = None
    csat: int | None = None


class IvrEngine:
    def __init__(self, flow: Flow, self_service: SelfService, urls: IvrUrls) -> None:
        self.flow = flow
        self.crm = self_service
        self.urls = urls

    # -- entry points ---------------------------------------------------------------------
    def start(
        self, call_sid: str, *, caller: str, customer_id: int | None, segment: str | None
    ) -> tuple[IvrSession, Turn]:
        session = IvrSession(
            call_sid=call_sid,
            flow=self.flow.name,
            version=self.flow.version,
            node=self.flow.start,
            language=self.flow.default_language
            or (self.flow.languages[0] if self.flow.languages else DEFAULT_LANGUAGE),
            customer_id=customer_id,
            segment=segment,
            caller=caller,
        )
        turn = Turn()
        self._run(session, turn, enter=True)
        return session, turn

    def advance(
        self,
        session: IvrSession,
        *,
        digits: str | None,
        speech: str | None = None,
        dial_status: str | None = None,
        recording_url: str | None = None,
        recording_duration: int | None = None,
    ) -> Turn:
        """Apply the caller's answer to the node they are at, then run on to the next stop."""
        session.step += 1
        turn = Turn()
        node = self.flow.node(session.node)
        digits = (digits or "").strip()
        speech = (speech or "").strip()
        if isinstance(node, MenuNode):
            self._menu_input(session, turn, node, digits, speech)
        elif isinstance(node, CollectNode):
            self._collect_input(session, turn, node, digits)
        elif isinstance(node, SurveyNode):
            self._survey_input(session, turn, node, digits)
        elif isinstance(node, LanguageNode):
            self._language_input(session, turn, node, digits)
        elif isinstance(node, TransferNode):
            self._transfer_result(session, turn, node, dial_status)
        elif isinstance(node, VoicemailNode):
            self._voicemail_result(session, turn, node, recording_url, recording_duration)
        else:
            # The caller is at a node that takes no input (a stale or forged step): carry on.
            self._run(session, turn, enter=True)
        return turn

    def reprompt(self, session: IvrSession) -> Turn:
        """Say the current node again (after a lost session cache, or a repeat key)."""
        turn = Turn()
        self._run(session, turn, enter=False)
        return turn

    # -- input handling ---------------------------------------------------------------------
    def _goto(self, session: IvrSession, turn: Turn, target: str) -> None:
        session.node = target
        self._run(session, turn, enter=True)

    def _miss(self, session: IvrSession, turn: Turn, node: MenuNode | CollectNode, *, timed_out: bool) -> None:
        """A bad entry or silence: prompt again until retries run out, then take the node's exit."""
        count = session.attempts.get(node.id, 0) + 1
        session.attempts[node.id] = count
        if count > node.retries:
            session.attempts.pop(node.id, None)
            target = node.on_timeout if timed_out else node.on_invalid
            self._goto(session, turn, target or node.on_invalid or node.on_timeout or self.flow.start)
            return
        if not timed_out and node.invalid_prompt is not None:
            turn.instructions.append(self._say(session, node.invalid_prompt))
        self._run(session, turn, enter=False)

    def _menu_input(self, session: IvrSession, turn: Turn, node: MenuNode, digits: str, speech: str) -> None:
        key = digits[:1] if digits else ""
        entry = PathEntry(node.id, node.type, _now(), input=key or (speech[:64] if speech else ""))
        turn.visited.append(entry)
        if not key and not speech:
            self._miss(session, turn, node, timed_out=True)
            return
        if key and node.repeat_key is not None and key == node.repeat_key:
            self._run(session, turn, enter=False)
            return
        target = node.options.get(key) if key else None
        if target is None and speech:
            spoken = speech.lower()
            target = next((t for phrase, t in node.speech.items() if phrase.lower() in spoken), None)
        if target is None:
            self._miss(session, turn, node, timed_out=False)
            return
        session.attempts.pop(node.id, None)
        self._goto(session, turn, target)

    def _collect_input(self, session: IvrSession, turn: Turn, node: CollectNode, digits: str) -> None:
        if node.finish_on_key and digits.endswith(node.finish_on_key):
            digits = digits[: -len(node.finish_on_key)]
        shown = _mask(digits) if node.sensitive else digits
        turn.visited.append(PathEntry(node.id, node.type, _now(), input=shown))
        if not digits:
            self._miss(session, turn, node, timed_out=True)
            return
        if not node.accepts(digits):
            self._miss(session, turn, node, timed_out=False)
            return
        session.variables[node.variable] = digits
        if node.sensitive and node.variable not in session.sensitive:
            session.sensitive.append(node.variable)
        session.attempts.pop(node.id, None)
        self._goto(session, turn, node.next)

    def _survey_input(self, session: IvrSession, turn: Turn, node: SurveyNode, digits: str) -> None:
        score = int(digits[:1]) if digits[:1].isdigit() else None
        if score is not None and not 1 <= score <= node.scale:
            score = None
        turn.visited.append(
            PathEntry(node.id, node.type, _now(), input=digits[:1], result=str(score) if score else "skipped")
        )
        if score is not None:
            session.variables[node.variable] = score
            turn.csat = score
        self._goto(session, turn, node.next)

    def _language_input(self, session: IvrSession, turn: Turn, node: LanguageNode, digits: str) -> None:
        choice = node.options.get(digits[:1]) if digits else None
        if choice:
            session.language = choice
        turn.visited.append(PathEntry(node.id, node.type, _now(), input=digits[:1], result=session.language))
        self._goto(session, turn, node.next)

    def _transfer_result(self, session: IvrSession, turn: Turn, node: TransferNode, dial_status: str | None) -> None:
        turn.visited.append(PathEntry(node.id, node.type, _now(), result=dial_status or "unknown"))
        if dial_status in ("completed", "answered") or not node.on_failure:
            turn.exit = "transferred"
            turn.instructions.append(Hangup())
            return
        self._goto(session, turn, node.on_failure)

    def _voicemail_result(
        self, session: IvrSession, turn: Turn, node: VoicemailNode, url: str | None, duration: int | None
    ) -> None:
        turn.visited.append(PathEntry(node.id, node.type, _now(), result="recorded" if url else "no-recording"))
        if url:
            self.crm.voicemail(session, url, duration, node.queue, node.subject)
            session.outcome = "voicemail"
        if node.next:
            self._goto(session, turn, node.next)
        else:
            turn.instructions.append(Hangup())
            turn.exit = session.outcome or "voicemail"

    # -- the walk ---------------------------------------------------------------------------
    def _run(self, session: IvrSession, turn: Turn, *, enter: bool) -> None:
        for _ in range(MAX_NODES_PER_TURN):
            node = self.flow.node(session.node)
            if enter:
                turn.visited.append(PathEntry(node.id, node.type, _now()))
            enter = True
            following = self._step(session, turn, node)
            if following is None:
                return
            session.node = following
        turn.exit = "loop-guard"
        turn.instructions += [Say("We are sorry, something went wrong. Goodbye."), Hangup()]

    def _step(self, session: IvrSession, turn: Turn, node: Node) -> str | None:
        """Do one node; return the next node id, or None when the turn stops here."""
        lang = session.language
        if isinstance(node, SayNode):
            turn.instructions.append(self._say(session, node.prompt))
            return node.next
        if isinstance(node, PlayNode):
            turn.instructions.append(Play(prompt_text(node.url, lang) or ""))
            return node.next
        if isinstance(node, BranchNode):
            return self._branch(session, node)
        if isinstance(node, HoursNode):
            at = clock.now()
            if node.calendar.is_holiday(at):
                return node.holiday or node.closed
            return node.open if node.calendar.is_open(at) else node.closed
        if isinstance(node, LookupNode):
            return self._lookup(session, turn, node)
        if isinstance(node, (MenuNode, CollectNode, SurveyNode, LanguageNode)):
            turn.instructions.append(self._gather(session, node))
            return None
        if isinstance(node, QueueNode):
            if node.prompt is not None:
                turn.instructions.append(self._say(session, node.prompt))
            variables = session.public_variables()
            turn.handoff = HandOff(node.queue, dict(node.skills), node.priority, node.intent, variables, lang)
            turn.exit = "queued"
            return None
        if isinstance(node, CallbackNode):
            self.crm.request_callback(session, node.queue, node.priority)
            session.outcome = "callback"
            turn.instructions.append(self._say(session, node.prompt))
            return node.next
        if isinstance(node, VoicemailNode):
            turn.instructions += [
                self._say(session, node.prompt),
                Record(action=self.urls.for_step("recording", session.step), max_length=node.max_length),
            ]
            return None
        if isinstance(node, TransferNode):
            if node.prompt is not None:
                turn.instructions.append(self._say(session, node.prompt))
            turn.instructions.append(Dial(node.number, action=self.urls.for_step("dial", session.step)))
            return None
        if isinstance(node, HangupNode):
            if node.prompt is not None:
                turn.instructions.append(self._say(session, node.prompt))
            turn.instructions.append(Hangup())
            turn.exit = session.outcome or "completed"
            return None
        raise ValueError(f"node {node.id!r} of type {node.type!r} cannot run")

    def _branch(self, session: IvrSession, node: BranchNode) -> str:
        local = clock.now().astimezone(ZoneInfo(node.time_zone)) if node.time_zone else None
        for rule in node.rules:
            if rule.when.matches(
                segment=session.segment, language=session.language, variables=session.variables, local_now=local
            ):
                return rule.goto
        return node.default

    def _lookup(self, session: IvrSession, turn: Turn, node: LookupNode) -> str:
        lang = session.language
        answer: str | None
        try:
            if node.kind == "ticket_status":
                number = str(session.variables.get(node.input[0], "")) if node.input else ""
                # Scoped to the caller's own record: a ticket number alone proves nothing.
                answer = self.crm.ticket_status(number, session.customer_id, lang) if number else None
            elif node.kind == "open_tickets":
                answer = self.crm.open_tickets(session.customer_id, lang)
            else:
                answer = self.crm.account_summary(session.customer_id, lang)
        except Exception:  # noqa: BLE001 - a CRM outage must not strand the caller
            answer = None
        turn.visited[-1:] = [PathEntry(node.id, node.type, _now(), result="found" if answer else "not-found")]
        if answer is None:
            return node.on_not_found
        session.variables[node.result] = answer
        return node.next

    # -- rendering helpers -----------------------------------------------------------------------
    def _text(self, session: IvrSession, prompt: Prompt | None) -> str:
        text = prompt_text(prompt, session.language) or ""
        return PLACEHOLDER.sub(lambda m: _spoken(session.variables.get(m.group(1), "")), text)

    def _say(self, session: IvrSession, prompt: Prompt | None) -> Say:
        return Say(self._text(session, prompt), language=session.language)

    def _gather(self, session: IvrSession, node: MenuNode | CollectNode | SurveyNode | LanguageNode) -> Gather:
        action = self.urls.for_step("gather", session.step)
        if isinstance(node, LanguageNode):
            prompts = tuple(Say(text, language=code) for code, text in _per_language(node.prompt, self.flow.languages))
            return Gather(action=action, prompts=prompts, num_digits=1, timeout=node.timeout)
        prompt = self._say(session, node.prompt)
        if isinstance(node, MenuNode):
            hints = ", ".join(node.speech) if node.speech else None
            return Gather(
                action=action,
                prompts=(prompt,),
                num_digits=1,
                timeout=node.timeout or 5,
                input=node.input,
                language=session.language,
                speech_hints=hints,
            )
        if isinstance(node, CollectNode):
            return Gather(
                action=action,
                prompts=(prompt,),
                num_digits=node.max_length if not node.finish_on_key else None,
                timeout=node.timeout or 5,
                finish_on_key=node.finish_on_key or "",
            )
        return Gather(action=action, prompts=(prompt,), num_digits=1, timeout=node.timeout)


def _per_language(prompt: Prompt, languages: tuple[str, ...]) -> list[tuple[str, str]]:
    if isinstance(prompt, str):
        return [(languages[0] if languages else DEFAULT_LANGUAGE, prompt)]
    return list(prompt.items())


def _spoken(value: Any) -> str:
    text = str(value)
    # Say digit strings digit by digit ("1 2 3 4 5"), as callers expect for order numbers.
    return " ".join(text) if text.isdigit() and len(text) > 3 else text


def _mask(digits: str) -> str:
    return "*" * len(digits)


def _now() -> str:
    return clock.now().isoformat(timespec="seconds")
