"""Quality management: building scorecard forms (versioned), scoring a recorded call against
one, the agent's answer to their evaluation, and the weekly report.

Who may do what is decided here, not in the pages: admins build forms; supervisors and admins
evaluate any recorded call but one they took themselves; an agent sees and answers only their
own evaluations (anyone else's does not exist for them).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.contacts.models import Interaction
from contactcenter.quality.interfaces import (
    MAX_COMMENT,
    MAX_REPORT_DAYS,
    EvaluationDraft,
    FormDraft,
    InvalidEvaluation,
    QualityError,
    QualityReport,
    Question,
    WeekRow,
    score,
    validate_form,
)
from contactcenter.quality.models import (
    Evaluation,
    EvaluationAnswer,
    ScorecardForm,
    ScorecardQuestion,
    ScorecardSection,
)
from contactcenter.quality.report_query import ReportQuery
from contactcenter.recordings.models import CallRecording, RecordingMedia
from contactcenter.tickets import intervals
from contactcenter.tickets.access import Viewer

MAX_ID = 2**31 - 1


def _not_found(what: str) -> QualityError:
    return QualityError(f"no such {what}", kind="not_found", code=f"unknown_{what}")


MAX_LISTED = 500  # evaluations in one answer of the list; narrow the range or filter for more


def week_of(day: date) -> date:
    """The Monday that starts `day`'s week."""
    return day - timedelta(days=day.weekday())


