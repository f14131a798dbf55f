"""A discrete-event outbound campaign that drives the real pacer on a simulated clock.

The same `Pacer` and `CampaignDialer` the worker runs make every decision; the simulation stands
in for the carrier (`place_call`, `hangup`, the status callbacks and AMD verdicts), for the agents
(the `AgentPool` port and the connect-to-agent path behind `OnAnswered`) and for the lead list.
A `ManualClock` is installed for the run, so anything that asks `contactcenter.clock` sees
simulated time.

Call model (every duration in seconds; all draws from one seeded generator per concern)
    Each dial ends in exactly one way, drawn when it is placed:
    * live person, with probability `answer_rate`: answers after 2 + Gamma(3, 2) s (mean 8 s,
      kept under the ring timeout); with AMD on, the verdict "human" comes Gamma(4, 0.4) s later
      (mean 1.6 s). The pacer learns of the live answer at the verdict; from then an agent must be
      connected within `connect_within_s` (2 s) or the call is abandoned (safe-harbor message).
      With probability `amd_false_positive` AMD calls a live person a machine: the call is hung
      up, and counted as an abandoned live call where the rule set counts AMD false positives.
    * answering machine, with probability `machine_rate`: picks up after U(10, 20) s (if that is
      within the ring timeout, else it is a no-answer); AMD says "machine" 2.5 + Gamma(2, 0.5) s
      later and the call ends (hang up or leave a message: no agent either way).
    * busy, with probability `busy_rate`: ends after U(1, 4) s.
    * failed, with probability `failed_rate`: ends after U(0.5, 3) s.
    * otherwise no answer: rings until the ring timeout (at least 15 s), then ends.
    Talk time is lognormal with mean `aht_s - wrap_s` and coefficient of variation `talk_cv`
    (at least 5 s); wrap-up is Gamma(4) with mean `wrap_s`. Occupancy counts talk + wrap over
    logged-in time. Preview mode: an agent reads the lead for an exponential time with mean
    `preview_s`, dials, and waits on the line for the outcome.

Shocks change the world at a given hour: the answer rate halves or doubles, or half of the
logged-in agents log out (idle ones at once, busy ones when their wrap-up ends).
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from contactcenter import clock
from contactcenter.dialer.compliance import RULE_SETS
from contactcenter.dialer.dialing import CampaignDialer, LeadClaim
from contactcenter.dialer.pacer import Pacer
from contactcenter.dialer.pacing_vocabulary import (
    AVAILABLE,
    BUSY,
    CANCELED,
    DIAL_MODES,
    FAILED,
    MACHINE,
    NO_ANSWER,
    PREDICTIVE,
    PREVIEW,
    RESERVED,
    TALK,
    WRAP,
    AgentView,
    AnsweredCall,
    PacingConfig,
)

SHOCKS = ("answer-rate-halves", "answer-rate-doubles", "half-agents-logout")
START = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)  # 09:00 in New York, a Monday


@dataclass(frozen=True)
class Shock:
    at_hours: float
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in SHOCKS:
            raise ValueError(f"unknown shock {self.kind!r} (expected one of {', '.join(SHOCKS)})")
        if self.at_hours < 0:
            raise ValueError("a shock happens at 0 hours or later")

    @classmethod
    def parse(cls, text: str) -> Shock:
        """'answer-rate-halves@2' (kind @ hours into the run)."""
        kind, _, at = text.partition("@")
        try:
            hours = float(at)
        except ValueError:
            raise ValueError(f"bad shock {text!r}: expected KIND@HOURS, e.g. half-agents-logout@1.5") from None
        return cls(hours, kind.strip())


@dataclass(frozen=True)
class SimulationConfig:
    agents: int = 20
    answer_rate: float = 0.25
    aht_s: float = 180.0
    hours: float = 1.0
    mode: str = PREDICTIVE
    seed: int = 0
    wrap_s: float = 20.0
    talk_cv: float = 0.8
    machine_rate: float = 0.10
    busy_rate: float = 0.06
    failed_rate: float = 0.02
    amd_false_positive: float = 0.0
    ring_timeout_s: float = 25.0
    preview_s: float = 10.0
    rule_set: str = "US"
    abandon_cap: float = 0.03
    shocks: tuple[Shock, ...] = ()
    # Overrides of PacingConfig fields (target_share, exposure_confidence, max_dial_ratio, ...).
    pacing: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.agents < 1:
            raise ValueError("at least one agent")
        if self.mode not in DIAL_MODES:
            raise ValueError(f"mode must be one of {', '.join(DIAL_MODES)}")
        if not 0 < self.answer_rate <= 1:
            raise ValueError("answer rate must be in (0, 1]")
        if self.answer_rate + self.machine_rate + self.busy_rate + self.failed_rate > 1 + 1e-9:
            raise ValueError("answer + machine + busy + failed rates exceed 1")
        if self.aht_s <= self.wrap_s or self.wrap_s < 0:
            raise ValueError("aht must exceed the wrap-up time")
        if self.hours <= 0:
            raise ValueError("hours must be positive")
        if self.rule_set not in RULE_SETS:
            raise ValueError(f"rule set must be one of {', '.join(RULE_SETS)}")
        if self.ring_timeout_s < RULE_SETS[self.rule_set].min_ring_s:
            raise ValueError(f"ring timeout must be at least {RULE_SETS[self.rule_set].min_ring_s} s")


@dataclass
class SimulationResult:
    mode: str
    seed: int
    agents: int
    hours: float
    answer_rate: float
    aht_s: float
    calls_placed: int = 0
    answered: int = 0  # live persons (AMD false positives included when the rule set counts them)
    connected: int = 0
    abandoned: int = 0
    abandon_rate: float = 0.0
    max_period_abandon_rate: float = 0.0
    max_running_abandon_rate: float = 0.0
    abandon_cap: float = 0.03
    agent_occupancy: float = 0.0
    talk_minutes_per_agent_hour: float = 0.0
    machines: int = 0
    amd_false_positives: int = 0
    # Calls placed without AMD (the pacer had no room for their false-positive charge), machine
    # greetings those put through to agents, and AMD machine verdicts (false positives included).
    unscreened_calls: int = 0
    machines_to_agents: int = 0
    machine_verdicts: int = 0
    # The abandonment rate as the records show it (AMD false positives by the campaign's
    # estimate): the period's final figure, and the highest it ever was after an abandonment.
    reported_abandon_rate: float = 0.0
    max_running_reported_abandon_rate: float = 0.0
    busy: int = 0
    no_answer: int = 0
    failed: int = 0
    canceled: int = 0
    decisions: int = 0
    mean_wait_for_answer_s: float = 0.0
    periods: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Agent:
    __slots__ = (
        "id",
        "state",
        "since",
        "view",
        "talk",
        "wrap",
        "login",
        "logout",
        "leaving",
        "talk_started",
        "talk_s",
        "call",
        "idle_since",
    )

    def __init__(self, agent_id: str) -> None:
        self.id = agent_id
        self.state = AVAILABLE
        self.since = 0.0
        self.view = AgentView(agent_id, AVAILABLE, 0.0)
        self.talk = 0.0
        self.wrap = 0.0
        self.login = 0.0
        self.logout: float | None = None
        self.leaving = False
        self.talk_started = 0.0
        self.talk_s = 0.0
        self.call: str | None = None
        self.idle_since = 0.0


@dataclass
class _Call:
    call_id: str
    dialed_at: float
    kind: str  # live, fp, machine, machine-answer (no AMD), busy, failed, no-answer
    agent_id: str | None = None
    done: bool = False
    screened: bool = True  # placed with answering-machine detection


class _Placed:
    __slots__ = ("call_sid", "status")

    def __init__(self, sid: str) -> None:
        self.call_sid = sid
        self.status = "queued"


class _Leads:
    """An endless lead list; every lead may be called (compliance is tested on the SQL gate)."""

    def __init__(self) -> None:
        self.claimed = 0

    def claim(self, campaign_id: int, count: int, now: float, agent_id: str | None = None) -> list[LeadClaim]:
        out = []
        for _ in range(count):
            self.claimed += 1
            out.append(LeadClaim(self.claimed, self.claimed, f"+1202555{self.claimed % 10000:04d}", "+18005550100"))
        return out

    def dialed(self, claim: LeadClaim, call_id: str, now: float) -> None:
        pass

    def failed(self, claim: LeadClaim, error: str, now: float) -> None:
        pass


class Simulation:
    """One run; `run()` returns the figures."""

    def __init__(self, config: SimulationConfig) -> None:
        self.cfg = config
        rules = RULE_SETS[config.rule_set]
        self.rules = rules
        self.rng_calls = random.Random(f"{config.seed}:calls")
        self.rng_agents = random.Random(f"{config.seed}:agents")
        self.answer_rate = config.answer_rate
        self.t0 = START.timestamp()
        self.now = 0.0
        self.end = config.hours * 3600.0
        self._events: list[tuple[float, int, str, Any]] = []
        self._seq = itertools.count()
        self.staff = {f"a{i}": _Agent(f"a{i}") for i in range(config.agents)}
        self.calls: dict[str, _Call] = {}
        self.waiting: list[str] = []  # live-answered calls waiting for an agent, oldest first
        self.result = SimulationResult(
            config.mode,
            config.seed,
            config.agents,
            config.hours,
            config.answer_rate,
            config.aht_s,
            abandon_cap=config.abandon_cap,
        )
        talk_mean = config.aht_s - config.wrap_s
        sigma2 = math.log(1 + config.talk_cv**2)
        self._talk_mu = math.log(talk_mean) - sigma2 / 2
        self._talk_sigma = math.sqrt(sigma2)
        # Keyword arguments of PacingConfig, overridden by the scenario's own (untyped) pacing settings.
        pacing: dict[str, Any] = dict(
            mode=config.mode,
            abandon_cap=config.abandon_cap,
            period_s=rules.period_s,
            connect_within_s=rules.connect_within_s,
            ring_timeout_s=config.ring_timeout_s,
            min_ring_s=rules.min_ring_s,
            expected_answer_rate=0.25,
            expected_talk_s=talk_mean,
            expected_wrap_s=config.wrap_s,
            count_amd_false_positives=rules.count_amd_false_positives,
            amd_false_positive_share=(
                config.amd_false_positive
                * config.answer_rate
                / max(1e-9, config.machine_rate + config.amd_false_positive * config.answer_rate)
            ),
        )
        pacing.update(dict(config.pacing))
        self.pacer = Pacer(PacingConfig(**pacing), campaign_id=1, period_origin=self.t0)
        self.leads = _Leads()
        self.dialer = CampaignDialer(
            self.pacer, self.leads, self, self, ring_timeout_s=int(config.ring_timeout_s), on_answered=self._route
        )
        self._sids = itertools.count(1)
        self._period_live: dict[int, float] = {}
        self._period_abandoned: dict[int, float] = {}
        self._answer_waits: list[float] = []
        self._reported: dict[int, list[float]] = {}
        self._last_decision = -1.0

    # -- the carrier (Dialer port) ------------------------------------------------------------

    def place_call(
        self,
        to: str,
        from_: str,
        url: str,
        status_callback: str | None = None,
        machine_detection: str | None = None,
        timeout_s: int = 30,
    ) -> _Placed:
        sid = f"SIM{next(self._sids):08d}"
        r = self.rng_calls
        ring = float(timeout_s)
        roll = r.random()
        p_live, p_machine = self.answer_rate, self.cfg.machine_rate
        screened = machine_detection is not None
        if roll < p_live:
            answer = min(2.0 + r.gammavariate(3.0, 2.0), ring - 0.5)
            verdict = answer + r.gammavariate(4.0, 0.4)
            fp = r.random() < self.cfg.amd_false_positive
            if screened:
                kind, at = ("fp" if fp else "live"), verdict
            else:  # no detection: the person is offered to an agent as they pick up
                kind, at = "live", answer
        elif roll < p_live + p_machine:
            pickup = r.uniform(10.0, 20.0)
            if pickup >= ring:
                kind, at = NO_ANSWER, ring
            elif screened:
                kind, at = MACHINE, pickup + 2.5 + r.gammavariate(2.0, 0.5)
            else:  # no detection: the machine's greeting is offered to an agent like a person
                kind, at = "machine-answer", pickup
        elif roll < p_live + p_machine + self.cfg.busy_rate:
            kind, at = BUSY, r.uniform(1.0, 4.0)
        elif roll < p_live + p_machine + self.cfg.busy_rate + self.cfg.failed_rate:
            kind, at = FAILED, r.uniform(0.5, 3.0)
        else:
            kind, at = NO_ANSWER, ring
        self.calls[sid] = _Call(sid, self.now, kind, screened=screened)
        if not screened:
            self.result.unscreened_calls += 1
        self._schedule(self.now + at, "resolve", sid)
        self.result.calls_placed += 1
        return _Placed(sid)

    def hangup(self, call_sid: str) -> None:
        call = self.calls.get(call_sid)
        if call is None or call.done:
            return
        call.done = True
        self.result.canceled += 1
        self.dialer.call_ended(call_sid, CANCELED, self._ts())
        self._release_preview_agent(call)

    # -- the agent pool (AgentPool port) ------------------------------------------------------

    def agents(self, campaign_id: int) -> Sequence[AgentView]:
        return [a.view for a in self.staff.values() if a.logout is None]

    # -- machinery ------------------------------------------------------------------------------

    def _ts(self, t: float | None = None) -> float:
        return self.t0 + (self.now if t is None else t)

    def _schedule(self, at: float, kind: str, payload: Any = None) -> None:
        heapq.heappush(self._events, (at, next(self._seq), kind, payload))

    def _set(self, agent: _Agent, state: str) -> None:
        agent.state = state
        agent.since = self.now
        agent.view = AgentView(agent.id, state, self._ts())

    def run(self) -> SimulationResult:
        manual = clock.ManualClock(START)
        with clock.using(manual):
            for shock in self.cfg.shocks:
                self._schedule(shock.at_hours * 3600.0, "shock", shock.kind)
            self._schedule(0.0, "tick")
            if self.cfg.mode == PREVIEW:
                for agent in self.staff.values():
                    self._start_preview(agent)
            while self._events:
                at, _, kind, payload = heapq.heappop(self._events)
                if at > self.end:
                    break
                self.now = at
                manual.set(datetime.fromtimestamp(self._ts(), UTC))
                getattr(self, f"_on_{kind}")(payload)
                if kind != "tick" or self.now - self._last_decision >= 1.0:
                    self._decide()
            self.now = self.end
        return self._finish()

    def _decide(self) -> None:
        self._last_decision = self.now
        if self.cfg.mode == PREVIEW:
            return
        self.dialer.step(self._ts())

    # -- events ---------------------------------------------------------------------------------

    def _on_tick(self, _: Any) -> None:
        self._schedule(self.now + 1.0, "tick")

    def _on_shock(self, kind: str) -> None:
        if kind == "answer-rate-halves":
            self.answer_rate *= 0.5
        elif kind == "answer-rate-doubles":
            room = 1.0 - self.cfg.machine_rate - self.cfg.busy_rate - self.cfg.failed_rate
            self.answer_rate = min(room, self.answer_rate * 2.0)
        elif kind == "half-agents-logout":
            present = sorted(a.id for a in self.staff.values() if a.logout is None and not a.leaving)
            for agent_id in self.rng_agents.sample(present, len(present) // 2):
                agent = self.staff[agent_id]
                agent.leaving = True
                if agent.state == AVAILABLE or (agent.state == RESERVED and agent.call is None):
                    self._log_out(agent)

    def _log_out(self, agent: _Agent) -> None:
        agent.logout = self.now
        agent.state = "away"
        agent.view = AgentView(agent.id, "away", self._ts())

    def _on_resolve(self, sid: str) -> None:
        call = self.calls.get(sid)
        if call is None or call.done:
            return
        ts = self._ts()
        if call.kind in ("live", "machine-answer"):
            self._answered(call)
            return
        call.done = True
        del self.calls[sid]
        if call.kind == "fp":  # a live person AMD took for a machine: hung up on
            self.result.amd_false_positives += 1
            self.dialer.call_ended(sid, MACHINE, ts)
            self._machine_verdict()
            if self.rules.count_amd_false_positives:  # the records hold the estimate instead
                self._count_live(reported=False)
                self._count_abandoned(reported=False)
        else:
            self.dialer.call_ended(sid, call.kind, ts)
            if call.kind == MACHINE:
                self.result.machines += 1
                self._machine_verdict()
            elif call.kind == BUSY:
                self.result.busy += 1
            elif call.kind == FAILED:
                self.result.failed += 1
            else:
                self.result.no_answer += 1
        self._release_preview_agent(call)

    def _period(self) -> int:
        return int(self.now // self.rules.period_s)

    def _count_live(self, reported: bool = True) -> None:
        """A live person answered (`reported`: and the records count them as such now)."""
        self.result.answered += 1
        p = self._period()
        self._period_live[p] = self._period_live.get(p, 0) + 1
        if reported:
            self._report(p, live=1.0)

    def _count_abandoned(self, *, person: bool = True, reported: bool = True) -> None:
        """An answered call nobody took (`person`: a live person, not a machine's greeting)."""
        p = self._period()
        if person:
            self.result.abandoned += 1
            self._period_abandoned[p] = self._period_abandoned.get(p, 0) + 1
            rate = self._period_abandoned[p] / max(1, self._period_live.get(p, 0))
            self.result.max_running_abandon_rate = max(self.result.max_running_abandon_rate, rate)
        if reported:
            self._report(p, abandoned=1.0)

    def _machine_verdict(self) -> None:
        """AMD said machine: the records charge the campaign's false-positive estimate."""
        self.result.machine_verdicts += 1
        if self.rules.count_amd_false_positives:
            share = self.pacer.ledger.fp_share
            self._report(self._period(), live=share, abandoned=share)

    def _report(self, period: int, *, live: float = 0.0, abandoned: float = 0.0) -> None:
        """The figures as the campaign's records show them to a regulator: AMD false positives
        by their estimate (not by the simulation's knowledge of who they were), unscreened
        answers nobody took as abandoned live calls."""
        counts = self._reported.setdefault(period, [0.0, 0.0])
        counts[0] += live
        counts[1] += abandoned
        if abandoned and counts[0] > 0:
            self.result.max_running_reported_abandon_rate = max(
                self.result.max_running_reported_abandon_rate, counts[1] / counts[0]
            )

    def _answered(self, call: _Call) -> None:
        if call.kind == "live":
            # Unscreened (no AMD, UK counting): the records count the person once an agent takes them.
            self._count_live(reported=call.screened or not self.rules.count_amd_false_positives)
        self.dialer.live_answer(call.call_id, self._ts())  # -> on_answered -> _route

    def _route(self, answered: AnsweredCall) -> None:
        """The ACD's part: connect the answered call to a free agent, or let it wait 2 s."""
        call = self.calls[answered.call_id]
        agent = None
        if call.agent_id is not None:
            candidate = self.staff[call.agent_id]
            if candidate.logout is None:
                agent = candidate
        else:
            idle = [a for a in self.staff.values() if a.state == AVAILABLE and a.logout is None]
            if idle:
                agent = min(idle, key=lambda a: a.idle_since)
        if agent is not None:
            self._connect(call, agent)
        else:
            self.waiting.append(call.call_id)
            self._schedule(answered.connect_by - self.t0, "deadline", call.call_id)

    def _on_deadline(self, sid: str) -> None:
        if sid in self.waiting:
            self.waiting.remove(sid)
            call = self.calls.pop(sid)
            call.done = True
            if not self._live_reported(call):
                self._report(self._period(), live=1.0)
            self._count_abandoned(person=call.kind == "live")
            self.pacer.on_abandoned(sid, self._ts())

    def _live_reported(self, call: _Call) -> bool:
        return call.kind == "live" and (call.screened or not self.rules.count_amd_false_positives)

    def _connect(self, call: _Call, agent: _Agent) -> None:
        call.done = True
        self.calls.pop(call.call_id, None)
        person = call.kind == "live"
        if person:
            self.result.connected += 1
            if not self._live_reported(call):
                self._report(self._period(), live=1.0)
        else:
            self.result.machines_to_agents += 1
        if agent.state == AVAILABLE:
            self._answer_waits.append(self.now - agent.idle_since)
        agent.call = None
        if person:
            talk = max(5.0, self.rng_agents.lognormvariate(self._talk_mu, self._talk_sigma))
        else:  # the agent hears a machine's greeting and hangs up
            talk = self.rng_agents.uniform(3.0, 8.0)
        agent.talk_s = talk
        agent.talk_started = self.now
        self._set(agent, TALK)
        self.pacer.on_connected(call.call_id, self._ts(), person=person)
        self._schedule(self.now + talk, "talk_end", agent.id)

    def _on_talk_end(self, agent_id: str) -> None:
        agent = self.staff[agent_id]
        agent.talk += self.now - agent.since
        wrap = self.rng_agents.gammavariate(4.0, self.cfg.wrap_s / 4.0) if self.cfg.wrap_s > 0 else 0.0
        self._set(agent, WRAP)
        self._schedule(self.now + wrap, "wrap_end", agent_id)

    def _on_wrap_end(self, agent_id: str) -> None:
        agent = self.staff[agent_id]
        wrap = self.now - agent.since
        agent.wrap += wrap
        self.pacer.on_handle_done(agent.talk_s, wrap)
        if agent.leaving:
            self._log_out(agent)
            return
        self._become_free(agent)

    def _become_free(self, agent: _Agent) -> None:
        if self.cfg.mode == PREVIEW:
            self._start_preview(agent)
            return
        self._set(agent, AVAILABLE)
        agent.idle_since = self.now
        while self.waiting:
            sid = self.waiting.pop(0)
            call = self.calls.get(sid)
            if call is not None and not call.done:
                self._connect(call, agent)
                return

    # -- preview ----------------------------------------------------------------------------------

    def _start_preview(self, agent: _Agent) -> None:
        self._set(agent, RESERVED)
        agent.idle_since = self.now
        agent.call = None
        self._schedule(self.now + self.rng_agents.expovariate(1.0 / self.cfg.preview_s), "preview_done", agent.id)

    def _on_preview_done(self, agent_id: str) -> None:
        agent = self.staff[agent_id]
        if agent.logout is not None:
            return
        if agent.leaving:
            self._log_out(agent)
            return
        sid = self.dialer.dial_for_agent(agent_id, self._ts())
        if sid is None:
            self._start_preview(agent)
            return
        agent.call = sid
        self.calls[sid].agent_id = agent_id

    def _release_preview_agent(self, call: _Call) -> None:
        if call.agent_id is None:
            return
        agent = self.staff[call.agent_id]
        if agent.call != call.call_id:
            return
        agent.call = None
        if agent.leaving:
            self._log_out(agent)
        else:
            self._start_preview(agent)

    # -- results ----------------------------------------------------------------------------------

    def _finish(self) -> SimulationResult:
        res = self.result
        logged = busy = talk = 0.0
        for agent in self.staff.values():
            end = agent.logout if agent.logout is not None else self.end
            logged += end - agent.login
            a_talk, a_wrap = agent.talk, agent.wrap
            if agent.logout is None and agent.state == TALK:
                a_talk += self.end - agent.since
            elif agent.logout is None and agent.state == WRAP:
                a_wrap += self.end - agent.since
            talk += a_talk
            busy += a_talk + a_wrap
        res.agent_occupancy = round(busy / logged, 4) if logged else 0.0
        res.talk_minutes_per_agent_hour = round((talk / 60.0) / (logged / 3600.0), 2) if logged else 0.0
        res.abandon_rate = round(res.abandoned / res.answered, 5) if res.answered else 0.0
        res.max_running_abandon_rate = round(res.max_running_abandon_rate, 5)
        res.max_running_reported_abandon_rate = round(res.max_running_reported_abandon_rate, 5)
        live, abandoned = (sum(c[i] for c in self._reported.values()) for i in (0, 1))
        res.reported_abandon_rate = round(abandoned / live, 5) if live else 0.0
        res.decisions = self.pacer.decisions
        res.mean_wait_for_answer_s = (
            round(sum(self._answer_waits) / len(self._answer_waits), 2) if self._answer_waits else 0.0
        )
        for p in sorted(set(self._period_live) | set(self._period_abandoned)):
            live, ab = self._period_live.get(p, 0), self._period_abandoned.get(p, 0)
            rate = ab / live if live else 0.0
            res.periods.append({"period": p, "live_answered": live, "abandoned": ab, "abandon_rate": round(rate, 5)})
            res.max_period_abandon_rate = max(res.max_period_abandon_rate, round(rate, 5))
        return res


def simulate(config: SimulationConfig) -> SimulationResult:
    return Simulation(config).run()
