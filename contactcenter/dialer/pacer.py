"""The pacer: how many calls to launch, now, for one campaign; and the worker loop that runs it.

Inputs of a decision (`Pacer.decide`)
    * the campaign's agents, from the `AgentPool` port: available, talking (since when), in
      wrap-up (since when), reserved, away;
    * the calls in flight: ringing (since when) or answered by a live person and waiting for an
      agent (at most `connect_within_s`, 2 s);
    * the measured live-answer rate (exponential forgetting, with a change detector that adopts
      a fast estimate at once when the rate jumps or drops), the distribution of the time from
      dial to live answer and of the time non-live calls take to end;
    * the measured talk and wrap-up time distributions (recent samples, a prior until enough);
    * the abandonment ledger of the current regulatory period (live answers, abandonments).

Modes
    preview      the pacer never dials: the agent sees the lead and clicks dial (`dial_for_agent`).
    progressive  calls in flight never exceed available agents: one call per free agent.
    predictive   more calls than free agents, bounded by three limits (the smallest wins), never
                 fewer than progressive would place:

    1. Marginal abandonment (the operating point). For the k-th new call, estimate the chance
       that, if a live person answers it, no agent is free within the connect window: with the
       answer instant T drawn from the measured answer-delay distribution (3 quantiles), supply
       is available agents + agents whose talk/wrap ends before T + 2 s (each agent's release
       probability conditional on how long it has already been talking or wrapping up), demand
       is the live answers expected before then from calls in flight (each call's probability
       conditional on how long it has rung) and from the other new calls. A normal
       approximation of demand - supply gives P(no agent). Calls are added while that marginal
       probability stays under `target_share x cap`. Because adding a call raises expected
       abandonments by exactly p x P(no agent for it), expected abandoned / expected answered
       stays under the target.
    2. Exposure (the guarantee). Worst case, every call in flight beyond the available agents
       is answered live and abandoned. Those calls are only placed while the period's ledger
       can absorb them: abandoned + E <= cap x (live + E), i.e. E <= (cap x live - abandoned)
       / (1 - cap), with E the exposure after the decision (`exposure_confidence` < 1 replaces
       "every call" by an upper binomial quantile at a pessimistic answer rate). Since the
       ledger only grows and abandonments can only come from exposed calls, the period's
       abandonment rate cannot pass the cap, whatever the answer rate or the dice do. A young
       period (few live answers) therefore dials progressively until it has earned slack; the
       last `ring_timeout + 30 s` of a period dial progressively, so no exposure crosses into a
       new period. If agents leave while calls are exposed, calls that have already rung the
       legal minimum (15 s) are hung up to restore the bound (`Decision.cancel`).
    3. A hard ceiling: calls in flight <= `max_dial_ratio` x active agents.

AMD false positives (UK rules, `count_amd_false_positives`)
    Every machine verdict is charged `amd_false_positive_share` (f) of an abandoned live call,
    the reasoned estimate of the live people AMD hangs up on. That charge is forecast like the
    exposure: each call in flight that goes out with answering-machine detection ("screened")
    may end in a machine verdict, so it holds f of the ledger's room until it resolves, and a
    call is screened only while the ledger has that room (`Decision.screened`); the others go
    out without AMD (every answer, person or machine, is then offered to an agent). Worst case,
    every screened call gets a machine verdict and every exposed call is abandoned, which the
    bound "abandoned + E + f x S <= cap x (live + E + f x S)" keeps under the cap at every
    moment, AMD errors included, whatever the campaign's real false-positive rate does to the
    dice, as long as f is the estimate the campaign reports. A young period therefore dials
    without AMD until live answers have earned room, and dialing never stops for AMD's sake.
    When the screened calls charge more than their live answers earn, `amd_when_draining`
    decides: stop over-dialing ("progressive") or stop AMD for the period ("off").

The worker (`PacerWorker`) holds a Redis lock so one process leads; it wakes on every event
published with `publish_event` (agent-state change, call outcome) and at least once a second,
and runs a `CampaignDialer` step for every running campaign.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
import time as _time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence

from contactcenter import clock
from contactcenter.dialer.compliance import AbandonLedger, LedgerCounts
from contactcenter.leases import LeaderLease

log = logging.getLogger("contactcenter.dialer.pacer")

# ------------------------------------------------------------------------------- vocabulary

PREVIEW, PROGRESSIVE, PREDICTIVE = "preview", "progressive", "predictive"
DIAL_MODES = (PREVIEW, PROGRESSIVE, PREDICTIVE)

AVAILABLE, TALK, WRAP, RESERVED, AWAY = "available", "talk", "wrap", "reserved", "away"
# The ACD's vocabulary (contactcenter.acd.interfaces) maps onto the pacer's.
_STATE_ALIASES = {
    "available": AVAILABLE,
    "idle": AVAILABLE,
    "talk": TALK,
    "on_call": TALK,
    "connected": TALK,
    "wrap": WRAP,
    "wrap_up": WRAP,
    "reserved": RESERVED,
    "offered": RESERVED,
}

# What the pacer gives up when AMD's false positives alone would reach the cap (`PacingConfig`).
AMD_WHEN_DRAINING = ("progressive", "off")

# Outcomes of a call that never reached a live person.
MACHINE, BUSY, NO_ANSWER, FAILED, CANCELED = "machine", "busy", "no-answer", "failed", "canceled"
NOT_LIVE_OUTCOMES = (MACHINE, BUSY, NO_ANSWER, FAILED, CANCELED)


def agent_state(raw: str) -> str:
    """The pacer's name for an agent state (anything unknown counts as away)."""
    return _STATE_ALIASES.get(raw, AWAY)


