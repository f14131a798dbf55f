"""Ticket views: who sees which tickets in each view, the counts, the SLA order and the paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from contactcenter.accounts.models import Role
from contactcenter.tickets import sla, views
from contactcenter.tickets.access import Viewer
from contactcenter.tickets.services import update_ticket
from contactcenter.tickets.views import FilterError, parse_filters
from tests.support.factories import gen_agent, gen_customer, gen_member, gen_queue, gen_ticket

NOW = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)
HOUR = 3600


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    """Queues A and B; alice works in A, bob in B, sam supervises; a few tickets in each."""
    a, b = gen_queue(db, "queue_a"), gen_queue(db, "queue_b")
    alice, bob = gen_agent(db, "alice"), gen_agent(db, "bob")
    sam = gen_agent(db, "sam", role=Role.SUPERVISOR)
    gen_member(db, alice, a)
    gen_member(db, bob, b)
    with freeze_time(NOW - timedelta(hours=1)):
        tickets = {
            "a_new": gen_ticket(db, "A unassigned", queue_id=a.id),
            "a_alice": gen_ticket(db, "A for alice", queue_id=a.id, assignee_id=alice.id, status="open"),
            "a_pending": gen_ticket(db, "A waiting", queue_id=a.id, status="pending"),
            "b_new": gen_ticket(db, "B unassigned", queue_id=b.id),
            "b_alice": gen_ticket(db, "B but alice's", queue_id=b.id, assignee_id=alice.id, status="open"),
            "b_solved": gen_ticket(db, "B solved", queue_id=b.id, status="solved"),
            "nowhere": gen_ticket(db, "No queue"),
        }
    return {"a": a, "b": b, "alice": alice, "bob": bob, "sam": sam, **tickets}


def subjects(db, viewer, key, filters=None):  # type: ignore[no-untyped-def]
    page = views.page(db, viewer, key, filters, now=NOW)
    return {row.ticket.subject for row in page.rows}


def test_an_agent_sees_their_queues_and_their_assignments_only(db, office):
    alice = Viewer.of(office["alice"])
    assert subjects(db, alice, "mine") == {"A for alice", "B but alice's"}
    assert subjects(db, alice, "my_queues") == {"A unassigned", "A for alice", "A waiting"}
    assert subjects(db, alice, "unassigned") == {"A unassigned", "A waiting"}
    assert subjects(db, alice, "pending") == {"A waiting"}
    assert subjects(db, alice, "solved") == set()  # B's solved ticket is not hers to see
    assert views.counts(db, alice, now=NOW) == {
        "mine": 2,
        "my_queues": 3,
        "unassigned": 2,
        "breaching": 0,
        "pending": 1,
        "solved": 0,
        "all": 3 + 1,
    }
    assert subjects(db, alice, "all") == {"A unassigned", "A for alice", "A waiting", "B but alice's"}


def test_a_supervisor_sees_every_ticket(db, office):
    sam = Viewer.of(office["sam"])
    assert subjects(db, sam, "unassigned") == {"A unassigned", "A waiting", "B unassigned", "No queue"}
    assert subjects(db, sam, "solved") == {"B solved"}
    assert subjects(db, sam, "mine") == set() and subjects(db, sam, "my_queues") == set()
    counts = views.counts(db, sam, now=NOW)
    assert counts["unassigned"] == 4 and counts["solved"] == 1 and counts["pending"] == 1


def test_the_count_is_what_the_pages_hold_with_the_filters(db, office):
    sam = Viewer.of(office["sam"])
    filters = parse_filters({"queue": str(office["b"].id)})
    assert subjects(db, sam, "unassigned", filters) == {"B unassigned"}
    assert views.counts(db, sam, filters, now=NOW)["unassigned"] == 1
    mine = parse_filters({"assignee": "none", "status": "pending,new"})
    assert subjects(db, sam, "unassigned", mine) == {"A unassigned", "A waiting", "B unassigned", "No queue"}


def test_filters_by_tag_priority_channel_customer_and_dates(db, office):
    sam = Viewer.of(office["sam"])
    grace = gen_customer(db)
    tomorrow = (NOW + timedelta(days=1)).date().isoformat()
    with freeze_time(NOW + timedelta(days=1)):
        gen_ticket(db, "Tagged", tags=["billing"], priority="urgent", channel="email", customer_id=grace.id)
    for args in (
        {"tag": "BILLING"},
        {"priority": "urgent"},
        {"channel": "email"},
        {"customer": str(grace.id)},
        {"created_from": tomorrow},
        {"updated_from": tomorrow, "updated_to": tomorrow},
    ):
        assert subjects(db, sam, "unassigned", parse_filters(args)) == {"Tagged"}, args
    assert subjects(db, sam, "unassigned", parse_filters({"created_to": "2026-06-01"})) == set()
    assert "Tagged" not in subjects(db, sam, "unassigned", parse_filters({"updated_to": NOW.date().isoformat()}))


@pytest.mark.parametrize(
    "args, message",
    [
        ({"status": "opened"}, "status must be one of"),
        ({"priority": "1; DROP TABLE tickets"}, "priority must be one of"),
        ({"queue": "' OR 1=1 --"}, "queue must be chosen"),
        ({"assignee": "-3"}, "assignee must be chosen"),
        ({"queue": "99999999999"}, "queue must be chosen"),
        ({"created_from": "yesterday"}, "created from: a date"),
        ({"created_from": "2026-06-10", "created_to": "2026-06-01"}, "start date is after the end date"),
        ({"tag": "x" * 5000}, "at most"),
        ({"channel": "carrier pigeon"}, "channel must be one of"),
    ],
)
def test_bad_filters_say_what_is_wrong(args, message):
    with pytest.raises(FilterError, match=message):
        parse_filters(args)


def test_breaching_soon_is_soonest_deadline_first(db, office):
    sla.create_policy(
        db,
        "Fast",
        targets={"first_response": {"urgent": HOUR, "high": 2 * HOUR, "*": 3 * HOUR}, "resolution": {"*": 48 * HOUR}},
    )
    sam = Viewer.of(office["sam"])
    with freeze_time(NOW - timedelta(minutes=30)):
        normal = gen_ticket(db, "normal, due in 2.5 h")
        urgent = gen_ticket(db, "urgent, due in 0.5 h", priority="urgent")
        high = gen_ticket(db, "high, due in 1.5 h", priority="high")
    with freeze_time(NOW - timedelta(hours=2)):
        overdue = gen_ticket(db, "urgent, overdue by 1 h", priority="urgent")
    with freeze_time(NOW - timedelta(minutes=10)):
        update_ticket(db, high, {"tags": ["vip"]})  # updated last: the order is by deadline, not by update
    page = views.page(db, sam, "breaching", now=NOW)
    assert [r.ticket.id for r in page.rows] == [overdue.id, urgent.id, high.id, normal.id]
    assert [r.due for r in page.rows] == sorted(r.due for r in page.rows)
    assert views.counts(db, sam, now=NOW)["breaching"] == 4
    # an agent only sees the ones in reach
    assert views.page(db, Viewer.of(office["alice"]), "breaching", now=NOW).rows == []
    # beyond the window: not breaching soon
    assert views.page(db, sam, "breaching", now=NOW - timedelta(hours=6)).rows == []


def test_breaching_pages_follow_the_deadline_order(db, office):
    sla.create_policy(db, "Fast", targets={"first_response": {"*": HOUR}})
    sam = Viewer.of(office["sam"])
    made = []
    for minutes in (50, 40, 30, 20, 10):
        with freeze_time(NOW - timedelta(minutes=minutes)):
            made.append(gen_ticket(db, f"{minutes} min ago").id)
    seen, after = [], None
    while True:
        page = views.page(db, sam, "breaching", after=after, limit=2, now=NOW)
        seen += [r.ticket.id for r in page.rows]
        if page.next_key is None:
            break
        after = page.next_key
    assert seen == made


def test_pages_never_repeat_or_skip(db, office):
    sam = Viewer.of(office["sam"])
    for i in range(7):
        with freeze_time(NOW - timedelta(minutes=i)):
            gen_ticket(db, f"extra {i}")
    expected = views.counts(db, sam, now=NOW)["unassigned"]
    seen, after, pages = [], None, 0
    while True:
        page = views.page(db, sam, "unassigned", after=after, limit=3, now=NOW)
        seen += [r.ticket.id for r in page.rows]
        pages += 1
        if page.next_key is None:
            break
        after = page.next_key
    assert len(seen) == len(set(seen)) == expected == 11
    assert pages == 4
    updated = [db.get(type(office["a_new"]), i).updated_at for i in seen]
    assert updated == sorted(updated, reverse=True)


def test_unknown_view_and_bad_page_size_are_refused(db, office):
    sam = Viewer.of(office["sam"])
    with pytest.raises(FilterError, match="view must be one of"):
        views.page(db, sam, "everything", now=NOW)
    with pytest.raises(FilterError, match="a page holds"):
        views.page(db, sam, "mine", limit=10_000, now=NOW)


def test_counts_stop_past_the_cap_and_say_so(db, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    sam = Viewer(gen_agent(db, "sam-cap", role=Role.SUPERVISOR).id, Role.SUPERVISOR.value)
    for n in range(4):
        gen_ticket(db, f"Ticket {n}")
    assert views.counts(db, sam, now=NOW)["all"] == 3
    assert views.count_label(3) == "2+" and views.count_label(2) == "2"


def test_count_labels_say_when_the_count_stopped(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(views, "COUNT_CAP", 5_000)
    assert views.count_label(1234) == "1,234"
    assert views.count_label(5_001) == "5,000+"


def test_a_ticket_keeps_its_soonest_running_deadline_without_its_update_time_moving(db, office):
    sla.create_policy(db, "Fast", targets={"first_response": {"*": HOUR}, "resolution": {"*": 48 * HOUR}})
    with freeze_time(NOW):
        ticket = gen_ticket(db, "due in an hour")
    assert ticket.sla_due_at == NOW + timedelta(hours=1)
    updated = ticket.updated_at
    with freeze_time(NOW + timedelta(minutes=20)):
        sla.recompute(db, ticket)
        db.expire(ticket)
        assert ticket.updated_at == updated and ticket.sla_due_at == NOW + timedelta(hours=1)
        update_ticket(db, ticket, {"status": "open"})
        update_ticket(db, ticket, {"status": "solved"})
    db.expire(ticket)
    assert ticket.sla_due_at is None  # no clock counts once it is solved
