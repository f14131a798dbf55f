"""The one clock every module asks for "now".

Production reads the system clock; freezegun patches it in tests; the carrier simulator and
discrete-event runs install a `ManualClock` and move time themselves. Nothing else in the code
calls `datetime.now()` or `time.time()` for business decisions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        # datetime.now is what freezegun patches, so frozen tests see frozen time here.
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (simulations, deterministic tests)."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("time does not run backwards")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            if when < self._now:
                raise ValueError("time does not run backwards")
            self._now = when


_clock: Clock = SystemClock()


def now() -> datetime:
    """Current time, timezone-aware, in UTC."""
    return _clock.now()


def timestamp() -> float:
    """Current time as Unix seconds (for Redis scores and TTL arithmetic)."""
    return _clock.now().timestamp()


def install(clock: Clock) -> Clock:
    """Make `clock` the process clock; returns the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous


AnyClock = TypeVar("AnyClock", bound=Clock)


@contextmanager
def using(clock: AnyClock) -> Iterator[AnyClock]:
    previous = install(clock)
    try:
        yield clock
    finally:
        install(previous)


def as_utc(value: datetime) -> datetime:
    """Aware UTC datetime from an aware or naive-UTC one (SQLite returns naive values)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
