"""Inbound traffic on a simulated clock, routed by the real ACD, measured against Erlang C and A.

`simulate(SimulationConfig(...))` runs a discrete-event model of an inbound contact center in
which every routing decision is made by `contactcenter.acd.realtime.RealtimeACD`, the same Lua
scripts production runs, on a Redis client: a private in-memory `fakeredis` server by default
(nothing to install or start), or a real server passed in. Time is simulated: every ACD call gets
`now=` the simulated time and a `ManualClock` is installed for the run, so hours of traffic take
seconds (the ACD's scripts are the cost: about three per call).

Event model (times kept in whole milliseconds, as the ACD stores them; ties in arrival order)
    arrival   Poisson arrivals at `calls_per_hour`; each call's skill is drawn from the skills
              mix, so every queue sees its own Poisson stream. The call is enqueued (`enqueue`);
              with auto-matching on, the ACD offers it at once if an eligible agent is free. With
              `patience_s`, the caller's patience is drawn (exponential, that mean) and an
              abandonment is scheduled.
    answer    every offer the ACD makes (returned in `Outcome.offers` / `TickReport.offers`) is
              accepted `answer_delay_s` later (`accept`): agents never let an offer ring out, so
              there is no RONA in this model (the delay must stay below the offer timeout). The
              talk time is drawn then: exponential with mean `aht_s - wrap_s`.
    end       the conversation ends (`complete` with `wrap_s` of wrap-up). With no wrap-up the
              agent is available at once and the ACD offers it the next call in the same step.
    tick      `tick` runs exactly when a wrap-up ends (and, with `tick_seconds`, periodically
              too); nothing else needs it, because auto-matching places calls as agents free up.
    abandon   the caller's patience ran out while waiting or being offered: `remove`.
    The agents' handle time (what Erlang calls the service time) is answer delay + talk + wrap;
    with the defaults (no answer delay, no wrap-up) it is exponential with mean `aht_s`, and
    the model is exactly Erlang C's M/M/N (Erlang A's M/M/N+M with patience).

Skills mix. "billing:0.3,support:0.7" makes one queue per skill (the queue requires that skill)
and gives every agent exactly one skill, N x share agents per skill (largest remainders, at least
one each); 30% of calls need billing. Each queue is then an independent M/M/n queue, so the Erlang
figures per queue are exact and the overall ones are their offered-call-weighted combination.
Without a mix there is one queue, "inbound", served by every agent.

Measurement. The first `warmup_hours` (default 0.5) start from an empty center with every agent
available and are excluded; the measured window is the next `hours`. Every call that arrives in
the window is followed to its end (arrivals go on after the window until the last measured call
is answered or abandoned), so each one counts exactly once:
    offered           calls that arrived in the window.
    answered          offered calls connected to an agent; abandoned: the others.
    service_level     answered within `target_seconds` / offered (abandoned calls count as missed,
                      as in Erlang A; with no abandonment this is Erlang C's P(wait <= T)).
    asa_seconds       mean wait of answered calls, arrival to connection (0 when answered at once).
    abandon_rate      abandoned / offered.
    occupancy         busy agent time / agent time within the window; busy is reserved (offered,
                      not yet answered), on a call or in wrap-up.
    max_wait_seconds  the longest wait of any offered call, answered or abandoned.
Waits are measured from the ACD's own events (the call is connected when the ACD says so), and
agent busy time from its agent-state events.

Statistical tolerance: batch means. The window is cut into `batches` (K >= 20) equal periods; a
call belongs to the period it arrived in. For a ratio metric R = sum y_b / sum x_b (service
level: y = answered within target, x = offered; ASA: y = total wait, x = answered; abandon rate:
y = abandoned, x = offered; occupancy: y = busy time, x = agent time) the standard error is that of
the ratio estimator over the batches,
    SE(R) = sqrt( sum_b (y_b - R x_b)^2 / (K (K - 1)) ) / mean(x_b),
inflated for any positive lag-1 autocorrelation r of the residuals y_b - R x_b (adjacent periods
share a queue that carries over) by the AR(1) factor sqrt((1 + r) / (1 - r)), r clipped to
[0, 0.8]. Simulation and model agree on a metric when
    |simulated - predicted| <= 3 SE + floor,
floor = 0.005 for shares (service level, abandon rate, occupancy) and 0.5 s for ASA: a small
allowance for what the standard error does not see (the residual warm-up bias, time kept in
milliseconds, and the error in SE itself, estimated from only K batches). With K = 20, 3 SE is a
two-sided t test at about 0.7% (19 degrees of freedom). The batches must be long compared with the
time the queue takes to forget its state: near full load (rho 0.95) that is a good part of an
hour, so such runs want tens of hours of traffic; `lag1` in the output shows how correlated the
batches still were.

The comparison is against Erlang C (no patience) or Erlang A (with patience) and is exact only
with exponential handle times, i.e. no wrap-up and no answer delay (`comparison.exact`); with
them the Erlang figures use the mean handle time and are an approximation.

Same seed, same figures: one `random.Random(seed)` draws everything, in event order; only
`wall_seconds` (the run's real duration) differs between runs.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import secrets
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence

import redis

from contactcenter import clock
from contactcenter.acd.erlang import ErlangAResult, ErlangCResult, erlang_a, erlang_c
from contactcenter.acd.interfaces import (
    AVAILABLE,
    CONNECTED,
    DEFAULT_STRATEGY,
    RESERVED,
    ON_CALL,
    STRATEGIES,
    WRAP_UP,
    AgentProfile,
    Offer,
    QueueConfig,
    check_name,
)
from contactcenter.acd.realtime import RealtimeACD

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
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
_SHARE_METRICS = ("service_level", "abandon_rate", "occupancy")


# --- configuration ----------------------------------------------------------------------------


def parse_skills_mix(text: str) -> tuple[tuple[str, float], ...]:
    """"billing:0.3,support:0.7" -> (("billing", 0.3), ("support", 0.7)); shares add up to 1."""
    mix: list[tuple[str, float]] = []
    for item in text.split(","):
        item = item.strip()
        name, sep, share_text = item.rpartition(":")
        if not item or not sep or not name:
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
        if not (isinstance(share, (int, float)) and 0 < share <= 1):
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
        """Mean time an agent spends per call: answer delay + talk + wrap-up."""
        return self.aht_s + self.answer_delay_s

    @property
    def traffic_erlangs(self) -> float:
        return self.calls_per_hour * self.hold_s / 3600.0

    def share(self, skill: str) -> float:
        return dict(self.skills_mix)[skill]

    def agents_per_skill(self) -> dict[str, int]:
        """N x share agents per skill by largest remainders, at least one each (mix order breaks ties)."""
        exact = [(name, self.agents * share) for name, share in self.skills_mix]
        counts = {name: max(1, math.floor(x)) for name, x in exact}
        spare = self.agents - sum(counts.values())
        by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i][1] - math.floor(exact[i][1])), i))
        for i in itertools.islice(itertools.cycle(by_remainder), max(0, spare)):
            counts[exact[i][0]] += 1
        while sum(counts.values()) > self.agents:  # the at-least-one rule took agents from others
            name = max(counts, key=lambda n: (counts[n] - dict(exact)[n], counts[n]))
            counts[name] -= 1
        return counts


# --- statistics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A ratio estimate over K batches: value, standard error (AR(1)-inflated) and lag-1 correlation."""

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
    residuals = [yb - value * xb for yb, xb in zip(y, x)]
    sum_sq = sum(d * d for d in residuals)
    mean_x = total_x / k
    se = math.sqrt(sum_sq / (k * (k - 1))) / mean_x
    lag1 = sum(a * b for a, b in zip(residuals, residuals[1:])) / sum_sq if sum_sq > 0 else 0.0
    r = min(max(lag1, 0.0), MAX_LAG1)
    return Estimate(value, se * math.sqrt((1 + r) / (1 - r)), lag1)


