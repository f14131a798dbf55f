"""SLA clocks that pause, resume, stop, reopen and change target, measured on a business calendar.

A clock counts business time (see `calendars`) from its start, except while paused (ticket pending
or on hold) and after it is stopped (first reply sent, ticket solved). The state is immutable: each
transition returns a new `SlaClockState`, and `replay` builds one from a ticket's event trail.

Rules
    * Elapsed time is the business time of the counting segments up to the instant asked about;
      it never decreases as that instant moves forward.
    * The deadline is the first instant at which elapsed time reaches the target. Pauses push it
      out by exactly the business time they covered. While the clock is paused or stopped short of
      the target there is no pending deadline (``None``); once the target was reached it stays.
    * Breached means elapsed >= target, so the deadline instant itself is late; met means stopped
      with elapsed < target (stopped before the deadline). Without a target a stopped clock is
      simply ``stopped``.
    * Retarget (priority change at X) swaps the target and applies it from the original start to
      the same elapsed time: from 8 h to 2 h after 3 h elapsed means breached at X, with the
      deadline at the earlier instant 2 h was reached. It applies to a stopped clock as well, so
      its met/breached outcome is always judged against the current target.
    * A breach is final: a retarget at X of a clock already breached at X (its elapsed time had
      reached its target) changes nothing, so a longer target (a raised priority whose policy
      allows more, or no target at all) cannot turn a late answer into a met one. Only a clock
      that has not breached yet can have its target moved.
    * Reopen after stop resumes counting (resolution clocks only) and keeps the elapsed time; the
      stopped stretch becomes a pause. First-response and next-reply clocks ignore reopen: a
      new customer message starts a new next-reply clock instead.
    * Redundant transitions (pause while paused, resume while running, stop while stopped, pause
      or resume while stopped, reopen while open) change nothing. Time never runs backwards:
      a transition earlier than the latest recorded instant raises ValueError.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property

from contactcenter import clock
from contactcenter.calendars import BusinessCalendar, aware_utc

_ZERO = timedelta(0)

Pause = tuple[datetime, datetime | None]  # (paused_at, resumed_at or None while still paused)


class SlaMetric(str, enum.Enum):
    FIRST_RESPONSE = "first_response"
    NEXT_REPLY = "next_reply"
    RESOLUTION = "resolution"


class SlaStatus(str, enum.Enum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"  # stopped, and there is no target to judge it by
    MET = "met"
    BREACHED = "breached"
    # Read by `tickets.sla` only: a first response stopped by solving before any agent response.
    UNANSWERED = "unanswered"


class SlaEventKind(str, enum.Enum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    REOPEN = "reopen"
    RETARGET = "retarget"


@dataclass(frozen=True)
class SlaEvent:
    """One entry of a ticket's SLA trail; `target_seconds` is read by start and retarget only
    (retarget to None removes the target)."""

    kind: SlaEventKind
    target_seconds: float | None = None

    @classmethod
    def coerce(cls, event: SlaEvent | SlaEventKind | str) -> SlaEvent:
        if isinstance(event, SlaEvent):
            return event
        try:
            return cls(SlaEventKind(event))
        except ValueError:
            raise ValueError(f"unknown SLA event {event!r}") from None


def _target(seconds: float | None) -> timedelta | None:
    if seconds is None:
        return None
    if not seconds >= 0:
        raise ValueError(f"target must be a non-negative number of seconds, got {seconds}")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class SlaClockState:
    """A clock started at `started_at`, with ordered `pauses` and an optional stop."""

    calendar: BusinessCalendar
    started_at: datetime
    target_seconds: float | None
    pauses: tuple[Pause, ...] = ()
    stopped_at: datetime | None = None
    metric: SlaMetric = SlaMetric.RESOLUTION
    _target: timedelta | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_target", _target(self.target_seconds))
        started = aware_utc(self.started_at, "started_at")
        pauses: list[Pause] = []
        latest = started
        for i, (paused, resumed) in enumerate(self.pauses):
            paused = aware_utc(paused, "pause start")
            resumed = None if resumed is None else aware_utc(resumed, "pause end")
            if paused < latest or (resumed is not None and resumed < paused):
                raise ValueError("pauses must be ordered, non-overlapping and after the start")
            if resumed is None and i != len(self.pauses) - 1:
                raise ValueError("only the last pause may still be open")
            pauses.append((paused, resumed))
            latest = resumed if resumed is not None else paused
        stopped = None if self.stopped_at is None else aware_utc(self.stopped_at, "stopped_at")
        if stopped is not None and stopped < latest:
            raise ValueError("the stop must come after the start and every resume")
        object.__setattr__(self, "started_at", started)
        object.__setattr__(self, "pauses", tuple(pauses))
        object.__setattr__(self, "stopped_at", stopped)
        object.__setattr__(self, "metric", SlaMetric(self.metric))

    # -- reading ------------------------------------------------------------------------------

    @property
    def segments(self) -> tuple[tuple[datetime, datetime | None], ...]:
        """The counting stretches [start, end); the last one is open (None) while running."""
        result: list[tuple[datetime, datetime | None]] = []
        begin: datetime | None = self.started_at
        for paused, resumed in self.pauses:
            assert begin is not None
            result.append((begin, paused))
            begin = resumed
        if begin is not None:
            result.append((begin, self.stopped_at))
        return tuple(s for s in result if s[1] is None or s[0] < s[1])

    @property
    def latest_at(self) -> datetime:
        """The latest recorded instant (transitions may not go back before it)."""
        instants = [self.started_at, *(t for pause in self.pauses for t in pause if t is not None)]
        if self.stopped_at is not None:
            instants.append(self.stopped_at)
        return max(instants)

    @property
    def is_stopped(self) -> bool:
        return self.stopped_at is not None

    @property
    def is_paused(self) -> bool:
        return not self.is_stopped and bool(self.pauses) and self.pauses[-1][1] is None

    def elapsed(self, at: datetime | None = None) -> timedelta:
        at = clock.now() if at is None else aware_utc(at, "at")
        total = _ZERO
        for begin, end in self.segments:
            if begin >= at:
                break
            total += self.calendar.business_time_between(begin, at if end is None else min(end, at))
        return total

    def elapsed_seconds(self, at: datetime | None = None) -> float:
        return self.elapsed(at).total_seconds()

    def remaining_seconds(self, at: datetime | None = None) -> float | None:
        """Target minus elapsed: negative once breached (business seconds overdue); None without target."""
        if self._target is None:
            return None
        return (self._target - self.elapsed(at)).total_seconds()

    @cached_property
    def deadline(self) -> datetime | None:
        """The first instant elapsed reaches the target, or None (no target; paused or stopped
        short of it)."""
        if self._target is None:
            return None
        if self._target == _ZERO:
            return self.started_at
        remaining = self._target
        for begin, end in self.segments:
            if end is not None:
                covered = self.calendar.business_time_between(begin, end)
                if covered < remaining:
                    remaining -= covered
                    continue
            return self.calendar.add_business_time(begin, remaining)
        return None

    def status(self, at: datetime | None = None) -> SlaStatus:
        at = clock.now() if at is None else aware_utc(at, "at")
        if self._target is not None and self.elapsed(at) >= self._target:
            return SlaStatus.BREACHED
        if self.stopped_at is not None and self.stopped_at <= at:
            return SlaStatus.STOPPED if self._target is None else SlaStatus.MET
        if any(paused <= at and (resumed is None or at < resumed) for paused, resumed in self.pauses):
            return SlaStatus.PAUSED
        return SlaStatus.RUNNING

    # -- transitions (each returns a new state) -----------------------------------------------

    def _check(self, at: datetime) -> datetime:
        at = aware_utc(at, "at")
        if at < self.latest_at:
            raise ValueError(f"{at.isoformat()} is before the clock's latest event {self.latest_at.isoformat()}")
        return at

    def pause(self, at: datetime) -> SlaClockState:
        at = self._check(at)
        if self.is_stopped or self.is_paused:
            return self
        return replace(self, pauses=(*self.pauses, (at, None)))

    def resume(self, at: datetime) -> SlaClockState:
        at = self._check(at)
        if not self.is_paused:
            return self
        return replace(self, pauses=(*self.pauses[:-1], (self.pauses[-1][0], at)))

    def stop(self, at: datetime) -> SlaClockState:
        at = self._check(at)
        return self if self.is_stopped else replace(self, stopped_at=at)

    def reopen(self, at: datetime) -> SlaClockState:
        at = self._check(at)
        if not self.is_stopped or self.metric is not SlaMetric.RESOLUTION:
            return self
        assert self.stopped_at is not None
        if self.pauses and self.pauses[-1][1] is None:  # stopped while paused: that pause ends now
            pauses = (*self.pauses[:-1], (self.pauses[-1][0], at))
        else:
            pauses = (*self.pauses, (self.stopped_at, at))
        return replace(self, pauses=pauses, stopped_at=None)

    def breached_by(self, at: datetime) -> bool:
        """True once the target was reached by `at` (and so for good)."""
        return self._target is not None and self.elapsed(at) >= self._target

    def retarget(self, target_seconds: float | None, at: datetime | None = None) -> SlaClockState:
        """The clock measured against a new target; with `at` (the instant of the change) a
        clock already breached then keeps its target and its breach."""
        if at is not None and self.breached_by(self._check(at)):
            return self
        return replace(self, target_seconds=target_seconds)


def replay(
    events: Iterable[tuple[datetime, SlaEvent | SlaEventKind | str]],
    calendar: BusinessCalendar,
    *,
    metric: SlaMetric = SlaMetric.RESOLUTION,
    target_seconds: float | None = None,
) -> SlaClockState:
    """Fold an ordered event trail into a clock state.

    The first event must be a start (its target, else `target_seconds`); a second start, an event
    before the start or events out of time order raise ValueError. Retargets before the start
    are not allowed either: pass the initial target with the start.
    """
    state: SlaClockState | None = None
    previous: datetime | None = None
    for at, raw in events:
        at = aware_utc(at, "event time")
        event = SlaEvent.coerce(raw)
        if previous is not None and at < previous:
            raise ValueError(f"SLA events out of order: {at.isoformat()} after {previous.isoformat()}")
        previous = at
        if event.kind is SlaEventKind.START:
            if state is not None:
                raise ValueError(f"SLA clock started twice (again at {at.isoformat()})")
            target = event.target_seconds if event.target_seconds is not None else target_seconds
            state = SlaClockState(calendar, at, target, metric=metric)
        elif state is None:
            raise ValueError(f"SLA event {event.kind.value!r} at {at.isoformat()} before the clock started")
        elif event.kind is SlaEventKind.RETARGET:
            state = state.retarget(event.target_seconds, at)
        else:
            transition = {
                SlaEventKind.PAUSE: state.pause,
                SlaEventKind.RESUME: state.resume,
                SlaEventKind.STOP: state.stop,
                SlaEventKind.REOPEN: state.reopen,
            }[event.kind]
            state = transition(at)
    if state is None:
        raise ValueError("SLA event trail has no start")
    return state
