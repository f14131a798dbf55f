"""/api/campaigns: create, change, clone, start/pause/stop (confirmed), leads with refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contactcenter.dialer import dnc
from contactcenter.dialer.dial_gate import claim_leads
from contactcenter.dialer.models import Campaign
from tests.support.api import api, error_of, org  # noqa: F401 - fixtures
from tests.support.dialer import gen_lead

BODY = {
    "name": "Spring renewals",
    "caller_id": "202-555-0100",
    "company_name": "Acme Energy",
    "callback_number": "800-555-0123",
    "dial_mode": "progressive",
    "calling_window": {"start": "09:00", "end": "20:00"},
}


def _count(db) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalar(select(func.count(Campaign.id))) or 0


def test_a_supervisor_creates_and_reads_a_campaign(api, db):
    made = api.post("/api/campaigns", {**BODY, "agent_ids": [api.org.alice.id]}, as_="sam")
    assert made.status_code == 201
    body = made.get_json()
    assert body["status"] == "draft" and body["caller_id"] == "+12025550100" and body["agent_ids"] == [api.org.alice.id]
    read = api.get(f"/api/campaigns/{body['id']}", as_="sam").get_json()
    assert read["totals"] == {"dialed": 0, "answered": 0, "connected": 0, "abandoned": 0, "refused": 0}
    assert [c["name"] for c in api.get("/api/campaigns").get_json()["data"]] == ["Spring renewals"]


def test_the_rule_set_refuses_a_setting_with_its_field(api, db):
    resp = api.post("/api/campaigns", {**BODY, "calling_window": {"start": "07:00", "end": "20:00"}})
    assert error_of(resp) == (422, "validation_failed") and "calling_window" in resp.get_json()["error"]["message"]
    resp = api.post("/api/campaigns", {**BODY, "abandon_cap": 0.05})
    assert error_of(resp) == (422, "validation_failed") and "abandon_cap" in resp.get_json()["error"]["message"]
    assert error_of(api.post("/api/campaigns", {**BODY, "ring_timeout_s": "x"})) == (422, "validation_failed")
    assert _count(db) == 0


def test_agents_and_read_only_tokens_are_refused(api, db):
    assert error_of(api.post("/api/campaigns", BODY, as_="alice")) == (403, "forbidden")
    assert error_of(api.get("/api/campaigns", as_="alice")) == (403, "forbidden")
    assert _count(db) == 0


def test_patch_clone_and_the_lifecycle(api, db):
    made = api.post("/api/campaigns", BODY).get_json()
    assert api.patch(f"/api/campaigns/{made['id']}", {"ring_timeout_s": 30}).get_json()["ring_timeout_s"] == 30
    clone = api.post(f"/api/campaigns/{made['id']}/clone", {"name": "Autumn"})
    assert clone.status_code == 201 and clone.get_json()["ring_timeout_s"] == 30
    assert api.post(f"/api/campaigns/{made['id']}/start").get_json()["status"] == "running"
    assert api.post(f"/api/campaigns/{made['id']}/pause").get_json()["status"] == "paused"
    assert error_of(api.post(f"/api/campaigns/{made['id']}/pause")) == (409, "invalid_transition")
    assert error_of(api.post(f"/api/campaigns/{made['id']}/stop", {})) == (422, "validation_failed")
    assert api.post(f"/api/campaigns/{made['id']}/stop", {"confirm": True}).get_json()["status"] == "stopped"
    assert error_of(api.patch(f"/api/campaigns/{made['id']}", {"ring_timeout_s": 40})) == (422, "validation_failed")


def test_hostile_text_is_stored_as_data(api, db):
    text = "<script>alert(1)</script>' OR 1=1 --"
    made = api.post("/api/campaigns", {**BODY, "name": text, "description": text, "script": text})
    assert made.status_code == 201 and made.get_json()["name"] == text


def test_a_lead_lists_its_refusals(api, db):
    made = api.post("/api/campaigns", BODY).get_json()
    api.post(f"/api/campaigns/{made['id']}/start")
    campaign = db.get(Campaign, made["id"])
    lead = gen_lead(db, campaign, "+12125550147")
    dnc.add(db, lead.phone, reason="asked")
    db.commit()
    claim_leads(db, campaign, 5)
    db.commit()
    leads = api.get(f"/api/campaigns/{made['id']}/leads?status=dnc").get_json()["data"]
    assert [row["id"] for row in leads] == [lead.id]
    detail = api.get(f"/api/leads/{lead.id}").get_json()
    assert detail["refusals"][0]["reason"] == "dnc_internal" and detail["refusals"][0]["action"] == "skip"
    assert error_of(api.get("/api/leads/999999")) == (404, "not_found")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 5),
        ("company_name", "x" * 121),
        ("queue_id", 999999),
        ("queue_id", "x"),
        ("amd_enabled", "yes"),
        ("safe_harbor_message", 5),
        ("calling_window", "x"),
        ("calling_window", {"start": 5}),
        ("dispositions", [1]),
        ("retry_delays", [1]),
        ("allowed_regions", "US"),
        ("abandon_cap", "x"),
        ("max_attempts", "3"),
        ("agent_ids", [999999]),
    ],
)
def test_a_setting_of_the_wrong_type_is_a_422_naming_it(api, db, field, value):
    resp = api.post("/api/campaigns", {**BODY, field: value})
    assert error_of(resp) == (422, "validation_failed")
    assert _count(db) == 0
