"""Scorecards for tests: a form as an admin would build it, an evaluated call, and the floor
where they meet (an agent's recorded call, a supervisor, an admin, another agent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contactcenter.accounts.models import Role, User
from contactcenter.contacts.models import Interaction
from contactcenter.quality.interfaces import Answer, EvaluationDraft, FormDraft, QuestionDraft
from contactcenter.quality.models import Evaluation, ScorecardForm
from contactcenter.quality.services import QualityService
from contactcenter.tickets.access import Viewer
from tests.support.factories import gen_agent, gen_call, gen_queue
from tests.support.recordings import gen_recording

GREETING = QuestionDraft("Opening", "Greeted the caller by name", 10)
VERIFIED = QuestionDraft("Compliance", "Verified the caller's identity", 20, auto_fail=True)
EMPATHY = QuestionDraft("Soft skills", "Showed empathy", 30, "scale", 5)
CALL_HANDLING = FormDraft("Call handling", "How a support call should go.", True, (GREETING, VERIFIED, EMPATHY))


def gen_form(session: Any, draft: FormDraft = CALL_HANDLING, author: User | None = None) -> ScorecardForm:
    return QualityService(session).create_form(draft, author.id if author else None)


def answers_for(form: ScorecardForm, *values: str) -> list[Answer]:
    """One answer per question of `form`, in the form's order."""
    return [Answer(q.id, v) for q, v in zip(form.questions, values, strict=True)]


def gen_evaluation(
    session: Any, call: Interaction, form: ScorecardForm, evaluator: User, *values: str, comment: str = ""
) -> Evaluation:
    draft = EvaluationDraft(form.id, answers_for(form, *values), comment)
    return QualityService(session).evaluate(call.id, draft, Viewer.of(evaluator))


@dataclass
class QualityFloor:
    """alice (agent) took a recorded call in "support"; bob is another agent; sam supervises;
    ann is the admin; the "Call handling" form is in use."""

    people: dict[str, User]
    call: Interaction
    form: ScorecardForm | None

    def __getitem__(self, name: str) -> User:
        return self.people[name]


def make_quality_floor(session: Any, *, with_form: bool = True) -> QualityFloor:
    queue = gen_queue(session, "support")
    people = {
        "alice": gen_agent(session, "alice", display_name="Alice Agent"),
        "bob": gen_agent(session, "bob", display_name="Bob Agent"),
        "sam": gen_agent(session, "sam", role=Role.SUPERVISOR, display_name="Sam Supervisor"),
        "ann": gen_agent(session, "ann", role=Role.ADMIN, display_name="Ann Admin"),
    }
    call = gen_call(session, agent_id=people["alice"].id, queue_id=queue.id)
    gen_recording(session, call, seconds=6)
    form = gen_form(session, author=people["ann"]) if with_form else None
    session.flush()
    return QualityFloor(people, call, form)
