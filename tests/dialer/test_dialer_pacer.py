"""The pacing algorithm: modes, limits, the exposure guarantee against an adversary, shocks."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from contactcenter.dialer.compliance import AbandonLedger, LedgerCounts
from contactcenter.dialer.pacer import Pacer
from contactcenter.dialer.pacing_estimators import AnswerModel, SampleWindow, binomial_upper_quantile
from contactcenter.dialer.pacing_vocabulary import AgentView, PacingConfig

T0 = 1_767_625_200.0  # 2026-01-05 15:00 UTC


def agents(available=0, talking=(), wrapping=(), away=0, now=T0):
    views = [AgentView(f"a{i}", "available", now - 5) for i in range(available)]
    views += [AgentView(f"t{i}", "on_call", now - e) for i, e in enumerate(talking)]
    views += [AgentView(f"w{i}", "wrap_up", now - e) for i, e in enumerate(wrapping)]
    views += [AgentView(f"x{i}", "break", now - 5) for i in range(away)]
    return views


def seasoned(config: PacingConfig, live=1000, abandoned=0) -> Pacer:
    """A pacer whose period already has `live` answers (plenty of slack)."""
    pacer = Pacer(config, period_origin=T0 - 3600)
    pacer.restore(LedgerCounts(0, live, abandoned, 0))
    return pacer


def test_progressive_dials_one_call_per_free_agent():
    pacer = Pacer(PacingConfig(mode="progressive"), period_origin=T0)
    decision = pacer.decide(T0, agents(available=5, talking=[30, 60]))
    assert decision.launch == 5
    for i in range(3):
        pacer.on_dialed(f"c{i}", T0)
    assert pacer.decide(T0 + 1, agents(available=5, talking=[30, 60], now=T0 + 1)).launch == 2


def test_preview_never_dials_by_itself_and_no_agents_means_no_calls():
    assert Pacer(PacingConfig(mode="preview")).decide(T0, agents(available=9)).launch == 0
    decision = Pacer(PacingConfig()).decide(T0, agents(away=4))
    assert decision.launch == 0 and decision.reason == "no agents"


def test_a_young_period_dials_progressively_until_it_has_slack():
    pacer = Pacer(PacingConfig(), period_origin=T0)
    decision = pacer.decide(T0, agents(available=3, talking=[170, 175, 178, 179]))
    assert decision.launch == 3 and decision.allowed_exposure == 0


def test_a_seasoned_period_over_dials_for_agents_about_to_be_free():
    pacer = seasoned(PacingConfig())
    busy = pacer.decide(T0, agents(available=2, talking=[10] * 20, wrapping=[25] * 10))
    assert busy.launch > 2, busy
    assert busy.reason in ("marginal abandonment", "exposure", "ratio")
    assert busy.marginal_abandon <= 0.03 * pacer.config.target_share + 1e-9
    # More agents about to be free (long in wrap-up) -> more calls than for agents who just sat down.
    fresh = seasoned(PacingConfig()).decide(T0, agents(available=2, talking=[5] * 20, wrapping=[1] * 10))
    assert busy.launch >= fresh.launch


def test_the_hard_ratio_caps_lines_per_agent():
    pacer = seasoned(PacingConfig(max_dial_ratio=1.5, target_share=1.0), live=100_000)
    decision = pacer.decide(T0, agents(available=10, wrapping=[30] * 10))
    assert decision.in_flight + decision.launch <= math.floor(1.5 * 20)


def test_exposure_never_exceeds_what_the_ledger_can_absorb():
    for live, abandoned in [(34, 0), (100, 1), (100, 3), (1000, 29), (5000, 40)]:
        pacer = seasoned(PacingConfig(target_share=1.0), live=live, abandoned=abandoned)
        decision = pacer.decide(T0, agents(available=4, wrapping=[40] * 30))
        slack = (0.03 * live - abandoned) / 0.97
        assert decision.exposure <= max(slack, 0) + 1e-9
        assert decision.in_flight + decision.launch - 4 <= max(math.floor(slack), 0)


def test_no_over_dial_in_the_last_minute_of_a_period():
    config = PacingConfig(period_s=3600)
    pacer = Pacer(config, period_origin=T0 - 3600 + 40)  # the period ends in 40 s
    pacer.restore(LedgerCounts(0, 900, 0, 0))
    decision = pacer.decide(T0, agents(available=3, wrapping=[40] * 30))
    assert decision.launch == 3 and decision.allowed_exposure == 0
    # Calls already exposed are left to ring out (they resolve before the boundary), not cut.
    pacer = Pacer(config, period_origin=T0 - 3600 + 40)
    pacer.restore(LedgerCounts(0, 900, 0, 0))
    for i in range(5):
        pacer.on_dialed(f"c{i}", T0 - 16)
    decision = pacer.decide(T0, agents(available=1, wrapping=[40] * 30))
    assert decision.cancel == () and decision.launch == 0 and decision.exposure == 4


def test_when_agents_leave_exposed_calls_that_rang_the_minimum_are_hung_up():
    pacer = seasoned(PacingConfig(), live=200, abandoned=5)  # slack (6 - 5) / 0.97 ~ 1 call
    for i in range(4):
        pacer.on_dialed(f"old{i}", T0 - 20)
    for i in range(2):
        pacer.on_dialed(f"new{i}", T0 - 3)
    decision = pacer.decide(T0, agents(available=1))
    # Exposure 6 - 1 = 5 against ~1 allowed: the 4 calls past 15 s of ringing are the ones cut.
    assert set(decision.cancel) == {"old0", "old1", "old2", "old3"}
    assert decision.launch == 0


def test_answer_rate_steps_are_adopted_at_once():
    model = AnswerModel(PacingConfig(expected_answer_rate=0.3))
    rng = random.Random(1)
    for _ in range(2000):
        model.observe(rng.random() < 0.3, 8.0)
    assert abs(model.rate - 0.3) < 0.05
    for _ in range(150):
        model.observe(rng.random() < 0.6, 8.0)
    assert model.rate > 0.45 and model.changes >= 1
    for _ in range(150):
        model.observe(rng.random() < 0.15, 8.0)
    assert model.rate < 0.28  # from 0.6, after 150 calls at 0.15 (a fast estimate is noisy)
    assert model.rate_high >= model.rate


def test_sample_window_release_probability_is_conditional():
    window = SampleWindow(100, [float(x) for x in range(1, 101)])
    assert window.release_probability(0, 10) == pytest.approx(0.10)
    assert window.release_probability(90, 5) == pytest.approx(0.5)
    assert 0 < window.release_probability(500, 10) < 1  # past every sample: memoryless tail


@given(n=st.integers(0, 80), q=st.floats(0.0, 1.0), alpha=st.sampled_from([0.5, 0.1, 1e-3, 1e-6]))
def test_binomial_upper_quantile_matches_the_definition(n, q, alpha):
    k = binomial_upper_quantile(n, q, alpha)

    def tail(j):  # P(X > j)
        return sum(math.comb(n, i) * q**i * (1 - q) ** (n - i) for i in range(j + 1, n + 1))

    assert 0 <= k <= n
    assert tail(k) <= alpha + 1e-12
    if k > 0 and 0 < q < 1:
        assert tail(k - 1) > alpha - 1e-12


class AdversarialCampaign(RuleBasedStateMachine):
    """An adversary decides which calls a live person answers and when agents come free.

    Whatever it does, the period's abandonment rate never exceeds the cap: an answered call with
    no free agent is abandoned at once (the worst case), agents never log out (that is what the
    cancel rule is for), and the pacer launches what it decides.
    """

    @initialize(
        n_agents=st.integers(1, 30),
        live=st.integers(0, 400),
        seed=st.integers(0, 10**6),
        share=st.sampled_from([0.5, 0.75, 1.0]),
    )
    def setup(self, n_agents, live, seed, share):
        self.now = T0
        self.pacer = Pacer(PacingConfig(target_share=share, period_s=10 * 86400), period_origin=T0 - 60)
        abandoned = int(0.03 * live * random.Random(seed).random())
        self.pacer.restore(LedgerCounts(0, live, abandoned, 0))
        self.states = {f"a{i}": ("available", self.now) for i in range(n_agents)}
        self.calls: list[str] = []
        self.seq = 0

    def views(self):
        return [AgentView(a, s, since) for a, (s, since) in self.states.items()]

    @rule()
    def decide(self):
        decision = self.pacer.decide(self.now, self.views())
        for cid in decision.cancel:
            self.calls.remove(cid)
            self.pacer.on_not_live(cid, self.now, "canceled")
        for _ in range(decision.launch):
            self.seq += 1
            cid = f"c{self.seq}"
            self.calls.append(cid)
            self.pacer.on_dialed(cid, self.now)

    @precondition(lambda self: self.calls)
    @rule(pick=st.integers(0, 10**6))
    def live_answer(self, pick):
        cid = self.calls.pop(pick % len(self.calls))
        self.pacer.on_live_answer(cid, self.now)
        free = [a for a, (s, _) in self.states.items() if s == "available"]
        if free:
            self.states[free[0]] = ("on_call", self.now)
            self.pacer.on_connected(cid, self.now)
        else:
            self.pacer.on_abandoned(cid, self.now)

    @precondition(lambda self: self.calls)
    @rule(pick=st.integers(0, 10**6), outcome=st.sampled_from(["busy", "no-answer", "machine", "failed"]))
    def not_live(self, pick, outcome):
        cid = self.calls.pop(pick % len(self.calls))
        self.pacer.on_not_live(cid, self.now, outcome)

    @rule(pick=st.integers(0, 10**6))
    def agent_progresses(self, pick):
        agent = sorted(self.states)[pick % len(self.states)]
        state, since = self.states[agent]
        if state == "on_call":
            self.states[agent] = ("wrap_up", self.now)
            self.pacer.on_handle_done(self.now - since, 0)
        elif state == "wrap_up":
            self.states[agent] = ("available", self.now)

    @rule(seconds=st.floats(0.1, 30))
    def time_passes(self, seconds):
        self.now += seconds

    @invariant()
    def cap_holds(self):
        ledger = self.pacer.ledger
        assert ledger.abandons <= 0.03 * ledger.live + 1e-9, (ledger.counts, ledger.rate)


def test_no_adversary_can_push_the_abandon_rate_over_the_cap():
    run_state_machine_as_test(
        AdversarialCampaign,
        settings=settings(
            max_examples=150,
            stateful_step_count=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_the_ledger_counts_per_period_and_estimates_amd_false_positives():
    ledger = AbandonLedger(0.03, 86400, origin=0.0, count_amd_false_positives=True, amd_false_positive_share=0.1)
    for _ in range(90):
        ledger.live_answer(100.0)
    for _ in range(100):
        ledger.machine(100.0)
    ledger.abandoned(200.0)
    assert ledger.estimated_false_positives == pytest.approx(10.0)
    assert ledger.rate == pytest.approx(11 / 100)
    ledger.live_answer(86400.0 + 5)  # a new day: a new period
    assert ledger.counts.period == 1 and ledger.counts.live_answered == 1 and ledger.rate == 0


def test_a_call_cut_for_exposure_that_was_answered_first_still_counts():
    pacer = seasoned(PacingConfig(), live=200, abandoned=6)  # no slack left
    pacer.on_dialed("late", T0 - 20)
    decision = pacer.decide(T0, agents())
    assert decision.cancel == ("late",) and "late" not in pacer.calls
    # The carrier connected the person before our hang-up landed: it is a live answer, exposed.
    assert pacer.on_live_answer("late", T0 + 0.5)
    pacer.on_abandoned("late", T0 + 2.5)
    assert (pacer.ledger.counts.live_answered, pacer.ledger.counts.abandoned) == (201, 7)
    # The usual case: the hang-up worked and the carrier reports the call canceled.
    pacer.on_dialed("cut", T0 - 20)
    assert pacer.decide(T0 + 3, agents(now=T0 + 3)).cancel == ("cut",)
    pacer.on_not_live("cut", T0 + 4, "canceled")
    assert pacer.calls == {} and pacer._cancelling == {}
