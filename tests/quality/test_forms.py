"""Building scorecard forms: what the builder's fields must hold, and versions — a form used to
score a call keeps that version as it was; the change becomes a new version."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.quality.interfaces import (
    MAX_QUESTIONS,
    FormDraft,
    InvalidScorecard,
    QualityError,
    QuestionDraft,
    parse_form,
)
from contactcenter.quality.models import ScorecardForm
from contactcenter.quality.services import QualityService
from tests.support.quality import CALL_HANDLING, gen_evaluation, make_quality_floor


def _fields(**extra: str) -> dict[str, str]:
    fields = {
        "name": "Call handling",
        "description": "",
        "active": "on",
        "q0_section": "Opening",
        "q0_text": "Greeted the caller",
        "q0_weight": "10",
        "q0_type": "yes_no",
        "q1_section": "",
        "q1_text": "Used the caller's name",
        "q1_weight": "5",
        "q1_type": "scale",
        "q1_scale": "4",
        "q1_auto_fail": "on",
        "q2_text": "",
        "q2_weight": "",
    }
    fields.update(extra)
    return fields


def test_rows_become_questions_in_sections_and_blank_rows_are_left_out():
    draft = parse_form(_fields())
    assert [(title, [q.text for q in qs]) for title, qs in draft.sections()] == [
        ("Opening", ["Greeted the caller", "Used the caller's name"])
    ]
    assert draft.questions[1] == QuestionDraft("Opening", "Used the caller's name", 5, "scale", 4, True)


@pytest.mark.parametrize(
    ("field", "value", "error_key"),
    [
        ("name", "   ", "name"),
        ("q0_weight", "0", "q0_weight"),
        ("q0_weight", "-3", "q0_weight"),
        ("q0_weight", "1000000", "q0_weight"),
        ("q0_weight", "ten", "q0_weight"),
        ("q1_scale", "50", "q1_scale"),
        ("q0_type", "essay", "q0_type"),
        ("name", "x" * 121, "name"),
    ],
)
def test_a_bad_field_is_refused_with_its_own_message(field, value, error_key):
    with pytest.raises(InvalidScorecard) as refused:
        parse_form(_fields(**{field: value}))
    assert error_key in refused.value.errors


def test_too_many_questions_are_refused():
    rows = {f"q{n}_text": f"Question {n}" for n in range(MAX_QUESTIONS + 1)}
    rows |= {f"q{n}_weight": "1" for n in range(MAX_QUESTIONS + 1)}
    with pytest.raises(InvalidScorecard) as refused:
        parse_form({"name": "Long", **rows})
    assert "questions" in refused.value.errors


def test_a_form_without_questions_is_refused():
    with pytest.raises(InvalidScorecard) as refused:
        parse_form({"name": "Empty", "q0_text": ""})
    assert "questions" in refused.value.errors


def test_markup_in_a_name_is_kept_as_text(db):
    form = QualityService(db).create_form(FormDraft("<b>Sales</b>", questions=CALL_HANDLING.questions))
    db.expire_all()
    assert db.get(ScorecardForm, form.id).name == "<b>Sales</b>"


def test_editing_an_unused_form_changes_it_in_place(db):
    floor = make_quality_floor(db)
    service = QualityService(db)
    changed = service.update_form(floor.form.id, FormDraft("Call handling v2", questions=CALL_HANDLING.questions[:1]))
    assert changed.id == floor.form.id and changed.version == 1
    assert [q.text for q in changed.questions] == ["Greeted the caller by name"]


def test_editing_a_used_form_makes_a_new_version_and_old_evaluations_keep_theirs(db):
    floor = make_quality_floor(db)
    evaluation = gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "4")
    service = QualityService(db)
    newer = service.update_form(floor.form.id, FormDraft("Call handling", questions=CALL_HANDLING.questions[:2]))
    db.expire_all()
    assert (newer.version, newer.key) == (2, floor.form.key) and newer.id != floor.form.id
    old = db.get(ScorecardForm, floor.form.id)
    assert not old.is_current and len(old.questions) == 3
    assert evaluation.form_id == old.id and len(evaluation.answers) == 3
    assert [f.id for f in service.forms()] == [newer.id]


def test_an_older_version_cannot_be_changed(db):
    floor = make_quality_floor(db)
    gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "4")
    service = QualityService(db)
    service.update_form(floor.form.id, CALL_HANDLING)
    with pytest.raises(QualityError) as refused:
        service.update_form(floor.form.id, CALL_HANDLING)
    assert refused.value.code == "form_superseded"


def test_versions_share_a_key(db):
    floor = make_quality_floor(db)
    gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "4")
    QualityService(db).update_form(floor.form.id, CALL_HANDLING)
    versions = db.scalars(select(ScorecardForm.version).where(ScorecardForm.key == floor.form.key)).all()
    assert sorted(versions) == [1, 2]


def test_the_demo_data_has_a_scorecard_in_use(db):
    from contactcenter.app.demo_data import seed

    seed(db)
    [form] = QualityService(db).forms(active_only=True)
    assert form.name == "Support call" and sum(q.auto_fail for q in form.questions) == 1
