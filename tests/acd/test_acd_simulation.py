"""`contactcenter simulate inbound`: the real ACD on a simulated clock, against Erlang C and A.

Three kinds of evidence:
- call by call: on the same draws, the ACD answers or loses every caller exactly as a textbook
  first-come-first-served queue does, with the same wait to the millisecond (zero tolerance);
- statistically: at rho 0.6, 0.8 and 0.95 the measured service level, ASA and occupancy agree
  with Erlang C within 3 standard errors (+ a small floor), and with patience the abandonment
  agrees with Erlang A; the standard errors are batch means (ASA: no smaller than Erlang C's own);
- the tolerance itself: over hundreds of seeds of the reference queue the rule holds as often as
  claimed, and Erlang C's ASA standard error matches the spread between seeds.
The statistical runs use the real Redis (so that path stays covered); the call-by-call,
determinism and command tests use the in-process store the command runs on by default
(`contactcenter.acd.inprocess`; tests/acd/test_acd_inprocess.py shows both decide alike).
"""

from __future__ import annotations

import json
import math
import secrets
import statistics
from typing import Any

import pytest
import redis
from click.testing import CliRunner

from contactcenter import clock
from contactcenter.acd.erlang import erlang_a, erlang_c
from contactcenter.acd.simulation import (
    Call,
    Simulation,
    SimulationConfig,
    SimulationError,
    erlang_c_asa_standard_error,
    parse_skills_mix,
    ratio_estimate,
    reference_figures,
    reference_queue,
    simulate,
)

AHT = 180.0
REQUIRED_KEYS = ("offered", "answered", "abandoned", "service_level", "asa_seconds", "occupancy", "max_wait_seconds")


def run(config: SimulationConfig, client: redis.Redis | None = None) -> dict[str, Any]:
    namespace = f"sim-test-{secrets.token_hex(4)}" if client is not None else None
    return simulate(config, client, namespace=namespace).to_dict()


def assert_clean(figures: dict[str, Any]) -> None:
    assert figures["anomalies"] == []
    assert figures["audit_problems"] == []
    assert figures["reference"]["differing"] == 0, figures["reference"]


def assert_agrees(figures: dict[str, Any], metrics: tuple[str, ...]) -> None:
    compared = figures["comparison"]["metrics"]
    for metric in metrics:
        c = compared[metric]
        assert c["within"], (
            f"{metric}: simulated {c['simulated']} vs {figures['comparison']['model']} {c['predicted']}, "
            f"|difference| {abs(c['difference'])} > tolerance {c['tolerance']} (SE {c['standard_error']})"
        )


# --- call by call: the ACD is a first-come-first-served queue that wastes no agent time ------------------


@pytest.mark.parametrize(
    "options",
    [
        dict(agents=5, calls_per_hour=60, hours=3),  # rho 0.6
        dict(agents=10, calls_per_hour=160, hours=1.5),  # rho 0.8
        dict(agents=20, calls_per_hour=380, hours=0.75),  # rho 0.95
        dict(agents=10, calls_per_hour=200, hours=1.5, patience_s=60, wrap_s=20, answer_delay_s=2),
        dict(
            agents=7,
            calls_per_hour=130,
            hours=1.5,
            skills_mix=(("billing", 0.3), ("support", 0.7)),
            strategy="round-robin",
            patience_s=120,
        ),
    ],
    ids=["rho-0.6", "rho-0.8", "rho-0.95", "patience-wrap-answer-delay", "skills-mix"],
)
def test_the_acd_resolves_every_call_as_the_reference_queue_does(options: dict[str, Any]) -> None:
    figures = run(SimulationConfig(aht_s=AHT, seed=11, warmup_hours=0.25, **options))
    assert figures["reference"]["calls_compared"] == figures["offered"] >= 100
    assert_clean(figures)
    assert figures["reference"]["max_difference_seconds"] == 0
    # busy time from the ACD's agent-state events equals the reference's busy intervals
    assert math.isclose(figures["occupancy"], figures["reference"]["occupancy"], abs_tol=1e-6)
    assert figures["answered"] + figures["abandoned"] == figures["offered"]
    if "patience_s" in options:
        assert figures["abandoned"] > 0


