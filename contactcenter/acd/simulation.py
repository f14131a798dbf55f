"""Inbound traffic on a simulated clock, routed by the real ACD, measured against Erlang C and A.

`simulate(SimulationConfig(...))` runs a discrete-event model of an inbound contact center in
which every routing decision is made by `contactcenter.acd.realtime.RealtimeACD`, the same Lua
scripts production runs, on a Redis client: by default a private in-process store
(`contactcenter.acd.inprocess`: the scripts and their data in one embedded Lua, nothing to install
or start), or a real server passed in. Time is simulated: every ACD request gets `now=` the
simulated time and a `ManualClock` is installed for the run; the clock jumps from one event to the
next, so hours of traffic take seconds. The ACD's scripts are the cost: about one request per
event, three per call, roughly a tenth of a millisecond each in-process (300 hours at 200 calls/h,
180,000 events, in about half a minute) and a few times that on a real Redis, where each is a
round trip.

Event model (times kept in whole milliseconds, as the ACD stores them; ties run in the order the
events were scheduled)
    arrival   Poisson arrivals at `calls_per_hour`. Everything random about a call is drawn when
              it arrives, from one `random.Random(seed)`: the gap to the next arrival, its skill
              (from the skills mix, so every queue sees its own Poisson stream), its talk time
              (exponential, mean `aht_s - wrap_s`) and, with `patience_s`, the caller's patience
              (exponential, that mean). The call is enqueued (`enqueue`); the ACD offers it at
              once when an eligible agent is free (auto-matching).
    answer    every offer the ACD makes (`Outcome.offers`, `TickReport.offers`) is accepted
              `answer_delay_s` later (`accept`): agents never let an offer ring out, so there is
              no RONA here (the delay must stay below the offer timeout).
    end       the conversation ends after its talk time (`complete` with `wrap_s` of wrap-up).
              With no wrap-up the agent is available at once and gets its next call in the same
              atomic step.
    tick      `tick` runs exactly when a wrap-up ends (and every `tick_seconds` if set); nothing
              else needs it, because the ACD places calls as agents free up.
    abandon   the caller's patience ran out while waiting or being offered: `remove`.
An agent's handle time (Erlang's service time) is answer delay + talk + wrap-up; with the
defaults (no delay, no wrap-up) it is exponential with mean `aht_s` and the model is exactly
Erlang C's M/M/N (Erlang A's M/M/N+M with patience).

Skills mix. "billing:0.3,support:0.7" makes one queue per skill (the queue requires that skill)
and gives every agent exactly one skill, N x share agents per skill (largest remainders, at least
one each); 30% of calls need billing. Each queue is then an independent M/M/n queue: the Erlang
figures per queue are exact, and the center's are their offered-call-weighted combination.
Without a mix there is one queue, "inbound", and every agent has its skill.

Measurement. The first `warmup_hours` (default 0.5) start from an empty center with every agent
available and are left out; the measured window is the next `hours`. Every call that arrives in
the window is followed to its end (arrivals go on after the window until the last measured call
is answered or abandoned), so each counts once:
    offered           calls that arrived in the window.
    answered          offered calls connected to an agent; abandoned: the others.
    service_level     answered within `target_seconds` / offered. Abandoned calls count as missed,
                      as in Erlang A; with no abandonment this is Erlang C's P(wait <= T).
    asa_seconds       mean wait of answered calls, arrival to connection (0 when answered at once).
    abandon_rate      abandoned / offered.
    occupancy         busy agent time / agent time within the window; busy = reserved (offered,
                      not yet answered), on a call, or in wrap-up.
    max_wait_seconds  the longest wait of an offered call, answered or abandoned.
Waits and busy time come from the ACD's own events: a call is answered when the ACD connects it.

Statistical tolerance: batch means. The window is cut into `batches` (K >= 20) equal periods; a
call belongs to the period it arrived in. For a ratio metric R = sum y_b / sum x_b (service
level: y = answered within target, x = offered; ASA: y = total wait, x = answered; abandon rate:
y = abandoned, x = offered; occupancy: y = busy time, x = agent time) the standard error is the
ratio estimator's over the batches,
    SE(R) = sqrt( sum_b (y_b - R x_b)^2 / (K (K - 1)) ) / mean(x_b),
inflated by sqrt((1 + r) / (1 - r)) for a positive lag-1 autocorrelation r of the residuals
y_b - R x_b (a queue carries over from one period to the next; r clipped to [0, 0.8]).
Without abandonment, waiting comes in rare busy spells that hold most of a run's total wait, and a
run that happened to miss one looks deceptively precise: for the ASA the standard error used is
the larger of the batch-means one and the one Erlang C itself implies for a window this long
(`erlang_c_asa_standard_error`, exact as the window grows). Simulation and model agree on a
metric when
    |simulated - predicted| <= 3 SE + floor,
floor = 0.005 for shares (service level, abandon rate, occupancy) and 0.5 s for ASA, a small
allowance for what SE does not see (residual warm-up bias, time kept in milliseconds).
Calibration: the rule was checked with `reference_figures` (the reference queue below, no ACD) on
300-400 seeds per case: Erlang C at rho 0.6 (5 agents, 2,400 calls), 0.8 (10 agents, 6,400 and
12,800 calls) and 0.95 (20 agents, 48,600 calls; 10 agents, 38,000 calls); Erlang A with 90 s
patience at rho 1.0 (10 agents, 1,600 and 3,200 calls). It held in 98.5-99.8% of runs for the
service level, 99.3-100% for abandon rate and occupancy, and 99.7-100% for the ASA (100% for
Erlang C; batch means alone there: 89-96%). What a run can prove is limited by queueing itself:
near full load the ASA stays uncertain by about 25% (one SE) even after 48,000 calls, and `lag1`
near 0.5 or above says the periods were too short.

Reference queue. The same draws are replayed through a textbook first-come-first-served queue
with the same agents (`reference_queue`: a call starts with the agent that frees first, abandons
when its patience runs out first). An ACD that offers every call to a free agent at once, in
arrival order, and wastes no agent time gives every call exactly the reference's outcome and
wait; `reference.differing` counts the measured calls where it did not (0 expected), which checks
the router far more sharply than any statistical tolerance can.

The comparison is with Erlang C (no patience) or Erlang A (patience) and is exact only with
exponential handle times, i.e. no wrap-up and no answer delay (`comparison.exact`); with them the
Erlang figures use the mean handle time and are an approximation.

Same seed, same figures: only `wall_seconds` (the run's real duration) differs between runs.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import secrets
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import redis

from contactcenter import clock
from contactcenter.acd.erlang import ErlangAResult, ErlangCResult, erlang_a, erlang_c
from contactcenter.acd.inprocess import InProcessRedis
from contactcenter.acd.interfaces import (
    AVAILABLE,
    CONNECTED,
    DEFAULT_STRATEGY,
    ON_CALL,
    RESERVED,
    STRATEGIES,
    WRAP_UP,
    AgentProfile,
    Offer,
    QueueConfig,
    check_name,
)
from contactcenter.acd.realtime import RealtimeACD
from contactcenter.errors import DomainError, Kind

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DEFAULT_QUEUE = "inbound"
DEFAULT_WARMUP_HOURS = 0.5
DEFAULT_TARGET_SECONDS = 20.0
DEFAULT_OFFER_TIMEOUT_SECONDS = 15.0
MIN_BATCHES = 20
# Agreement: |simulated - predicted| <= Z_SCORE x SE + the metric's floor.
Z_SCORE = 3.0
SHARE_FLOOR = 0.005
ASA_FLOOR_SECONDS = 0.5
MAX_LAG1 = 0.8

_BUSY_STATES = frozenset((RESERVED, ON_CALL, WRAP_UP))
_ABANDONED = "abandoned"
# Refusals that mean the ACD's state vanished under the run (keys deleted, database flushed).
_LOST_STATE = frozenset(("unknown_queue", "unknown_call", "unknown_agent", "unknown_offer"))
# Simulated time allowed after the window for the last measured callers to be answered or leave.
MAX_DRAIN_HOURS = 24.0


class SimulationError(DomainError, RuntimeError):
    """The run cannot go on: the ACD lost its state, or callers were never answered."""

    kind: Kind = "conflict"


# --- configuration ----------------------------------------------------------------------------


def parse_skills_mix(text: str) -> tuple[tuple[str, float], ...]:
    """ "billing:0.3,support:0.7" -> (("billing", 0.3), ("support", 0.7)); shares add up to 1."""
    mix: list[tuple[str, float]] = []
    for item in text.split(","):
        item = item.strip()
        name, sep, share_text = item.rpartition(":")
        if not item or not sep or not name.strip():
            raise ValueError(f"skills mix entries look like billing:0.3, not {item!r}")
        try:
            share = float(share_text)
        except ValueError:
            raise ValueError(f"the share of {name!r} must be a number, not {share_text!r}") from None
        mix.append((name.strip(), share))
    _check_mix(tuple(mix))
    return tuple(mix)


def _check_mix(mix: tuple[tuple[str, float], ...]) -> None:
    if not mix:
        raise ValueError("the skills mix needs at least one skill")
    names = [name for name, _ in mix]
    if len(set(names)) != len(names):
        raise ValueError("each skill may appear only once in the skills mix")
    for name, share in mix:
        check_name("skill", name)
        if not (_finite(share) and 0 < share <= 1):
            raise ValueError(f"the share of {name!r} must be above 0 and at most 1, not {share!r}")
    total = sum(share for _, share in mix)
    if abs(total - 1.0) > 1e-3:
        raise ValueError(f"the skills mix shares must add up to 1, not {total:g}")


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class SimulationConfig:
    """One inbound run. Durations in seconds unless named in hours; see the module docstring."""

    agents: int
    calls_per_hour: float
    aht_s: float
    hours: float
    seed: int = 0
    patience_s: float | None = None
    skills_mix: tuple[tuple[str, float], ...] = ((DEFAULT_QUEUE, 1.0),)
    target_seconds: float = DEFAULT_TARGET_SECONDS
    warmup_hours: float = DEFAULT_WARMUP_HOURS
    wrap_s: float = 0.0
    answer_delay_s: float = 0.0
    offer_timeout_s: float = DEFAULT_OFFER_TIMEOUT_SECONDS
    strategy: str = DEFAULT_STRATEGY
    batches: int = MIN_BATCHES
    tick_seconds: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.agents, bool) or not isinstance(self.agents, int) or self.agents < 1:
            raise ValueError(f"agents must be a whole number of at least 1, not {self.agents!r}")
        for name in ("calls_per_hour", "aht_s", "hours", "offer_timeout_s"):
            value = getattr(self, name)
            if not _finite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number, not {value!r}")
        for name in ("target_seconds", "warmup_hours", "wrap_s", "answer_delay_s", "tick_seconds"):
            value = getattr(self, name)
            if not _finite(value) or value < 0:
                raise ValueError(f"{name} must be zero or a positive number, not {value!r}")
        if self.patience_s is not None and (not _finite(self.patience_s) or self.patience_s <= 0):
            raise ValueError(f"patience_s must be a positive number, not {self.patience_s!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be a whole number, not {self.seed!r}")
        if self.wrap_s >= self.aht_s:
            raise ValueError("wrap_s is part of the handle time and must be below aht_s")
        if self.answer_delay_s >= self.offer_timeout_s:
            raise ValueError("answer_delay_s must be below the offer timeout (agents answer every offer)")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}")
        if isinstance(self.batches, bool) or not isinstance(self.batches, int) or self.batches < MIN_BATCHES:
            raise ValueError(f"batches must be a whole number of at least {MIN_BATCHES}, not {self.batches!r}")
        mix = tuple((str(name), float(share)) for name, share in self.skills_mix)
        _check_mix(mix)
        object.__setattr__(self, "skills_mix", mix)
        if len(mix) > self.agents:
            raise ValueError(f"{len(mix)} skills need at least {len(mix)} agents (one per skill)")
        if self.patience_s is None:
            for name, agents in self.agents_per_skill().items():
                traffic = self.calls_per_hour * self.share(name) * self.hold_s / 3600.0
                if agents <= traffic:
                    where = "" if len(mix) == 1 else f" in queue {name!r}"
                    raise ValueError(
                        f"the queue is unstable{where}: {agents} agents for {traffic:.2f} erlangs of traffic; "
                        "callers who never hang up would wait without end (add agents or give a patience)"
                    )

    @property
    def hold_s(self) -> float:
        """Mean time an agent spends per answered call: answer delay + talk + wrap-up."""
        return self.aht_s + self.answer_delay_s

    @property
    def traffic_erlangs(self) -> float:
        return self.calls_per_hour * self.hold_s / 3600.0

    def share(self, skill: str) -> float:
        return dict(self.skills_mix)[skill]

    def agents_per_skill(self) -> dict[str, int]:
        """N x share agents per skill by largest remainders, at least one each (mix order breaks ties)."""
        exact = {name: self.agents * share for name, share in self.skills_mix}
        counts = {name: max(1, math.floor(x)) for name, x in exact.items()}
        order = sorted(exact, key=lambda n: -(exact[n] - math.floor(exact[n])))
        for name in itertools.islice(itertools.cycle(order), max(0, self.agents - sum(counts.values()))):
            counts[name] += 1
        while sum(counts.values()) > self.agents:  # the at-least-one rule took agents from others
            name = max((n for n in counts if counts[n] > 1), key=lambda n: counts[n] - exact[n])
            counts[name] -= 1
        return counts


# --- the calls --------------------------------------------------------------------------------


class Call:
    """One caller: what was drawn at arrival, and what happened (filled in by a run)."""

    __slots__ = ("sid", "arrival", "queue", "talk", "patience", "answered", "wait")

    def __init__(self, sid: str, arrival: int, queue: str, talk: int, patience: int | None) -> None:
        self.sid = sid
        self.arrival = arrival  # ms since the start of the run
        self.queue = queue
        self.talk = talk  # ms
        self.patience = patience  # ms, None: never hangs up
        self.answered: bool | None = None  # None while unresolved
        self.wait = 0  # ms until connected (answered) or until the caller hung up


def draw_calls(config: SimulationConfig) -> Iterator[Call]:
    """The run's callers, endlessly, from `random.Random(config.seed)`: the same seed, the same calls."""
    rng = random.Random(config.seed)
    names = [name for name, _ in config.skills_mix]
    bounds = list(itertools.accumulate(share for _, share in config.skills_mix))
    gap_s = 3600.0 / config.calls_per_hour
    talk_s = config.aht_s - config.wrap_s

    def ms(mean_s: float) -> int:
        return int(round(rng.expovariate(1.0 / mean_s) * 1000))

    t = 0
    for n in itertools.count(1):
        t += ms(gap_s)
        queue = names[min(bisect_right(bounds, rng.random()), len(names) - 1)]
        talk = ms(talk_s)
        patience = ms(config.patience_s) if config.patience_s is not None else None
        yield Call(f"c{n}", t, queue, talk, patience)


