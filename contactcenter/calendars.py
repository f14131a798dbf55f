"""Business-hours calendars: the wall-clock time maths under ticket SLAs.

A calendar is an IANA time zone, a weekly pattern of opening intervals in local wall-clock time and
a set of closed days (holidays). Every datetime going in must be timezone-aware; every datetime
coming out is UTC.

Representation
    ``weekly_hours`` maps a weekday (0 = Monday .. 6 = Sunday) to a sorted tuple of half-open
    ``(start, end)`` intervals of ``datetime.time``. An *end* of ``time(0, 0)`` (``END_OF_DAY``)
    means 24:00, the midnight that ends the day, so ``(time(0), time(0))`` is the whole day.
    Intervals of one day may touch but not overlap; a weekday without intervals is closed.
    ``holidays`` are local dates closed all day.

Measuring
    Business time is real elapsed time between the UTC instants of the interval edges. A
    09:00-17:00 day is 8 hours on DST days too (it is wall-clock hours), while 00:00-24:00 lasts
    23 hours of real time on a spring-forward day and 25 on a fall-back day.

Edges on DST days
    An edge is the first instant at which the local wall clock reads that time:

    * an ambiguous wall time (fall-back overlap, read twice) is its first occurrence (``fold=0``);
    * a nonexistent wall time (spring-forward gap) moves forward to the end of the gap, the
      instant of the transition: 02:30 on a day when clocks jump from 02:00 to 03:00 is 03:00.

    So every interval is one contiguous span of real time, and an interval lying wholly inside
    a gap is empty on that day.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contactcenter.errors import DomainError, Kind

END_OF_DAY = time(0, 0)  # as an interval *end*: 24:00
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ZERO = timedelta(0)
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")

Interval = tuple[time, time]


class NoBusinessHoursError(DomainError, ValueError):
    """The calendar never opens, so no business-time deadline can be reached."""

    kind: Kind = "unprocessable"
    code = "validation_failed"


def aware_utc(value: datetime, name: str = "value") -> datetime:
    """`value` in UTC; naive datetimes are refused (their zone would be a guess)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _offset(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _span(interval: Interval) -> tuple[timedelta, timedelta]:
    """An interval as offsets from local midnight, with END_OF_DAY as 24 hours."""
    start, end = interval
    return _offset(start), (_DAY if end == END_OF_DAY else _offset(end))


def _fmt(t: time, end: bool = False) -> str:
    if end and t == END_OF_DAY:
        return "24:00"
    text = f"{t.hour:02d}:{t.minute:02d}"
    if t.second or t.microsecond:
        text += f":{t.second:02d}" + (f".{t.microsecond:06d}" if t.microsecond else "")
    return text


def _fmt_interval(interval: Interval) -> str:
    return f"{_fmt(interval[0])}-{_fmt(interval[1], end=True)}"


def _parse_time(text: str, *, end: bool, where: str) -> time:
    match = _TIME_RE.match(text.strip())
    if not match:
        raise ValueError(f"{where}: bad time {text!r} (expected HH:MM)")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if end and (hour, minute, second) == (24, 0, 0):
        return END_OF_DAY
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{where}: bad time {text!r} (00:00..23:59, or 24:00 as an end)")
    return time(hour, minute, second)


def _parse_interval(raw: Any, where: str) -> Interval:
    if isinstance(raw, str):
        parts = raw.split("-")
        if len(parts) != 2:
            raise ValueError(f"{where}: bad interval {raw!r} (expected 'HH:MM-HH:MM')")
    elif isinstance(raw, (list, tuple)) and len(raw) == 2 and all(isinstance(p, str) for p in raw):
        parts = list(raw)
    else:
        raise ValueError(f"{where}: bad interval {raw!r} (expected 'HH:MM-HH:MM')")
    return _parse_time(parts[0], end=False, where=where), _parse_time(parts[1], end=True, where=where)


def _parse_weekday(key: Any) -> int:
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
        return key
    if isinstance(key, str):
        name = key.strip().lower()
        if name in WEEKDAYS:
            return WEEKDAYS.index(name)
        if name in _FULL_WEEKDAYS:
            return _FULL_WEEKDAYS.index(name)
    raise ValueError(f"unknown weekday {key!r} (expected one of {', '.join(WEEKDAYS)})")


def _parse_date(raw: Any) -> date:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise ValueError(f"bad holiday date {raw!r} (expected YYYY-MM-DD)")


def _zone(name: Any) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f"bad time zone {name!r} (expected an IANA name such as 'Europe/Berlin')")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _normalize_day(weekday: int, intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    where = WEEKDAYS[weekday]
    checked: list[Interval] = []
    for interval in intervals:
        if not (isinstance(interval, tuple) and len(interval) == 2 and all(isinstance(t, time) for t in interval)):
            raise ValueError(f"{where}: interval {interval!r} must be a (start, end) pair of datetime.time")
        if any(t.tzinfo is not None for t in interval):
            raise ValueError(f"{where}: interval times are local wall-clock times, without tzinfo")
        start, end = _span(interval)
        if end <= start:
            raise ValueError(f"{where}: interval {_fmt_interval(interval)} ends before it starts")
        checked.append(interval)
    checked.sort(key=_span)
    for before, after in itertools.pairwise(checked):
        if _span(after)[0] < _span(before)[1]:
            raise ValueError(f"{where}: intervals {_fmt_interval(before)} and {_fmt_interval(after)} overlap")
    return tuple(checked)


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours in one time zone; see the module documentation for the rules."""

    time_zone: str
    weekly_hours: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _week_length: timedelta = field(init=False, repr=False, compare=False)
    _holiday_list: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tz = _zone(self.time_zone)
        if not isinstance(self.weekly_hours, Mapping):
            raise ValueError("weekly_hours must map weekdays (0=Monday..6=Sunday) to intervals")
        days: dict[int, tuple[Interval, ...]] = {weekday: () for weekday in range(7)}
        for key, intervals in self.weekly_hours.items():
            if not (isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6):
                raise ValueError(f"unknown weekday {key!r} (expected 0=Monday..6=Sunday)")
            days[key] = _normalize_day(key, intervals)
        holidays = frozenset(_parse_date(day) for day in self.holidays)
        week = sum((end - start for day in days.values() for start, end in map(_span, day)), _ZERO)
        object.__setattr__(self, "weekly_hours", MappingProxyType(days))
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_tz", tz)
        object.__setattr__(self, "_week_length", week)
        object.__setattr__(self, "_holiday_list", tuple(sorted(holidays)))

    def __hash__(self) -> int:
        return hash((self.time_zone, tuple(self.weekly_hours.items()), self.holidays))

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def always_open(cls, time_zone: str = "UTC", holidays: Iterable[date] = ()) -> BusinessCalendar:
        """24x7: business time is real time (except on any holidays given)."""
        whole_day = ((time(0), END_OF_DAY),)
        return cls(time_zone, {weekday: whole_day for weekday in range(7)}, frozenset(holidays))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build from plain data::

            {"time_zone": "Europe/Berlin",
             "hours": {"mon": ["09:00-12:00", "13:00-17:00"], "sat": [], ...},  # or "24x7"
             "holidays": ["2026-12-25"]}

        Weekdays are ``mon``..``sun`` (or full names); "24:00" is accepted as an interval end.
        Raises ValueError naming the offending part.
        """
        if not isinstance(data, Mapping):
            raise ValueError("calendar data must be a mapping")
        unknown = set(data) - {"time_zone", "hours", "holidays"}
        if unknown:
            raise ValueError(f"unknown calendar field(s): {', '.join(sorted(map(str, unknown)))}")
        if "time_zone" not in data:
            raise ValueError("calendar data needs a 'time_zone'")
        holidays_raw = data.get("holidays") or ()
        if isinstance(holidays_raw, str) or not isinstance(holidays_raw, Iterable):
            raise ValueError("'holidays' must be a list of YYYY-MM-DD dates")
        holidays = frozenset(_parse_date(day) for day in holidays_raw)
        hours = data.get("hours", {})
        if isinstance(hours, str) and hours.strip().lower() == "24x7":
            return cls.always_open(data["time_zone"], holidays)
        if not isinstance(hours, Mapping):
            raise ValueError("'hours' must map weekdays to lists of 'HH:MM-HH:MM', or be '24x7'")
        weekly: dict[int, tuple[Interval, ...]] = {}
        for key, raw_intervals in hours.items():
            weekday = _parse_weekday(key)
            if weekday in weekly:
                raise ValueError(f"weekday {WEEKDAYS[weekday]} is given twice")
            if isinstance(raw_intervals, str):
                raw_intervals = [raw_intervals]
            if not isinstance(raw_intervals, Iterable):
                raise ValueError(f"{WEEKDAYS[weekday]}: expected a list of 'HH:MM-HH:MM'")
            weekly[weekday] = tuple(_parse_interval(raw, WEEKDAYS[weekday]) for raw in raw_intervals)
        return cls(data["time_zone"], weekly, holidays)

    def to_dict(self) -> dict[str, Any]:
        """The plain-data form read by `from_dict`."""
        return {
            "time_zone": self.time_zone,
            "hours": {WEEKDAYS[d]: [_fmt_interval(i) for i in self.weekly_hours[d]] for d in range(7)},
            "holidays": [day.isoformat() for day in self._holiday_list],
        }

    @property
    def has_hours(self) -> bool:
        return self._week_length > _ZERO

    # -- queries ------------------------------------------------------------------------------

    def is_holiday(self, at: datetime) -> bool:
        return self._local_date(aware_utc(at, "at")) in self.holidays

    def is_open(self, at: datetime) -> bool:
        at = aware_utc(at, "at")
        local = self._local_date(at)
        return any(a <= at < b for day in (local - _DAY, local, local + _DAY) for a, b in self._day_spans(day))

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open spans within [start, end), in UTC, in order; touching spans are merged."""
        start, end = aware_utc(start, "start"), aware_utc(end, "end")
        pending: tuple[datetime, datetime] | None = None
        day = self._local_date(start) - _DAY
        while start < end and self._midnight(day) < end:
            for a, b in self._day_spans(day):
                a, b = max(a, start), min(b, end)
                if a >= b:
                    continue
                if pending is not None and a <= pending[1]:
                    pending = (pending[0], max(pending[1], b))
                    continue
                if pending is not None:
                    yield pending
                pending = (a, b)
            day += _DAY
        if pending is not None:
            yield pending

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time within [start, end); zero when end <= start."""
        start, end = aware_utc(start, "start"), aware_utc(end, "end")
        total = _ZERO
        day = self._local_date(start) - _DAY
        while start < end and self._midnight(day) < end:
            if self._midnight(day) >= start and self._midnight(day + _WEEK) <= end and self._plain_week(day):
                total += self._week_length
                day += _WEEK
                continue
            for a, b in self._day_spans(day):
                a, b = max(a, start), min(b, end)
                if a < b:
                    total += b - a
            day += _DAY
        return total

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        return self.business_time_between(start, end).total_seconds()

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The first instant by which `duration` of open time has elapsed since `start`.

        Counting begins at `start`, or at the next opening when the calendar is closed then; a zero
        duration therefore gives `start` itself when open, else the next opening.
        """
        start = aware_utc(start, "start")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        if not self.has_hours:
            raise NoBusinessHoursError(f"calendar in {self.time_zone} has no open hours on any weekday")
        remaining = duration
        day = self._local_date(start) - _DAY
        idle_days, idle_limit = 0, 7 * (len(self.holidays) + 3)
        while True:
            if remaining > self._week_length and self._midnight(day) >= start and self._plain_week(day):
                remaining -= self._week_length
                day += _WEEK
                idle_days = 0
                continue
            idle_days += 1
            for a, b in self._day_spans(day):
                a = max(a, start)
                if a >= b:
                    continue
                if remaining <= b - a:
                    return a + remaining
                remaining -= b - a
                idle_days = 0
            if idle_days > idle_limit:  # unreachable for real zones; a safety net, not a loop forever
                raise NoBusinessHoursError(f"calendar in {self.time_zone} stays closed after {day}")
            day += _DAY

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        if not math.isfinite(seconds):
            raise ValueError(f"seconds must be finite, got {seconds}")
        return self.add_business_time(start, timedelta(seconds=seconds))

    # -- internals ----------------------------------------------------------------------------

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(self._tz).date()

    def _midnight(self, day: date) -> datetime:
        return self._wall_to_utc(datetime.combine(day, time(0)))

    def _day_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """UTC spans of `day`'s intervals (non-empty ones), in order."""
        if day in self.holidays:
            return []
        midnight = datetime.combine(day, time(0))
        spans = []
        for interval in self.weekly_hours[day.weekday()]:
            start, end = _span(interval)
            a, b = self._wall_to_utc(midnight + start), self._wall_to_utc(midnight + end)
            if a < b:
                spans.append((a, b))
        return spans

    def _plain_week(self, day: date) -> bool:
        """True when the 7 days from `day` hold no holiday and no UTC offset change, so their open
        time is exactly the nominal weekly length."""
        i = bisect.bisect_left(self._holiday_list, day)
        if i < len(self._holiday_list) and self._holiday_list[i] < day + _WEEK:
            return False
        first = self._tz.utcoffset(datetime.combine(day, time(0)))
        return all(self._tz.utcoffset(datetime.combine(day + k * _DAY, time(0))) == first for k in range(1, 8))

    def _wall_to_utc(self, wall: datetime) -> datetime:
        """The first instant at which the local wall clock reads `wall` (naive) or later."""
        tz = self._tz
        utc = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
        if utc.astimezone(tz).replace(tzinfo=None) == wall:
            return utc  # exists; fold=0 is the first occurrence of an ambiguous time
        # In a spring-forward gap: find the transition, the first second reading later than `wall`.
        other = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
        lo = math.floor(min(utc, other).timestamp())
        hi = math.ceil(max(utc, other).timestamp())
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= wall:
                hi = mid
            else:
                lo = mid
        return datetime.fromtimestamp(hi, UTC)


CALENDAR_HOURS = BusinessCalendar.always_open("UTC")
"""24x7 in UTC: for SLAs measured in calendar hours, business time equals real time."""