@dataclass(frozen=True)
class AgentView:
    """One agent of the campaign as the pool sees it now.

    `since` is when the agent entered `state` (Unix seconds): for TALK the start of the call,
    for WRAP the start of wrap-up. States may use the ACD's names (on_call, wrap_up, ...).
    """

    agent_id: str
    state: str
    since: float


class AgentPool(Protocol):
    """Where the pacer learns who can take its calls (the ACD implements it)."""

    def agents(self, campaign_id: int) -> Sequence[AgentView]: ...


@dataclass(frozen=True)
class AnsweredCall:
    """A live person answered: connect an agent before `connect_by`, else play the safe harbor."""

    campaign_id: int
    call_id: str
    answered_at: float
    connect_by: float
    lead_id: int | None = None
    phone: str | None = None
    agent_id: str | None = None  # progressive and preview: the agent the call was placed for


OnAnswered = Callable[[AnsweredCall], None]


# ------------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class PacingConfig:
    mode: str = PREDICTIVE
    abandon_cap: float = 0.03
    period_s: float = 30 * 86_400.0
    connect_within_s: float = 2.0
    ring_timeout_s: float = 25.0
    min_ring_s: float = 15.0
    max_dial_ratio: float = 3.0
    # Marginal abandonment target of each new call, as a share of the cap (the operating point).
    target_share: float = 0.75
    # 1.0: the exposure bound assumes every call in flight may be answered live (worst case).
    exposure_confidence: float = 1.0
    # Priors, until calls have been measured.
    expected_answer_rate: float = 0.25
    expected_talk_s: float = 150.0
    expected_wrap_s: float = 30.0
    count_amd_false_positives: bool = False
    amd_false_positive_share: float = 0.0
    # When the calls placed with AMD charge more false positives than their live answers earn
    # (AMD alone would reach the cap): "progressive" stops over-dialing and keeps AMD as far as
    # the room allows; "off" turns AMD off for the period's calls and keeps over-dialing.
    amd_when_draining: str = "progressive"
    # How often the measured distributions are re-read into the lookup tables.
    refresh_s: float = 10.0

    def __post_init__(self) -> None:
        if self.mode not in DIAL_MODES:
            raise ValueError(f"dial mode must be one of {', '.join(DIAL_MODES)}")
        if not 0 <= self.abandon_cap < 1:
            raise ValueError("abandon_cap must be in [0, 1)")
        if not 0 < self.target_share <= 1:
            raise ValueError("target_share must be in (0, 1]")
        if not 0.5 <= self.exposure_confidence <= 1:
            raise ValueError("exposure_confidence must be in [0.5, 1]")
        if self.max_dial_ratio < 1:
            raise ValueError("max_dial_ratio must be at least 1")
        if self.ring_timeout_s < self.min_ring_s:
            raise ValueError(f"ring timeout must be at least {self.min_ring_s:g} s")
        if self.amd_when_draining not in AMD_WHEN_DRAINING:
            raise ValueError(f"amd_when_draining must be one of {', '.join(AMD_WHEN_DRAINING)}")

    @property
    def boundary_guard_s(self) -> float:
        """Before a period ends, stop over-dialing this long ahead (a call resolves within it)."""
        return self.ring_timeout_s + 30.0


# ------------------------------------------------------------------------------- estimators


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


class DecayedRate:
    """A success share with exponential forgetting (half-life in observations) and a prior."""

    def __init__(self, prior_rate: float, prior_weight: float, half_life: float) -> None:
        self.decay = 0.5 ** (1.0 / half_life)
        self.hits = prior_rate * prior_weight
        self.n = prior_weight

    def add(self, hit: bool) -> None:
        self.hits = self.hits * self.decay + (1.0 if hit else 0.0)
        self.n = self.n * self.decay + 1.0

    def adopt(self, other: "DecayedRate") -> None:
        self.hits, self.n = other.hits, other.n

    @property
    def rate(self) -> float:
        return self.hits / self.n if self.n > 0 else 0.0


class SampleWindow:
    """The last `size` samples, kept sorted; starts with prior samples that age out first."""

    def __init__(self, size: int, prior: Iterable[float] = ()) -> None:
        self.size = size
        self._fifo: deque[float] = deque()
        self._sorted: list[float] = []
        self.real = 0
        for x in prior:
            self._push(x)

    def _push(self, x: float) -> None:
        self._fifo.append(x)
        bisect.insort(self._sorted, x)
        if len(self._fifo) > self.size:
            old = self._fifo.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, old)]

    def add(self, x: float) -> None:
        self.real += 1
        self._push(max(0.0, float(x)))

    def __len__(self) -> int:
        return len(self._sorted)

    def cdf(self, x: float) -> float:
        n = len(self._sorted)
        return bisect.bisect_right(self._sorted, x) / n if n else 0.0

    def above(self, x: float) -> int:
        return len(self._sorted) - bisect.bisect_right(self._sorted, x)

    def quantile(self, q: float) -> float:
        if not self._sorted:
            return 0.0
        i = min(len(self._sorted) - 1, max(0, int(q * len(self._sorted))))
        return self._sorted[i]

    @property
    def mean(self) -> float:
        return sum(self._sorted) / len(self._sorted) if self._sorted else 0.0

    def release_probability(self, elapsed: float, horizon: float) -> float:
        """P(X <= elapsed + horizon | X > elapsed): it ends within `horizon` given it has lasted."""
        if horizon <= 0:
            return 0.0
        alive = self.above(elapsed)
        if alive < 3:
            # Beyond what we have seen: memoryless tail with the sample mean.
            mean = max(self.mean, 1.0)
            return 1.0 - math.exp(-horizon / mean)
        return (alive - self.above(elapsed + horizon)) / alive


def _exponential_prior(mean: float, k: int = 25) -> list[float]:
    return [-mean * math.log(1.0 - (i + 0.5) / k) for i in range(k)]


