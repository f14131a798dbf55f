"""What a quality report or evaluation list is asked for, read from plain strings and checked once.

The report page, its CSV, the JSON API and `contactcenter quality report` all hand their `from`,
`to`, `queue` and `agent` strings here, so they refuse the same things with the same words and cut
weeks the same way: in the centre's time zone (the one most queues keep their hours in, as the
call reports use), so a Monday-morning evaluation in Paris is in that Monday's week, not the
Sunday before as in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.errors import DomainError, Kind
from contactcenter.quality.interfaces import MAX_REPORT_DAYS
from contactcenter.tickets import intervals
from contactcenter.tickets.reports import centre_time_zone

FIELDS = ("from", "to", "queue", "agent")
MAX_VALUE = 100  # a date is 10 characters, a queue or user name well under this
DEFAULT_WEEKS = 8


class InvalidReportQuery(DomainError, ValueError):
    """A report request that cannot be run: `errors` maps each bad field to its message."""

    kind: Kind = "invalid"
    code = "invalid_filter"

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class ReportQuery:
    """Local days [first, last] in `time_zone`, optionally one queue (its name) and one agent
    (their username), resolved to ids."""

    first: date
    last: date
    time_zone: str
    queue: str | None = None
    queue_id: int | None = None
    agent: str | None = None
    agent_id: int | None = None

    @property
    def zone(self) -> ZoneInfo:
        return intervals.zone(self.time_zone)

    @property
    def lower(self) -> datetime:
        """The first instant of the first local day."""
        return datetime.combine(self.first, time.min, tzinfo=self.zone)

    @property
    def upper(self) -> datetime:
        """The first instant after the last local day."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=self.zone)

    def local_day(self, instant: datetime) -> date:
        return clock.as_utc(instant).astimezone(self.zone).date()


def _date(raw: str) -> date | None:
    if len(raw) != 10:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def parse(session: Session, args: Mapping[str, str | None], *, time_zone: str | None = None) -> ReportQuery:
    """The query from strings (missing or empty: the last eight weeks to today, every queue and
    agent); every problem is reported at once in `InvalidReportQuery.errors`."""
    typed = {name: str(args.get(name) or "").strip() for name in FIELDS}
    errors: dict[str, str] = {}
    for name, value in typed.items():
        if len(value) > MAX_VALUE:
            errors[name] = f"too long (at most {MAX_VALUE} characters)"
        elif "\x00" in value:
            errors[name] = "has a character no name or date holds"
    zone_name = time_zone or centre_time_zone(session)
    try:
        zone = intervals.zone(zone_name)
    except intervals.ReportError:
        zone_name, zone = "UTC", intervals.zone("UTC")
    today = clock.now().astimezone(zone).date()
    last = first = None
    if "to" not in errors:
        last = _date(typed["to"]) if typed["to"] else today
        if last is None:
            errors["to"] = "a date as YYYY-MM-DD"
    if "from" not in errors:
        default_first = (last or today) - timedelta(weeks=DEFAULT_WEEKS)
        first = _date(typed["from"]) if typed["from"] else default_first
        if first is None:
            errors["from"] = "a date as YYYY-MM-DD"
    if first is not None and last is not None:
        if last < first:
            errors["to"] = "the range ends before it starts"
        elif (last - first).days >= MAX_REPORT_DAYS:
            errors["to"] = f"the range is longer than {MAX_REPORT_DAYS} days"
    queue_id = agent_id = None
    if typed["queue"] and "queue" not in errors:
        queue_id = session.scalar(select(Queue.id).where(Queue.name == typed["queue"]))
        if queue_id is None:
            errors["queue"] = "no queue has this name"
    if typed["agent"] and "agent" not in errors:
        agent_id = session.scalar(select(User.id).where(User.username == typed["agent"]))
        if agent_id is None:
            errors["agent"] = "nobody has this username"
    if errors:
        raise InvalidReportQuery(errors)
    assert first is not None and last is not None
    return ReportQuery(
        first,
        last,
        zone_name,
        queue=typed["queue"] or None,
        queue_id=queue_id,
        agent=typed["agent"] or None,
        agent_id=agent_id,
    )
