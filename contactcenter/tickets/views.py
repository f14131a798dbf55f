"""The ticket views people work from: which tickets each one holds, how many, in which order.

A view is a named SQL condition (and an order) on top of the viewer's scope from `access`, so
an agent's counts and pages never include a ticket the API would hide from them. The filters a
person adds (status, priority, queue, assignee, channel, tag, customer, created/updated range)
narrow the view and its count alike, so the count next to a view is the number of rows its
pages hold.

Paging is by keyset, as the REST listing pages: the key of the last row shown (updated time and
id, or SLA deadline and id for the breaching view) is where the next page starts, so a page
never repeats or skips a ticket when others change in between. Encoding keys into cursors is
the caller's business.

Nothing here knows about HTTP: the filters arrive as a plain mapping of strings and a bad value
raises `FilterError` with a message fit to show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, event, func, or_, select, true
from sqlalchemy.orm import Session, object_session

from contactcenter import clock
from contactcenter.errors import DomainError, Kind
from contactcenter.tickets import access, services
from contactcenter.tickets.access import Viewer
from contactcenter.tickets.models import (
    CHANNELS,
    Ticket,
    TicketEvent,
    TicketPriority,
    TicketStatus,
)

STATUSES = tuple(s.value for s in TicketStatus)
PRIORITIES = tuple(p.value for p in TicketPriority)
# Tickets somebody still has to work on.
ACTIVE = ("new", "open", "pending", "on_hold")
DONE = ("solved", "closed")
# How far ahead "breaching soon" looks; clocks already past their deadline stay in the view
# (overdue first) until they stop, since they need attention most.
BREACHING_WINDOW = timedelta(hours=4)
# How far back "recently solved" looks.
SOLVED_WINDOW = timedelta(days=7)
# Counts stop at this many (shown as "1,000+"): past it the exact number changes nothing for the
# person choosing what to work on (the board and reports count backlogs), and counting every match
# on every page view of a large help desk would cost more than the page.
COUNT_CAP = 1_000
MAX_ID = 2**31 - 1
MAX_PAGE = 100
MAX_TEXT = 64


@dataclass(frozen=True)
class ViewDef:
    key: str
    label: str
    ordered_by_deadline: bool = False


VIEWS: tuple[ViewDef, ...] = (
    ViewDef("mine", "My open tickets"),
    ViewDef("my_queues", "My queues"),
    ViewDef("unassigned", "Unassigned"),
    ViewDef("breaching", "SLA breaching soon", ordered_by_deadline=True),
    ViewDef("pending", "Pending"),
    ViewDef("solved", "Recently solved"),
    # Everything in the viewer's reach, for the filters alone (e.g. one customer's tickets).
    ViewDef("all", "All tickets"),
)
VIEW_KEYS = tuple(v.key for v in VIEWS)
FILTER_KEYS = (
    "status",
    "priority",
    "queue",
    "assignee",
    "channel",
    "tag",
    "customer",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
)


def view(key: str) -> ViewDef:
    for candidate in VIEWS:
        if candidate.key == key:
            return candidate
    raise FilterError(f"view must be one of {', '.join(VIEW_KEYS)}")


class FilterError(DomainError, ValueError):
    """A filter value that cannot be used; the message names the filter and what it accepts."""

    kind: Kind = "unprocessable"
    code = "invalid_filter"


@dataclass(frozen=True)
class TicketFilters:
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    queue_id: int | None = None
    # A user id, "me" or "none" (unassigned).
    assignee: int | str | None = None
    tag: str | None = None
    customer_id: int | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    updated_from: datetime | None = None
    updated_before: datetime | None = None
    given: Mapping[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return bool(self.given)


def parse_filters(args: Mapping[str, str]) -> TicketFilters:
    """Read the filters from query-string values; empty values mean "no filter"."""
    given = {k: str(args.get(k, "")).strip() for k in FILTER_KEYS}
    for key, value in given.items():
        if len(value) > MAX_TEXT:
            raise FilterError(f"{_label(key)}: at most {MAX_TEXT} characters")
        if any(ord(ch) < 32 for ch in value):
            raise FilterError(f"{_label(key)}: control characters are not allowed")
    given = {k: v for k, v in given.items() if v}
    created_to, updated_to = _day(given, "created_to"), _day(given, "updated_to")
    filters = TicketFilters(
        statuses=_choices(given, "status", STATUSES),
        priorities=_choices(given, "priority", PRIORITIES),
        channels=_choices(given, "channel", CHANNELS),
        queue_id=_ident(given, "queue"),
        assignee=_assignee(given),
        tag=_tag(given),
        customer_id=_ident(given, "customer"),
        created_from=_day(given, "created_from"),
        # the end date is included: everything before the next midnight (UTC)
        created_before=None if created_to is None else created_to + timedelta(days=1),
        updated_from=_day(given, "updated_from"),
        updated_before=None if updated_to is None else updated_to + timedelta(days=1),
        given=given,
    )
    for start, end, what in (
        (filters.created_from, filters.created_before, "created"),
        (filters.updated_from, filters.updated_before, "updated"),
    ):
        if start is not None and end is not None and start >= end:
            raise FilterError(f"{what}: the start date is after the end date")
    return filters


def _label(key: str) -> str:
    return key.replace("_", " ")


def _choices(given: Mapping[str, str], key: str, allowed: Sequence[str]) -> tuple[str, ...]:
    raw = given.get(key)
    if raw is None:
        return ()
    values = tuple(dict.fromkeys(v.strip().lower() for v in raw.split(",") if v.strip()))
    bad = [v for v in values if v not in allowed]
    if bad or not values:
        raise FilterError(f"{_label(key)} must be one of {', '.join(allowed)}")
    return values


def _ident(given: Mapping[str, str], key: str) -> int | None:
    raw = given.get(key)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise FilterError(f"{_label(key)} must be chosen from the list (an id)")
    return int(raw)


def _assignee(given: Mapping[str, str]) -> int | str | None:
    raw = given.get("assignee")
    if raw in ("me", "none"):
        return raw
    return _ident(given, "assignee")


def _tag(given: Mapping[str, str]) -> str | None:
    raw = given.get("tag")
    if raw is None:
        return None
    if len(raw) > services.MAX_TAG:
        raise FilterError(f"tag: at most {services.MAX_TAG} characters")
    return raw.lower()


def _day(given: Mapping[str, str], key: str) -> datetime | None:
    raw = given.get(key)
    if raw is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(raw), time(), UTC)
    except ValueError:
        raise FilterError(f"{_label(key)}: a date as YYYY-MM-DD") from None


# -- conditions ---------------------------------------------------------------------------------


def view_condition(key: str, viewer: Viewer, now: datetime, my_queues: list[int]) -> ColumnElement[bool]:
    """The view's own condition (the viewer's scope is added by the queries); `my_queues` are the
    viewer's queues (`access.queue_ids`)."""
    if key == "mine":
        return and_(Ticket.assignee_id == viewer.user_id, Ticket.status.in_(ACTIVE))
    if key == "my_queues":
        return and_(Ticket.queue_id.in_(my_queues), Ticket.status.in_(ACTIVE))
    if key == "unassigned":
        return and_(Ticket.assignee_id.is_(None), Ticket.status.in_(ACTIVE))
    if key == "breaching":
        return Ticket.sla_due_at <= now + BREACHING_WINDOW
    if key == "pending":
        return Ticket.status == TicketStatus.PENDING.value
    if key == "solved":
        return and_(Ticket.status.in_(DONE), Ticket.updated_at >= now - SOLVED_WINDOW)
    if key == "all":
        return true()
    raise FilterError(f"view must be one of {', '.join(VIEW_KEYS)}")


