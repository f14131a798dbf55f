"""The campaign form: create, edit and clone with the domain's rules, errors next to their field,
nothing written on error, hostile text shown escaped; stop asks first; a lead shows every refusal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from contactcenter import clock
from contactcenter.accounts.models import Role
from contactcenter.dialer import dnc
from contactcenter.dialer.dial_gate import claim_leads
from contactcenter.dialer.models import Campaign, Lead
from tests.support.dialer import gen_campaign, gen_lead
from tests.support.factories import PASSWORD, gen_agent, gen_queue
from tests.support.outbound_admin import HOSTILE, campaign_form


@pytest.fixture
def staff(db):  # type: ignore[no-untyped-def]
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    gen_agent(db, "alice")
    db.commit()


def login(client, username="sam"):  # type: ignore[no-untyped-def]
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _count(db) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalar(select(func.count(Campaign.id))) or 0


def test_a_supervisor_creates_a_campaign_with_every_setting(staff, client, db):
    queue = gen_queue(db, "sales")
    db.commit()
    resp = login(client).post("/admin/dialer/new", data=campaign_form(queue_id=str(queue.id)))
    assert resp.status_code == 303
    db.expire_all()
    made = db.scalars(select(Campaign)).one()
    assert (made.dial_mode, made.queue_id, made.caller_id, made.status) == (
        "progressive",
        queue.id,
        "+12025550100",
        "draft",
    )
    assert made.calling_window == {
        "start": "09:00",
        "end": "20:00",
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "holidays": ["2026-12-25"],
    }
    assert made.retry_delays["no-answer"] == 7200 and made.abandon_cap == pytest.approx(0.03)
    assert {"code": "callback", "label": "Call back later", "final": False, "retry_after_s": 5400} in made.dispositions


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"window_end": "22:00"}, "calling_window", "08:00-21:00"),
        ({"abandon_cap": "5"}, "abandon_cap", "abandonment cap"),
        ({"ring_timeout_s": "10"}, "ring_timeout_s", "ring timeout"),
        ({"caller_id": "12"}, "caller_id", "caller ID"),
        ({"safe_harbor_message": "Sorry we missed you."}, "safe_harbor_message", "name the company"),
        ({"dispositions": "sale | Sale | final"}, "dispositions", "do-not-call"),
        ({"window_start": "9am"}, "window_start", "HH:MM"),
        ({"name": "x" * 121}, "name", "at most 120"),
        ({"script": "y" * 20001}, "script", "at most 20000"),
    ],
)
def test_a_refused_setting_is_shown_next_to_its_field_and_nothing_is_written(staff, client, db, change, field, words):
    resp = login(client).post("/admin/dialer/new", data=campaign_form(**change))
    assert resp.status_code == 400
    page = resp.data.decode()
    assert f'id="error-{field}"' in page and words in page.split(f'id="error-{field}"', 1)[1][:300]
    assert _count(db) == 0


def test_the_uk_rules_are_the_domain_s(staff, client, db):
    form = campaign_form(rule_set="UK", caller_id="020 7946 0000", callback_number="020 7946 0001", window_end="21:30")
    resp = login(client).post("/admin/dialer/new", data=form)
    assert resp.status_code == 400 and b'id="error-calling_window"' in resp.data
    assert _count(db) == 0


def test_hostile_text_in_every_field_is_stored_as_data_and_shown_escaped(staff, client, db):
    for i, text in enumerate(HOSTILE):
        form = campaign_form(
            name=f"{text} {i}",
            description=text,
            company_name=f"Acme {text}",
            safe_harbor_message=f"Acme {text} calling; call us back on 800-555-0123.",
            amd_message=text,
            script=text,
            holidays=text,
            allowed_regions=text,
            time_zone=text,
            dispositions=f"{text} | x | dnc",
            caller_id=text,
        )
        resp = login(client).post("/admin/dialer/new", data=form)
        assert resp.status_code == 400
        page = resp.data.decode()
        assert "<script>alert(1)</script>" not in page and escape(text) in page
    assert _count(db) == 0
    form = campaign_form(
        name=HOSTILE[0],
        description=HOSTILE[1],
        company_name=HOSTILE[0],
        safe_harbor_message=f"{HOSTILE[0]} here; call us back on 800-555-0123.",
        script=HOSTILE[0],
        amd_message=HOSTILE[1],
        dispositions=f"sale | {HOSTILE[0]} | final\nstop | {HOSTILE[1]} | dnc",
    )
    assert client.post("/admin/dialer/new", data=form).status_code == 303
    made = db.scalars(select(Campaign)).one()
    assert made.name == HOSTILE[0] and made.description == HOSTILE[1]
    for url in (
        f"/admin/dialer/{made.id}",
        f"/admin/dialer/{made.id}/edit",
        "/admin/dialer",
        f"/admin/dialer/{made.id}/clone",
    ):
        page = client.get(url).data.decode()
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_editing_keeps_what_was_not_changed_and_refuses_a_taken_name(staff, client, db):
    gen_campaign(db, "Taken", start=False)
    mine = gen_campaign(db, "Mine", start=False)
    db.commit()
    login(client)
    assert (
        client.post(f"/admin/dialer/{mine.id}/edit", data=campaign_form("Mine", ring_timeout_s="30")).status_code == 303
    )
    db.expire_all()
    assert db.get(Campaign, mine.id).ring_timeout_s == 30
    resp = client.post(f"/admin/dialer/{mine.id}/edit", data=campaign_form("Taken", ring_timeout_s="40"))
    assert resp.status_code == 400 and b'id="error-name"' in resp.data and b"already exists" in resp.data
    db.expire_all()
    assert (db.get(Campaign, mine.id).name, db.get(Campaign, mine.id).ring_timeout_s) == ("Mine", 30)


def test_clone_starts_from_the_source_settings_and_makes_a_new_draft(staff, client, db):
    source = gen_campaign(db, "Autumn", ring_timeout_s=40)
    db.commit()
    login(client)
    page = client.get(f"/admin/dialer/{source.id}/clone").data.decode()
    assert 'value="Copy of Autumn"' in page and 'value="40"' in page
    assert (
        client.post(f"/admin/dialer/{source.id}/clone", data=campaign_form("Winter", ring_timeout_s="40")).status_code
        == 303
    )
    db.expire_all()
    clone = db.scalars(select(Campaign).where(Campaign.name == "Winter")).one()
    assert clone.status == "draft" and clone.ring_timeout_s == 40 and clone.id != source.id


def test_stop_asks_for_confirmation_first(staff, client, db):
    campaign = gen_campaign(db, "Running")
    db.commit()
    login(client)
    asked = client.post(f"/admin/dialer/{campaign.id}/stop")
    assert asked.status_code == 200 and b'name="confirm" value="yes"' in asked.data
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == "running"
    assert client.get(f"/admin/dialer/{campaign.id}/stop").status_code == 200
    assert client.post(f"/admin/dialer/{campaign.id}/stop", data={"confirm": "yes"}).status_code == 303
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == "stopped"


def test_a_lead_shows_every_refusal_to_dial_it_with_its_reason(staff, client, db):
    campaign = gen_campaign(db, "Gate", calling_window={"start": "09:00", "end": "20:00"})
    listed = gen_lead(db, campaign, "+12125550147", name="Listed <b>Lou</b>")
    dnc.add(db, listed.phone, source="national", reason="TPS file")
    db.commit()
    claim_leads(db, campaign, 5, at=clock.now())
    db.commit()
    page = login(client).get(f"/admin/dialer/leads/{listed.id}").data.decode()
    assert 'data-reason="dnc_internal"' in page and "national" in page and "TPS file" in page
    assert "Listed &lt;b&gt;Lou&lt;/b&gt;" in page
    db.expire_all()
    assert db.get(Lead, listed.id).status == "dnc"
    listing = client.get(f"/admin/dialer/{campaign.id}").data.decode()
    assert f"/admin/dialer/leads/{listed.id}" in listing and "1 time" in listing


def test_a_lead_outside_its_window_shows_when_it_is_tried_again(staff, client, db):
    night = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)  # 01:00 in New York
    campaign = gen_campaign(db, "Night")
    lead = gen_lead(db, campaign, "+12125550147")
    db.commit()
    claim_leads(db, campaign, 5, at=night)
    db.commit()
    page = login(client).get(f"/admin/dialer/leads/{lead.id}").data.decode()
    assert 'data-reason="outside_window"' in page and "deferred until 2026-01-05 13:00" in page


def test_agents_cannot_open_the_forms(staff, client, db):
    campaign = gen_campaign(db, "Any", start=False)
    db.commit()
    login(client, "alice")
    for url in ("/admin/dialer/new", f"/admin/dialer/{campaign.id}", f"/admin/dialer/{campaign.id}/edit"):
        assert client.get(url).status_code == 403
    assert client.post("/admin/dialer/new", data=campaign_form()).status_code == 403
    assert _count(db) == 1


def test_the_stats_endpoint_counts_dials(staff, client, db):
    campaign = gen_campaign(db, "Counted")
    gen_lead(db, campaign, "+12125550147")
    db.commit()
    body = login(client).get(f"/admin/dialer/{campaign.id}/stats.json").get_json()
    assert body["totals"]["dialed"] == 0 and body["leads"] == {"ready": 1} and body["status"] == "running"
