"""Calling windows in the called party's local time.

A window is a daily local-time span (default 08:00-21:00) on some weekdays, minus holidays; a
region (a US state as "US-FL", or a country as "GB") may have its own window, which can only make
the campaign's stricter (it is intersected with it). The wall-clock maths, DST included, is
`contactcenter.calendars.BusinessCalendar`'s: a window is a business calendar per time zone.

A number may lie in several zones (a US number whose area code spans two zones, a UK mobile):
the call is allowed only when every one of them is inside its window, and for the whole ring
time, so that a call placed at 20:59:50 does not ring past 21:00.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import geocoder

from contactcenter.calendars import END_OF_DAY, WEEKDAYS, BusinessCalendar, aware_utc
from contactcenter.dialer.compliance import RuleSet

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_SEARCH = timedelta(days=8)

US_STATES = {
    "alabama": "AL",
    "alaska": "AK",
    "arizona": "AZ",
    "arkansas": "AR",
    "california": "CA",
    "colorado": "CO",
    "connecticut": "CT",
    "delaware": "DE",
    "district of columbia": "DC",
    "washington d.c.": "DC",
    "washington, d.c.": "DC",
    "florida": "FL",
    "georgia": "GA",
    "hawaii": "HI",
    "idaho": "ID",
    "illinois": "IL",
    "indiana": "IN",
    "iowa": "IA",
    "kansas": "KS",
    "kentucky": "KY",
    "louisiana": "LA",
    "maine": "ME",
    "maryland": "MD",
    "massachusetts": "MA",
    "michigan": "MI",
    "minnesota": "MN",
    "mississippi": "MS",
    "missouri": "MO",
    "montana": "MT",
    "nebraska": "NE",
    "nevada": "NV",
    "new hampshire": "NH",
    "new jersey": "NJ",
    "new mexico": "NM",
    "new york": "NY",
    "north carolina": "NC",
    "north dakota": "ND",
    "ohio": "OH",
    "oklahoma": "OK",
    "oregon": "OR",
    "pennsylvania": "PA",
    "rhode island": "RI",
    "south carolina": "SC",
    "south dakota": "SD",
    "tennessee": "TN",
    "texas": "TX",
    "utah": "UT",
    "vermont": "VT",
    "virginia": "VA",
    "washington": "WA",
    "west virginia": "WV",
    "wisconsin": "WI",
    "wyoming": "WY",
    "puerto rico": "PR",
}
_STATE_CODES = frozenset(US_STATES.values())


def region_of(e164: str) -> tuple[str | None, str | None]:
    """(ISO country, region) of a number: ("US", "US-CA"), ("GB", "GB"); None when unknown."""
    parsed = phonenumbers.parse(e164, None)
    country = phonenumbers.region_code_for_number(parsed)
    if country is None or country == "ZZ":
        return None, None
    if country != "US":
        return country, country
    place = geocoder.description_for_number(parsed, "en").strip()
    if not place:
        return country, None
    tail = place.rsplit(",", 1)[-1].strip()
    if len(tail) == 2 and tail.upper() in _STATE_CODES:
        return country, f"US-{tail.upper()}"
    code = US_STATES.get(place.lower())
    return country, (f"US-{code}" if code else None)


def in_regions(e164: str, country: str | None, allowed: Sequence[str]) -> bool:
    """Whether a number is in one of `allowed`: ISO regions ("US") or calling codes ("+44")."""
    if country is not None and country in allowed:
        return True
    code = f"+{phonenumbers.parse(e164, None).country_code}"
    return code in allowed


def normalize_region(raw: str, country: str | None = None) -> str | None:
    """'FL', 'Florida', 'US-FL' -> 'US-FL' (US states); anything else upper-cased, or None."""
    text = raw.strip()
    if not text:
        return None
    upper = text.upper()
    if upper.startswith("US-") and upper[3:] in _STATE_CODES:
        return upper
    if (country in (None, "US")) and upper in _STATE_CODES:
        return f"US-{upper}"
    code = US_STATES.get(text.lower())
    if code:
        return f"US-{code}"
    return upper[:8] if re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", upper) else None


def _parse_time(text: Any, where: str, *, end: bool = False) -> time:
    if not isinstance(text, str) or not _TIME.match(text.strip()):
        raise ValueError(f"{where}: bad time {text!r} (expected HH:MM)")
    hour, minute = (int(x) for x in text.strip().split(":"))
    if end and (hour, minute) == (24, 0):
        return END_OF_DAY
    if hour > 23 or minute > 59:
        raise ValueError(f"{where}: bad time {text!r}")
    return time(hour, minute)


def _minutes(t: time, end: bool = False) -> int:
    if end and t == END_OF_DAY:
        return 24 * 60
    return t.hour * 60 + t.minute


@dataclass(frozen=True)
class WindowRule:
    start: time
    end: time
    days: frozenset[int] = frozenset(range(7))
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if _minutes(self.end, end=True) <= _minutes(self.start):
            raise ValueError("a calling window must end after it starts")

    def intersect(self, other: WindowRule) -> WindowRule | None:
        start = max(self.start, other.start, key=_minutes)
        end = min(self.end, other.end, key=lambda t: _minutes(t, end=True))
        days = self.days & other.days
        if _minutes(end, end=True) <= _minutes(start) or not days:
            return None
        return WindowRule(start, end, days, self.holidays | other.holidays)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": f"{self.start:%H:%M}",
            "end": "24:00" if self.end == END_OF_DAY else f"{self.end:%H:%M}",
            "days": [WEEKDAYS[d] for d in sorted(self.days)],
            "holidays": sorted(d.isoformat() for d in self.holidays),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: WindowRule, where: str = "window") -> WindowRule:
        if not isinstance(data, Mapping):
            raise ValueError(f"{where}: expected a mapping with start, end, days")
        unknown = set(data) - {"start", "end", "days", "holidays", "regions"}
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
        start = _parse_time(data["start"], where) if "start" in data else base.start
        end = _parse_time(data["end"], where, end=True) if "end" in data else base.end
        days = base.days
        if "days" in data:
            raw_days = data["days"]
            if isinstance(raw_days, str) or not isinstance(raw_days, (list, tuple)):
                raise ValueError(f"{where}: days must be a list such as ['mon', 'tue']")
            try:
                days = frozenset(WEEKDAYS.index(str(d).strip().lower()[:3]) for d in raw_days)
            except ValueError:
                raise ValueError(f"{where}: unknown weekday in {raw_days!r}") from None
        holidays = base.holidays
        if "holidays" in data:
            try:
                holidays = frozenset(date.fromisoformat(str(d)) for d in data["holidays"])
            except (TypeError, ValueError):
                raise ValueError(f"{where}: holidays must be YYYY-MM-DD dates") from None
        return cls(start, end, days, holidays)


@dataclass(frozen=True)
class WindowCheck:
    allowed: bool
    reason: str | None = None  # outside_window, no_calling_window, no_time_zone
    next_open: datetime | None = None
    local_times: tuple[str, ...] = ()

    @property
    def local_time_text(self) -> str:
        return "; ".join(self.local_times)[:255]


@dataclass(frozen=True)
class CallingWindows:
    """The campaign's window and its regional (stricter) variants."""

    default: WindowRule
    regions: Mapping[str, WindowRule] = field(default_factory=dict)

    @classmethod
    def from_config(cls, data: Mapping[str, Any] | None, rules: RuleSet) -> CallingWindows:
        """From a campaign's `calling_window` (missing keys: the rule set's 08:00-21:00)."""
        data = data or {}
        legal = WindowRule(rules.window_start, rules.window_end)
        default = WindowRule.from_dict(data, legal, "calling window")
        narrowed = default.intersect(legal)
        if narrowed is None or narrowed != WindowRule(default.start, default.end, default.days, default.holidays):
            raise ValueError(
                f"calling window must lie within {rules.window_start:%H:%M}-{rules.window_end:%H:%M} "
                f"local time ({rules.name} rules)"
            )
        regions: dict[str, WindowRule] = {}
        raw_regions = data.get("regions") or {}
        if not isinstance(raw_regions, Mapping):
            raise ValueError("calling window regions must map a region ('US-FL') to a window")
        for key, value in raw_regions.items():
            region = normalize_region(str(key))
            if region is None:
                raise ValueError(f"unknown region {key!r} (expected e.g. 'US-FL' or 'GB')")
            rule = WindowRule.from_dict(value, default, f"window for {region}")
            regions[region] = rule
        return cls(default, regions)

    def rule_for(self, region: str | None) -> WindowRule | None:
        rule = self.regions.get(region) if region else None
        return self.default if rule is None else self.default.intersect(rule)

    def check(
        self, at: datetime, zones: Sequence[str], region: str | None = None, *, ring_s: float = 0.0
    ) -> WindowCheck:
        """May we place a call at `at` that rings up to `ring_s` seconds, to a number in `zones`?"""
        at = aware_utc(at, "at")
        if not zones:
            return WindowCheck(False, "no_time_zone")
        rule = self.rule_for(region)
        local = tuple(f"{z} {at.astimezone(ZoneInfo(z)).isoformat(timespec='seconds')}" for z in zones[:4])
        if rule is None:
            return WindowCheck(False, "no_calling_window", local_times=local)
        calendars = [_calendar(rule, z) for z in zones]
        need = timedelta(seconds=max(0.0, ring_s))
        if all(_fits(cal, at, need) for cal in calendars):
            return WindowCheck(True, local_times=local)
        opening = _common_opening(calendars, at, need)
        if opening is None:
            return WindowCheck(False, "no_calling_window", local_times=local)
        return WindowCheck(False, "outside_window", opening, local)

    def has_opening(self, zones: Sequence[str], region: str | None, at: datetime) -> bool:
        """Whether the number can be called at all in the coming week (import-time check)."""
        rule = self.rule_for(region)
        if rule is None or not zones:
            return False
        return _common_opening([_calendar(rule, z) for z in zones], aware_utc(at), timedelta(0)) is not None


@functools.lru_cache(maxsize=2048)
def _calendar(rule: WindowRule, zone: str) -> BusinessCalendar:
    interval = ((rule.start, rule.end),)
    return BusinessCalendar(zone, {d: interval for d in rule.days}, rule.holidays)


def _fits(cal: BusinessCalendar, at: datetime, need: timedelta) -> bool:
    if not cal.is_open(at):
        return False
    return need <= timedelta(0) or cal.business_time_between(at, at + need) >= need


def _next_fit(cal: BusinessCalendar, at: datetime, need: timedelta) -> datetime | None:
    """First instant >= at from which the calendar stays open for `need`."""
    for a, b in cal.open_intervals(at, at + _SEARCH):
        start = max(a, at)
        if b - start >= max(need, timedelta(seconds=1)):
            return start
    return None


def _common_opening(calendars: Sequence[BusinessCalendar], at: datetime, need: timedelta) -> datetime | None:
    t = at
    for _ in range(64):
        later = []
        for cal in calendars:
            if _fits(cal, t, need):
                continue
            nxt = _next_fit(cal, t, need)
            if nxt is None:
                return None
            later.append(nxt)
        if not later:
            return t
        t = max(later)
        if t - at > _SEARCH:
            return None
    return None
