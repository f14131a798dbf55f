""" "Call me back" from the help center: the customer picks a time, an agent of the queue calls.

The times offered are the queue's opening hours over the next days, every half hour, from a
little ahead of now (an agent needs the slot to be open for the whole call to start). The
request is the ACD's scheduled callback — the one a wrap-up books — so at its time it joins the
queue in order and reaches an agent like any other callback. A chosen time is accepted only if
it is one of the offered slots when the form arrives, so a tampered form books nothing odd.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from contactcenter import clock, phones
from contactcenter.acd.models import CallbackRequest, Queue
from contactcenter.calendars import BusinessCalendar
from contactcenter.contacts.customers import create_customer, find_by_phone
from contactcenter.errors import DomainError, Kind
from contactcenter.portal.requests import MAX_NAME, RequestError, field_text

SLOT = timedelta(minutes=30)
LEAD = timedelta(minutes=30)  # the earliest slot is at least this far ahead
DAYS_AHEAD = 3
INTENT = "portal callback"

Scheduler = Callable[[int, datetime], None]


class CallbackRefused(DomainError, ValueError):
    kind: Kind = "unprocessable"
    code = "callback_refused"


@dataclass(frozen=True)
class Slot:
    at: datetime  # UTC
    label: str  # the queue's local time, as people read it
    day: str


def calendar_of(queue: Queue) -> BusinessCalendar:
    if queue.hours:
        try:
            return BusinessCalendar.from_dict(queue.hours)
        except (ValueError, TypeError, KeyError, AttributeError):
            pass  # unreadable hours are treated as open, as call routing does
    return BusinessCalendar.always_open(queue.time_zone or "UTC")


def open_slots(queue: Queue, now: datetime | None = None) -> list[Slot]:
    """Half-hour times when the queue is open, from `LEAD` ahead to the end of the day
    `DAYS_AHEAD` days on (today and the next days, in the queue's time zone)."""
    now = clock.as_utc(now or clock.now())
    calendar = calendar_of(queue)
    zone = ZoneInfo(calendar.time_zone)
    first = now + LEAD
    start = first.replace(minute=0 if first.minute < 30 else 30, second=0, microsecond=0)
    if start < first:
        start += SLOT
    slots = []
    at = start
    # Through the end of the last day offered, in the queue's own days.
    last_day = now.astimezone(zone).date() + timedelta(days=DAYS_AHEAD)
    end = datetime(last_day.year, last_day.month, last_day.day, tzinfo=zone).astimezone(UTC) - SLOT
    while at <= end:
        if calendar.is_open(at) and calendar.is_open(at + SLOT - timedelta(seconds=1)):
            slots.append(_labelled(at, zone))
        at += SLOT
    return slots


def slot_at(queue: Queue, at: datetime) -> Slot:
    """`at` as the queue's customers read it."""
    return _labelled(clock.as_utc(at), ZoneInfo(calendar_of(queue).time_zone))


def _labelled(at: datetime, zone: ZoneInfo) -> Slot:
    local = at.astimezone(zone)
    return Slot(at, local.strftime("%H:%M"), local.strftime("%A %d %B"))


def request_callback(
    session: Session,
    queue: Queue,
    *,
    name: str,
    phone: str,
    slot: str,
    schedule: Scheduler,
    default_region: str = "US",
) -> CallbackRequest:
    name = field_text("Your name", name, MAX_NAME)
    try:
        number = phones.normalize(phone, default_region)
    except phones.InvalidPhoneNumber as exc:
        raise RequestError(f"enter the number we should call: {exc}") from exc
    chosen = _slot(queue, slot)
    customer = find_by_phone(session, number, default_region) or create_customer(
        session, name, [number], default_region=default_region
    )
    request = CallbackRequest(
        customer_id=customer.id,
        phone=number,
        queue_id=queue.id,
        priority=0,
        place_at=chosen,
        requested_at=clock.now(),
        intent=INTENT,
    )
    session.add(request)
    session.flush()
    schedule(request.id, chosen)
    return request


def _slot(queue: Queue, raw: str) -> datetime:
    try:
        wanted = datetime.fromisoformat((raw or "")[:40])
    except ValueError:
        raise CallbackRefused("choose a time from the list") from None
    if wanted.tzinfo is None:
        raise CallbackRefused("choose a time from the list")
    wanted = clock.as_utc(wanted)
    if all(s.at != wanted for s in open_slots(queue)):
        raise CallbackRefused("that time is no longer free or not offered; choose another")
    return wanted
