"""The carrier's event scheduler: a heap of (time, seq, callback) on the project clock.

Times are float seconds since the scheduler was created (so arithmetic stays exact enough and
transcripts read as "40.0 s"). Under a `ManualClock` the scheduler moves the clock itself, event
by event, which makes simulated hours take milliseconds and every run identical; with any other
clock a daemon thread sleeps until the next event is due (the demo). Callbacks always run without
the scheduler's own lock held, so they may schedule further events.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from contactcenter import clock as clock_mod
from contactcenter.clock import Clock, ManualClock

log = logging.getLogger(__name__)

Callback = Callable[[], None]


class EventScheduler:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock
        self._manual = clock if isinstance(clock, ManualClock) else None
        self._t0 = self._now_dt()
        self._heap: list[tuple[float, int, Callback]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running = False

    # -- time --------------------------------------------------------------------------------
    @property
    def virtual(self) -> bool:
        return self._manual is not None

    @property
    def epoch(self) -> datetime:
        return self._t0

    def _now_dt(self) -> datetime:
        return self._clock.now() if self._clock is not None else clock_mod.now()

    def now(self) -> float:
        return (self._now_dt() - self._t0).total_seconds()

    def datetime_at(self, t: float) -> datetime:
        return self._t0 + timedelta(seconds=t)

    def seconds_at(self, when: datetime) -> float:
        return (when - self._t0).total_seconds()

    def _advance_to(self, t: float) -> None:
        assert self._manual is not None
        target = self._t0 + timedelta(seconds=t)
        if target > self._manual.now():
            self._manual.set(target)

    # -- queueing ----------------------------------------------------------------------------
    def call_at(self, t: float, callback: Callback) -> None:
        with self._cond:
            heapq.heappush(self._heap, (t, next(self._seq), callback))
            self._cond.notify()

    def call_later(self, delay_s: float, callback: Callback) -> None:
        self.call_at(self.now() + max(0.0, delay_s), callback)

    def pending(self) -> int:
        with self._cond:
            return len(self._heap)

    def next_time(self) -> float | None:
        with self._cond:
            return self._heap[0][0] if self._heap else None

    def _pop_due(self, until: float) -> tuple[float, Callback] | None:
        with self._cond:
            if self._heap and self._heap[0][0] <= until:
                when, _, callback = heapq.heappop(self._heap)
                return when, callback
            return None

    # -- virtual time ------------------------------------------------------------------------
    def _require_virtual(self) -> None:
        if self._manual is None:
            raise RuntimeError("stepping time needs a ManualClock; in real time call start() instead")

    def run_until(self, t: float) -> int:
        """Run every event due up to `t`, then leave the clock at `t`. Returns events run."""
        self._require_virtual()
        count = 0
        while (item := self._pop_due(t)) is not None:
            when, callback = item
            self._advance_to(when)
            callback()
            count += 1
        self._advance_to(t)
        return count

    def run_until_idle(self, limit_s: float) -> int:
        """Run events until none are left or the next is more than `limit_s` away from now."""
        self._require_virtual()
        end = self.now() + limit_s
        count = 0
        while (item := self._pop_due(end)) is not None:
            when, callback = item
            self._advance_to(when)
            callback()
            count += 1
        return count

    # -- real time ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._manual is not None:
            raise RuntimeError("a ManualClock does not move by itself; use run_until in virtual time")
        with self._cond:
            if self._running:
                return
            self._running = True
        self._thread = threading.Thread(target=self._loop, name="carrier-simulator", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        with self._cond:
            self._running = False
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._running

    def _loop(self) -> None:
        while True:
            with self._cond:
                callback: Callback | None = None
                while self._running and callback is None:
                    if self._heap:
                        delay = self._heap[0][0] - self.now()
                        if delay <= 0:
                            callback = heapq.heappop(self._heap)[2]
                            break
                        self._cond.wait(min(delay, 0.5))
                    else:
                        self._cond.wait(0.5)
                if not self._running:
                    return
            try:
                assert callback is not None
                callback()
            except Exception:  # the demo must survive one bad event; the log says which
                log.exception("carrier simulator event failed")
