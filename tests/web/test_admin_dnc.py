"""The do-not-call page: add, remove, check one number, import a file (own or national) with its
report; errors next to the field, nothing written on error, hostile text escaped; staff only."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.dialer.models import DncEntry
from tests.support.dialer import gen_campaign
from tests.support.factories import PASSWORD, gen_agent
from tests.support.outbound_admin import HOSTILE


@pytest.fixture
def staff(db):  # type: ignore[no-untyped-def]
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    gen_agent(db, "alice")
    db.commit()


def login(client, username="sam"):  # type: ignore[no-untyped-def]
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _entries(db) -> list[DncEntry]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return list(db.scalars(select(DncEntry).order_by(DncEntry.id)))


def test_add_a_number_to_the_internal_list_and_remove_it(staff, client, db):
    login(client)
    assert (
        client.post(
            "/admin/dnc/add", data={"phone": "(202) 555-0143", "list": "internal", "reason": "asked"}
        ).status_code
        == 303
    )
    [entry] = _entries(db)
    assert (entry.phone, entry.campaign_id, entry.source, entry.reason) == ("+12025550143", None, "manual", "asked")
    assert b"+12025550143" in client.get("/admin/dnc").data
    assert client.post(f"/admin/dnc/entries/{entry.id}/remove").status_code == 303
    assert _entries(db) == []


def test_a_campaign_list_takes_its_own_numbers(staff, client, db):
    campaign = gen_campaign(db, "Spring", start=False)
    db.commit()
    login(client).post("/admin/dnc/add", data={"phone": "+12025550143", "list": str(campaign.id)})
    assert [e.campaign_id for e in _entries(db)] == [campaign.id]
    assert b"+12025550143" in client.get(f"/admin/dnc?list={campaign.id}").data


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_every_field_is_refused_or_escaped(staff, client, db, text):
    resp = login(client).post("/admin/dnc/add", data={"phone": text, "list": text, "reason": text})
    assert resp.status_code == 400
    page = resp.data.decode()
    assert 'id="error-phone"' in page and 'id="error-list"' in page
    assert "<script>alert(1)</script>" not in page
    assert _entries(db) == []
    assert (
        client.post("/admin/dnc/add", data={"phone": "+12025550143", "list": "internal", "reason": text}).status_code
        == 303
    )
    page = client.get("/admin/dnc").data.decode()
    assert "<script>alert(1)</script>" not in page and str(__import__("markupsafe").escape(text)) in page


def test_oversized_input_is_refused_with_a_clear_error(staff, client, db):
    resp = login(client).post("/admin/dnc/add", data={"phone": "1" * 41, "list": "internal", "reason": "r" * 300})
    assert resp.status_code == 400 and b"at most 40 characters" in resp.data and b"at most 255 characters" in resp.data
    assert _entries(db) == []


def test_a_file_import_reports_every_row(staff, client, db):
    data = b"name,phone\nA,+12025550143\nB,202-555-0143\nC,12\nD,+12025550144\n"
    resp = login(client).post(
        "/admin/dnc/import",
        data={"list": "internal", "kind": "own", "reason": "", "file": (io.BytesIO(data), "own.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200
    page = resp.data.decode()
    for key, value in (("rows", 4), ("imported", 2), ("duplicates", 1), ("rejected", 1), ("already", 0)):
        assert f'<dd id="dnc-{key}">{value}</dd>' in page
    assert {e.phone for e in _entries(db)} == {"+12025550143", "+12025550144"}


def test_a_national_register_goes_on_the_internal_list_marked_national(staff, client, db):
    resp = login(client).post(
        "/admin/dnc/import",
        data={
            "list": "internal",
            "kind": "national",
            "reason": "TPS December",
            "file": (io.BytesIO(b"+44 20 7946 0123\n"), "tps.csv"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200
    [entry] = _entries(db)
    assert (entry.source, entry.reason, entry.campaign_id) == ("national", "TPS December", None)


def test_an_unreadable_file_is_refused_and_nothing_is_written(staff, client, db):
    resp = login(client).post(
        "/admin/dnc/import",
        data={"list": "internal", "kind": "own", "file": (io.BytesIO(b"\x89PNG\x00\x00"), "photo.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400 and b'id="error-file"' in resp.data and b"not a text file" in resp.data
    assert _entries(db) == []


def test_check_says_which_list_blocks_a_number(staff, client, db):
    login(client).post("/admin/dnc/add", data={"phone": "+12025550143", "list": "internal", "reason": "asked"})
    blocked = client.post("/admin/dnc/check", data={"phone": "202 555 0143", "list": "internal"}).data.decode()
    assert "is blocked" in blocked and "the internal list" in blocked and "asked" in blocked
    free = client.post("/admin/dnc/check", data={"phone": "202 555 0144", "list": "internal"}).data.decode()
    assert "is not blocked" in free


def test_agents_get_403(staff, client, db):
    login(client, "alice")
    assert client.get("/admin/dnc").status_code == 403
    assert client.post("/admin/dnc/add", data={"phone": "+12025550143"}).status_code == 403
    assert _entries(db) == []
