"""Search, SLA clocks and reports over the API."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from contactcenter.contacts.models import Customer
from contactcenter.tickets.models import Ticket, TicketComment
from contactcenter.tickets.services import add_comment, open_ticket
from tests.support.api import api, error_of, org  # noqa: F401  (fixtures)
from tests.support.factories import gen_customer

NY = ZoneInfo("America/New_York")
HOUR = 3600


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=NY)


def test_search_tickets_comments_customers_within_scope(api, org, db):
    mine = open_ticket(db, "Router keeps rebooting", queue_id=org.support.id)
    theirs = open_ticket(db, "Router invoice", queue_id=org.billing.id)
    add_comment(db, mine, "Firmware 2.1 fixes the router", public=True)
    add_comment(db, theirs, "Router refund approved", public=False)
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",), email="grace@navy.example")
    db.commit()

    def found(query, as_="alice"):  # type: ignore[no-untyped-def]
        response = api.get(f"/api/search?{query}", as_=as_)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["data"]]

    assert found("q=router") == [mine.id]
    assert found("q=router", as_="sam") == [theirs.id, mine.id]
    assert len(found("q=router&type=comments")) == 1
    assert found("q=refund&type=comments") == []
    assert found("q=refund&type=comments", as_="bob") != []
    assert found("q=hopper&type=customers") == [grace.id]
    assert found("q=" + quote("(415) 555-0100") + "&type=customers") == [grace.id]


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE tickets; --",
        "router' OR '1'='1",
        '" OR ""="',
        "router) OR (1=1",
        "NEAR(router invoice) OR *",
        "!router | (refund & <->)",
        "<script>alert(1)</script>",
        "router%' --",
    ],
)
@pytest.mark.parametrize("kind", ["tickets", "comments", "customers"])
def test_injection_in_search_is_harmless(api, org, db, query, kind):
    open_ticket(db, "Router", queue_id=org.billing.id)
    gen_customer(db)
    db.commit()
    before = (
        db.scalar(select(func.count(Ticket.id))),
        db.scalar(select(func.count(Customer.id))),
        db.scalar(select(func.count(TicketComment.id))),
    )
    response = api.get(f"/api/search?type={kind}&q={quote(query)}", as_="alice")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    if kind != "customers":
        assert response.get_json()["data"] == []  # the billing ticket stays out of the agent's reach
    after = (
        db.scalar(select(func.count(Ticket.id))),
        db.scalar(select(func.count(Customer.id))),
        db.scalar(select(func.count(TicketComment.id))),
    )
    assert after == before


@pytest.mark.parametrize("query", ["", "q=", "q=%27%22%21", "q=" + "x" * 501, "q=router&type=users", "q=a&q=b"])
def test_bad_searches_are_400(api, org, query):
    status, code = error_of(api.get(f"/api/search?{query}", as_="alice"))
    assert status == 400 and code in ("invalid_query", "invalid_filter")


def test_search_pages(api, org, db):
    ids = [open_ticket(db, f"Modem {n}", queue_id=org.support.id).id for n in range(9)]
    db.commit()
    seen, cursor = [], None
    while True:
        body = api.get("/api/search?q=modem&limit=4" + (f"&cursor={cursor}" if cursor else ""), as_="alice").get_json()
        seen += [t["id"] for t in body["data"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(ids, reverse=True)
    assert error_of(api.get("/api/search?q=modem&type=customers&cursor=" + quote(cursor or "x"), as_="alice"))[0] == 400


def test_search_pages_mix_subject_and_comment_matches_within_scope(api, org, db):
    visible = []
    for n in range(10):
        queue = org.support if n % 2 == 0 else org.billing
        ticket = open_ticket(db, f"Modem {n}" if n % 3 == 0 else f"Line noise {n}", queue_id=queue.id)
        if n % 3 != 0:
            add_comment(db, ticket, f"Swapped the modem, try {n}", public=n % 4 == 0)
        if queue is org.support:
            visible.append(ticket.id)
    db.commit()
    for limit in (1, 2, 3):
        seen, cursor = [], None
        while True:
            query = f"/api/search?q=modem&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            body = api.get(query, as_="alice").get_json()
            assert len(body["data"]) <= limit
            seen += [t["id"] for t in body["data"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert seen == sorted(visible, reverse=True), limit
    comments = api.get("/api/search?q=swapped&type=comments&limit=100", as_="alice").get_json()["data"]
    assert len(comments) == len([n for n in range(10) if n % 2 == 0 and n % 3 != 0])


def test_policies_calendars_clocks_due_and_report(api, org, db):
    calendar = api.post(
        "/api/sla/calendars",
        {
            "name": "NY office",
            "definition": {
                "time_zone": "America/New_York",
                "hours": {d: ["09:00-12:00", "13:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            },
        },
    )
    assert calendar.status_code == 201
    policy = api.post(
        "/api/sla/policies",
        {
            "name": "Support",
            "calendar_id": calendar.get_json()["id"],
            "queue_ids": [org.support.id],
            "warn_before_s": 900,
            "targets": {"first_response": {"urgent": HOUR, "*": 2 * HOUR}, "resolution": 8 * HOUR},
        },
    )
    assert policy.status_code == 201, policy.get_json()
    bad = api.post("/api/sla/policies", {"name": "Bad", "targets": {"resolution": -5}})
    assert error_of(bad) == (422, "validation_failed")
    with freeze_time(ny(15, 11)) as frozen:  # Monday 11:00
        ticket = api.post(
            "/api/tickets", {"subject": "Router down", "queue_id": org.support.id}, as_="alice"
        ).get_json()
        assert {c["metric"]: datetime.fromisoformat(c["deadline"]) for c in ticket["sla"]} == {
            "first_response": ny(15, 14),
            "resolution": ny(16, 12),  # 8 h: 11-12, 13-17, then 9-12 on Tuesday
        }
        detail = api.get(f"/api/tickets/{ticket['id']}", as_="alice").get_json()
        first = next(c for c in detail["sla"] if c["metric"] == "first_response")
        assert datetime.fromisoformat(first["deadline"]) == ny(15, 14)  # 11-12, lunch, 13-14
        assert first["status"] == "running" and first["remaining_s"] == 2 * HOUR
        frozen.move_to(ny(15, 13, 30))
        due = api.get("/api/sla/due?within=3600", as_="alice").get_json()["data"]
        assert [(d["ticket_id"], d["metric"]) for d in due] == [(ticket["id"], "first_response")]
        assert api.get("/api/sla/due?within=3600", as_="bob").get_json()["data"] == []
        due_tickets = api.get("/api/tickets?sla_due_before=" + quote(ny(15, 14).isoformat()), as_="alice").get_json()[
            "data"
        ]
        assert [t["id"] for t in due_tickets] == [ticket["id"]]
        api.patch(f"/api/tickets/{ticket['id']}", {"priority": "urgent"}, as_="alice")  # 1 h: breached at 12:00
        frozen.move_to(ny(15, 14))
        overdue = api.get("/api/sla/due?within=60&include_breached=true", as_="alice").get_json()["data"]
        assert [(d["metric"], datetime.fromisoformat(d["deadline"])) for d in overdue] == [
            ("first_response", ny(15, 12))
        ]
        report = api.get("/api/reports/sla", as_="sam").get_json()
    assert report["rows"][0]["breached"] == 1 and report["rows"][0]["policy"] == "Support"
    assert error_of(api.get("/api/reports/sla?from=2026-06-02T00:00:00Z&to=2026-06-01T00:00:00Z", as_="sam")) == (
        400,
        "invalid_filter",
    )
    changed = api.patch(f"/api/sla/policies/{policy.get_json()['id']}", {"active": False})
    assert changed.status_code == 200 and changed.get_json()["active"] is False


def test_api_clock_row_and_report_agree_on_a_ticket_solved_without_reply(api, org, db):
    api.post("/api/sla/policies", {"name": "Plain", "targets": {"first_response": HOUR, "resolution": 8 * HOUR}})
    with freeze_time(ny(15, 11)) as frozen:
        ticket = api.post("/api/tickets", {"subject": "Spam", "queue_id": org.support.id}, as_="alice").get_json()
        frozen.move_to(ny(15, 11, 10))
        for status in ("open", "solved"):
            assert api.patch(f"/api/tickets/{ticket['id']}", {"status": status}, as_="alice").status_code == 200
        detail = api.get(f"/api/tickets/{ticket['id']}", as_="alice").get_json()
        listed = api.get("/api/tickets", as_="alice").get_json()["data"]
        report = api.get("/api/reports/sla", as_="sam").get_json()
    first = next(c for c in detail["sla"] if c["metric"] == "first_response")
    assert first["status"] == "unanswered"
    [row] = [r for t in listed if t["id"] == ticket["id"] for r in t["sla"] if r["metric"] == "first_response"]
    assert row["unanswered"] is True and row["deadline"] is None
    assert report["totals"]["first_response"] == {"met": 0, "breached": 0, "unanswered": 1, "hit_rate": None}