def test_the_reference_queue_is_first_come_first_served() -> None:
    calls = [
        Call("c1", 0, "q", 10_000, None),
        Call("c2", 1_000, "q", 5_000, None),
        Call("c3", 2_000, "q", 5_000, 2_500),  # hangs up at 4.5 s, before an agent frees at 6 s
        Call("c4", 3_000, "q", 1_000, None),
    ]
    outcomes, busy = reference_queue(calls, 2)
    assert outcomes == [(True, 0), (True, 0), (False, 2_500), (True, 3_000)]
    assert busy == [(0, 10_000), (1_000, 6_000), (6_000, 7_000)]
    # a 1 s answer delay and a caller who hangs up while the offer rings: the agent is free then
    calls = [Call("c1", 0, "q", 1_000, None), Call("c2", 500, "q", 1_000, 1_800), Call("c3", 600, "q", 100, None)]
    outcomes, busy = reference_queue(calls, 1, answer_delay_ms=1_000)
    assert outcomes == [(True, 1_000), (False, 1_800), (True, 2_700)]
    assert busy == [(0, 2_000), (2_000, 2_300), (2_300, 3_400)]
    outcomes, busy = reference_queue(calls, 1, wrap_ms=500)
    assert outcomes == [(True, 0), (True, 1_000), (True, 2_400)]
    assert busy == [(0, 1_500), (1_500, 3_000), (3_000, 3_600)]


# --- statistically: Erlang C at three loads, Erlang A with patience ----------------------------------------

LOADS = [
    # rho, agents, calls per hour, measured hours (calls offered ~ calls per hour x hours)
    pytest.param(0.6, 5, 60, 40, id="rho-0.6-5-agents"),
    pytest.param(0.8, 10, 160, 40, id="rho-0.8-10-agents"),
    pytest.param(0.95, 20, 380, 128, id="rho-0.95-20-agents", marks=[pytest.mark.slow, pytest.mark.timeout(1200)]),
    pytest.param(0.6, 10, 120, 80, id="rho-0.6-10-agents", marks=[pytest.mark.slow, pytest.mark.timeout(900)]),
    pytest.param(0.8, 20, 320, 48, id="rho-0.8-20-agents", marks=[pytest.mark.slow, pytest.mark.timeout(900)]),
]


@pytest.mark.parametrize("rho, agents, calls_per_hour, hours", LOADS)
def test_service_level_and_asa_agree_with_erlang_c(
    redis_client: redis.Redis, rho: float, agents: int, calls_per_hour: float, hours: float
) -> None:
    config = SimulationConfig(agents=agents, calls_per_hour=calls_per_hour, aht_s=AHT, hours=hours, seed=1)
    figures = run(config, redis_client)
    assert figures["rho"] == pytest.approx(rho)
    assert_clean(figures)
    assert figures["comparison"]["model"] == "erlang_c" and figures["comparison"]["exact"]
    assert figures["abandoned"] == 0 and figures["answered"] == figures["offered"]
    assert figures["offered"] == pytest.approx(calls_per_hour * hours, rel=0.1)
    expected = erlang_c(agents, calls_per_hour, AHT, 20)
    assert figures["erlang_c"]["service_level"] == pytest.approx(expected.service_level, abs=1e-6)
    assert figures["erlang_c"]["asa_seconds"] == pytest.approx(expected.asa_seconds, abs=1e-6)
    assert_agrees(figures, ("service_level", "asa_seconds", "occupancy"))
    # the tolerance means something: within a few points of service level, and of occupancy
    metrics = figures["comparison"]["metrics"]
    assert metrics["service_level"]["tolerance"] < 0.2
    assert metrics["occupancy"]["tolerance"] < 0.08
    asa = metrics["asa_seconds"]
    assert asa["standard_error"] >= asa["model_standard_error"] > 0
    # the run's keys are gone from the shared server
    assert not list(redis_client.scan_iter(match="{acd}:sim-test-*"))