def _uniform_prior(lo: float, hi: float, k: int = 25) -> list[float]:
    return [lo + (hi - lo) * (i + 0.5) / k for i in range(k)]


class AnswerModel:
    """Live-answer rate and timing, measured from the campaign's own calls."""

    def __init__(self, config: PacingConfig) -> None:
        p0 = min(max(config.expected_answer_rate, 0.01), 0.99)
        self.slow = DecayedRate(p0, 20.0, half_life=300.0)
        self.fast = DecayedRate(p0, 5.0, half_life=30.0)
        ring = config.ring_timeout_s
        self.live_delay = SampleWindow(600, _uniform_prior(3.0, max(4.0, min(15.0, ring - 1.0))))
        other = [ring] * 15 + _uniform_prior(1.0, 4.0, 5) + _uniform_prior(10.0, ring, 5)
        self.other_end = SampleWindow(600, other)
        self.changes = 0
        self._tracking = 0

    def observe(self, live: bool, delay: float) -> None:
        self.slow.add(live)
        self.fast.add(live)
        (self.live_delay if live else self.other_end).add(delay)
        # A step change (answer rate halves or doubles) is adopted at once, not over hundreds of
        # calls: when the recent share is far outside what the long memory expects.
        # After a detected change the long memory follows the short one for a few half-lives,
        # so it settles on the new level rather than on a point midway through the step.
        if self._tracking > 0:
            self._tracking -= 1
            self.slow.adopt(self.fast)
            return
        p = min(max(self.slow.rate, 0.01), 0.99)
        if self.fast.n >= 25:
            z = (self.fast.rate - p) / math.sqrt(p * (1 - p) / self.fast.n)
            if abs(z) > 4.0:
                self.slow.adopt(self.fast)
                self.changes += 1
                self._tracking = 90

    @property
    def rate(self) -> float:
        return min(max(self.slow.rate, 0.001), 0.999)

    @property
    def rate_high(self) -> float:
        """A pessimistic (high) answer rate, for the exposure bound."""
        p = self.rate
        return min(0.999, p + 2.33 * math.sqrt(p * (1 - p) / max(self.slow.n, 1.0)))


class HandleModel:
    """Talk and wrap-up durations: when will a busy agent be free?"""

    def __init__(self, config: PacingConfig) -> None:
        talk, wrap = max(config.expected_talk_s, 1.0), max(config.expected_wrap_s, 0.0)
        self.talk = SampleWindow(500, _exponential_prior(talk))
        self.wrap = SampleWindow(500, _uniform_prior(0.5 * wrap, 1.5 * wrap) if wrap else [0.0] * 25)

    def observe(self, talk_s: float, wrap_s: float) -> None:
        self.talk.add(talk_s)
        self.wrap.add(wrap_s)


# ------------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Decision:
    """What the pacer wants now: `launch` new calls, and `cancel` these ringing calls."""

    launch: int
    reason: str
    mode: str
    available: int = 0
    busy: int = 0
    active: int = 0
    in_flight: int = 0
    waiting: int = 0
    answer_rate: float = 0.0
    marginal_abandon: float = 0.0
    exposure: float = 0.0
    allowed_exposure: float = 0.0
    period_rate: float = 0.0
    cancel: tuple[str, ...] = ()
    # How many of the `launch` calls may use answering-machine detection (None: all of them);
    # the rest go out without it (see "AMD false positives" above).
    screened: int | None = None

    @property
    def screened_launch(self) -> int:
        return self.launch if self.screened is None else max(0, min(self.launch, self.screened))


@dataclass
class _Call:
    dialed_at: float
    answered_at: float | None = None
    agent_id: str | None = None
    # Placed with answering-machine detection: a machine verdict may still come (and is charged).
    screened: bool = True
    # Whether the ledger already counts this call's answer as a live call.
    counted_live: bool = False


def binomial_upper_quantile(n: int, q: float, alpha: float) -> int:
    """Smallest k with P(Bin(n, q) > k) <= alpha."""
    if n <= 0 or q <= 0:
        return 0
    if q >= 1 or alpha <= 0:
        return n
    mode = min(n, int((n + 1) * q))
    log_mode = math.lgamma(n + 1) - math.lgamma(mode + 1) - math.lgamma(n - mode + 1)
    log_mode += mode * math.log(q) + (n - mode) * math.log1p(-q)
    odds = q / (1 - q)
    pmf = [0.0] * (n + 1)
    pmf[mode] = math.exp(log_mode)
    for k in range(mode, n):
        pmf[k + 1] = pmf[k] * (n - k) / (k + 1) * odds
    for k in range(mode, 0, -1):
        pmf[k - 1] = pmf[k] * k / (n - k + 1) / odds
    tail = 0.0
    for k in range(n, -1, -1):
        # tail = P(X > k - 1) after adding pmf[k]; k is the answer when P(X > k) <= alpha.
        if tail + pmf[k] > alpha:
            return k
        tail += pmf[k]
    return 0


