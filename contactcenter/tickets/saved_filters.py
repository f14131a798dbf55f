"""Saved filters: a person keeps a set of view filters under a name and finds it among the views.

A saved filter narrows the "all tickets" view (the viewer's whole scope), so its count and its
pages are exactly what the filters give to the person looking, never more: a filter shared by a
supervisor shows each agent only the tickets that agent may see.

Only supervisors and admins share filters with everyone; a person deletes their own filters,
and supervisors and admins also delete shared ones. The filters are stored as the query-string
values typed into the form and read back through `views.parse_filters`, so a saved filter holds
nothing the form would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.errors import DomainError, Kind
from contactcenter.tickets import views
from contactcenter.tickets.access import Viewer
from contactcenter.tickets.models import SavedTicketFilter

MAX_NAME = 80
# A person's own list stays short enough to read as a row of views.
MAX_PER_OWNER = 50
# The view a saved filter narrows.
BASE_VIEW = "all"


class SavedFilterError(DomainError, ValueError):
    """The filter cannot be saved or removed; the message says why."""

    kind: Kind = "unprocessable"
    code = "invalid_saved_filter"


@dataclass(frozen=True)
class SavedView:
    """A saved filter as the views page lists it."""

    id: int
    name: str
    shared: bool
    mine: bool
    given: Mapping[str, str]


def _check_name(name: str) -> str:
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if not name:
        raise SavedFilterError("give the filter a name")
    if len(name) > MAX_NAME:
        raise SavedFilterError(f"a name holds at most {MAX_NAME} characters; this one has {len(name):,}")
    if any(ord(ch) < 32 for ch in name):
        raise SavedFilterError("the name contains control characters")
    return name


def save(
    session: Session, viewer: Viewer, name: str, values: Mapping[str, str], *, shared: bool = False
) -> SavedTicketFilter:
    """Save (or overwrite, under the same name) the viewer's filters; at least one filter is set."""
    name = _check_name(name)
    if shared and not viewer.sees_all:
        raise SavedFilterError("only supervisors and admins share filters with everyone")
    try:
        filters = views.parse_filters(values)
    except views.FilterError as exc:
        raise SavedFilterError(str(exc)) from None
    if not filters.given:
        raise SavedFilterError("set at least one filter before saving")
    record = session.scalar(
        select(SavedTicketFilter).where(SavedTicketFilter.owner_id == viewer.user_id, SavedTicketFilter.name == name)
    )
    if record is None:
        owned = session.scalar(
            select(func.count(SavedTicketFilter.id)).where(SavedTicketFilter.owner_id == viewer.user_id)
        )
        if (owned or 0) >= MAX_PER_OWNER:
            raise SavedFilterError(f"you have {MAX_PER_OWNER} saved filters already; delete one first")
        record = SavedTicketFilter(owner_id=viewer.user_id, name=name)
        session.add(record)
    record.filters = dict(filters.given)
    record.shared = shared
    session.flush()
    return record


def listed(session: Session, viewer: Viewer) -> list[SavedView]:
    """The viewer's own filters and everyone's shared ones, by name."""
    rows = session.scalars(
        select(SavedTicketFilter)
        .where(or_(SavedTicketFilter.owner_id == viewer.user_id, SavedTicketFilter.shared.is_(True)))
        .order_by(func.lower(SavedTicketFilter.name), SavedTicketFilter.id)
    )
    return [
        SavedView(r.id, r.name, r.shared, r.owner_id == viewer.user_id, {k: str(v) for k, v in r.filters.items()})
        for r in rows
    ]


def get(session: Session, viewer: Viewer, filter_id: int) -> SavedView | None:
    """One filter the viewer may use (their own or a shared one), or None."""
    for saved in listed(session, viewer):
        if saved.id == filter_id:
            return saved
    return None


def delete(session: Session, viewer: Viewer, filter_id: int) -> str:
    """Remove a filter; returns its name. Others' private filters do not exist for the viewer."""
    record = session.get(SavedTicketFilter, filter_id) if 0 < filter_id <= views.MAX_ID else None
    if record is None or (record.owner_id != viewer.user_id and not record.shared):
        raise SavedFilterError("there is no such saved filter")
    if record.owner_id != viewer.user_id and not viewer.sees_all:
        raise SavedFilterError("only supervisors and admins remove a filter someone else shared")
    name = record.name
    session.delete(record)
    session.flush()
    return name


def filters_of(saved: SavedView) -> views.TicketFilters:
    """The stored values, parsed as the form's; a value no longer accepted narrows to nothing
    rather than widening the view."""
    try:
        return views.parse_filters(saved.given)
    except views.FilterError:
        return views.TicketFilters(customer_id=0, given=dict(saved.given))


def counts(session: Session, viewer: Viewer, saved: list[SavedView], *, now: datetime | None = None) -> dict[int, int]:
    """How many tickets each saved filter holds for this viewer."""
    now = now or clock.now()
    return {
        s.id: views.capped_count(session, views.scoped(session, BASE_VIEW, viewer, filters_of(s), now)) for s in saved
    }