def reference_queue(
    calls: Iterable[Call], agents: int, *, answer_delay_ms: int = 0, wrap_ms: int = 0
) -> tuple[list[tuple[bool, int]], list[tuple[int, int]]]:
    """A textbook first-come-first-served queue with `agents` agents, on calls in arrival order.

    A call starts with the agent that frees first (at its arrival if one is free); it is connected
    `answer_delay_ms` later unless the caller's patience runs out first (the agent is then free at
    that moment); the agent is busy for the talk time plus `wrap_ms` after connecting. Returns each
    call's (answered, wait ms) and the agents' busy intervals (start, end) in ms.
    """
    free = [0] * agents
    outcomes: list[tuple[bool, int]] = []
    busy: list[tuple[int, int]] = []
    for call in calls:
        start = max(call.arrival, free[0])
        connect = start + answer_delay_ms
        deadline = call.arrival + call.patience if call.patience is not None else None
        if deadline is not None and connect >= deadline:
            outcomes.append((False, deadline - call.arrival))
            if start < deadline:  # hung up while the offer rang
                heapq.heapreplace(free, deadline)
                busy.append((start, deadline))
            continue
        end = connect + call.talk + wrap_ms
        heapq.heapreplace(free, end)
        busy.append((start, end))
        outcomes.append((True, connect - call.arrival))
    return outcomes, busy