class Pacer:
    """Pacing state and decisions for one campaign (one leader process holds it in memory).

    Everything here can be rebuilt from the SQL store: `restore` takes the period's ledger counts
    and the calls still in flight; the distributions relearn from the next calls (priors first).
    """

    QUANTILES = (0.25, 0.5, 0.75)

    def __init__(self, config: PacingConfig, *, campaign_id: int = 0, period_origin: float = 0.0) -> None:
        self.config = config
        self.campaign_id = campaign_id
        self.ledger = AbandonLedger(
            config.abandon_cap,
            config.period_s,
            period_origin,
            count_amd_false_positives=config.count_amd_false_positives,
            amd_false_positive_share=config.amd_false_positive_share,
        )
        self.answers = AnswerModel(config)
        self.handles = HandleModel(config)
        self.calls: dict[str, _Call] = {}
        # Calls we asked the carrier to hang up: out of the exposure, still owed an outcome.
        self._cancelling: dict[str, _Call] = {}
        self._refreshed_at = -math.inf
        self._horizons: tuple[float, ...] = ()
        self._release_cache: dict[tuple[int, int, int], float] = {}
        self._answer_cache: dict[tuple[int, int], tuple[float, float, float]] = {}
        self._wrap_low = 0.0
        self.decisions = 0
        self.cancelled = 0
        # (period, live answers of screened calls in it): what AMD's verdicts are weighed against.
        self._screened_live = (0, 0)

    # -- rebuilding ----------------------------------------------------------------------------

    def restore(self, counts: LedgerCounts, in_flight: Iterable[tuple[str, float, float | None]] = ()) -> None:
        """Resume after a leader change: period counts and (call id, dialed at, answered at)."""
        self.ledger.restore(counts)
        self._screened_live = (counts.period, counts.live_answered)
        for call_id, dialed_at, answered_at in in_flight:
            # The records' counts already hold these answers; an unknown screening is charged.
            self.calls[call_id] = _Call(dialed_at, answered_at, counted_live=answered_at is not None)

    # -- events ----------------------------------------------------------------------------------

    def on_dialed(self, call_id: str, now: float, agent_id: str | None = None, *, screened: bool = True) -> None:
        """A call went out; `screened`: with answering-machine detection."""
        self.calls[call_id] = _Call(now, agent_id=agent_id, screened=screened)

    @property
    def amd_charge(self) -> float:
        """The share of an abandoned live call each machine verdict is charged (0 unless counted)."""
        return self.ledger.fp_share if self.ledger.count_fp else 0.0

    def on_live_answer(self, call_id: str, now: float) -> bool:
        """A live person answered (AMD said human, or no AMD). False for an unknown/repeat event.

        Without AMD the answer may be a machine: it is offered to an agent like a person, and
        counted as a live call when an agent takes it (`on_connected`) or, if nobody does, as
        an abandoned live call (nobody can tell the regulator it was not a person).
        """
        call = self.calls.get(call_id)
        if call is None:
            # A call we asked to hang up was answered first: it counts, and is exposed again.
            call = self._cancelling.pop(call_id, None)
            if call is None:
                return False
            self.calls[call_id] = call
        if call.answered_at is not None:
            return False
        call.answered_at = now
        self.answers.observe(True, now - call.dialed_at)
        if call.screened or not self.ledger.count_fp:
            self.ledger.live_answer(now)
            call.counted_live = True
        if call.screened:
            period, live = self._screened_live
            current = self.ledger.counts.period
            self._screened_live = (current, (live if period == current else 0) + 1)
        return True

    @property
    def screened_live(self) -> int:
        """Live answers of calls placed with AMD in the current period."""
        period, live = self._screened_live
        return live if period == self.ledger.counts.period else 0

    def on_connected(self, call_id: str, now: float, *, person: bool = True) -> None:
        """An agent took the call; `person` False when the agent found a machine (no AMD)."""
        call = self.calls.pop(call_id, None) or self._cancelling.pop(call_id, None)
        self._cancelling.pop(call_id, None)
        if call is not None and call.answered_at is not None and not call.counted_live and person:
            self.ledger.live_answer(now)

    def on_abandoned(self, call_id: str, now: float) -> None:
        call = self.calls.pop(call_id, None) or self._cancelling.pop(call_id, None)
        self._cancelling.pop(call_id, None)
        if call is not None:
            if not call.counted_live:  # the live-answer event never reached us, or no AMD: count it now
                self.ledger.live_answer(now)
            self.ledger.abandoned(now)

    def on_not_live(self, call_id: str, now: float, outcome: str) -> None:
        """The call ended without a live person: machine, busy, no-answer, failed or canceled."""
        cancelled = self._cancelling.pop(call_id, None)
        call = self.calls.pop(call_id, None)
        if call is None:
            if cancelled is not None and outcome == MACHINE:
                self.ledger.machine(now)
            return
        if call.answered_at is not None:
            # Answered live, then the person hung up before an agent came: a late abandon event
            # will follow from the connect path; nothing to learn here.
            self.calls[call_id] = call
            return
        if outcome == MACHINE:
            self.ledger.machine(now)
        if outcome != CANCELED:  # a call we hung up tells nothing about answer rates
            self.answers.observe(False, now - call.dialed_at)

    def on_handle_done(self, talk_s: float, wrap_s: float) -> None:
        """An agent finished a campaign call (talk, then wrap-up)."""
        self.handles.observe(talk_s, wrap_s)

    # -- decision --------------------------------------------------------------------------------

    def _refresh(self, now: float) -> None:
        if now - self._refreshed_at < self.config.refresh_s:
            return
        self._refreshed_at = now
        grace = self.config.connect_within_s
        self._horizons = tuple(self.answers.live_delay.quantile(q) + grace for q in self.QUANTILES)
        self._release_cache.clear()
        self._answer_cache.clear()
        self._wrap_low = self.handles.wrap.quantile(0.25)

    def _release(self, phase: int, elapsed: float, k: int) -> float:
        key = (phase, int(elapsed), k)
        r = self._release_cache.get(key)
        if r is None:
            h = self._horizons[k]
            if phase == 0:  # talking: release needs the talk to end, then a (short) wrap-up
                r = self.handles.talk.release_probability(float(int(elapsed)), h - self._wrap_low)
            else:
                r = self.handles.wrap.release_probability(float(int(elapsed)), h)
            self._release_cache[key] = r
        return r

    def _answer_parts(self, elapsed: float, k: int) -> tuple[float, float, float]:
        """(live within horizon k, live still possible, non-live still possible), unweighted."""
        key = (int(elapsed), k)
        parts = self._answer_cache.get(key)
        if parts is None:
            e = float(int(elapsed))
            fa_e = self.answers.live_delay.cdf(e)
            horizon = self._horizons[k] if k >= 0 else math.inf
            fa_h = self.answers.live_delay.cdf(e + horizon) if k >= 0 else 1.0
            parts = (fa_h - fa_e, 1.0 - fa_e, 1.0 - self.answers.other_end.cdf(e))
            self._answer_cache[key] = parts
        return parts

    def _live_probability(self, elapsed: float, k: int, p: float) -> float:
        within, live_left, other_left = self._answer_parts(elapsed, k)
        denominator = p * live_left + (1 - p) * other_left
        return p * within / denominator if denominator > 1e-12 else 0.0

    def decide(self, now: float, agents: Sequence[AgentView], *, leads_available: int | None = None) -> Decision:
        cfg = self.config
        self.decisions += 1
        self._refresh(now)
        self.ledger.roll(now)
        available = 0
        busy: list[tuple[int, float]] = []
        reserved = 0
        for agent in agents:
            state = _STATE_ALIASES.get(agent.state, AWAY)
            if state == AVAILABLE:
                available += 1
            elif state == TALK:
                busy.append((0, now - agent.since))
            elif state == WRAP:
                busy.append((1, now - agent.since))
            elif state == RESERVED:
                reserved += 1
        active = available + len(busy) + reserved
        in_flight = len(self.calls)
        waiting = sum(1 for c in self.calls.values() if c.answered_at is not None)
        ringing = in_flight - waiting
        leads = leads_available if leads_available is not None else 1 << 30
        base = dict(
            mode=cfg.mode,
            available=available,
            busy=len(busy),
            active=active,
            in_flight=in_flight,
            waiting=waiting,
            answer_rate=self.answers.rate,
            period_rate=self.ledger.rate,
        )
        progressive = max(0, min(available - in_flight, leads))
        fp = self.amd_charge
        # Worst-case AMD charge of the calls in flight: every screened call still ringing ends in
        # a machine verdict (each is charged fp of an abandoned live call).
        screened_ringing = sorted(
            (c.dialed_at, cid) for cid, c in self.calls.items() if c.answered_at is None and c.screened
        )
        room = max(0.0, self.ledger.slack) / (1.0 - cfg.abandon_cap)

        amd_off = False

        def screen(decision: Decision, used: float) -> Decision:
            """Let as many launched calls use AMD as the room left after `used` can be charged for."""
            if fp <= 0 or decision.launch <= 0:
                return decision
            if amd_off:
                return replace(decision, screened=0)
            left = room - used - fp * len(screened_ringing)
            allowed_screened = int(math.floor(left / fp + 1e-9)) if math.isfinite(left) and left > 0 else 0
            return replace(decision, screened=max(0, min(decision.launch, allowed_screened)))

        if cfg.mode == PREVIEW:
            return Decision(0, "preview: agents dial", **base)
        if active == 0:
            eligible = sorted((c.dialed_at, cid) for cid, c in self.calls.items()
                              if c.answered_at is None and now - c.dialed_at >= cfg.min_ring_s)
            cancel = tuple(cid for _, cid in eligible)
            self._cancel(cancel)
            return Decision(0, "no agents", cancel=cancel, **base)
        if cfg.mode == PROGRESSIVE:
            # Progressive calls are never exposed, but a screened one may still be charged fp.
            pinned_exposed = float(sum(1 for c in self.calls.values() if c.agent_id is not None))
            return screen(Decision(progressive, "progressive", **base), pinned_exposed)

        counts = self.ledger.counts
        if self.ledger.count_fp and self.screened_live >= 30:
            # Each machine verdict counts fp_share of a live person hung up on: if the calls
            # placed with AMD drain more than their live answers earn, there is no room for
            # over-dialing at all (and AMD itself is used only as far as the room allows: see
            # `screen`), the forecast the reason names.
            drain = (1 - cfg.abandon_cap) * self.ledger.fp_share * counts.machine_verdicts / self.screened_live
            if drain >= cfg.abandon_cap and cfg.amd_when_draining == "off":
                amd_off = True  # every call goes out without AMD; over-dialing goes on below
            elif drain >= cfg.abandon_cap:
                exposed = max(0.0, waiting + ringing - available) + sum(
                    1 for c in self.calls.values() if c.agent_id is not None)
                return screen(Decision(progressive, "AMD false positives alone reach the cap", **base), exposed)

        # 3. hard ceiling on lines per active agent
        ceiling = int(math.floor(cfg.max_dial_ratio * active)) - in_flight
        # 2. exposure the period's ledger can absorb in the worst case
        allowed = room
        near_period_end = now + cfg.boundary_guard_s >= self.ledger.period_end()
        p_high = self.answers.rate_high
        ringing_calls = sorted(
            ((c.dialed_at, cid) for cid, c in self.calls.items() if c.answered_at is None)
        )
        q_ring = [self._live_probability(now - d, -1, p_high) for d, _ in ringing_calls]
        # Calls placed for one agent (their own callbacks) can only go to that agent, who may be
        # taken by another call first: each counts as exposed on top of the pooled bound.
        pinned = sum(1 for c in self.calls.values() if c.agent_id is not None)

        dropped_screened = [0]
        for _, cid in ringing_calls:
            dropped_screened.append(dropped_screened[-1] + (1 if self.calls[cid].screened else 0))

        def exposure(new: int, dropped: int = 0) -> float:
            """Worst-case (or upper-quantile) abandonments the calls in flight could cause,
            with the AMD charge of the screened calls still ringing (new calls: unscreened)."""
            n = ringing - dropped + new
            if cfg.exposure_confidence >= 1.0:
                x = n
            else:
                mean_q = (sum(q_ring[dropped:]) + new * p_high) / n if n else 0.0
                x = binomial_upper_quantile(n, min(1.0, mean_q), 1.0 - cfg.exposure_confidence)
            charge = fp * (len(screened_ringing) - dropped_screened[dropped])
            return max(0.0, waiting + x - available) + pinned + charge

        if exposure(0) > allowed:
            # Agents left (or the period ran short of slack) while calls were exposed: hang up
            # calls that have rung the legal minimum, longest-ringing first, until back in bound.
            # (Only under the worst-case bound: a quantile bound rises whenever a call is
            # answered, and would hang up calls on every answer.)
            eligible = sum(1 for d, _ in ringing_calls if now - d >= cfg.min_ring_s)
            if cfg.exposure_confidence < 1.0:
                eligible = 0
            drop = 0
            while drop < eligible and exposure(0, drop) > allowed:
                drop += 1
            cancel = tuple(cid for _, cid in ringing_calls[:drop])
            self._cancel(cancel)
            return screen(Decision(progressive, "exposure above the period's slack", exposure=exposure(0),
                                   allowed_exposure=allowed, cancel=cancel, **base), math.inf)
        if near_period_end:
            # The next period starts with no room: add no exposure that could resolve in it
            # (calls already out resolve before the boundary, so they are left to ring).
            allowed = min(allowed, exposure(0))
        exposure_limit = self._max_new(lambda n: exposure(n) <= allowed, max(0, min(ceiling, leads)))

        # 1. marginal abandonment of each new call
        p = self.answers.rate
        target = cfg.abandon_cap * cfg.target_share
        supply_mean, supply_var, demand_mean, demand_var, unit = [], [], [], [], []
        for k in range(len(self._horizons)):
            s_mean, s_var = float(available), 0.0
            for phase, elapsed in busy:
                r = self._release(phase, elapsed, k)
                s_mean += r
                s_var += r * (1 - r)
            d_mean, d_var = float(waiting), 0.0
            for dialed_at, _ in ringing_calls:
                q = self._live_probability(now - dialed_at, k, p)
                d_mean += q
                d_var += q * (1 - q)
            u = p * self.answers.live_delay.cdf(self._horizons[k])
            supply_mean.append(s_mean)
            supply_var.append(s_var)
            demand_mean.append(d_mean)
            demand_var.append(d_var)
            unit.append(u)

        def marginal(others: int) -> float:
            total = 0.0
            for k in range(len(unit)):
                u = unit[k]
                mean = demand_mean[k] + others * u - supply_mean[k]
                var = demand_var[k] + supply_var[k] + others * u * (1 - u)
                total += _phi((mean + 0.5) / math.sqrt(var + 0.25))
            return total / len(unit)

        upper = max(0, min(ceiling, leads, exposure_limit))
        n = self._max_new(lambda n: n == 0 or marginal(n - 1) <= target, upper)
        if n >= upper:
            reason = "leads" if upper == leads else ("ratio" if upper == ceiling else "exposure")
        else:
            reason = "marginal abandonment"
        if n < progressive:
            n, reason = progressive, "progressive floor"
        if amd_off:
            reason += "; AMD off (its false positives alone reach the cap)"
        decision = Decision(
            n,
            reason,
            marginal_abandon=marginal(max(n - 1, 0)) if n else marginal(0),
            exposure=exposure(n),
            allowed_exposure=allowed,
            **base,
        )
        # The room the exposure leaves (its AMD charge of calls in flight counted once) screens
        # new calls.
        return screen(decision, exposure(n) - fp * len(screened_ringing))

    def _cancel(self, call_ids: Sequence[str]) -> None:
        for cid in call_ids:
            call = self.calls.pop(cid, None)
            if call is not None:
                self._cancelling[cid] = call
        self.cancelled += len(call_ids)

    @staticmethod
    def _max_new(ok: Callable[[int], bool], upper: int) -> int:
        """Largest n in [0, upper] with ok(n), for a predicate true up to some point then false."""
        if upper <= 0:
            return 0
        if ok(upper):
            return upper
        lo, hi = 0, upper  # ok(lo) assumed, not ok(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ok(mid):
                lo = mid
            else:
                hi = mid
        return lo