def tolerance(metric: str, standard_error: float) -> float:
    floor = ASA_FLOOR_SECONDS if metric == "asa_seconds" else SHARE_FLOOR
    return Z_SCORE * standard_error + floor


# --- results ----------------------------------------------------------------------------------


@dataclass
class _Tally:
    """Per-batch counts for one scope (the whole center, or one queue)."""

    k: int
    agents: int
    offered: list[int] = field(init=False)
    answered: list[int] = field(init=False)
    within: list[int] = field(init=False)
    wait_ms: list[int] = field(init=False)
    abandoned: list[int] = field(init=False)
    busy_ms: list[int] = field(init=False)
    max_wait_ms: int = 0

    def __post_init__(self) -> None:
        for name in ("offered", "answered", "within", "wait_ms", "abandoned", "busy_ms"):
            setattr(self, name, [0] * self.k)


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def _model_dict(result: ErlangCResult | ErlangAResult | Mapping[str, Any]) -> dict[str, Any]:
    raw = dict(result) if isinstance(result, Mapping) else {k: getattr(result, k) for k in result.__dataclass_fields__}
    return {k: (_round(v) if isinstance(v, float) else v) for k, v in raw.items()}


@dataclass(frozen=True)
class SimulationResult:
    config: SimulationConfig
    figures: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.figures)

    def __getitem__(self, key: str) -> Any:
        return self.figures[key]