# --- statistics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A ratio over K batches: its value, standard error (AR(1)-inflated) and lag-1 correlation."""

    value: float | None
    standard_error: float | None
    lag1: float | None


def ratio_estimate(y: Sequence[float], x: Sequence[float]) -> Estimate:
    """sum(y) / sum(x) with the batch-means standard error of the ratio estimator (module docstring)."""
    k = len(x)
    total_x = float(sum(x))
    if k < 2 or total_x <= 0:
        return Estimate(None, None, None)
    value = float(sum(y)) / total_x
    residuals = [yb - value * xb for yb, xb in zip(y, x, strict=False)]
    sum_sq = sum(d * d for d in residuals)
    se = math.sqrt(sum_sq / (k * (k - 1))) / (total_x / k)
    lag1 = sum(a * b for a, b in itertools.pairwise(residuals)) / sum_sq if sum_sq > 0 else 0.0
    r = min(max(lag1, 0.0), MAX_LAG1)
    return Estimate(value, se * math.sqrt((1 + r) / (1 - r)), lag1)


def tolerance(metric: str, standard_error: float) -> float:
    """How far simulated and predicted may differ: Z_SCORE standard errors plus the metric's floor."""
    floor = ASA_FLOOR_SECONDS if metric == "asa_seconds" else SHARE_FLOOR
    return Z_SCORE * standard_error + floor