# ------------------------------------------------------------------------------- dialing


@dataclass(frozen=True)
class LeadClaim:
    """A lead the gate let through, with the attempt record written for it."""

    attempt_id: int
    lead_id: int
    phone: str
    caller_id: str


class LeadSource(Protocol):
    """Hands out leads that may be dialed now (DNC, window, attempts checked; refusals recorded)."""

    def claim(self, campaign_id: int, count: int, now: float, agent_id: str | None = None) -> list[LeadClaim]: ...

    def dialed(self, claim: LeadClaim, call_id: str, now: float) -> None: ...

    def failed(self, claim: LeadClaim, error: str, now: float) -> None: ...


class Dialer(Protocol):
    """The part of the telephony port the dialer uses (`Telephony` satisfies it)."""

    def place_call(
        self,
        to: str,
        from_: str,
        url: str,
        status_callback: str | None = None,
        machine_detection: str | None = None,
        timeout_s: int = 30,
    ) -> Any: ...

    def hangup(self, call_sid: str) -> None: ...


@dataclass(frozen=True)
class CallUrls:
    """Where the carrier sends an outbound call's answer and status webhooks."""

    base_url: str = "http://localhost:5000"

    # The campaign rides along so that, with the store unreachable, the webhook can still play
    # that campaign's safe-harbor message (kept in Redis) to a person nobody can be connected to.
    # `amd=off` marks a call of an AMD campaign placed without detection (the pacer had no room
    # for its false-positive charge): its answer carries no verdict and is taken for a person.
    def voice(self, claim: LeadClaim, campaign_id: int, *, unscreened: bool = False) -> str:
        return f"{self.base_url}/hooks/dialer/answer?attempt={claim.attempt_id}&campaign={campaign_id}" + (
            "&amd=off" if unscreened else "")

    def status(self, claim: LeadClaim, campaign_id: int, *, unscreened: bool = False) -> str:
        return f"{self.base_url}/hooks/dialer/status?attempt={claim.attempt_id}&campaign={campaign_id}" + (
            "&amd=off" if unscreened else "")


