"""The real pacer on a simulated campaign: the abandonment cap holds over many seeds, agent
counts, answer rates and shocks; predictive beats progressive; runs are reproducible."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from contactcenter.dialer.simulation import Shock, Simulation, SimulationConfig, simulate

CAP = 0.03
SHOCKS = {
    "none": (),
    "answer rate halves": ("answer-rate-halves",),
    "answer rate doubles": ("answer-rate-doubles",),
    "half the agents log out": ("half-agents-logout",),
}


def hours_for(agents: int) -> float:
    return {5: 2.0, 20: 1.5, 100: 0.75}.get(agents, 1.0)


def run(agents, rate, shock_kinds=(), seed=0, mode="predictive", **kw):
    hours = kw.pop("hours", hours_for(agents))
    shocks = tuple(Shock(hours * 0.6, kind) for kind in shock_kinds)
    return simulate(
        SimulationConfig(agents=agents, answer_rate=rate, hours=hours, mode=mode, seed=seed, shocks=shocks, **kw)
    )


def assert_cap_held(result):
    assert result.max_period_abandon_rate <= CAP, result
    # Stronger than the rule asks: at no moment of the period did the running rate pass the cap.
    assert result.max_running_abandon_rate <= CAP, result
    assert result.answered >= result.connected + result.abandoned


@pytest.mark.parametrize("shock", list(SHOCKS))
@pytest.mark.parametrize("rate", [0.15, 0.40])
@pytest.mark.parametrize("agents", [5, 20, 100])
def test_the_cap_holds_for_every_agent_count_answer_rate_and_shock(agents, rate, shock):
    result = run(agents, rate, SHOCKS[shock], seed=agents + int(rate * 100))
    assert_cap_held(result)
    assert result.calls_placed > 0 and result.connected > 0


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    agents=st.sampled_from([5, 20, 100]),
    rate=st.floats(0.15, 0.40),
    aht=st.sampled_from([60.0, 180.0, 420.0]),
    shock=st.sampled_from(sorted(SHOCKS)),
    target=st.sampled_from([0.5, 0.75, 1.0]),
)
def test_the_cap_holds_over_random_seeds_and_settings(seed, agents, rate, aht, shock, target):
    hours = hours_for(agents) * (0.6 if agents == 100 else 1.0)
    result = run(agents, rate, SHOCKS[shock], seed=seed, aht_s=aht, hours=hours, pacing=(("target_share", target),))
    assert_cap_held(result)


@pytest.mark.parametrize("seed", [3, 4])
def test_uk_rules_count_the_amd_false_positive_estimate_and_still_hold(seed):
    # AMD hangs up on 1 % of live people: about 1 % of live calls are charged as abandoned
    # before the pacer over-dials at all.
    sim = Simulation(
        SimulationConfig(agents=20, answer_rate=0.3, hours=2, seed=seed, rule_set="UK", amd_false_positive=0.01)
    )
    result = sim.run()
    ledger = sim.pacer.ledger
    assert ledger.count_fp and ledger.estimated_false_positives > 0
    assert ledger.rate <= CAP
    assert result.amd_false_positives > 0 and result.max_period_abandon_rate <= CAP


def test_when_amd_errors_alone_break_the_cap_the_pacer_stops_over_dialing():
    # 4 % of live people taken for machines is more than the whole 3 % budget.
    sim = Simulation(
        SimulationConfig(agents=20, answer_rate=0.3, hours=1, seed=3, rule_set="UK", amd_false_positive=0.04)
    )
    decisions = []
    original = sim.pacer.decide
    sim.pacer.decide = lambda now, pool, **kw: decisions.append(original(now, pool, **kw)) or decisions[-1]
    result = sim.run()
    assert any(d.reason == "AMD false positives alone reach the cap" for d in decisions)
    # The abandoned count includes the live people AMD hung up on; those the pacer caused are few.
    assert result.abandoned - result.amd_false_positives <= 2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_predictive_keeps_agents_busier_than_progressive_which_beats_preview(seed):
    predictive = run(20, 0.25, seed=seed, hours=3)
    progressive = run(20, 0.25, seed=seed, hours=3, mode="progressive")
    preview = run(20, 0.25, seed=seed, hours=3, mode="preview")
    assert predictive.agent_occupancy > progressive.agent_occupancy > preview.agent_occupancy
    assert progressive.abandoned == 0 and preview.abandoned == 0
    assert predictive.talk_minutes_per_agent_hour > progressive.talk_minutes_per_agent_hour
    assert_cap_held(predictive)


def test_runs_are_reproducible_by_seed():
    a = run(20, 0.3, ("half-agents-logout",), seed=7).to_dict()
    b = run(20, 0.3, ("half-agents-logout",), seed=7).to_dict()
    c = run(20, 0.3, ("half-agents-logout",), seed=8).to_dict()
    assert a == b and a != c


def test_a_logout_shock_is_met_at_once():
    """Half the agents leave: the very next decision sees the smaller pool, and any exposure the
    period cannot absorb is cut (calls past the minimum ring hung up) in that same decision."""
    shock_at = 0.6 * 3600
    sim = Simulation(
        SimulationConfig(agents=100, answer_rate=0.3, hours=1.0, seed=5, shocks=(Shock(0.6, "half-agents-logout"),))
    )
    seen = []
    original = sim.pacer.decide

    def spy(now, pool, **kw):
        decision = original(now, pool, **kw)
        seen.append((now - sim.t0, decision))
        return decision

    sim.pacer.decide = spy
    result = sim.run()
    before = [d for t, d in seen if t < shock_at][-1]
    after = next(d for t, d in seen if t >= shock_at)
    assert after.available + after.busy < before.available + before.busy
    for _, decision in seen:
        assert (
            decision.exposure <= decision.allowed_exposure + 1e-9
            or decision.cancel
            or decision.launch <= max(0, decision.available - decision.in_flight)
        )
    assert_cap_held(result)


def test_the_simulated_clock_is_the_process_clock_during_a_run():
    from contactcenter import clock

    seen = []
    sim = Simulation(SimulationConfig(agents=3, hours=0.05, seed=1))
    original = sim.pacer.decide

    def spy(now, pool, **kw):
        seen.append((now, clock.timestamp()))
        return original(now, pool, **kw)

    sim.pacer.decide = spy
    sim.run()
    assert seen and all(abs(a - b) < 1e-3 for a, b in seen)
    assert seen[-1][0] - seen[0][0] > 100


def test_the_cli_prints_the_figures_as_json():
    from contactcenter.app.cli import main

    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "dialer",
            "--agents",
            "5",
            "--answer-rate",
            "0.3",
            "--aht",
            "120",
            "--hours",
            "0.2",
            "--mode",
            "progressive",
            "--seed",
            "4",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    for key in (
        "calls_placed",
        "answered",
        "connected",
        "abandoned",
        "abandon_rate",
        "agent_occupancy",
        "talk_minutes_per_agent_hour",
    ):
        assert key in figures
    assert figures["mode"] == "progressive" and figures["abandoned"] == 0
    table = CliRunner().invoke(main, ["simulate", "dialer", "--hours", "0.05", "--shock", "half-agents-logout@0.01"])
    assert table.exit_code == 0 and "agent_occupancy" in table.output
    bad = CliRunner().invoke(main, ["simulate", "dialer", "--shock", "meteor@1"])
    assert bad.exit_code != 0 and "unknown shock" in bad.output