def erlang_c_asa_standard_error(agents: int, calls_per_hour: float, hold_s: float, window_s: float) -> float | None:
    """Standard error of the ASA measured over `window_s` seconds of an M/M/N queue (Erlang C).

    How much the measured ASA of a correct run scatters around Erlang C's, from the model itself:
    the waits of a window's callers add up to the integral of the queue length Q (Little), and
    ASA = that integral / callers. For the birth-death chain of the number of callers n (birth rate
    lambda, death rate min(n, N) mu), Poisson's equation L h = -(Q - E Q) has the closed-form
    differences D(n) = h(n+1) - h(n) = -sum_{k<=n} pi(k) (Q(k) - E Q) / (lambda pi(n)), and the
    martingale behind "integral of Q - ASA x arrivals" grows at the rate
        sigma^2 = lambda sum_n pi(n) [ (D(n) - ASA)^2 + D(n)^2 ],
    so SE = sigma / (lambda sqrt(window_s)) (the delta method; exact as the window grows). None when
    the queue is unstable (N <= A). The states below N are summed through the ratios
    sum_{k<=n} pi(k) / pi(n), those above N through tail sums, so nothing underflows.
    """
    lam = calls_per_hour / 3600.0
    traffic = lam * hold_s
    if agents <= traffic or window_s <= 0:
        return None
    r = traffic / agents
    # weights relative to pi(N): below[n] for n < N, above[j] for n = N + j
    below = [0.0] * agents
    w = 1.0
    for n in range(agents, 0, -1):
        w *= n / traffic
        below[n - 1] = w
    tail = min(int(math.log(1e-18) / math.log(r)) + 1, 5_000_000)
    above = [r**j for j in range(tail + 1)]
    total = math.fsum(below) + math.fsum(above)
    mean_q = math.fsum(j * a for j, a in enumerate(above)) / total
    asa = mean_q / lam
    acc = 0.0
    ratio = 0.0  # sum_{k<=n} pi(k) / pi(n)
    for n in range(agents):
        ratio = 1.0 + ratio * n / traffic
        d = mean_q * ratio / lam
        acc += below[n] / total * ((d - asa) ** 2 + d * d)
    rest = 0.0  # sum_{k>n} w(k) (Q(k) - E Q): D(n) = rest / (lambda w(n)) above N
    rests = [0.0] * (tail + 1)
    for j in range(tail, -1, -1):
        rests[j] = rest
        rest += above[j] * (j - mean_q)
    for j in range(tail + 1):
        d = rests[j] / (lam * above[j])
        acc += above[j] / total * ((d - asa) ** 2 + d * d)
    return math.sqrt(lam * acc) / (lam * math.sqrt(window_s))


class Tally:
    """Per-batch sums over the measured window for one scope (the center, or one queue)."""

    def __init__(self, bounds: Sequence[int], agents: int, target_ms: int) -> None:
        self.bounds = bounds
        self.agents = agents
        self.target_ms = target_ms
        k = len(bounds) - 1
        self.offered = [0] * k
        self.answered = [0] * k
        self.within = [0] * k
        self.wait_ms = [0] * k
        self.abandoned = [0] * k
        self.busy_ms = [0] * k
        self.max_wait_ms = 0

    def batch(self, t: int) -> int:
        """The batch `t` falls in, -1 outside the window."""
        if not self.bounds[0] <= t < self.bounds[-1]:
            return -1
        return bisect_right(self.bounds, t) - 1

    def add_call(self, arrival: int, answered: bool, wait: int) -> None:
        b = self.batch(arrival)
        if b < 0:
            return
        self.offered[b] += 1
        self.max_wait_ms = max(self.max_wait_ms, wait)
        if answered:
            self.answered[b] += 1
            self.wait_ms[b] += wait
            self.within[b] += wait <= self.target_ms
        else:
            self.abandoned[b] += 1

    def add_busy(self, start: int, end: int) -> None:
        lo, hi = max(start, self.bounds[0]), min(end, self.bounds[-1])
        if hi <= lo:
            return
        b = bisect_right(self.bounds, lo) - 1
        while lo < hi:
            edge = min(hi, self.bounds[b + 1])
            self.busy_ms[b] += edge - lo
            lo, b = edge, b + 1

    def estimates(self) -> dict[str, Estimate]:
        agent_ms = [self.agents * (hi - lo) for lo, hi in itertools.pairwise(self.bounds)]
        return {
            "service_level": ratio_estimate(self.within, self.offered),
            "asa_seconds": ratio_estimate([w / 1000 for w in self.wait_ms], self.answered),
            "abandon_rate": ratio_estimate(self.abandoned, self.offered),
            "occupancy": ratio_estimate(self.busy_ms, agent_ms),
        }


