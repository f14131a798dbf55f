"""The admins' page of recording rules: add, replace and remove rules per queue, campaign and
caller region; bad, hostile and oversized input refused with the form kept; others turned away."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.audit.models import AuditEntry
from contactcenter.recordings.models import RecordingRule
from tests.support.dialer import gen_campaign
from tests.support.factories import gen_agent, gen_queue
from tests.support.web_client import logged_in

PAGE = "/admin/recordings"


@pytest.fixture
def admin(app, db):  # type: ignore[no-untyped-def]
    gen_agent(db, "ann", role=Role.ADMIN)
    gen_agent(db, "alice")
    return logged_in(app, "ann")


@pytest.fixture
def support(db):  # type: ignore[no-untyped-def]
    return gen_queue(db, "support")


def _rules(db) -> list[tuple[str, str, str, int | None]]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return [(r.scope, r.target, r.mode, r.retention_days) for r in db.scalars(select(RecordingRule))]


def test_an_admin_records_a_queue_with_retention(admin, db, support):
    form = {"scope": "queue", "queue": str(support.id), "mode": "record", "retention_days": "90", "announcement": ""}
    resp = admin.post(PAGE, data=form)
    assert resp.status_code == 303
    assert _rules(db) == [("queue", str(support.id), "record", 90)]
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "recording.rule")).one()


def test_a_campaign_rule_names_the_campaign(admin, db):
    campaign = gen_campaign(db)
    admin.post(PAGE, data={"scope": "campaign", "campaign": str(campaign.id), "mode": "announce"})
    assert _rules(db) == [("campaign", str(campaign.id), "announce", None)]


def test_a_region_rule_for_callers_from_a_country(admin, db):
    admin.post(PAGE, data={"scope": "region", "region": "de", "mode": "off"})
    assert _rules(db) == [("region", "DE", "off", None)]
    assert "callers from DE" in admin.get(PAGE).get_data(as_text=True)


def test_saving_again_replaces_the_rule(admin, db, support):
    admin.post(PAGE, data={"scope": "queue", "queue": str(support.id), "mode": "record"})
    admin.post(PAGE, data={"scope": "queue", "queue": str(support.id), "mode": "off"})
    assert _rules(db) == [("queue", str(support.id), "off", None)]


def test_removing_a_rule(admin, db, support):
    admin.post(PAGE, data={"scope": "queue", "queue": str(support.id), "mode": "record"})
    [rule_id] = db.scalars(select(RecordingRule.id)).all()
    assert admin.post(f"{PAGE}/{rule_id}/delete").status_code == 303
    assert _rules(db) == []
    assert admin.post(f"{PAGE}/{rule_id}/delete").status_code == 404


@pytest.mark.parametrize(
    "form",
    [
        {"scope": "region", "region": "ZZ", "mode": "off"},
        {"scope": "region", "region": "<b>", "mode": "off"},
        {"scope": "queue", "queue": "1 OR 1=1", "mode": "record"},
        {"scope": "galaxy", "mode": "record"},
        {"scope": "queue", "queue": "1", "mode": "sometimes"},
        {"scope": "queue", "queue": "1", "mode": "record", "retention_days": "-3"},
        {"scope": "queue", "queue": "1", "mode": "record", "retention_days": "ninety"},
        {"scope": "queue", "queue": "1", "mode": "record", "announcement": "y" * 501},
    ],
)
def test_bad_rules_are_refused_with_the_form_kept(admin, db, form):
    resp = admin.post(PAGE, data=form)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'id="rule-error"' in page and "<b>" not in page.split('id="rule-error"')[1].split("</p>")[0]
    assert _rules(db) == []


def test_a_hostile_announcement_is_shown_as_text(admin, db, support):
    words = "<script>window.pwned=1</script> This call is recorded."
    admin.post(PAGE, data={"scope": "queue", "queue": str(support.id), "mode": "record", "announcement": words})
    page = admin.get(PAGE).get_data(as_text=True)
    assert "<script>window.pwned" not in page and "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page


def test_an_oversized_form_is_refused(admin, db, support):
    resp = admin.post(
        PAGE, data={"scope": "queue", "queue": str(support.id), "mode": "record", "announcement": "x" * 5000}
    )
    assert resp.status_code == 400
    assert _rules(db) == []


def test_an_agent_may_not_see_or_change_the_rules(app, admin, db, support):
    alice = logged_in(app, "alice")
    assert alice.get(PAGE).status_code in (403, 404)
    assert alice.post(PAGE, data={"scope": "queue", "queue": str(support.id), "mode": "off"}).status_code in (403, 404)
    assert _rules(db) == []
