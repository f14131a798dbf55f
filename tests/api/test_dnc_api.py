"""/api/dnc: add, list, check, remove and import numbers; national registers; staff only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.dialer.models import DncEntry
from tests.support.api import api, error_of, org  # noqa: F401 - fixtures
from tests.support.dialer import gen_campaign


def _entries(db) -> list[DncEntry]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return list(db.scalars(select(DncEntry).order_by(DncEntry.id)))


def test_add_check_list_and_remove(api, db):
    made = api.post("/api/dnc", {"phone": "(202) 555-0143", "reason": "asked"}, as_="sam")
    assert made.status_code == 201 and made.get_json()["phone"] == "+12025550143" and made.get_json()["source"] == "api"
    check = api.get("/api/dnc/check?phone=2025550143", as_="sam").get_json()
    assert check["blocked"] is True and check["list"] == "internal" and check["reason"] == "asked"
    assert [e["phone"] for e in api.get("/api/dnc").get_json()["data"]] == ["+12025550143"]
    assert api.delete(f"/api/dnc/{made.get_json()['id']}").status_code == 204
    assert api.get("/api/dnc/check?phone=2025550143").get_json()["blocked"] is False


def test_a_campaign_list(api, db):
    campaign = gen_campaign(db, "Spring", start=False)
    db.commit()
    assert api.post("/api/dnc", {"phone": "+12025550143", "list": campaign.id}).status_code == 201
    assert api.get("/api/dnc/check?phone=%2B12025550143").get_json()["blocked"] is False
    assert api.get(f"/api/dnc/check?phone=%2B12025550143&list={campaign.id}").get_json()["list"] == "campaign"
    assert error_of(api.post("/api/dnc", {"phone": "+12025550143", "list": 999999})) == (404, "not_found")


def test_bad_numbers_and_oversized_input_are_refused(api, db):
    assert error_of(api.post("/api/dnc", {"phone": "<script>alert(1)</script>"})) == (422, "validation_failed")
    assert error_of(api.post("/api/dnc", {"phone": "' OR 1=1 --"})) == (422, "validation_failed")
    assert error_of(api.post("/api/dnc", {"phone": "+12025550143", "reason": "x" * 300})) == (422, "validation_failed")
    assert _entries(db) == []


def test_import_reports_every_row_and_marks_national_registers(api, db):
    report = api.post("/api/dnc/import", {"csv": "phone\n+442079460123\n+442079460123\nnope\n", "national": True})
    assert report.status_code == 200
    body = report.get_json()
    assert (body["rows"], body["imported"], body["duplicates_in_file"], len(body["rejected"])) == (3, 1, 1, 1)
    [entry] = _entries(db)
    assert (entry.source, entry.campaign_id) == ("national", None)


def test_agents_and_read_only_tokens_are_refused(api, db):
    assert error_of(api.post("/api/dnc", {"phone": "+12025550143"}, as_="alice")) == (403, "forbidden")
    assert error_of(api.post("/api/dnc", {"phone": "+12025550143"}, as_="alice_ro")) == (403, "forbidden")
    assert _entries(db) == []


@pytest.mark.parametrize(
    "body",
    [
        {"phone": 5},
        {"phone": "+12025550143", "list": "x"},
        {"phone": "+12025550143", "list": True},
        {"phone": "+12025550143", "reason": 5},
    ],
)
def test_malformed_entries_are_a_422(api, db, body):
    assert error_of(api.post("/api/dnc", body)) == (422, "validation_failed")
    assert _entries(db) == []


@pytest.mark.parametrize("body", [{"csv": 5}, {"csv": "x" * 200_001}, {"csv": "1", "national": "yes"}])
def test_a_malformed_import_is_refused(api, db, body):
    assert error_of(api.post("/api/dnc/import", body))[0] in (413, 422)
    assert _entries(db) == []
