"""Dialer administration pages: campaigns with start / pause / stop, and lead uploads with their
validation report (nothing dropped silently), for admins and supervisors only."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.dialer import dnc
from contactcenter.dialer.models import Campaign, Lead, LeadImport
from tests.support.dialer import gen_campaign
from tests.support.factories import PASSWORD, gen_agent


@pytest.fixture
def campaign(db):  # type: ignore[no-untyped-def]
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    gen_agent(db, "ann", role=Role.ADMIN)
    gen_agent(db, "alice")
    made = gen_campaign(db, "Winter <b>renewals</b>", start=False)
    db.commit()
    return made


def login(client, username="sam"):  # type: ignore[no-untyped-def]
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def upload(client, campaign, data: bytes, name: str = "leads.csv"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/admin/dialer/{campaign.id}/leads",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_the_campaign_list_escapes_names_and_offers_start(campaign, client):
    page = login(client).get("/admin/dialer")
    assert page.status_code == 200
    assert b"Winter &lt;b&gt;renewals&lt;/b&gt;" in page.data and b"<b>renewals" not in page.data
    assert f"/admin/dialer/{campaign.id}/start".encode() in page.data


def test_start_pause_and_stop(campaign, client, db):
    login(client, "ann")
    for action, status in (("start", "running"), ("pause", "paused"), ("start", "running"), ("stop", "stopped")):
        assert client.post(f"/admin/dialer/{campaign.id}/{action}", data={"confirm": "yes"}).status_code == 303
        db.expire_all()
        assert db.get(Campaign, campaign.id).status == status


def test_a_refused_step_is_shown_not_applied(campaign, client, db):
    login(client)
    resp = client.post(f"/admin/dialer/{campaign.id}/pause", follow_redirects=True)
    assert b"only a running campaign can pause" in resp.data
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == "draft"


def test_unknown_actions_and_campaigns_are_not_found(campaign, client):
    login(client)
    assert client.post(f"/admin/dialer/{campaign.id}/explode").status_code == 404
    assert client.post("/admin/dialer/999999/start").status_code == 404


@pytest.mark.parametrize("who", ["alice"])
def test_agents_get_403(campaign, client, who):
    login(client, who)
    assert client.get("/admin/dialer").status_code == 403
    assert client.post(f"/admin/dialer/{campaign.id}/start").status_code == 403
    assert upload(client, campaign, b"name,phone\nA,+12125550100\n").status_code == 403


def test_the_upload_reports_every_rejected_row_by_reason(campaign, client, db):
    dnc.add(db, "+12125550133", reason="asked")
    db.commit()
    csv = (
        b"name,phone\n"
        b"Good Gail,+12125550131\n"
        b"Dup Dan,+12125550131\n"
        b"Bad Bob,12\n"
        b"Listed Lou,+12125550133\n"
        b"London Liz,+442071838750\n"
        b"<script>alert(1)</script>,+12125550134\n"
        b"Robert'); DROP TABLE dialer_leads;--,+12125550135\n"
    )
    resp = upload(login(client), campaign, csv)
    assert resp.status_code == 200
    page = resp.data.decode()
    for reason in ("duplicate_in_file", "bad_number", "dnc", "outside_region"):
        assert f'data-reason="{reason}"' in page
    assert '<dd id="rows-total">7</dd>' in page and '<dd id="rows-imported">3</dd>' in page
    assert '<dd id="rows-rejected">4</dd>' in page
    db.expire_all()
    names = set(db.scalars(select(Lead.name).where(Lead.campaign_id == campaign.id)))
    assert names == {"Good Gail", "<script>alert(1)</script>", "Robert'); DROP TABLE dialer_leads;--"}
    record = db.scalars(select(LeadImport)).one()
    rejected = client.get(f"/admin/dialer/imports/{record.id}/rejections.csv")
    assert rejected.status_code == 200 and rejected.mimetype == "text/csv"
    assert rejected.data.count(b"\n") == 5  # header + four rejected rows


def test_a_malformed_file_is_refused_with_the_reason(campaign, client, db):
    resp = upload(login(client), campaign, b"name,email\nAda,ada@example.com\n")
    assert resp.status_code == 400 and b"cannot be imported" in resp.data and b"phone" in resp.data
    db.expire_all()
    assert db.scalars(select(LeadImport)).one().status == "failed"


def test_an_empty_or_missing_file_is_refused(campaign, client):
    login(client)
    assert upload(client, campaign, b"").status_code == 400
    assert (
        client.post(f"/admin/dialer/{campaign.id}/leads", data={}, content_type="multipart/form-data").status_code
        == 400
    )


def test_a_binary_file_is_refused_or_fully_reported(campaign, client, db):
    resp = upload(login(client), campaign, bytes(range(256)) * 40)
    assert resp.status_code in (200, 400)
    db.expire_all()
    assert db.scalars(select(Lead)).all() == []


def test_an_oversized_file_is_refused(campaign, client, db):
    from web.admin_dialer import MAX_UPLOAD_BYTES

    big = b"name,phone\n" + b"x" * (MAX_UPLOAD_BYTES + 10)
    assert upload(login(client), campaign, big).status_code == 413
    db.expire_all()
    assert db.scalars(select(LeadImport)).all() == []


def test_recent_imports_are_listed_with_their_rejections(campaign, client):
    login(client)
    upload(client, campaign, b"name,phone\n<i>Ivy</i>,+12125550141\nBad,12\n", name="<b>spring</b>.csv")
    page = client.get("/admin/dialer").data.decode()
    assert "&lt;b&gt;spring&lt;/b&gt;.csv (web)" in page and "<b>spring" not in page
    assert "/rejections.csv" in page
