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

The worker (`pacer_worker.PacerWorker`) holds a Redis lock so one process leads; it wakes on
every event published with `publish_event` (agent-state change, call outcome) and at least once a
second, and runs a `dialing.CampaignDialer` step for every running campaign.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypedDict

from contactcenter.dialer.compliance import AbandonLedger, LedgerCounts
from contactcenter.dialer.pacing_estimators import AnswerModel, HandleModel, _phi, binomial_upper_quantile
from contactcenter.dialer.pacing_vocabulary import (
    _STATE_ALIASES,
    AVAILABLE,
    AWAY,
    CANCELED,
    MACHINE,
    PREVIEW,
    PROGRESSIVE,
    RESERVED,
    TALK,
    WRAP,
    AgentView,
    Decision,
    PacingConfig,
)


class _Snapshot(TypedDict):
    """The state every `Decision` of one `decide` reports, typed so it can be passed as keywords."""

    mode: str
    available: int
    busy: int
    active: int
    in_flight: int
    waiting: int
    answer_rate: float
    period_rate: float


@dataclass
class _Call:
    dialed_at: float
    answered_at: float | None = None
    agent_id: str | None = None
    # Placed with answering-machine detection: a machine verdict may still come (and is charged).
    screened: bool = True
    # Whether the ledger already counts this call's answer as a live call.
    counted_live: bool = False


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
        base = _Snapshot(
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
            eligible = sorted(
                (c.dialed_at, cid)
                for cid, c in self.calls.items()
                if c.answered_at is None and now - c.dialed_at >= cfg.min_ring_s
            )
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
                    1 for c in self.calls.values() if c.agent_id is not None
                )
                return screen(Decision(progressive, "AMD false positives alone reach the cap", **base), exposed)

        # 3. hard ceiling on lines per active agent
        ceiling = int(math.floor(cfg.max_dial_ratio * active)) - in_flight
        # 2. exposure the period's ledger can absorb in the worst case
        allowed = room
        near_period_end = now + cfg.boundary_guard_s >= self.ledger.period_end()
        p_high = self.answers.rate_high
        ringing_calls = sorted(((c.dialed_at, cid) for cid, c in self.calls.items() if c.answered_at is None))
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
            droppable = sum(1 for d, _ in ringing_calls if now - d >= cfg.min_ring_s)
            if cfg.exposure_confidence < 1.0:
                droppable = 0
            drop = 0
            while drop < droppable and exposure(0, drop) > allowed:
                drop += 1
            cancel = tuple(cid for _, cid in ringing_calls[:drop])
            self._cancel(cancel)
            return screen(
                Decision(
                    progressive,
                    "exposure above the period's slack",
                    exposure=exposure(0),
                    allowed_exposure=allowed,
                    cancel=cancel,
                    **base,
                ),
                math.inf,
            )
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
