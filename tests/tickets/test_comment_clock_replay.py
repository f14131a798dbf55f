"""A comment replays the SLA clocks only when it can move one; the stored clocks always equal a
full replay of the trail, whatever mix of comments came in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import select

from contactcenter.tickets import sla
from contactcenter.tickets.models import TicketSla
from contactcenter.tickets.services import add_comment, change_status, open_ticket

T0 = datetime(2026, 6, 15, 8, tzinfo=UTC)


def _stored(db, ticket_id):  # type: ignore[no-untyped-def]
    db.expire_all()
    rows = db.scalars(select(TicketSla).where(TicketSla.ticket_id == ticket_id)).all()
    return sorted((r.metric, r.cycle, r.state, r.deadline_at, r.stopped_at) for r in rows)


def test_stored_clocks_match_a_full_replay_after_every_comment(db) -> None:  # type: ignore[no-untyped-def]
    sla.create_policy(db, "Texts", targets={"first_response": 900, "next_reply": 600, "resolution": 86400})
    steps = [
        ("customer", True),
        ("customer", True),  # before anyone answered: moves nothing
        ("agent", False),  # an internal note: moves nothing
        ("agent", True),  # the first response
        ("customer", True),  # starts a reply clock
        ("customer", True),  # the reply clock runs: moves nothing
        ("system", True),
        ("agent", True),  # stops the reply clock
        ("customer", True),  # a second reply clock
    ]
    with freeze_time(T0) as frozen:
        ticket = open_ticket(db, "Text conversation", channel="sms")
        change_status(db, ticket, "open")
        for minute, (author, public) in enumerate(steps, start=1):
            frozen.move_to(T0 + timedelta(minutes=minute))
            add_comment(db, ticket, f"line {minute}", public=public, author_kind=author)
            stored = _stored(db, ticket.id)
            sla.recompute(db, ticket)
            assert stored == _stored(db, ticket.id), f"after step {minute}: {author}"
    reply_clocks = [row for row in _stored(db, ticket.id) if row[0] == "next_reply"]
    assert [(cycle, state) for _m, cycle, state, *_ in reply_clocks] == [(1, "stopped"), (2, "running")]


def test_a_customer_comment_on_a_solved_ticket_reopens_its_clocks(db) -> None:  # type: ignore[no-untyped-def]
    sla.create_policy(db, "Texts", targets={"first_response": 900, "resolution": 3600})
    with freeze_time(T0) as frozen:
        ticket = open_ticket(db, "Solved, then the customer writes", channel="sms")
        change_status(db, ticket, "open")
        add_comment(db, ticket, "Fixed", public=True)
        change_status(db, ticket, "solved")
        frozen.move_to(T0 + timedelta(minutes=30))
        add_comment(db, ticket, "It broke again", public=True, author_kind="customer")
    resolution = next(row for row in _stored(db, ticket.id) if row[0] == "resolution")
    assert resolution[2] == "running"


def test_stored_clocks_match_a_full_replay_with_and_without_reply_targets(db) -> None:  # type: ignore[no-untyped-def]
    """No first-response target: a customer's comment starts a reply clock only where a policy
    sets a reply target."""
    with freeze_time(T0) as frozen:
        plain = open_ticket(db, "No clocks at all", channel="sms")
        frozen.move_to(T0 + timedelta(minutes=1))
        add_comment(db, plain, "hello", public=True, author_kind="customer")
        assert _stored(db, plain.id) == []
        sla.create_policy(db, "Replies only", targets={"next_reply": 600})
        replies = open_ticket(db, "Reply clocks only", channel="sms")
        frozen.move_to(T0 + timedelta(minutes=2))
        add_comment(db, replies, "Answer", public=True)
        frozen.move_to(T0 + timedelta(minutes=3))
        add_comment(db, replies, "Thanks, one more thing", public=True, author_kind="customer")
        stored = _stored(db, replies.id)
        sla.recompute(db, replies)
        assert stored == _stored(db, replies.id)
    assert [(m, c, s) for m, c, s, *_ in stored] == [("next_reply", 1, "running")]
