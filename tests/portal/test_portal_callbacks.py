""" "Call me back" from the help center: the times offered, the booking, and what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.acd.models import CallbackRequest
from contactcenter.acd.services import callback_key
from contactcenter.app.jobs import queue as job_queue
from contactcenter.app.services import configure_router
from contactcenter.app.tasks.calls import release_callback
from contactcenter.mail.mailboxes import add_mailbox
from contactcenter.portal import callbacks
from tests.support.factories import gen_customer, gen_queue
from tests.support.portal import form_started

# Monday 2026-11-23 10:10 in New York (15:10 UTC)
MONDAY_MORNING = datetime(2026, 11, 23, 15, 10, tzinfo=UTC)
OFFICE_HOURS = {
    "time_zone": "America/New_York",
    "hours": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
}


@pytest.fixture
def line(db: Session):  # type: ignore[no-untyped-def]
    """The support queue with office hours, reached from the help center (its mailbox's queue)."""
    support = gen_queue(db, "support", hours=OFFICE_HOURS)
    add_mailbox(db, "support@example.com", queue="support")
    db.commit()
    return support


def _book(client, slot: str, **fields):  # type: ignore[no-untyped-def]
    form = {
        "name": "Ann Lee",
        "phone": "(415) 555-0100",
        "slot": slot,
        "started": form_started(client.application),
        "website": "",
    }
    form.update(fields)
    return client.post("/help/callback", data=form)


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count(CallbackRequest.id))) or 0


def test_slots_are_in_opening_hours_half_an_hour_apart_and_not_too_soon(line) -> None:
    slots = callbacks.open_slots(line, MONDAY_MORNING)
    first = slots[0]
    assert first.at == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # 11:00 local: 10:40 is the earliest
    assert (first.day, first.label) == ("Monday 23 November", "11:00")
    assert all(s.at.minute in (0, 30) for s in slots)
    assert slots[-1].label == "16:30"  # the last half hour that ends by closing time
    assert {s.day for s in slots} == {"Monday 23 November", "Tuesday 24 November", "Wednesday 25 November"}


def test_a_queue_without_hours_offers_every_half_hour(db: Session) -> None:
    open_all_day = gen_queue(db, "sales")
    slots = callbacks.open_slots(open_all_day, MONDAY_MORNING)
    assert len(slots) == 16 + 2 * 48  # from 16:00 UTC today to 23:30 the day after tomorrow


@freeze_time(MONDAY_MORNING)
def test_a_booking_is_a_scheduled_callback_in_the_queue(client, db: Session, line) -> None:
    ann = gen_customer(db, "Ann Lee", ("+14155550100",))
    db.commit()
    slot = callbacks.open_slots(line)[2]
    response = _book(client, slot.at.isoformat())
    assert response.status_code == 201
    assert "Monday 23 November at 12:00" in response.get_data(as_text=True)
    request = db.scalars(select(CallbackRequest)).one()
    assert (request.phone, request.queue_id, request.customer_id) == ("+14155550100", line.id, ann.id)
    assert request.place_at == slot.at and request.status == "pending" and request.intent == "portal callback"
    scheduled = job_queue("default").scheduled_job_registry.get_job_ids()
    assert scheduled, "the release job waits in the scheduler for the slot"


@freeze_time(MONDAY_MORNING)
def test_at_its_time_the_callback_joins_the_queue_for_an_agent(client, db: Session, line, runtime) -> None:
    slot = callbacks.open_slots(line)[0]
    _book(client, slot.at.isoformat(), phone="+1 212 555 0182")
    request = db.scalars(select(CallbackRequest)).one()
    assert request.customer_id is not None  # a new customer for the number
    configure_router(runtime, db)  # as a serving process does at start
    assert release_callback(request.id) == "queued"
    assert runtime.acd.call_snapshot(callback_key(request.id)).state in ("waiting", "offered")


@freeze_time(MONDAY_MORNING)
def test_a_time_that_was_not_offered_books_nothing(client, db: Session, line, redis_client) -> None:
    for slot in (
        "2026-11-23T03:00:00+00:00",  # the middle of the night in New York
        "2026-11-23T16:10:00+00:00",  # not on the half hour
        "2026-11-23T16:00:00",  # no time zone
        "tomorrow please",
        "' OR 1=1 --",
        "9" * 500,
    ):
        for key in redis_client.scan_iter("ratelimit:portal-callbacks:*"):
            redis_client.delete(key)  # each try on its own, not as a flood
        response = _book(client, slot)
        assert response.status_code == 400, slot
        assert "choose" in response.get_data(as_text=True)
    assert _count(db) == 0


@freeze_time(MONDAY_MORNING)
def test_a_number_that_cannot_be_called_is_refused_with_the_input_kept(client, db: Session, line) -> None:
    slot = callbacks.open_slots(line)[0]
    response = _book(client, slot.at.isoformat(), phone="12", name="<b>Ann</b>")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "enter the number we should call" in page
    assert 'value="&lt;b&gt;Ann&lt;/b&gt;"' in page
    assert _count(db) == 0


@freeze_time(MONDAY_MORNING)
def test_robots_and_floods_are_held_off(client, db: Session, line) -> None:
    slot = callbacks.open_slots(line)[0].at.isoformat()
    assert _book(client, slot, website="http://spam.example").status_code == 400
    assert _book(client, slot, started=form_started(client.application, seconds_ago=0)).status_code == 400
    statuses = [_book(client, slot).status_code for _ in range(2)]
    assert statuses == [201, 429]  # three tries in ten minutes from one address (the two above counted)
    assert _count(db) == 1


def test_without_a_queue_to_call_from_the_page_says_so(client, db: Session) -> None:
    page = client.get("/help/callback").get_data(as_text=True)
    assert "No call-back times are free" in page
    assert _book(client, "2026-11-23T16:00:00+00:00").status_code == 400
    assert _count(db) == 0
