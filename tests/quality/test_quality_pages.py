"""The quality pages through the web: who may open what (agents neither build forms nor
evaluate; another agent's evaluation is 404), what bad input gets (the form kept, a message
beside the field, markup shown as text), and the audit entries of changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.audit.models import AuditEntry
from contactcenter.quality.models import Evaluation, ScorecardForm
from tests.support.factories import gen_call
from tests.support.quality import gen_evaluation, make_quality_floor
from tests.support.recordings import gen_recording
from tests.support.web_client import logged_in


@pytest.fixture
def floor(db):  # type: ignore[no-untyped-def]
    return make_quality_floor(db)


def _builder_fields(**extra: str) -> dict[str, str]:
    fields = {
        "name": "Sales calls",
        "active": "on",
        "q0_section": "Opening",
        "q0_text": "Said the company's name",
        "q0_weight": "10",
        "q0_type": "yes_no",
    }
    fields.update(extra)
    return fields


def _scorecard(floor, *values: str, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    fields = {"form_id": str(floor.form.id)}
    fields |= {f"answer_{q.id}": v for q, v in zip(floor.form.questions, values, strict=True)}
    fields |= extra
    return fields


@pytest.mark.parametrize("path", ["/quality/forms", "/quality/forms/new"])
def test_an_agent_cannot_open_the_form_builder(app, floor, path):
    assert logged_in(app, "alice").get(path).status_code == 403


def test_a_supervisor_cannot_open_the_form_builder(app, floor):
    assert logged_in(app, "sam").get("/quality/forms").status_code == 403


def test_an_agent_cannot_open_the_evaluation_page(app, floor):
    assert logged_in(app, "bob").get(f"/quality/evaluate/{floor.call.id}").status_code == 403


def test_an_agent_cannot_post_an_evaluation(app, db, floor):
    resp = logged_in(app, "bob").post(f"/quality/evaluate/{floor.call.id}", data=_scorecard(floor, "yes", "yes", "5"))
    assert resp.status_code == 403
    assert db.scalar(select(Evaluation.id)) is None


def test_an_agent_cannot_open_the_report(app, floor):
    assert logged_in(app, "alice").get("/quality/report").status_code == 403


def test_another_agent_gets_404_for_an_evaluation(app, db, floor):
    e = gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")
    assert logged_in(app, "bob").get(f"/quality/evaluations/{e.id}").status_code == 404
    assert logged_in(app, "alice").get(f"/quality/evaluations/{e.id}").status_code == 200


def test_another_agent_cannot_acknowledge_an_evaluation(app, db, floor):
    e = gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")
    resp = logged_in(app, "bob").post(f"/quality/evaluations/{e.id}/respond", data={"action": "acknowledge"})
    assert resp.status_code == 404
    db.expire_all()
    assert db.get(Evaluation, e.id).status == "submitted"


def test_an_admin_creates_a_form_and_it_is_audited(app, db, floor):
    resp = logged_in(app, "ann").post("/quality/forms/new", data=_builder_fields())
    assert resp.status_code == 303
    form = db.scalars(select(ScorecardForm).where(ScorecardForm.name == "Sales calls")).one()
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "quality.form_create")).one()
    assert entry.object_id == str(form.id) and entry.actor_name == "ann"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "A form needs a name."),
        ("q0_weight", "0", "The weight is a whole number from 1 to 100."),
        ("q0_weight", "99999", "The weight is a whole number from 1 to 100."),
    ],
)
def test_a_bad_form_is_shown_again_with_the_message_beside_the_field(app, db, floor, field, value, message):
    resp = logged_in(app, "ann").post("/quality/forms/new", data=_builder_fields(**{field: value}))
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page
    assert "Said the company&#39;s name" in page  # what was typed is kept
    assert db.scalar(select(ScorecardForm.id).where(ScorecardForm.name == "Sales calls")) is None


def test_markup_in_a_form_name_is_shown_escaped(app, db, floor):
    hostile = "<script>alert(1)</script>'; DROP TABLE scorecard_forms; --"
    client = logged_in(app, "ann")
    assert client.post("/quality/forms/new", data=_builder_fields(name=hostile)).status_code == 303
    page = client.get("/quality/forms").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_oversized_field_is_refused_and_nothing_saved(app, db, floor):
    resp = logged_in(app, "ann").post("/quality/forms/new", data=_builder_fields(description="x" * 50_000))
    assert resp.status_code == 400
    assert db.scalar(select(ScorecardForm.id).where(ScorecardForm.name == "Sales calls")) is None


def test_a_supervisor_scores_a_call_and_it_is_audited(app, db, floor):
    resp = logged_in(app, "sam").post(
        f"/quality/evaluate/{floor.call.id}", data=_scorecard(floor, "yes", "yes", "3", comment="Fine")
    )
    assert resp.status_code == 303
    e = db.scalars(select(Evaluation)).one()
    assert (e.score, e.evaluator_id, e.agent_id) == (80.0, floor["sam"].id, floor["alice"].id)
    assert db.scalar(select(AuditEntry.object_id).where(AuditEntry.action == "quality.evaluation_submit")) == str(e.id)


def test_an_unanswered_question_keeps_the_scorecard_and_saves_nothing(app, db, floor):
    fields = _scorecard(floor, "yes", "yes", "3", comment="Kept <b>as typed</b>")
    del fields[f"answer_{floor.form.questions[1].id}"]
    resp = logged_in(app, "sam").post(f"/quality/evaluate/{floor.call.id}", data=fields)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Answer this question." in page
    assert "Kept &lt;b&gt;as typed&lt;/b&gt;" in page
    assert db.scalar(select(Evaluation.id)) is None


def test_a_hostile_answer_is_refused(app, db, floor):
    fields = _scorecard(floor, "yes", "yes", "5'; DROP TABLE evaluations; --")
    resp = logged_in(app, "sam").post(f"/quality/evaluate/{floor.call.id}", data=fields)
    assert resp.status_code == 422 and "Answer from 0 to 5, or N/A." in resp.get_data(as_text=True)


def test_an_unknown_call_is_404(app, floor):
    assert logged_in(app, "sam").get("/quality/evaluate/999999").status_code == 404


def test_the_call_page_offers_evaluate_to_supervisors_only(app, floor):
    link = f"/quality/evaluate/{floor.call.id}"
    assert link in logged_in(app, "sam").get(f"/calls/{floor.call.id}").get_data(as_text=True)
    assert link not in logged_in(app, "alice").get(f"/calls/{floor.call.id}").get_data(as_text=True)


def test_the_agent_disputes_with_a_reason(app, db, floor):
    e = gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "no", "5")
    client = logged_in(app, "alice")
    refused = client.post(f"/quality/evaluations/{e.id}/respond", data={"action": "dispute", "agent_comment": ""})
    assert refused.status_code == 422 and "Say why you dispute" in refused.get_data(as_text=True)
    done = client.post(
        f"/quality/evaluations/{e.id}/respond", data={"action": "dispute", "agent_comment": "I did verify"}
    )
    assert done.status_code == 303
    db.expire_all()
    assert (db.get(Evaluation, e.id).status, db.get(Evaluation, e.id).agent_comment) == ("disputed", "I did verify")


def test_my_scores_lists_only_my_evaluations(app, db, floor):
    gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "no", "5")
    page = logged_in(app, "alice").get("/quality/mine").get_data(as_text=True)
    assert "Auto-fail: Verified the caller&#39;s identity" in page and "Sam Supervisor" in page
    other = logged_in(app, "bob").get("/quality/mine").get_data(as_text=True)
    assert "Sam Supervisor" not in other


@pytest.mark.parametrize("bad", ["2026-13-45", "<script>", "'; DROP TABLE evaluations; --"])
def test_a_bad_report_date_is_shown_with_its_message(app, floor, bad):
    resp = logged_in(app, "sam").get("/quality/report", query_string={"from": bad})
    assert resp.status_code == 400 and "A date as YYYY-MM-DD." in resp.get_data(as_text=True)


def test_a_report_range_over_a_year_is_refused(app, floor):
    resp = logged_in(app, "sam").get("/quality/report", query_string={"from": "2020-01-01", "to": "2026-01-01"})
    assert resp.status_code == 400


def test_the_report_csv_has_a_row_per_agent_and_queue_week(app, db, floor):
    gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")
    resp = logged_in(app, "sam").get("/quality/report.csv")
    lines = resp.get_data(as_text=True).strip().splitlines()
    assert resp.mimetype == "text/csv" and lines[0].startswith("group,name,week_starting")
    assert [line.split(",")[:2] for line in lines[1:]] == [["agent", "Alice Agent"], ["queue", "Support"]]


def test_saving_a_used_form_makes_a_new_version_on_the_audit_log(app, db, floor):
    gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")
    resp = logged_in(app, "ann").post(f"/quality/forms/{floor.form.id}", data=_builder_fields(name="Call handling"))
    assert resp.status_code == 303
    newer = db.scalars(select(ScorecardForm).where(ScorecardForm.is_current.is_(True))).one()
    assert newer.version == 2 and resp.headers["Location"].endswith(f"/quality/forms/{newer.id}")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "quality.form_version")).one()
    assert entry.object_id == str(newer.id) and entry.details["version"] == 2


def test_an_old_version_cannot_be_saved_over(app, db, floor):
    gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")
    client = logged_in(app, "ann")
    assert client.post(f"/quality/forms/{floor.form.id}", data=_builder_fields()).status_code == 303
    assert client.post(f"/quality/forms/{floor.form.id}", data=_builder_fields()).status_code == 409


def test_a_supervisor_is_not_offered_to_evaluate_their_own_call(app, db, floor):
    own = gen_call(db, agent_id=floor["sam"].id)
    gen_recording(db, own, seconds=3)
    client = logged_in(app, "sam")
    assert f"/quality/evaluate/{own.id}" not in client.get(f"/calls/{own.id}").get_data(as_text=True)
    assert client.get(f"/quality/evaluate/{own.id}").status_code == 403


def test_an_oversized_evaluation_comment_is_refused_and_nothing_saved(app, db, floor):
    fields = _scorecard(floor, "yes", "yes", "5", comment="x" * 100_000)
    resp = logged_in(app, "sam").post(f"/quality/evaluate/{floor.call.id}", data=fields)
    assert resp.status_code == 400 and "far too long" in resp.get_data(as_text=True)
    assert db.scalar(select(Evaluation.id)) is None


def test_the_report_page_names_the_centres_time_zone(app, db, floor):
    from contactcenter.acd.models import Queue

    db.scalars(select(Queue)).one().time_zone = "Europe/Paris"
    db.commit()
    page = logged_in(app, "sam").get("/quality/report").get_data(as_text=True)
    assert "(Europe/Paris, weeks start Monday)" in page


def test_an_unknown_queue_on_the_report_page_is_explained(app, floor):
    resp = logged_in(app, "sam").get("/quality/report", query_string={"queue": "<b>nope</b>"})
    assert resp.status_code == 400 and "No queue has this name." in resp.get_data(as_text=True)