def compare(
    estimates: Mapping[str, Estimate],
    model: Mapping[str, Any],
    model_name: str,
    model_standard_errors: Mapping[str, float | None] | None = None,
) -> dict[str, Any]:
    """Each metric against the model: difference, standard error, tolerance and verdict.

    Where the model gives a metric's standard error for the run (`model_standard_errors`), the
    larger of it and the batch-means one is used.
    """
    metrics = ["service_level", "asa_seconds", "occupancy"]
    if model_name == "erlang_a":
        metrics.insert(2, "abandon_rate")
    compared: dict[str, Any] = {}
    for metric in metrics:
        est = estimates[metric]
        predicted = model.get("p_abandon" if metric == "abandon_rate" else metric)
        if est.value is None or est.standard_error is None or predicted is None:
            compared[metric] = {"simulated": _round(est.value), "predicted": _round(predicted), "within": None}
            continue
        se = est.standard_error
        entry: dict[str, Any] = {"simulated": _round(est.value), "predicted": _round(predicted)}
        model_se = (model_standard_errors or {}).get(metric)
        if model_se is not None:
            entry["batch_standard_error"] = _round(se)
            entry["model_standard_error"] = _round(model_se)
            se = max(se, model_se)
        tol = tolerance(metric, se)
        diff = est.value - predicted
        entry.update(
            {
                "difference": _round(diff),
                "standard_error": _round(se),
                "tolerance": _round(tol),
                "within": abs(diff) <= tol,
            }
        )
        compared[metric] = entry
    return {"model": model_name, "metrics": compared, "agrees": all(c["within"] for c in compared.values())}


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def _model_dict(result: ErlangCResult | ErlangAResult) -> dict[str, Any]:
    raw = {name: getattr(result, name) for name in result.__dataclass_fields__}
    return {k: (_round(v) if isinstance(v, float) else v) for k, v in raw.items()}


# --- the plan of a run: window, staffing, models, reference -----------------------------------


class Plan:
    """What a configuration fixes before any call arrives: the measured window and its batches,
    the agents per queue, the Erlang figures, and the reference queue's replay."""

    def __init__(self, config: SimulationConfig) -> None:
        self.cfg = config
        self.window_start = int(round(config.warmup_hours * 3_600_000))
        self.window_end = self.window_start + int(round(config.hours * 3_600_000))
        span, k = self.window_end - self.window_start, config.batches
        self.bounds = [self.window_start + span * b // k for b in range(k)] + [self.window_end]
        self.target_ms = int(round(config.target_seconds * 1000))
        self.delay_ms = int(round(config.answer_delay_s * 1000))
        self.wrap_ms = int(round(config.wrap_s * 1000))
        self.queue_names = [name for name, _ in config.skills_mix]
        self.staffing = config.agents_per_skill()
        self.asa_model_se = self._asa_model_se()

    def _asa_model_se(self) -> dict[str | None, float | None]:
        """Erlang C's standard error of each queue's ASA over the window (none with patience); the
        center's combines the queues' as independent, weighted by their shares of the calls."""
        cfg = self.cfg
        if cfg.patience_s is not None:
            return {}
        window_s = (self.window_end - self.window_start) / 1000
        out: dict[str | None, float | None] = {}
        for name in self.queue_names:
            out[name] = erlang_c_asa_standard_error(
                self.staffing[name], cfg.calls_per_hour * cfg.share(name), cfg.hold_s, window_s
            )
        parts = [(cfg.share(n), out[n]) for n in self.queue_names]
        if all(se is not None for _, se in parts):
            out[None] = math.sqrt(math.fsum((share * se) ** 2 for share, se in parts if se is not None))
        return out

    def measured(self, call: Call) -> bool:
        return self.window_start <= call.arrival < self.window_end

    def tallies(self) -> dict[str | None, Tally]:
        """Empty tallies: None for the whole center, then one per queue."""
        out: dict[str | None, Tally] = {None: Tally(self.bounds, self.cfg.agents, self.target_ms)}
        for name in self.queue_names:
            out[name] = Tally(self.bounds, self.staffing[name], self.target_ms)
        return out

    def models(self) -> tuple[dict[str | None, dict[str, Any]], dict[str | None, dict[str, Any]] | None]:
        """Erlang C (and A, with patience) per queue, and their combination for the whole center."""
        cfg = self.cfg
        c_models: dict[str | None, dict[str, Any]] = {}
        a_models: dict[str | None, dict[str, Any]] | None = {} if cfg.patience_s is not None else None
        for name in self.queue_names:
            cph = cfg.calls_per_hour * cfg.share(name)
            c_models[name] = _model_dict(erlang_c(self.staffing[name], cph, cfg.hold_s, cfg.target_seconds))
            if a_models is not None and cfg.patience_s is not None:
                a_models[name] = _model_dict(
                    erlang_a(self.staffing[name], cph, cfg.hold_s, cfg.patience_s, cfg.target_seconds)
                )
        if len(self.queue_names) == 1:
            c_models[None] = c_models[self.queue_names[0]]
            if a_models is not None:
                a_models[None] = a_models[self.queue_names[0]]
        else:
            c_models[None] = self.combined(c_models)
            if a_models is not None:
                a_models[None] = self.combined(a_models)
        return c_models, a_models

    def combined(self, models: Mapping[str | None, Mapping[str, Any]]) -> dict[str, Any]:
        """The center's figures from independent queues: offered-call-weighted averages."""
        cfg = self.cfg
        names = self.queue_names
        share = {n: cfg.share(n) for n in names}
        abandon = {n: models[n].get("p_abandon", 0.0) for n in names}
        stable = all(models[n].get("stable", True) for n in names)
        answered = sum(share[n] * (1 - abandon[n]) for n in names)
        combined: dict[str, Any] = {
            "agents": cfg.agents,
            "traffic_erlangs": _round(cfg.traffic_erlangs),
            "target_seconds": cfg.target_seconds,
            "p_wait": _round(sum(share[n] * models[n]["p_wait"] for n in names)),
            "service_level": _round(sum(share[n] * models[n]["service_level"] for n in names)),
            "asa_seconds": _round(sum(share[n] * (1 - abandon[n]) * models[n]["asa_seconds"] for n in names) / answered)
            if stable
            else None,
            "occupancy": _round(cfg.traffic_erlangs * sum(share[n] * (1 - abandon[n]) for n in names) / cfg.agents),
            "combined_from_queues": True,
        }
        if cfg.patience_s is not None and "p_abandon" in models[names[0]]:
            combined["patience_seconds"] = cfg.patience_s
            combined["p_abandon"] = _round(sum(share[n] * abandon[n] for n in names))
        else:
            combined["stable"] = stable
        return combined

    def reference(self, calls: Sequence[Call]) -> tuple[dict[str | None, Tally], int, int]:
        """Replay `calls` (arrival order) through `reference_queue`, one queue at a time.

        Returns the reference's tallies, and how many measured calls the run resolved differently
        (answered or not, or another wait) with the largest wait difference in ms; calls the run did
        not resolve count as differing.
        """
        tallies = self.tallies()
        differing = max_diff = 0
        for name in self.queue_names:
            mine = [c for c in calls if c.queue == name]
            outcomes, busy = reference_queue(
                mine, self.staffing[name], answer_delay_ms=self.delay_ms, wrap_ms=self.wrap_ms
            )
            for call, (answered, wait) in zip(mine, outcomes, strict=True):
                if not self.measured(call):
                    continue
                tallies[None].add_call(call.arrival, answered, wait)
                tallies[name].add_call(call.arrival, answered, wait)
                if call.answered != answered or call.wait != wait:
                    differing += 1
                    max_diff = max(max_diff, abs(call.wait - wait))
            for start, end in busy:
                tallies[None].add_busy(start, end)
                tallies[name].add_busy(start, end)
        return tallies, differing, max_diff

    def scope(self, tally: Tally, queue: str | None, model: Mapping[str, Any], model_name: str) -> dict[str, Any]:
        estimates = tally.estimates()
        model_se = {"asa_seconds": self.asa_model_se.get(queue)} if model_name == "erlang_c" else None
        comparison = compare(estimates, model, model_name, model_se)
        comparison["exact"] = self.cfg.wrap_s == 0 and self.cfg.answer_delay_s == 0
        comparison["rule"] = (
            f"|simulated - predicted| <= {Z_SCORE:g} SE + floor "
            f"({SHARE_FLOOR:g} for shares, {ASA_FLOOR_SECONDS:g} s for ASA); SE from batch means, "
            "for the ASA the larger of that and Erlang C's own"
        )
        return {
            "agents": tally.agents,
            "offered": sum(tally.offered),
            "answered": sum(tally.answered),
            "abandoned": sum(tally.abandoned),
            "service_level": _round(estimates["service_level"].value),
            "asa_seconds": _round(estimates["asa_seconds"].value, 3),
            "abandon_rate": _round(estimates["abandon_rate"].value),
            "occupancy": _round(estimates["occupancy"].value),
            "max_wait_seconds": tally.max_wait_ms / 1000,
            "standard_errors": {m: _round(e.standard_error) for m, e in estimates.items()},
            "lag1": {m: _round(e.lag1, 3) for m, e in estimates.items()},
            "comparison": comparison,
        }


# --- the simulation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationResult:
    config: SimulationConfig
    figures: dict[str, Any] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.figures)

    def __getitem__(self, key: str) -> Any:
        return self.figures[key]


