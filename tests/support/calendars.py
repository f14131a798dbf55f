"""A minute-by-minute reference for business calendars, slow and obviously right.

The calendar tests (and the SLA tests built on calendars) check the real calculator against it,
so it lives here rather than in one test module another one imports.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MinuteReference:
    """Counts open minutes one real (UTC) minute at a time.

    Each minute is open when the wall-clock time reached so far lies in an opening interval of its
    local date. "Reached so far" is the highest wall time read up to that minute: an edge takes
    effect when the wall clock first reaches it, so a fall-back repeated hour neither reopens nor
    closes anything and a spring-forward gap opens/closes at the jump. Times are integer minutes;
    the zones used here change offset on whole UTC hours, so the offset is read once per hour.
    """

    def __init__(self, time_zone: str, weekly: dict[int, list[tuple[int, int]]], holidays: set[date]):
        self.tz = ZoneInfo(time_zone)
        self.table = [[False] * 1440 for _ in range(7)]
        for weekday, intervals in weekly.items():
            for start, end in intervals:
                for minute in range(start, end):
                    self.table[weekday][minute] = True
        self.holidays = {(day - EPOCH.date()).days for day in holidays}
        self.offsets: dict[int, int] = {}

    def wall(self, u: int) -> int:
        hour = u // 60
        if hour not in self.offsets:
            offset = datetime.fromtimestamp(hour * 3600, UTC).astimezone(self.tz).utcoffset()
            assert offset is not None
            self.offsets[hour] = int(offset.total_seconds()) // 60
        return u + self.offsets[hour]

    def open_at(self, wall: int) -> bool:
        day, minute = divmod(wall, 1440)
        return day not in self.holidays and self.table[(day + 3) % 7][minute]  # 1970-01-01: Thursday

    def walk(self, u: int) -> Iterator[tuple[int, bool]]:
        reached = max(self.wall(v) for v in range(u - 240, u))
        while True:
            reached = max(reached, self.wall(u))
            yield u, self.open_at(reached)
            u += 1

    def open_minutes(self, start: int, end: int) -> int:
        count = 0
        for u, is_open in self.walk(start):
            if u >= end:
                return count
            count += is_open

    def deadline(self, start: int, minutes: int, limit_days: int = 200) -> int:
        count = 0
        for u, is_open in self.walk(start):
            assert u < start + limit_days * 1440, "reference walked too far"
            if is_open and minutes == 0:
                return u
            count += is_open
            if minutes and count == minutes:
                return u + 1
        raise AssertionError("unreachable")


def to_minutes(at: datetime) -> int:
    seconds = (at - EPOCH).total_seconds()
    assert seconds % 60 == 0
    return int(seconds // 60)


def from_minutes(u: int) -> datetime:
    return EPOCH + timedelta(minutes=u)