def filter_condition(session: Session, filters: TicketFilters, viewer: Viewer) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if filters.statuses:
        conditions.append(Ticket.status.in_(filters.statuses))
    if filters.priorities:
        conditions.append(Ticket.priority.in_(filters.priorities))
    if filters.channels:
        conditions.append(Ticket.channel.in_(filters.channels))
    if filters.queue_id is not None:
        conditions.append(Ticket.queue_id == filters.queue_id)
    if filters.customer_id is not None:
        conditions.append(Ticket.customer_id == filters.customer_id)
    if filters.assignee == "me":
        conditions.append(Ticket.assignee_id == viewer.user_id)
    elif filters.assignee == "none":
        conditions.append(Ticket.assignee_id.is_(None))
    elif filters.assignee is not None:
        conditions.append(Ticket.assignee_id == filters.assignee)
    if filters.tag is not None:
        conditions.append(services.has_tag(session, filters.tag))
    for column, start, end in (
        (Ticket.created_at, filters.created_from, filters.created_before),
        (Ticket.updated_at, filters.updated_from, filters.updated_before),
    ):
        if start is not None:
            conditions.append(column >= start)
        if end is not None:
            conditions.append(column < end)
    return and_(true(), *conditions)


def scoped(session: Session, key: str, viewer: Viewer, filters: TicketFilters, now: datetime) -> ColumnElement[bool]:
    """The viewer's scope, the view's condition and the filters together (counts, pages, search)."""
    mine = [] if viewer.sees_all else access.queue_ids(session, viewer)
    return and_(
        access.ticket_filter(viewer, mine),
        view_condition(key, viewer, now, mine),
        filter_condition(session, filters, viewer),
    )