def test_patient_callers_abandon_as_erlang_a_predicts(redis_client: redis.Redis) -> None:
    config = SimulationConfig(agents=10, calls_per_hour=200, aht_s=AHT, hours=8, patience_s=90, seed=2)
    figures = run(config, redis_client)
    assert_clean(figures)
    expected = erlang_a(10, 200, AHT, 90, 20)
    assert figures["erlang_a"]["p_abandon"] == pytest.approx(expected.p_abandon, abs=1e-6)
    assert figures["comparison"]["model"] == "erlang_a"
    assert figures["abandoned"] > 0.05 * figures["offered"]
    assert figures["answered"] + figures["abandoned"] == figures["offered"]
    assert_agrees(figures, ("abandon_rate", "service_level", "asa_seconds", "occupancy"))
    assert figures["comparison"]["metrics"]["abandon_rate"]["tolerance"] < 0.1


# --- the tolerance itself ----------------------------------------------------------------------------------


def test_the_agreement_rule_holds_as_often_as_claimed_over_many_seeds() -> None:
    """Reference queue only (no ACD): short runs, where the batch-means error is least reliable."""
    cases = [
        dict(agents=5, calls_per_hour=60, hours=10),  # ~600 calls, rho 0.6
        dict(agents=10, calls_per_hour=200, hours=4, patience_s=90),  # ~800 calls, Erlang A
    ]
    for case in cases:
        results = [reference_figures(SimulationConfig(aht_s=AHT, seed=seed, **case)) for seed in range(200)]
        for metric in results[0]["comparison"]["metrics"]:
            held = sum(r["comparison"]["metrics"][metric]["within"] for r in results) / len(results)
            assert held >= 0.95, (case, metric, held)


def test_erlang_c_asa_standard_error_matches_the_spread_between_seeds() -> None:
    case = dict(agents=4, calls_per_hour=48, hours=16)
    asa = [reference_figures(SimulationConfig(aht_s=AHT, seed=seed, **case))["asa_seconds"] for seed in range(300)]
    predicted = erlang_c_asa_standard_error(4, 48, AHT, 16 * 3600)
    assert predicted is not None
    assert 0.8 < statistics.stdev(asa) / predicted < 1.25
    assert statistics.mean(asa) == pytest.approx(erlang_c(4, 48, AHT, 20).asa_seconds, rel=0.1)
    assert erlang_c_asa_standard_error(4, 80, AHT, 3600) is None  # unstable: 4 agents, 4 erlangs
    # four times the window, half the error
    quarter = erlang_c_asa_standard_error(4, 48, AHT, 64 * 3600)
    assert quarter == pytest.approx(predicted / 2)


def test_ratio_estimate_uses_batch_means_and_corrects_for_correlated_batches() -> None:
    x = [10] * 20
    alternating = [4, 6] * 10  # negatively correlated batches: no correction
    est = ratio_estimate(alternating, x)
    assert est.value == pytest.approx(0.5)
    assert est.standard_error == pytest.approx(math.sqrt(20 * 1.0 / (20 * 19)) / 10)
    assert est.lag1 is not None and est.lag1 < 0
    trending = [3] * 10 + [7] * 10  # strongly correlated neighbours: inflated by up to 3
    plain = math.sqrt(20 * 4.0 / (20 * 19)) / 10
    est = ratio_estimate(trending, x)
    assert est.lag1 is not None and est.lag1 > 0.8
    assert est.standard_error == pytest.approx(plain * 3)
    assert ratio_estimate([0] * 20, [0] * 20).value is None


# --- determinism, the clock, the keys ----------------------------------------------------------------------


def _without_wall_time(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if k != "wall_seconds"}


def test_the_same_seed_gives_the_same_figures() -> None:
    config = SimulationConfig(agents=8, calls_per_hour=140, aht_s=AHT, hours=1, patience_s=120, seed=7)
    first, second = run(config), run(config)
    assert json.dumps(_without_wall_time(first)) == json.dumps(_without_wall_time(second))
    other = run(SimulationConfig(agents=8, calls_per_hour=140, aht_s=AHT, hours=1, patience_s=120, seed=8))
    assert _without_wall_time(other) != _without_wall_time(first)