# --- the simulation ---------------------------------------------------------------------------


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
            import fakeredis

            client = fakeredis.FakeRedis()
            cleanup = False  # private server: it goes away with the run
        self.client = client
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
        self.rng = random.Random(config.seed)
        self.t0_ms = int(START.timestamp() * 1000)
        self.now_ms = 0  # simulated time since the start, ms
        self.window_start = int(round(config.warmup_hours * 3_600_000))
        self.window_end = self.window_start + int(round(config.hours * 3_600_000))
        k = config.batches
        span = self.window_end - self.window_start
        self.bounds = [self.window_start + (span * b) // k for b in range(k)] + [self.window_end]
        self.queue_names = [name for name, _ in config.skills_mix]
        self.cum_shares = list(itertools.accumulate(share for _, share in config.skills_mix))
        self.staffing = config.agents_per_skill()
        self.agent_queue: dict[str, str] = {}
        self.busy_since: dict[str, int] = {}
        self.tally = {None: _Tally(k, config.agents)}
        for name in self.queue_names:
            self.tally[name] = _Tally(k, self.staffing[name])
        # live calls: sid -> (arrival ms, queue, batch or -1 when outside the window)
        self.calls: dict[str, tuple[int, str, int]] = {}
        self.connected: set[str] = set()
        self.unresolved = 0  # measured calls not yet answered or abandoned
        self._events: list[tuple[int, int, str, Any]] = []
        self._seq = itertools.count()
        self._ticks_due: set[int] = set()
        self._call_ids = itertools.count(1)
        self.acd_calls = 0
        self.events_handled = 0
        self.anomalies: list[str] = []

    # -- machinery ----------------------------------------------------------------------------

    def _now(self) -> float:
        return (self.t0_ms + self.now_ms) / 1000

    def _schedule(self, at_ms: int, kind: str, payload: Any = None) -> None:
        heapq.heappush(self._events, (at_ms, next(self._seq), kind, payload))

    def _draw_ms(self, mean_s: float) -> int:
        return int(round(self.rng.expovariate(1.0 / mean_s) * 1000))

    def _batch(self, t_ms: int) -> int:
        if not self.window_start <= t_ms < self.window_end:
            return -1
        return bisect_right(self.bounds, t_ms) - 1

    def _acd(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.acd_calls += 1
        return method(*args, now=self._now(), **kwargs)

    def _offers(self, offers: Iterable[Offer]) -> None:
        delay = int(round(self.cfg.answer_delay_s * 1000))
        for offer in offers:
            self._schedule(self.now_ms + delay, "answer", offer)

    def _tick_at(self, at_ms: int) -> None:
        if at_ms not in self._ticks_due:
            self._ticks_due.add(at_ms)
            self._schedule(at_ms, "tick", at_ms)

    # -- the ACD's events: what gets measured ---------------------------------------------------

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "agent.state":
            self._agent_state(event["agent_id"], event["state"])
        elif kind == "call.updated":
            state = event["state"]
            if state == CONNECTED:
                self._resolved(event["call_sid"], answered=True)
            elif state == "abandoned":
                self._resolved(event["call_sid"], answered=False)

    def _agent_state(self, agent_id: str, state: str) -> None:
        busy = state in _BUSY_STATES
        since = self.busy_since.get(agent_id)
        if busy and since is None:
            self.busy_since[agent_id] = self.now_ms
        elif not busy and since is not None:
            del self.busy_since[agent_id]
            self._add_busy(agent_id, since, self.now_ms)

    def _add_busy(self, agent_id: str, start: int, end: int) -> None:
        lo, hi = max(start, self.window_start), min(end, self.window_end)
        if hi <= lo:
            return
        scopes = (self.tally[None], self.tally[self.agent_queue[agent_id]])
        b = bisect_right(self.bounds, lo) - 1
        while lo < hi:
            edge = min(hi, self.bounds[b + 1])
            for tally in scopes:
                tally.busy_ms[b] += edge - lo
            lo, b = edge, b + 1

    def _resolved(self, sid: str, *, answered: bool) -> None:
        entry = self.calls.get(sid)
        if entry is None:
            self.anomalies.append(f"the ACD reported call {sid} twice or never had it")
            return
        arrival, queue, batch = entry
        if answered:
            self.connected.add(sid)
        else:
            del self.calls[sid]
        if batch < 0:
            return
        self.unresolved -= 1
        wait = self.now_ms - arrival
        for tally in (self.tally[None], self.tally[queue]):
            tally.max_wait_ms = max(tally.max_wait_ms, wait)
            if answered:
                tally.answered[batch] += 1
                tally.wait_ms[batch] += wait
                if wait <= self.cfg.target_seconds * 1000:
                    tally.within[batch] += 1
            else:
                tally.abandoned[batch] += 1

    # -- events -------------------------------------------------------------------------------

    def _on_arrival(self, _: Any) -> None:
        cfg = self.cfg
        self._schedule(self.now_ms + self._draw_ms(3600.0 / cfg.calls_per_hour), "arrival")
        u = self.rng.random()
        queue = self.queue_names[min(bisect_right(self.cum_shares, u), len(self.queue_names) - 1)]
        sid = f"c{next(self._call_ids)}"
        batch = self._batch(self.now_ms)
        self.calls[sid] = (self.now_ms, queue, batch)
        if batch >= 0:
            self.unresolved += 1
            for tally in (self.tally[None], self.tally[queue]):
                tally.offered[batch] += 1
        if cfg.patience_s is not None:
            self._schedule(self.now_ms + self._draw_ms(cfg.patience_s), "abandon", sid)
        outcome = self._acd(self.acd.enqueue, sid, queue)
        if not outcome.ok:
            self.anomalies.append(f"enqueue of {sid} refused: {outcome.reason}")
        self._offers(outcome.offers)

    def _on_answer(self, offer: Offer) -> None:
        outcome = self._acd(self.acd.accept, offer.offer_id, offer.agent_id)
        self._offers(outcome.offers)
        if outcome.ok:
            talk = self._draw_ms(self.cfg.aht_s - self.cfg.wrap_s)
            self._schedule(self.now_ms + talk, "end", (offer.call_sid, offer.agent_id))
        elif outcome.reason == "expired":  # cannot happen with answer_delay_s below the timeout
            self.anomalies.append(f"offer {offer.offer_id} expired before the agent answered")
            self._offers(self._acd(self.acd.set_state, offer.agent_id, AVAILABLE).offers)
        elif outcome.reason != "rescinded":  # rescinded: the caller hung up while it rang
            self.anomalies.append(f"accept of {offer.offer_id} refused: {outcome.reason}")

    def _on_end(self, payload: tuple[str, str]) -> None:
        sid, agent_id = payload
        outcome = self._acd(self.acd.complete, sid, agent_id, self.cfg.wrap_s)
        if not outcome.ok:
            self.anomalies.append(f"complete of {sid} refused: {outcome.reason}")
        self.calls.pop(sid, None)
        self.connected.discard(sid)
        if self.cfg.wrap_s > 0:
            self._tick_at(self.now_ms + int(round(self.cfg.wrap_s * 1000)))
        self._offers(outcome.offers)

    def _on_abandon(self, sid: str) -> None:
        if sid not in self.calls or sid in self.connected:
            return  # answered before the caller's patience ran out
        outcome = self._acd(self.acd.remove, sid, "abandoned")
        if not outcome.ok:
            self.anomalies.append(f"remove of {sid} refused: {outcome.reason}")
        self._offers(outcome.offers)

    def _on_tick(self, at_ms: int | None) -> None:
        if at_ms is None:  # the periodic ticker
            self._schedule(self.now_ms + int(round(self.cfg.tick_seconds * 1000)), "tick", None)
        else:
            self._ticks_due.discard(at_ms)
        report = self._acd(self.acd.tick)
        self._offers(report.offers)

    # -- the run ------------------------------------------------------------------------------

    def _setup(self) -> None:
        for name in self.queue_names:
            self._acd(
                self.acd.register_queue,
                QueueConfig(
                    name=name,
                    required_skills={name: 1},
                    strategy=self.cfg.strategy,
                    wrap_up_seconds=self.cfg.wrap_s,
                    default_handle_seconds=self.cfg.aht_s,
                ),
            )
        width = len(str(self.cfg.agents))
        number = itertools.count(1)
        for name in self.queue_names:
            for _ in range(self.staffing[name]):
                agent_id = f"agent-{next(number):0{width}d}"
                self.agent_queue[agent_id] = name
                self._acd(self.acd.upsert_agent, AgentProfile(agent_id, skills={name: 1}, queues=(name,)))
                self._offers(self._acd(self.acd.set_state, agent_id, AVAILABLE).offers)

    def run(self) -> SimulationResult:
        started = time.perf_counter()
        manual = clock.ManualClock(START)
        try:
            with clock.using(manual):
                self._setup()
                self._schedule(self._draw_ms(3600.0 / self.cfg.calls_per_hour), "arrival")
                if self.cfg.tick_seconds > 0:
                    self._schedule(int(round(self.cfg.tick_seconds * 1000)), "tick", None)
                while self._events:
                    at, _, kind, payload = heapq.heappop(self._events)
                    if at >= self.window_end and self.unresolved == 0:
                        break
                    self.now_ms = at
                    manual.set(datetime.fromtimestamp(self._now(), timezone.utc))
                    self.events_handled += 1
                    getattr(self, f"_on_{kind}")(payload)
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

    def _scope_figures(self, tally: _Tally, model: dict[str, Any], model_name: str) -> dict[str, Any]:
        agent_ms = [tally.agents * (self.bounds[b + 1] - self.bounds[b]) for b in range(tally.k)]
        estimates = {
            "service_level": ratio_estimate(tally.within, tally.offered),
            "asa_seconds": ratio_estimate([w / 1000 for w in tally.wait_ms], tally.answered),
            "abandon_rate": ratio_estimate(tally.abandoned, tally.offered),
            "occupancy": ratio_estimate(tally.busy_ms, agent_ms),
        }
        offered = sum(tally.offered)
        figures: dict[str, Any] = {
            "agents": tally.agents,
            "offered": offered,
            "answered": sum(tally.answered),
            "abandoned": sum(tally.abandoned),
            "service_level": _round(estimates["service_level"].value),
            "asa_seconds": _round(estimates["asa_seconds"].value, 3),
            "abandon_rate": _round(estimates["abandon_rate"].value),
            "occupancy": _round(estimates["occupancy"].value),
            "max_wait_seconds": tally.max_wait_ms / 1000,
            "standard_errors": {m: _round(e.standard_error) for m, e in estimates.items()},
            "lag1": {m: _round(e.lag1, 3) for m, e in estimates.items()},
        }
        metrics = ["service_level", "asa_seconds", "occupancy"]
        if model_name == "erlang_a":
            metrics.insert(2, "abandon_rate")
        compared: dict[str, Any] = {}
        for metric in metrics:
            est = estimates[metric]
            predicted = model.get("p_abandon" if metric == "abandon_rate" else metric)
            if est.value is None or est.standard_error is None or predicted is None:
                compared[metric] = {"simulated": _round(est.value), "predicted": predicted, "within": None}
                continue
            tol = tolerance(metric, est.standard_error)
            diff = est.value - predicted
            compared[metric] = {
                "simulated": _round(est.value),
                "predicted": _round(predicted),
                "difference": _round(diff),
                "standard_error": _round(est.standard_error),
                "tolerance": _round(tol),
                "within": abs(diff) <= tol,
            }
        figures["comparison"] = {
            "model": model_name,
            "exact": self.cfg.wrap_s == 0 and self.cfg.answer_delay_s == 0,
            "rule": f"|simulated - predicted| <= {Z_SCORE:g} SE + floor ({SHARE_FLOOR:g} for shares, "
            f"{ASA_FLOOR_SECONDS:g} s for ASA)",
            "metrics": compared,
            "agrees": all(c["within"] for c in compared.values()),
        }
        return figures

    def _models(self) -> tuple[dict[str | None, dict[str, Any]], dict[str | None, dict[str, Any]] | None]:
        """Erlang C (and A with patience) per queue, and their combination for the whole center."""
        cfg = self.cfg
        c_models: dict[str | None, dict[str, Any]] = {}
        a_models: dict[str | None, dict[str, Any]] | None = {} if cfg.patience_s is not None else None
        for name in self.queue_names:
            cph = cfg.calls_per_hour * cfg.share(name)
            c_models[name] = _model_dict(erlang_c(self.staffing[name], cph, cfg.hold_s, cfg.target_seconds))
            if a_models is not None:
                assert cfg.patience_s is not None
                a_models[name] = _model_dict(
                    erlang_a(self.staffing[name], cph, cfg.hold_s, cfg.patience_s, cfg.target_seconds)
                )
        if len(self.queue_names) == 1:
            only = self.queue_names[0]
            c_models[None] = c_models[only]
            if a_models is not None:
                a_models[None] = a_models[only]
        else:
            c_models[None] = self._combined(c_models)
            if a_models is not None:
                a_models[None] = self._combined(a_models)
        return c_models, a_models

    def _combined(self, models: Mapping[str | None, Mapping[str, Any]]) -> dict[str, Any]:
        cfg = self.cfg
        shares = {name: cfg.share(name) for name in self.queue_names}
        abandon = {name: models[name].get("p_abandon", 0.0) for name in self.queue_names}
        stable = all(models[name].get("stable", True) for name in self.queue_names)
        answered = sum(shares[n] * (1 - abandon[n]) for n in self.queue_names)
        combined: dict[str, Any] = {
            "agents": cfg.agents,
            "traffic_erlangs": _round(cfg.traffic_erlangs),
            "target_seconds": cfg.target_seconds,
            "p_wait": _round(sum(shares[n] * models[n]["p_wait"] for n in self.queue_names)),
            "service_level": _round(sum(shares[n] * models[n]["service_level"] for n in self.queue_names)),
            "asa_seconds": _round(
                sum(shares[n] * (1 - abandon[n]) * models[n]["asa_seconds"] for n in self.queue_names) / answered
            )
            if stable
            else None,
            "occupancy": _round(
                sum(cfg.calls_per_hour * shares[n] * cfg.hold_s / 3600 * (1 - abandon[n]) for n in self.queue_names)
                / cfg.agents
            ),
            "combined_from_queues": True,
        }
        if "p_abandon" in models[self.queue_names[0]]:
            combined["patience_seconds"] = cfg.patience_s
            combined["p_abandon"] = _round(sum(shares[n] * abandon[n] for n in self.queue_names))
        else:
            combined["stable"] = stable
        return combined

    def _figures(self, problems: list[str], wall: float) -> dict[str, Any]:
        cfg = self.cfg
        c_models, a_models = self._models()
        model_name = "erlang_a" if a_models is not None else "erlang_c"
        models = a_models if a_models is not None else c_models

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
        out.update(self._scope_figures(self.tally[None], models[None], model_name))
        out["erlang_c"] = c_models[None]
        out["erlang_a"] = a_models[None] if a_models is not None else None
        out["queues"] = {}
        if len(self.queue_names) > 1:
            for name in self.queue_names:
                scope = self._scope_figures(self.tally[name], models[name], model_name)
                scope["erlang_c"] = c_models[name]
                scope["erlang_a"] = a_models[name] if a_models is not None else None
                out["queues"][name] = scope
        else:
            out["queues"][self.queue_names[0]] = {"agents": cfg.agents, "same_as_overall": True}
        out.update(
            {
                "batches": cfg.batches,
                "batch_seconds": _round((self.window_end - self.window_start) / cfg.batches / 1000, 3),
                "simulated_seconds": self.now_ms / 1000,
                "events": self.events_handled,
                "acd_requests": self.acd_calls,
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

    On a shared client the run lives under its own ACD namespace ("sim-<random>" unless given)
    and, with `cleanup`, deletes its keys afterwards.
    """
    return Simulation(config, client, namespace=namespace, cleanup=cleanup).run()


__all__ = [
    "DEFAULT_QUEUE",
    "Estimate",
    "Simulation",
    "SimulationConfig",
    "SimulationResult",
    "parse_skills_mix",
    "ratio_estimate",
    "simulate",
    "tolerance",
]