class QualityService:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- forms -------------------------------------------------------------------------------
    def forms(self, *, current_only: bool = True, active_only: bool = False) -> Sequence[ScorecardForm]:
        query = select(ScorecardForm).order_by(ScorecardForm.name, ScorecardForm.version.desc())
        if current_only:
            query = query.where(ScorecardForm.is_current.is_(True))
        if active_only:
            query = query.where(ScorecardForm.active.is_(True))
        return self.session.scalars(query).all()

    def form(self, form_id: int) -> ScorecardForm:
        found = self.session.get(ScorecardForm, form_id) if 0 < form_id <= MAX_ID else None
        if found is None:
            raise _not_found("form")
        return found

    def versions(self, key: str) -> Sequence[ScorecardForm]:
        return self.session.scalars(
            select(ScorecardForm).where(ScorecardForm.key == key).order_by(ScorecardForm.version.desc())
        ).all()

    def evaluation_count(self, form_id: int) -> int:
        return self.session.scalar(select(func.count(Evaluation.id)).where(Evaluation.form_id == form_id)) or 0

    def _fill(self, form: ScorecardForm, draft: FormDraft) -> None:
        form.name, form.description, form.active = draft.name.strip(), draft.description.strip(), draft.active
        form.sections = [
            ScorecardSection(
                position=s_index,
                title=title.strip(),
                questions=[
                    ScorecardQuestion(
                        position=q_index,
                        text=q.text.strip(),
                        weight=q.weight,
                        answer_type=q.answer_type,
                        scale_max=q.scale_max if q.answer_type == "scale" else None,
                        auto_fail=q.auto_fail,
                    )
                    for q_index, q in enumerate(questions)
                ],
            )
            for s_index, (title, questions) in enumerate(draft.sections())
        ]

    def create_form(self, draft: FormDraft, author_id: int | None = None) -> ScorecardForm:
        validate_form(draft)
        form = ScorecardForm(key=secrets.token_hex(8), version=1, is_current=True, created_by_id=author_id)
        self._fill(form, draft)
        self.session.add(form)
        self.session.flush()
        return form

    def update_form(self, form_id: int, draft: FormDraft, author_id: int | None = None) -> ScorecardForm:
        """Change a form. One that was used to score a call keeps that version as it was, and the
        change becomes a new version (the one used from now on)."""
        validate_form(draft)
        form = self.form(form_id)
        if not form.is_current:
            raise QualityError("an older version of a form cannot be changed", kind="conflict", code="form_superseded")
        if self.evaluation_count(form.id) == 0:
            self._fill(form, draft)
            self.session.flush()
            return form
        form.is_current = False
        newer = ScorecardForm(key=form.key, version=form.version + 1, is_current=True, created_by_id=author_id)
        self._fill(newer, draft)
        self.session.add(newer)
        self.session.flush()
        return newer

    # -- evaluating --------------------------------------------------------------------------
    def call(self, interaction_id: int) -> Interaction:
        found = self.session.get(Interaction, interaction_id) if 0 < interaction_id <= MAX_ID else None
        if found is None:
            raise _not_found("call")
        return found

    def agent_and_queue(self, call: Interaction) -> tuple[User | None, Queue | None]:
        """Who took the call and in which queue, for the page beside the scorecard."""
        agent = self.session.get(User, call.agent_id) if call.agent_id else None
        queue = self.session.get(Queue, call.queue_id) if call.queue_id else None
        return agent, queue

    def playable_recordings(self, interaction_id: int) -> list[CallRecording]:
        return list(
            self.session.scalars(
                select(CallRecording)
                .join(RecordingMedia, RecordingMedia.recording_id == CallRecording.id)
                .where(CallRecording.interaction_id == interaction_id, CallRecording.status == "completed")
                .order_by(CallRecording.id)
            )
        )

    def check_can_evaluate(self, call: Interaction, evaluator: Viewer) -> None:
        """Refuse unless `evaluator` may score `call`: a supervisor or admin, not the call's own
        agent, a call an agent took, with a recording one can listen to."""
        if not evaluator.sees_all:
            raise QualityError("only supervisors and admins evaluate calls", kind="forbidden", code="not_evaluator")
        if call.agent_id is None:
            raise QualityError("no agent took this call", kind="conflict", code="no_agent")
        if call.agent_id == evaluator.user_id:
            raise QualityError("you cannot evaluate a call you took", kind="forbidden", code="own_call")
        if not self.playable_recordings(call.id):
            raise QualityError("this call has no recording to evaluate", kind="conflict", code="no_recording")

    def evaluate(self, interaction_id: int, draft: EvaluationDraft, evaluator: Viewer) -> Evaluation:
        call = self.call(interaction_id)
        self.check_can_evaluate(call, evaluator)
        form = self.form(draft.form_id)
        if not form.is_current or not form.active:
            raise QualityError("this form is not in use", kind="conflict", code="form_not_in_use")
        errors: dict[str, str] = {}
        if len(draft.comment) > MAX_COMMENT:
            errors["comment"] = f"The comment is longer than {MAX_COMMENT} characters."
        known = {q.id for q in form.questions}
        for a in draft.answers:
            if a.question_id not in known:
                errors["answers"] = "An answer is for a question this form does not have."
            elif len(a.comment) > MAX_COMMENT:
                errors[f"comment_{a.question_id}"] = f"The comment is longer than {MAX_COMMENT} characters."
        if errors:
            raise InvalidEvaluation(errors)
        questions = [Question(q.id, q.text, q.weight, q.answer_type, q.scale_max, q.auto_fail) for q in form.questions]
        by_question = {a.question_id: a for a in draft.answers}
        scored = score(questions, {k: a.value for k, a in by_question.items()})
        evaluation = Evaluation(
            form_id=form.id,
            interaction_id=call.id,
            agent_id=call.agent_id,
            queue_id=call.queue_id,
            evaluator_id=evaluator.user_id,
            score=scored.score,
            auto_failed=scored.auto_failed,
            auto_fail_reason=scored.reason,
            comment=draft.comment.strip(),
            started_at=draft.started_at,
            submitted_at=clock.now(),
            answers=[
                EvaluationAnswer(
                    question_id=q.id,
                    value=by_question[q.id].value,
                    points=scored.points.get(q.id),
                    comment=by_question[q.id].comment.strip(),
                )
                for q in questions
            ],
        )
        self.session.add(evaluation)
        self.session.flush()
        return evaluation

    def of_call(self, interaction_id: int) -> Sequence[Evaluation]:
        return self.session.scalars(
            select(Evaluation).where(Evaluation.interaction_id == interaction_id).order_by(Evaluation.id)
        ).all()

    # -- the agent's side --------------------------------------------------------------------
    def evaluation(self, evaluation_id: int, who: Viewer) -> Evaluation:
        """An evaluation for its agent, supervisors and admins; anyone else gets not found."""
        found = self.session.get(Evaluation, evaluation_id) if 0 < evaluation_id <= MAX_ID else None
        if found is None or not (who.sees_all or found.agent_id == who.user_id):
            raise _not_found("evaluation")
        return found

    def mine(self, agent_id: int, limit: int = 200) -> Sequence[Evaluation]:
        return self.session.scalars(
            select(Evaluation)
            .where(Evaluation.agent_id == agent_id)
            .order_by(Evaluation.submitted_at.desc(), Evaluation.id.desc())
            .limit(limit)
        ).all()

    def respond(self, evaluation_id: int, who: Viewer, action: str, comment: str) -> Evaluation:
        """The agent acknowledges or disputes their evaluation, once; a dispute says why."""
        evaluation = self.session.get(Evaluation, evaluation_id) if 0 < evaluation_id <= MAX_ID else None
        if evaluation is None or evaluation.agent_id != who.user_id:
            raise _not_found("evaluation")
        comment = comment.strip()
        if action not in ("acknowledge", "dispute"):
            raise InvalidEvaluation({"action": "Acknowledge or dispute."})
        if len(comment) > MAX_COMMENT:
            raise InvalidEvaluation({"agent_comment": f"The comment is longer than {MAX_COMMENT} characters."})
        if action == "dispute" and not comment:
            raise InvalidEvaluation({"agent_comment": "Say why you dispute this evaluation."})
        if evaluation.status != "submitted":
            raise QualityError("this evaluation was already answered", kind="conflict", code="already_answered")
        evaluation.status = "acknowledged" if action == "acknowledge" else "disputed"
        evaluation.agent_comment = comment or None
        evaluation.responded_at = clock.now()
        self.session.flush()
        return evaluation

    # -- report ------------------------------------------------------------------------------
    def report(
        self,
        first: date,
        last: date,
        *,
        time_zone: str = "UTC",
        queue_id: int | None = None,
        agent_id: int | None = None,
    ) -> QualityReport:
        """Average score, evaluations and auto-fails per agent and per queue per week (weeks start
        Monday in `time_zone`, the centre's for the pages, API and CLI), of the evaluations
        submitted on the local days `first` to `last`, optionally of one queue or agent."""
        query = self._window(first, last, time_zone, queue_id, agent_id)
        rows = self.session.scalars(self._selected(query)).all()
        weeks = []
        week = week_of(first)
        while week <= last:
            weeks.append(week)
            week += timedelta(days=7)
        agents: dict[tuple[date, str], list[Evaluation]] = defaultdict(list)
        queues: dict[tuple[date, str], list[Evaluation]] = defaultdict(list)
        for e in rows:
            week = week_of(query.local_day(e.submitted_at))
            agents[(week, e.agent.display_name or e.agent.username)].append(e)
            queues[(week, (e.queue.display_name or e.queue.name) if e.queue else "(no queue)")].append(e)

        def rows_of(groups: dict[tuple[date, str], list[Evaluation]]) -> list[WeekRow]:
            return [
                WeekRow(
                    week,
                    name,
                    len(found),
                    round(sum(e.score for e in found) / len(found), 1),
                    sum(1 for e in found if e.auto_failed),
                )
                for (week, name), found in sorted(groups.items())
            ]

        return QualityReport(first, last, weeks, rows_of(agents), rows_of(queues), time_zone=query.time_zone)

    def evaluations(self, query: ReportQuery, who: Viewer, limit: int = MAX_LISTED) -> Sequence[Evaluation]:
        """The evaluations submitted in the query's local days, newest first: all of them for
        supervisors and admins, an agent's own only for an agent (as on the pages)."""
        self._window(query.first, query.last, query.time_zone, query.queue_id, query.agent_id)
        selected = self._selected(query)
        if not who.sees_all:
            selected = selected.where(Evaluation.agent_id == who.user_id)
        ordered = selected.order_by(Evaluation.submitted_at.desc(), Evaluation.id.desc())
        return self.session.scalars(ordered.limit(max(1, min(limit, MAX_LISTED)))).unique().all()

    @staticmethod
    def _window(first: date, last: date, time_zone: str, queue_id: int | None, agent_id: int | None) -> ReportQuery:
        if last < first:
            raise QualityError("the range ends before it starts", code="bad_range")
        if (last - first).days >= MAX_REPORT_DAYS:
            raise QualityError(f"the range is longer than {MAX_REPORT_DAYS} days", code="bad_range")
        try:
            intervals.zone(time_zone)
        except intervals.ReportError as exc:
            raise QualityError(str(exc), code="bad_time_zone") from None
        return ReportQuery(first, last, time_zone, queue_id=queue_id, agent_id=agent_id)

    @staticmethod
    def _selected(query: ReportQuery) -> Select[Evaluation]:
        selected = select(Evaluation).where(
            Evaluation.submitted_at >= clock.as_utc(query.lower), Evaluation.submitted_at < clock.as_utc(query.upper)
        )
        if query.queue_id is not None:
            selected = selected.where(Evaluation.queue_id == query.queue_id)
        if query.agent_id is not None:
            selected = selected.where(Evaluation.agent_id == query.agent_id)
        return selected
