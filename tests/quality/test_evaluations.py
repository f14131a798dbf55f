"""Evaluating a recorded call: what is stored with it, who may evaluate which call, and the
agent's acknowledgement or dispute; the weekly report's averages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contactcenter import clock
from contactcenter.quality.interfaces import Answer, EvaluationDraft, InvalidEvaluation, QualityError
from contactcenter.quality.services import QualityService, week_of
from contactcenter.tickets.access import Viewer
from tests.support.factories import gen_call
from tests.support.quality import answers_for, gen_evaluation, make_quality_floor
from tests.support.recordings import gen_recording


@pytest.fixture
def floor(db):  # type: ignore[no-untyped-def]
    return make_quality_floor(db)


def test_an_evaluation_stores_agent_queue_evaluator_version_and_times(db, floor):
    e = gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "no", "5", comment="Good call")
    assert (e.agent_id, e.queue_id, e.evaluator_id, e.form_id) == (
        floor["alice"].id,
        floor.call.queue_id,
        floor["sam"].id,
        floor.form.id,
    )
    assert e.score == 0.0 and e.auto_fail_reason == "Auto-fail: Verified the caller's identity"
    assert e.submitted_at is not None and e.comment == "Good call" and e.status == "submitted"


def test_per_question_comments_are_kept(db, floor):
    answers = answers_for(floor.form, "yes", "yes", "3")
    answers[2] = Answer(answers[2].question_id, "3", "Could have apologised")
    e = QualityService(db).evaluate(floor.call.id, EvaluationDraft(floor.form.id, answers), Viewer.of(floor["sam"]))
    assert [a.comment for a in e.answers] == ["", "", "Could have apologised"]
    assert e.score == 80.0  # 10 + 20 + 30 × 3/5 of 60


def test_an_agent_cannot_evaluate(db, floor):
    with pytest.raises(QualityError) as refused:
        gen_evaluation(db, floor.call, floor.form, floor["bob"], "yes", "yes", "5")
    assert refused.value.kind == "forbidden"


def test_an_evaluator_cannot_evaluate_their_own_call(db, floor):
    own = gen_call(db, agent_id=floor["sam"].id)
    gen_recording(db, own, seconds=3)
    with pytest.raises(QualityError) as refused:
        gen_evaluation(db, own, floor.form, floor["sam"], "yes", "yes", "5")
    assert refused.value.code == "own_call"


def test_a_call_without_a_recording_cannot_be_evaluated(db, floor):
    bare = gen_call(db, agent_id=floor["alice"].id)
    with pytest.raises(QualityError) as refused:
        gen_evaluation(db, bare, floor.form, floor["sam"], "yes", "yes", "5")
    assert refused.value.code == "no_recording"


def test_an_inactive_form_cannot_be_used(db, floor):
    floor.form.active = False
    with pytest.raises(QualityError) as refused:
        gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")
    assert refused.value.code == "form_not_in_use"


def test_an_oversized_comment_is_refused(db, floor):
    draft = EvaluationDraft(floor.form.id, answers_for(floor.form, "yes", "yes", "5"), "x" * 5000)
    with pytest.raises(InvalidEvaluation) as refused:
        QualityService(db).evaluate(floor.call.id, draft, Viewer.of(floor["sam"]))
    assert "comment" in refused.value.errors


def test_the_agent_acknowledges_once(db, floor):
    e = gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")
    service = QualityService(db)
    service.respond(e.id, Viewer.of(floor["alice"]), "acknowledge", "")
    assert e.status == "acknowledged" and e.responded_at is not None
    with pytest.raises(QualityError) as refused:
        service.respond(e.id, Viewer.of(floor["alice"]), "dispute", "No")
    assert refused.value.kind == "conflict"


def test_a_dispute_needs_a_reason(db, floor):
    e = gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")
    with pytest.raises(InvalidEvaluation):
        QualityService(db).respond(e.id, Viewer.of(floor["alice"]), "dispute", "  ")


def test_another_agent_cannot_see_or_answer_an_evaluation(db, floor):
    e = gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")
    service = QualityService(db)
    with pytest.raises(QualityError) as seen:
        service.evaluation(e.id, Viewer.of(floor["bob"]))
    with pytest.raises(QualityError) as answered:
        service.respond(e.id, Viewer.of(floor["bob"]), "acknowledge", "")
    assert seen.value.kind == answered.value.kind == "not_found"


def test_the_report_averages_per_agent_and_queue_per_week(db, floor):
    gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")  # 100
    gen_evaluation(db, floor.call, floor.form, floor["ann"], "yes", "no", "5")  # auto-fail: 0
    today = clock.now().date()
    report = QualityService(db).report(today - timedelta(days=13), today)
    [agent] = report.by_agent
    assert (agent.name, agent.week, agent.evaluations, agent.average, agent.auto_fails) == (
        "Alice Agent",
        week_of(today),
        2,
        50.0,
        1,
    )
    assert [(r.name, r.average) for r in report.by_queue] == [("Support", 50.0)]
    assert week_of(today) in report.weeks and report.evaluations == 2


def test_a_report_range_that_ends_before_it_starts_is_refused(db):
    today = clock.now().date()
    with pytest.raises(QualityError):
        QualityService(db).report(today, today - timedelta(days=1))


def test_the_report_cuts_weeks_in_the_time_zone_it_is_given(db, floor):
    from datetime import UTC, date, datetime

    e = gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")
    e.submitted_at = datetime(2026, 6, 14, 23, 30, tzinfo=UTC)  # Sunday in UTC, Monday in Paris
    db.flush()
    service = QualityService(db)
    paris = service.report(date(2026, 6, 1), date(2026, 6, 30), time_zone="Europe/Paris")
    utc = service.report(date(2026, 6, 1), date(2026, 6, 30))
    assert [r.week for r in paris.by_agent] == [date(2026, 6, 15)]
    assert [r.week for r in utc.by_agent] == [date(2026, 6, 8)]


def test_a_report_in_an_unknown_time_zone_is_refused(db):
    today = clock.now().date()
    with pytest.raises(QualityError) as refused:
        QualityService(db).report(today, today, time_zone="Mars/Olympus_Mons")
    assert refused.value.code == "bad_time_zone"