# -- reading ------------------------------------------------------------------------------------


def counts(
    session: Session, viewer: Viewer, filters: TicketFilters | None = None, *, now: datetime | None = None
) -> dict[str, int]:
    """How many tickets each view holds for this viewer (with the filters applied)."""
    now = now or clock.now()
    filters = filters or TicketFilters()
    return {v.key: capped_count(session, scoped(session, v.key, viewer, filters, now)) for v in VIEWS}


def capped_count(session: Session, condition: ColumnElement[bool]) -> int:
    """How many tickets match, counting no further than COUNT_CAP + 1."""
    matching = select(Ticket.id).where(condition).limit(COUNT_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(matching)) or 0


def count_label(count: int) -> str:
    """A view's count as shown: "999", or "1,000+" past the cap."""
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


@dataclass(frozen=True)
class ViewRow:
    ticket: Ticket
    # The soonest deadline of a clock still counting (the breaching view only).
    due: datetime | None = None


@dataclass(frozen=True)
class ViewPage:
    rows: list[ViewRow]
    # The key of the last row when more follow: (updated_at or deadline, ticket id).
    next_key: tuple[datetime, int] | None


def page(
    session: Session,
    viewer: Viewer,
    key: str,
    filters: TicketFilters | None = None,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> ViewPage:
    """One page of a view: most recently updated first, or soonest deadline first (breaching)."""
    definition = view(key)
    if not 0 < limit <= MAX_PAGE:
        raise FilterError(f"a page holds 1 to {MAX_PAGE} tickets")
    now = now or clock.now()
    filters = filters or TicketFilters()
    condition = scoped(session, key, viewer, filters, now)
    stmt: Select[Any]
    if definition.ordered_by_deadline:
        due = Ticket.sla_due_at
        stmt = select(Ticket, due).where(condition)  # type: ignore[assignment]
        if after is not None:
            at, ident = after
            stmt = stmt.where(or_(due > at, and_(due == at, Ticket.id > ident)))
        stmt = stmt.order_by(due, Ticket.id)
    else:
        stmt = select(Ticket, Ticket.updated_at).where(condition)  # type: ignore[assignment]
        if after is not None:
            at, ident = after
            stmt = stmt.where(or_(Ticket.updated_at < at, and_(Ticket.updated_at == at, Ticket.id < ident)))
        stmt = stmt.order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    found = list(session.execute(stmt.limit(limit + 1)))
    more, found = len(found) > limit, found[:limit]
    rows = [ViewRow(ticket, at if definition.ordered_by_deadline else None) for ticket, at in found]
    next_key = None
    if more:
        last_ticket, last_at = found[-1]
        next_key = (last_at, last_ticket.id)
    return ViewPage(rows, next_key)


# -- telling open views that their counts moved --------------------------------------------------

# Where "some ticket changed" is announced once a transaction that changed one commits. The
# message carries nothing: each page asks for its own counts, within its own viewer's scope.
TICKETS_CHANGED_CHANNEL = "tickets:changed"
_CHANGED = "contactcenter.tickets.changed"


@event.listens_for(TicketEvent, "after_insert")
def _note_change(_mapper: Any, _connection: Any, target: TicketEvent) -> None:
    """Every ticket change appends to its trail, so a new trail entry marks the session."""
    session = object_session(target)
    if session is not None:
        session.info[_CHANGED] = True


def take_changed(session: Session) -> bool:
    """Whether the session changed a ticket since last asked (and forget it)."""
    return bool(session.info.pop(_CHANGED, False))