def test_the_simulated_clock_is_the_process_clock_during_a_run() -> None:
    sim = Simulation(SimulationConfig(agents=3, calls_per_hour=40, aht_s=AHT, hours=0.5, seed=3))
    seen: list[tuple[float, float]] = []
    enqueue = sim.acd.enqueue

    def spy(*args: Any, now: float, **kwargs: Any) -> Any:
        seen.append((now, clock.timestamp()))
        return enqueue(*args, now=now, **kwargs)

    sim.acd.enqueue = spy  # type: ignore[method-assign]
    sim.run()
    assert len(seen) > 10 and all(abs(a - b) < 1e-3 for a, b in seen)
    assert seen[-1][0] - seen[0][0] > 1800


def test_a_run_on_a_shared_redis_keeps_to_its_namespace(redis_client: redis.Redis) -> None:
    redis_client.set("unrelated", "kept")
    config = SimulationConfig(agents=4, calls_per_hour=60, aht_s=AHT, hours=0.5, seed=5)
    figures = simulate(config, redis_client, namespace="sim-keys").to_dict()
    assert figures["offered"] > 0
    assert not list(redis_client.scan_iter(match="{acd}:sim-keys:*"))
    assert redis_client.get("unrelated") == b"kept"


def test_a_run_stops_with_a_clear_error_when_the_acd_state_vanishes() -> None:
    sim = Simulation(SimulationConfig(agents=4, calls_per_hour=60, aht_s=AHT, hours=1, seed=6))
    enqueue = sim.acd.enqueue
    calls = 0

    def flushing(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 20:
            sim.client.flushdb()  # someone empties the database mid-run
        return enqueue(*args, **kwargs)

    sim.acd.enqueue = flushing  # type: ignore[method-assign]
    with pytest.raises(SimulationError, match="the ACD's state is gone"):
        sim.run()


# --- skills mix ----------------------------------------------------------------------------------------------


def test_the_skills_mix_makes_one_queue_per_skill_and_splits_the_agents() -> None:
    assert parse_skills_mix("billing:0.3, support:0.7") == (("billing", 0.3), ("support", 0.7))
    mix = (("billing", 0.3), ("support", 0.7))
    assert SimulationConfig(agents=10, calls_per_hour=100, aht_s=AHT, hours=1, skills_mix=mix).agents_per_skill() == {
        "billing": 3,
        "support": 7,
    }
    tiny = (("a", 0.9), ("b", 0.05), ("c", 0.05))
    config = SimulationConfig(agents=4, calls_per_hour=10, aht_s=AHT, hours=1, skills_mix=tiny)
    assert config.agents_per_skill() == {"a": 2, "b": 1, "c": 1}

    figures = run(SimulationConfig(agents=10, calls_per_hour=150, aht_s=AHT, hours=2, skills_mix=mix, seed=4))
    assert_clean(figures)
    queues = figures["queues"]
    assert set(queues) == {"billing", "support"}
    assert queues["billing"]["agents"] == 3 and queues["support"]["agents"] == 7
    assert queues["billing"]["offered"] + queues["support"]["offered"] == figures["offered"]
    assert queues["billing"]["offered"] < queues["support"]["offered"]
    for name, agents, share in (("billing", 3, 0.3), ("support", 7, 0.7)):
        expected = erlang_c(agents, 150 * share, AHT, 20)
        assert queues[name]["erlang_c"]["service_level"] == pytest.approx(expected.service_level, abs=1e-6)
        assert "comparison" in queues[name]
    overall = 0.3 * erlang_c(3, 45, AHT, 20).service_level + 0.7 * erlang_c(7, 105, AHT, 20).service_level
    assert figures["erlang_c"]["service_level"] == pytest.approx(overall, abs=1e-6)


# --- the command -------------------------------------------------------------------------------------------


def _invoke(*args: str) -> Any:
    from contactcenter.app.cli import main

    return CliRunner().invoke(main, ["simulate", "inbound", *args])


def test_the_command_prints_the_figures_as_json() -> None:
    result = _invoke(
        "--agents",
        "6",
        "--calls-per-hour",
        "100",
        "--aht",
        "180",
        "--hours",
        "1",
        "--patience",
        "120",
        "--seed",
        "3",
        "--json",
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    for key in REQUIRED_KEYS + ("erlang_c", "erlang_a", "standard_errors", "comparison", "reference", "wall_seconds"):
        assert key in figures, key
    assert figures["agents"] == 6 and figures["seed"] == 3 and figures["patience_s"] == 120
    assert 0 <= figures["service_level"] <= 1 and 0 < figures["occupancy"] <= 1
    assert figures["erlang_c"]["service_level"] == pytest.approx(erlang_c(6, 100, AHT, 20).service_level, abs=1e-6)
    again = json.loads(
        _invoke(
            "--agents",
            "6",
            "--calls-per-hour",
            "100",
            "--aht",
            "180",
            "--hours",
            "1",
            "--patience",
            "120",
            "--seed",
            "3",
            "--json",
        ).stdout
    )
    assert _without_wall_time(again) == _without_wall_time(figures)


def test_the_command_prints_a_table_without_json() -> None:
    result = _invoke(
        "--agents",
        "6",
        "--calls-per-hour",
        "100",
        "--hours",
        "0.5",
        "--skills-mix",
        "billing:0.5,support:0.5",
        "--wrap",
        "10",
        "--answer-delay",
        "1",
    )
    assert result.exit_code == 0, result.output
    for text in ("service_level", "asa_seconds", "Erlang C", "queue billing", "reference queue", "approximate"):
        assert text in result.output


def test_simulate_is_one_group_for_inbound_and_dialer() -> None:
    from contactcenter.app.cli import main
    from contactcenter.app.commands.simulate import simulate as group

    assert main.commands["simulate"] is group
    assert {"inbound", "dialer"} <= set(group.commands)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--agents", "0"), "0 is not in the range x>=1"),
        (("--agents", "-3"), "-3 is not in the range x>=1"),
        (("--agents", "ten"), "'ten' is not a valid integer"),
        (("--calls-per-hour", "-5"), "-5.0 is not in the range x>0"),
        (("--calls-per-hour", "lots"), "'lots' is not a valid float"),
        (("--aht", "0"), "0.0 is not in the range x>0"),
        (("--hours", "0"), "--hours"),
        (("--patience", "-1"), "--patience"),
        (("--target-seconds", "-1"), "--target-seconds"),
        (("--seed", "x"), "'x' is not a valid integer"),
        (("--batches", "5"), "5 is not in the range"),
        (("--skills-mix", "billing:0.5,support:0.6"), "must add up to 1"),
        (("--skills-mix", "billing"), "look like billing:0.3"),
        (("--skills-mix", "billing:lots,support:0.5"), "must be a number"),
        (("--agents", "5", "--calls-per-hour", "200"), "unstable"),
        (("--wrap", "200"), "must be below --aht"),
        (("--answer-delay", "20"), "20.0 is not in the range 0<=x<15"),
        (("--strategy", "random"), "--strategy"),
    ],
)
def test_the_command_rejects_bad_arguments_clearly(args: tuple[str, ...], message: str) -> None:
    result = _invoke(*args)
    assert result.exit_code == 2, result.output
    assert "Error" in result.output and message in result.output, result.output


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(agents=0), "agents must be"),
        (dict(agents=True), "agents must be"),
        (dict(calls_per_hour=float("nan")), "calls_per_hour"),
        (dict(hours=-1), "hours"),
        (dict(patience_s=0), "patience_s"),
        (dict(batches=10), "batches"),
        (dict(skills_mix=(("a", 0.5), ("a", 0.5))), "only once"),
        (dict(skills_mix=(("bad name", 1.0),)), "skill"),
        (dict(agents=1, skills_mix=(("a", 0.5), ("b", 0.5))), "one per skill"),
    ],
)
def test_the_configuration_rejects_bad_values(options: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = dict(agents=5, calls_per_hour=60, aht_s=AHT, hours=1)
    values.update(options)
    with pytest.raises(ValueError, match=message):
        SimulationConfig(**values)