@dataclass
class StepReport:
    decision: Decision
    placed: list[str] = field(default_factory=list)
    failed: int = 0


class CampaignDialer:
    """Decide, claim leads, place calls: one campaign's pacing step (worker and simulation alike)."""

    def __init__(
        self,
        pacer: Pacer,
        leads: LeadSource,
        telephony: Dialer,
        pool: AgentPool,
        *,
        ring_timeout_s: int,
        machine_detection: str | None = "Enable",
        urls: CallUrls | None = None,
        on_answered: OnAnswered | None = None,
    ) -> None:
        self.pacer = pacer
        self.leads = leads
        self.telephony = telephony
        self.pool = pool
        self.ring_timeout_s = int(ring_timeout_s)
        self.machine_detection = machine_detection
        self.urls = urls or CallUrls()
        self.on_answered = on_answered
        # call id -> (lead id, phone, agent id, dialed at), for the answered-call hand-over.
        self._dialed: dict[str, tuple[int, str, str | None, float]] = {}
        self._pruned_at = 0.0
        self._screen_left = 0

    @property
    def campaign_id(self) -> int:
        return self.pacer.campaign_id

    def step(self, now: float | None = None) -> StepReport:
        now = clock.timestamp() if now is None else now
        agents = self.pool.agents(self.campaign_id)
        decision = self.pacer.decide(now, agents)
        report = StepReport(decision)
        for call_id in decision.cancel:
            try:
                self.telephony.hangup(call_id)
            except Exception:  # the call may have ended meanwhile; its status callback will say
                log.warning("could not hang up call %s", call_id, exc_info=True)
        if decision.launch <= 0:
            return report
        # The first `screened_launch` calls may use AMD; the rest go out without it.
        self._screen_left = decision.screened_launch
        launch = decision.launch - self._dial_owned_callbacks(agents, decision, now, report)
        if launch <= 0:
            return report
        for claim in self.leads.claim(self.campaign_id, launch, now):
            call_id = self._place(claim, now, screened=self._take_screening())
            if call_id is None:
                report.failed += 1
            else:
                report.placed.append(call_id)
        return report

    def _take_screening(self) -> bool:
        if self._screen_left > 0:
            self._screen_left -= 1
            return True
        return False

    def _dial_owned_callbacks(self, agents: Sequence[AgentView], decision: Decision, now: float, report: StepReport) -> int:
        """Agents' own callbacks go first, each only while its agent is free (the documented rule).

        A free agent with no call already placed for them may have a due callback of their own:
        it is dialed for them (the answered call is connected to them alone) and counts against
        this step's launch. Predictive: such a call may be abandoned even with other agents free
        (another call may take its agent first), so it is placed only while the period's ledger
        has room for it as an exposed call (the pacer counts it so from then on). Returns how
        many calls were attempted.
        """
        claim_owned = getattr(self.leads, "claim_owned", None)
        if claim_owned is None:
            return 0
        launch = decision.launch
        if self.pacer.config.mode == PREDICTIVE:
            launch = min(launch, int(math.floor(decision.allowed_exposure - decision.exposure + 1e-9)))
            if launch <= 0:
                return 0
        waited_on = {call.agent_id for call in self.pacer.calls.values() if call.agent_id}
        free = [a.agent_id for a in agents if agent_state(a.state) == AVAILABLE and a.agent_id not in waited_on]
        if not free:
            return 0
        attempted = 0
        for agent_id, claim in claim_owned(self.campaign_id, free, launch, now):
            attempted += 1
            call_id = self._place(claim, now, agent_id, screened=self._take_screening())
            if call_id is None:
                report.failed += 1
            else:
                report.placed.append(call_id)
        return attempted

    def live_answer(self, call_id: str, now: float | None = None) -> AnsweredCall | None:
        """A live person answered `call_id`: tell the pacer, and hand the call to `on_answered`."""
        now = clock.timestamp() if now is None else now
        if not self.pacer.on_live_answer(call_id, now):
            return None
        lead_id, phone, agent_id, _ = self._dialed.pop(call_id, (None, None, None, now))
        answered = AnsweredCall(self.campaign_id, call_id, now, now + self.pacer.config.connect_within_s,
                                lead_id, phone, agent_id)
        if self.on_answered is not None:
            self.on_answered(answered)
        return answered

    def call_ended(self, call_id: str, outcome: str, now: float | None = None) -> None:
        """The call ended without a live person (machine, busy, no-answer, failed, canceled)."""
        now = clock.timestamp() if now is None else now
        self._dialed.pop(call_id, None)
        self.pacer.on_not_live(call_id, now, outcome)

    def dial_for_agent(self, agent_id: str, now: float | None = None) -> str | None:
        """Preview (and agent-initiated) dialing: one call for this agent, if a lead may be called."""
        now = clock.timestamp() if now is None else now
        claims = self.leads.claim(self.campaign_id, 1, now, agent_id=agent_id)
        if not claims:
            return None
        return self._place(claims[0], now, agent_id)

    def dial_claim(self, claim: LeadClaim, agent_id: str, now: float | None = None) -> str | None:
        """Place a call for a lead already claimed for `agent_id` (preview: the lead they read)."""
        return self._place(claim, clock.timestamp() if now is None else now, agent_id)

    def _place(self, claim: LeadClaim, now: float, agent_id: str | None = None, *, screened: bool = True) -> str | None:
        """Place one call; `screened` False sends it without answering-machine detection."""
        screened = screened and self.machine_detection is not None
        amd = self.machine_detection if screened else None
        unscreened = self.machine_detection is not None and not screened
        try:
            placed = self.telephony.place_call(
                to=claim.phone,
                from_=claim.caller_id,
                url=self.urls.voice(claim, self.campaign_id, unscreened=unscreened),
                status_callback=self.urls.status(claim, self.campaign_id, unscreened=unscreened),
                machine_detection=amd,
                timeout_s=self.ring_timeout_s,
            )
        except Exception as exc:  # the carrier refused: the attempt is recorded as failed
            log.warning("place_call failed for attempt %s: %s", claim.attempt_id, exc)
            self.leads.failed(claim, str(exc)[:200], now)
            return None
        call_id = getattr(placed, "call_sid", None) or str(placed)
        self.leads.dialed(claim, call_id, now)
        self.pacer.on_dialed(call_id, now, agent_id, screened=screened)
        self._dialed[call_id] = (claim.lead_id, claim.phone, agent_id, now)
        if now - self._pruned_at > 60.0:  # outcomes that never came: forget them after an hour
            self._pruned_at = now
            for stale in [cid for cid, info in self._dialed.items() if now - info[3] > 3600.0]:
                del self._dialed[stale]
        return call_id


