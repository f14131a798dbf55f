"""A steady flow of inbound calls (Poisson arrivals) for the demo and the load benchmarks.

Arrivals are scheduled on the carrier's own timeline, so under a ManualClock an hour of traffic
runs as fast as the app can answer, and the same seed always gives the same calls.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from contactcenter.telephony.simulator.callers import CallerScript
from contactcenter.telephony.simulator.carrier import CallHandle, SimulatedCarrier

ScriptSource = CallerScript | str | Callable[[random.Random], CallerScript | str]


def caller_numbers(count: int, seed: int = 0) -> list[str]:
    """Distinct, deterministic US caller numbers in the 555-01xx fictional range style."""
    rng = random.Random(seed)
    areas = ("212", "312", "415", "503", "617", "702", "801", "917")
    numbers: list[str] = []
    seen: set[str] = set()
    while len(numbers) < count:
        number = f"+1{rng.choice(areas)}555{rng.randrange(10000):04d}"
        if number not in seen:
            seen.add(number)
            numbers.append(number)
    return numbers


class InboundTraffic:
    """Calls to `to_number` at `calls_per_minute` on average, each following a script.

    `script_factory` is a script (text or CallerScript) or a function of the traffic's random
    generator that returns one, so benchmarks can mix behaviours (menu choices, patience).
    """

    def __init__(
        self,
        carrier: SimulatedCarrier,
        to_number: str,
        calls_per_minute: float,
        script_factory: ScriptSource,
        seed: int = 0,
        callers: Sequence[str] | None = None,
        max_calls: int | None = None,
    ) -> None:
        if calls_per_minute <= 0:
            raise ValueError("calls_per_minute must be positive")
        self.carrier = carrier
        self.to_number = to_number
        self.rate_per_s = calls_per_minute / 60.0
        self._script = script_factory
        self._rng = random.Random(seed)
        self.callers = list(callers) if callers else caller_numbers(200, seed)
        self.max_calls = max_calls
        self.placed: list[CallHandle] = []
        self._running = False
        self._until: float | None = None
        self._next_at = 0.0
        self._generation = 0

    def _next_script(self) -> CallerScript | str:
        source = self._script
        if callable(source):
            return source(self._rng)
        return source

    def start(self, duration_s: float | None = None) -> None:
        """Begin arrivals now; stop scheduling new ones after `duration_s` (None: until stop())."""
        self._running = True
        self._generation += 1
        self._next_at = self.carrier.elapsed()
        self._until = None if duration_s is None else self._next_at + duration_s
        self._schedule_next(self._generation)

    def stop(self) -> None:
        self._running = False

    def _schedule_next(self, generation: int) -> None:
        # Each arrival is due a gap after the previous one was *due*, not after it was handled:
        # a busy carrier that starts an arrival late must not stretch the whole schedule, or
        # the offered rate would quietly fall with the load.
        self._next_at += self._rng.expovariate(self.rate_per_s)
        at = self._next_at
        if self._until is not None and at > self._until:
            self._running = False
            return
        self.carrier.call_at(at, lambda: self._arrive(generation))

    def _arrive(self, generation: int) -> None:
        if not self._running or generation != self._generation:
            return
        if self.max_calls is not None and len(self.placed) >= self.max_calls:
            self._running = False
            return
        caller = self._rng.choice(self.callers)
        self.placed.append(self.carrier.place_inbound_call(caller, self.to_number, self._next_script()))
        self._schedule_next(generation)