class Simulation:
    """One run: build the center in the ACD, play the events, measure (see the module docstring)."""

    def __init__(
        self,
        config: SimulationConfig,
        client: redis.Redis | None = None,
        *,
        namespace: str | None = None,
        cleanup: bool = True,
    ) -> None:
        self.cfg = config
        if client is None:
            # The in-process store answers the commands RealtimeACD uses as Redis does.
            client = cast(redis.Redis, InProcessRedis())
            cleanup = False  # a private store goes away with the run
        self.client: redis.Redis = client
        self.cleanup = cleanup
        self.namespace = namespace or f"sim-{secrets.token_hex(4)}"
        self.acd = RealtimeACD(
            client,
            self.namespace,
            offer_timeout_seconds=config.offer_timeout_s,
            publish=False,
            ended_ttl_seconds=600,
            listeners=[self._on_event],
        )
        self.t0_ms = int(START.timestamp() * 1000)
        self.now_ms = 0  # simulated time since the start of the run
        self.plan = plan = Plan(config)
        self.window_end = plan.window_end
        self.delay_ms, self.wrap_ms = plan.delay_ms, plan.wrap_ms
        self.agent_queue: dict[str, str] = {}
        self.busy_since: dict[str, int] = {}
        self.tally = plan.tallies()
        self._arrivals = draw_calls(config)
        self.calls: list[Call] = []  # every caller so far, in arrival order
        self.by_sid: dict[str, Call] = {}
        self.live: dict[str, Call] = {}  # callers not yet answered or gone
        self.unresolved = 0  # measured callers not yet answered or gone
        self._events: list[tuple[int, int, str, Any]] = []
        self._seq = itertools.count()
        self._ticks_due: set[int] = set()
        self.acd_requests = 0
        self.events_handled = 0
        self.anomalies: list[str] = []

    # -- machinery ----------------------------------------------------------------------------

    def _now(self) -> float:
        return (self.t0_ms + self.now_ms) / 1000

    def _schedule(self, at_ms: int, kind: str, payload: Any = None) -> None:
        heapq.heappush(self._events, (at_ms, next(self._seq), kind, payload))

    def _request(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.acd_requests += 1
        return method(*args, now=self._now(), **kwargs)

    def _offers(self, offers: Iterable[Offer]) -> None:
        for offer in offers:
            self._schedule(self.now_ms + self.delay_ms, "answer", offer)

    def _next_arrival(self) -> None:
        call = next(self._arrivals)
        self._schedule(call.arrival, "arrival", call)

    def _tick_at(self, at_ms: int) -> None:
        if at_ms not in self._ticks_due:
            self._ticks_due.add(at_ms)
            self._schedule(at_ms, "tick", at_ms)

    def _anomaly(self, text: str, reason: str | None = None) -> None:
        if reason in _LOST_STATE:
            raise SimulationError(
                f"at {self.now_ms / 1000:.3f} s: {text}: the ACD's state is gone "
                f"(were its keys deleted or its Redis database flushed during the run?)"
            )
        if len(self.anomalies) < 100:
            self.anomalies.append(f"at {self.now_ms / 1000:.3f} s: {text}")

    # -- the ACD's events: what gets measured ---------------------------------------------------

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "agent.state":
            self._agent_state(event["agent_id"], event["state"])
        elif kind == "call.updated" and event["state"] in (CONNECTED, _ABANDONED):
            self._resolved(event["call_sid"], answered=event["state"] == CONNECTED)

    def _agent_state(self, agent_id: str, state: str) -> None:
        since = self.busy_since.get(agent_id)
        if state in _BUSY_STATES:
            if since is None:
                self.busy_since[agent_id] = self.now_ms
        elif since is not None:
            del self.busy_since[agent_id]
            self._add_busy(agent_id, since, self.now_ms)

    def _add_busy(self, agent_id: str, start: int, end: int) -> None:
        self.tally[None].add_busy(start, end)
        self.tally[self.agent_queue[agent_id]].add_busy(start, end)

    def _resolved(self, sid: str, *, answered: bool) -> None:
        call = self.live.pop(sid, None)
        if call is None:
            self._anomaly(f"the ACD reported call {sid} {'connected' if answered else 'abandoned'} again")
            return
        call.answered = answered
        call.wait = self.now_ms - call.arrival
        if self.plan.measured(call):
            self.unresolved -= 1

    # -- events -------------------------------------------------------------------------------

    def _on_arrival(self, call: Call) -> None:
        self._next_arrival()
        self.calls.append(call)
        self.by_sid[call.sid] = call
        self.live[call.sid] = call
        if self.plan.measured(call):
            self.unresolved += 1
        if call.patience is not None:
            self._schedule(call.arrival + call.patience, "abandon", call)
        outcome = self._request(self.acd.enqueue, call.sid, call.queue)
        if not outcome.ok:
            self._anomaly(f"enqueue of {call.sid} refused: {outcome.reason}", outcome.reason)
        self._offers(outcome.offers)

    def _on_answer(self, offer: Offer) -> None:
        outcome = self._request(self.acd.accept, offer.offer_id, offer.agent_id)
        self._offers(outcome.offers)
        if outcome.ok:
            call = self.by_sid[offer.call_sid]
            self._schedule(self.now_ms + call.talk, "end", (call.sid, offer.agent_id))
        elif outcome.reason == "expired":  # cannot happen while the delay is below the timeout
            self._anomaly(f"offer {offer.offer_id} rang out before {offer.agent_id} answered")
            self._offers(self._request(self.acd.set_state, offer.agent_id, AVAILABLE).offers)
        elif outcome.reason != "rescinded":  # rescinded: the caller hung up while it rang
            self._anomaly(f"accept of {offer.offer_id} refused: {outcome.reason}", outcome.reason)

    def _on_end(self, payload: tuple[str, str]) -> None:
        sid, agent_id = payload
        outcome = self._request(self.acd.complete, sid, agent_id, self.cfg.wrap_s)
        if not outcome.ok:
            self._anomaly(f"complete of {sid} refused: {outcome.reason}", outcome.reason)
        if self.wrap_ms > 0:
            self._tick_at(self.now_ms + self.wrap_ms)
        self._offers(outcome.offers)

    def _on_abandon(self, call: Call) -> None:
        if call.sid not in self.live:
            return  # answered before the caller's patience ran out
        outcome = self._request(self.acd.remove, call.sid, _ABANDONED)
        if not outcome.ok:
            self._anomaly(f"remove of {call.sid} refused: {outcome.reason}", outcome.reason)
        self._offers(outcome.offers)

    def _on_tick(self, at_ms: int | None) -> None:
        if at_ms is None:  # the periodic ticker
            self._schedule(self.now_ms + int(round(self.cfg.tick_seconds * 1000)), "tick", None)
        else:
            self._ticks_due.discard(at_ms)
        self._offers(self._request(self.acd.tick).offers)

    # -- the run ------------------------------------------------------------------------------

    def _setup(self) -> None:
        for name in self.plan.queue_names:
            config = QueueConfig(
                name=name,
                required_skills={name: 1},
                strategy=self.cfg.strategy,
                wrap_up_seconds=self.cfg.wrap_s,
                default_handle_seconds=self.cfg.aht_s,
            )
            self._request(self.acd.register_queue, config)
        width = len(str(self.cfg.agents))
        number = itertools.count(1)
        for name in self.plan.queue_names:
            for _ in range(self.plan.staffing[name]):
                agent_id = f"agent-{next(number):0{width}d}"
                self.agent_queue[agent_id] = name
                self._request(self.acd.upsert_agent, AgentProfile(agent_id, skills={name: 1}, queues=(name,)))
                self._offers(self._request(self.acd.set_state, agent_id, AVAILABLE).offers)

    def run(self) -> SimulationResult:
        started = time.perf_counter()
        manual = clock.ManualClock(START)
        try:
            with clock.using(manual):
                self._setup()
                self._next_arrival()
                if self.cfg.tick_seconds > 0:
                    self._schedule(int(round(self.cfg.tick_seconds * 1000)), "tick", None)
                drain_end = self.window_end + int(MAX_DRAIN_HOURS * 3_600_000)
                handlers: dict[str, Callable[[Any], None]] = {
                    "arrival": self._on_arrival,
                    "answer": self._on_answer,
                    "end": self._on_end,
                    "abandon": self._on_abandon,
                    "tick": self._on_tick,
                }
                events = self._events
                while events:
                    at, _, kind, payload = events[0]
                    if at >= self.window_end and self.unresolved == 0:
                        break
                    if at > drain_end:
                        raise SimulationError(
                            f"{self.unresolved} callers were still neither answered nor gone "
                            f"{MAX_DRAIN_HOURS:g} simulated hours after the measured window"
                        )
                    heapq.heappop(events)
                    if at != self.now_ms:  # events at the same millisecond share one clock step
                        self.now_ms = at
                        manual.set(datetime.fromtimestamp(self._now(), UTC))
                    self.events_handled += 1
                    handlers[kind](payload)
                self.now_ms = max(self.now_ms, self.window_end)
                for agent_id, since in sorted(self.busy_since.items()):
                    self._add_busy(agent_id, since, self.now_ms)
                problems = self.acd.audit(now=self._now())
        finally:
            if self.cleanup:
                self._delete_keys()
        return SimulationResult(self.cfg, self._figures(problems, time.perf_counter() - started))

    def _delete_keys(self) -> None:
        keys = list(self.client.scan_iter(match=self.acd.key("*"), count=1000))
        for i in range(0, len(keys), 1000):
            self.client.delete(*keys[i : i + 1000])

    # -- figures ------------------------------------------------------------------------------

    def _figures(self, problems: list[str], wall: float) -> dict[str, Any]:
        cfg, plan = self.cfg, self.plan
        for call in self.calls:
            if call.answered is not None:
                self.tally[None].add_call(call.arrival, call.answered, call.wait)
                self.tally[call.queue].add_call(call.arrival, call.answered, call.wait)
        c_models, a_models = plan.models()
        model_name = "erlang_a" if a_models is not None else "erlang_c"
        models = a_models if a_models is not None else c_models
        ref_tallies, differing, max_diff = plan.reference(self.calls)
        ref = ref_tallies[None].estimates()

        out: dict[str, Any] = {
            "model": "inbound",
            "seed": cfg.seed,
            "agents": cfg.agents,
            "calls_per_hour": cfg.calls_per_hour,
            "aht_s": cfg.aht_s,
            "hours": cfg.hours,
            "warmup_hours": cfg.warmup_hours,
            "patience_s": cfg.patience_s,
            "target_seconds": cfg.target_seconds,
            "wrap_s": cfg.wrap_s,
            "answer_delay_s": cfg.answer_delay_s,
            "strategy": cfg.strategy,
            "skills_mix": dict(cfg.skills_mix),
            "traffic_erlangs": _round(cfg.traffic_erlangs),
            "rho": _round(cfg.traffic_erlangs / cfg.agents),
        }
        out.update(plan.scope(self.tally[None], None, models[None], model_name))
        out["erlang_c"] = c_models[None]
        out["erlang_a"] = a_models[None] if a_models is not None else None
        out["reference"] = {
            "service_level": _round(ref["service_level"].value),
            "asa_seconds": _round(ref["asa_seconds"].value, 3),
            "abandon_rate": _round(ref["abandon_rate"].value),
            "occupancy": _round(ref["occupancy"].value),
            "calls_compared": sum(self.tally[None].offered),
            "differing": differing,
            "max_difference_seconds": max_diff / 1000,
        }
        out["queues"] = {}
        for name in plan.queue_names:
            if len(plan.queue_names) == 1:
                out["queues"][name] = {"agents": cfg.agents, "same_as_overall": True}
                continue
            scope = plan.scope(self.tally[name], name, models[name], model_name)
            scope["erlang_c"] = c_models[name]
            scope["erlang_a"] = a_models[name] if a_models is not None else None
            out["queues"][name] = scope
        out.update(
            {
                "batches": cfg.batches,
                "batch_seconds": _round((plan.window_end - plan.window_start) / cfg.batches / 1000, 3),
                "simulated_seconds": self.now_ms / 1000,
                "events": self.events_handled,
                "acd_requests": self.acd_requests,
                "anomalies": self.anomalies[:20],
                "audit_problems": problems[:20],
                "wall_seconds": round(wall, 3),
            }
        )
        return out


def simulate(
    config: SimulationConfig,
    client: redis.Redis | None = None,
    *,
    namespace: str | None = None,
    cleanup: bool = True,
) -> SimulationResult:
    """Run `config` on `client` (default: a private in-memory server); see the module docstring.

    On a shared client the run lives under an ACD namespace of its own ("sim-<random>" unless
    given) and, with `cleanup`, deletes its keys afterwards.
    """
    return Simulation(config, client, namespace=namespace, cleanup=cleanup).run()


def reference_figures(config: SimulationConfig) -> dict[str, Any]:
    """The reference queue alone on `config`'s calls (no ACD): its figures and Erlang comparison.

    Milliseconds of CPU per thousand calls instead of seconds, which makes it the tool for checking
    the batch-means tolerance itself over many seeds.
    """
    plan = Plan(config)
    calls = list(itertools.takewhile(lambda c: c.arrival < plan.window_end, draw_calls(config)))
    tallies, _, _ = plan.reference(calls)
    c_models, a_models = plan.models()
    if a_models is not None:
        return plan.scope(tallies[None], None, a_models[None], "erlang_a")
    return plan.scope(tallies[None], None, c_models[None], "erlang_c")


__all__ = [
    "Call",
    "DEFAULT_QUEUE",
    "Estimate",
    "Plan",
    "Simulation",
    "SimulationConfig",
    "SimulationError",
    "SimulationResult",
    "Tally",
    "compare",
    "draw_calls",
    "erlang_c_asa_standard_error",
    "parse_skills_mix",
    "ratio_estimate",
    "reference_figures",
    "reference_queue",
    "simulate",
    "tolerance",
]