# ------------------------------------------------------------------------------- worker loop

EVENTS_KEY = "{dialer}:events"
LEADER_KEY = "{dialer}:leader"
MAX_QUEUED_EVENTS = 100_000

class LeaderLock(LeaderLease):
    """One pacer leads at a time: a lease on `{dialer}:leader` (see `contactcenter.leases`),
    renewed while alive."""

    def __init__(self, redis: Any, key: str = LEADER_KEY, ttl_s: float = 5.0, token: str | None = None) -> None:
        super().__init__(redis, key, ttl_s, token)


def publish_event(redis: Any, kind: str, campaign_id: int, **data: Any) -> None:
    """Wake the pacer: an agent-state change or a call outcome happened (web hooks, the ACD)."""
    import json

    payload = json.dumps({"kind": kind, "campaign_id": campaign_id, **data}, separators=(",", ":"))
    pipe = redis.pipeline()
    pipe.lpush(EVENTS_KEY, payload)
    pipe.ltrim(EVENTS_KEY, 0, MAX_QUEUED_EVENTS - 1)
    pipe.execute()


def drain_events(redis: Any, wait_s: float) -> list[dict[str, Any]]:
    """Events published since the last call (oldest first), waiting up to `wait_s` for the first."""
    import json

    events: list[dict[str, Any]] = []
    first = redis.brpop([EVENTS_KEY], timeout=max(1, int(math.ceil(wait_s)))) if wait_s > 0 else redis.rpop(EVENTS_KEY)
    if first is None:
        return events
    raw = first[1] if isinstance(first, (list, tuple)) else first
    while raw is not None:
        try:
            events.append(json.loads(raw))
        except ValueError:
            log.warning("dropping a malformed dialer event")
        raw = redis.rpop(EVENTS_KEY)
    return events


def apply_event(dialer: CampaignDialer, event: Mapping[str, Any], now: float) -> None:
    """Feed one published event to its campaign's dialer (and so to its pacer)."""
    kind = event.get("kind")
    call_id = str(event.get("call_id") or "")
    at = float(event.get("at") or now)
    pacer = dialer.pacer
    if kind == "live_answer":
        dialer.live_answer(call_id, at)
    elif kind == "connected":
        pacer.on_connected(call_id, at)
    elif kind == "abandoned":
        pacer.on_abandoned(call_id, at)
    elif kind == "not_live":
        dialer.call_ended(call_id, str(event.get("outcome") or NO_ANSWER), at)
    elif kind == "handle_done":
        pacer.on_handle_done(float(event.get("talk_s") or 0.0), float(event.get("wrap_s") or 0.0))
    # "agent_state" and anything else only wake the loop.


class PacerWorker:
    """The pacing loop: lead with a Redis lock, react to events, decide at least once a second.

    `campaigns()` returns the dialers of the running campaigns (built by `CampaignDialers` from the
    SQL store, and rebuilt when campaigns start, pause or stop).
    """

    def __init__(
        self,
        redis: Any,
        campaigns: Callable[[], Mapping[int, CampaignDialer]],
        *,
        tick_s: float = 1.0,
        lock: LeaderLock | None = None,
    ) -> None:
        self.redis = redis
        self.campaigns = campaigns
        self.tick_s = tick_s
        self.lock = lock or LeaderLock(redis)
        self.steps = 0

    def step(self, events: Sequence[Mapping[str, Any]] = (), now: float | None = None) -> dict[int, StepReport]:
        """One pass: if leader, apply events and run every campaign's dialer."""
        now = clock.timestamp() if now is None else now
        if not self.lock.acquire_or_renew():
            return {}
        dialers = self.campaigns()
        for event in events:
            dialer = dialers.get(int(event.get("campaign_id") or 0))
            if dialer is not None:
                apply_event(dialer, event, now)
        reports = {}
        for campaign_id, dialer in dialers.items():
            try:
                reports[campaign_id] = dialer.step(now)
            except Exception:
                log.exception("pacing step failed for campaign %s", campaign_id)
        self.steps += 1
        return reports

    def run(self, stop: threading.Event | None = None, max_steps: int | None = None) -> None:
        stop = stop or threading.Event()
        try:
            while not stop.is_set() and (max_steps is None or self.steps < max_steps):
                if self.lock.held or self.lock.acquire_or_renew():
                    events = drain_events(self.redis, self.tick_s)
                    self.step(events)
                else:
                    _time.sleep(self.tick_s)
        finally:
            self.lock.release()
