"""Erlang B / C / A staffing maths and the `contactcenter erlang` command."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from contactcenter.acd.erlang import (
    ErlangCResult,
    agents_for_service_level,
    erlang_a,
    erlang_b,
    erlang_c,
    traffic_erlangs,
)
from contactcenter.app.commands.acd import erlang


def reference_erlang_b(agents: int, traffic: int) -> Fraction:
    """Textbook formula, exact: (A^N / N!) / sum_{k<=N} A^k / k!."""
    terms = [Fraction(traffic**k, math.factorial(k)) for k in range(agents + 1)]
    return terms[-1] / sum(terms)


def reference_erlang_c(agents: int, traffic: int) -> Fraction:
    """Textbook formula, exact: queued term A^N/N! * N/(N-A) over all terms."""
    queued = Fraction(traffic**agents, math.factorial(agents)) * Fraction(agents, agents - traffic)
    below = sum(Fraction(traffic**k, math.factorial(k)) for k in range(agents))
    return queued / (below + queued)


# --- Erlang C ------------------------------------------------------------------------------


def test_glossary_worked_example():
    # 100 calls per 30 minutes, AHT 180 s: A = 10 erlangs; 14 agents; 20 s target.
    result = erlang_c(14, 200, 180, 20)
    assert result.traffic_erlangs == pytest.approx(10.0)
    assert round(result.p_wait, 4) == 0.1741
    assert round(result.service_level, 4) == 0.8884
    assert round(result.asa_seconds, 2) == 7.84
    assert round(result.occupancy, 3) == 0.714
    assert result.stable


@pytest.mark.parametrize(
    ("agents", "traffic", "published"),
    [(5, 2, 0.0367), (10, 5, 0.0184), (3, 2, 0.2105)],  # Erlang B table values
)
def test_erlang_b_matches_factorial_formula_and_tables(agents, traffic, published):
    exact = float(reference_erlang_b(agents, traffic))
    assert erlang_b(agents, traffic) == pytest.approx(exact, rel=1e-12)
    assert round(erlang_b(agents, traffic), 4) == published


def test_erlang_c_textbook_mm3():
    # M/M/3 at A = 2: P(wait) = 4/9 exactly (sum 1 + 2 + 2 = 5, queued term 8/6 * 3 = 4).
    result = erlang_c(3, 2 * 3600 / 100, 100, 10)
    assert reference_erlang_c(3, 2) == Fraction(4, 9)
    assert result.p_wait == pytest.approx(4 / 9, rel=1e-12)
    assert result.asa_seconds == pytest.approx(4 / 9 * 100 / 1, rel=1e-12)
    assert result.service_level == pytest.approx(1 - 4 / 9 * math.exp(-10 / 100), rel=1e-12)


@pytest.mark.parametrize(("agents", "traffic"), [(11, 10), (14, 10), (30, 25), (60, 50)])
def test_erlang_c_matches_factorial_formula(agents, traffic):
    result = erlang_c(agents, traffic * 3600 / 180, 180, 20)
    assert result.p_wait == pytest.approx(float(reference_erlang_c(agents, traffic)), rel=1e-12)


def test_thousands_of_agents_stay_finite():
    assert 0 < erlang_b(5000, 4900.0) < 1
    result = erlang_c(5000, 4900 * 20, 180, 20)
    for value in (result.p_wait, result.service_level, result.asa_seconds, result.occupancy):
        assert math.isfinite(value)
    assert 0 < result.p_wait < 1 and 0 < result.service_level < 1
    a = erlang_a(5000, 4900 * 20, 180, 120, 20)
    for value in (a.p_wait, a.p_abandon, a.service_level, a.asa_seconds, a.occupancy):
        assert math.isfinite(value) and value >= 0


def test_unstable_queue_is_reported_not_raised():
    result = erlang_c(10, 200, 180, 20)  # N = A = 10
    assert not result.stable
    assert (result.p_wait, result.service_level, result.asa_seconds) == (1.0, 0.0, math.inf)


@settings(max_examples=60, deadline=None)
@given(
    traffic=st.floats(min_value=0.5, max_value=500),
    extra=st.integers(min_value=1, max_value=40),
    target=st.floats(min_value=0, max_value=120),
)
def test_more_agents_wait_less(traffic, extra, target):
    agents = math.floor(traffic) + extra
    fewer = erlang_c(agents, traffic * 20, 180, target)
    more = erlang_c(agents + 1, traffic * 20, 180, target)
    assert more.p_wait < fewer.p_wait
    assert more.service_level >= fewer.service_level
    assert more.asa_seconds < fewer.asa_seconds


# --- agents_for_service_level -------------------------------------------------------------


@pytest.mark.parametrize(
    ("calls_per_hour", "aht", "target", "sl"),
    [(200, 180, 20, 0.8), (200, 180, 20, 0.9), (50, 300, 30, 0.8), (12000, 240, 20, 0.8)],
)
def test_agents_for_service_level_is_minimal(calls_per_hour, aht, target, sl):
    result = agents_for_service_level(calls_per_hour, aht, target, sl)
    assert isinstance(result, ErlangCResult)
    assert result.service_level >= sl
    assert result == erlang_c(result.agents, calls_per_hour, aht, target)
    assert erlang_c(result.agents - 1, calls_per_hour, aht, target).service_level < sl


def test_glossary_example_needs_14_agents_and_occupancy_cap_adds_more():
    assert agents_for_service_level(200, 180, 20, 0.8).agents == 14
    capped = agents_for_service_level(200, 180, 20, 0.8, max_occupancy=0.7)
    assert capped.agents == 15 and capped.occupancy <= 0.7


def test_agents_for_service_level_at_thousands_of_erlangs():
    result = agents_for_service_level(4000 * 20, 180, 20, 0.8)  # A = 4000
    assert result.service_level >= 0.8
    assert erlang_c(result.agents - 1, 4000 * 20, 180, 20).service_level < 0.8


def test_agents_for_service_level_with_patience_is_minimal():
    result = agents_for_service_level(200, 180, 20, 0.8, patience_s=300)
    assert result.service_level >= 0.8
    assert erlang_a(result.agents - 1, 200, 180, 300, 20).service_level < 0.8


# --- Erlang A -----------------------------------------------------------------------------


@pytest.mark.parametrize(("agents", "target"), [(11, 20), (14, 20), (14, 0), (12, 60)])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(agents, target):
    c = erlang_c(agents, 200, 180, target)
    a = erlang_a(agents, 200, 180, 1e7, target)
    assert a.p_wait == pytest.approx(c.p_wait, abs=1e-3)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-3)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-3)
    # Waiting callers abandon at rate 1 / patience, so P(abandon) ~ mean wait / patience.
    assert a.p_abandon == pytest.approx(c.asa_seconds / 1e7, rel=1e-2)


def test_erlang_a_abandonment_grows_as_patience_shrinks():
    abandon = [erlang_a(10, 200, 180, p, 20).p_abandon for p in (3600, 600, 180, 60, 10)]
    assert abandon == sorted(abandon) and abandon[0] < abandon[-1]


def test_erlang_a_single_agent_against_exact_chain():
    # lambda = mu = theta (A = 1, patience = AHT): death rate n mu in every state, so the
    # chain is M/M/infinity: pi_n = e^-1 / n!. Everything then has a closed form.
    aht, target = 180.0, 20.0
    result = erlang_a(1, 20, aht, aht, target)
    assert result.p_wait == pytest.approx(1 - math.exp(-1), rel=1e-12)
    # E[queue] = E[(n - 1)+] = E[n] - 1 + P(n = 0) = e^-1; p_abandon = theta E[queue] / lambda.
    assert result.p_abandon == pytest.approx(math.exp(-1), rel=1e-12)
    assert result.occupancy == pytest.approx(1 - math.exp(-1), rel=1e-12)
    # Answered within T: e^-1 + integral over u in [e^(-T/aht), 1] of u e^-u du.
    u = math.exp(-target / aht)
    assert result.service_level == pytest.approx((1 + u) * math.exp(-u) - math.exp(-1), rel=1e-10)
    # ASA of answered calls: (aht * integral_0^1 (-ln u) u e^-u du) / P(answered), by midpoints.
    steps = 200_000
    integral = (
        sum(-math.log((i + 0.5) / steps) * ((i + 0.5) / steps) * math.exp(-(i + 0.5) / steps) for i in range(steps))
        / steps
    )
    assert result.asa_seconds == pytest.approx(aht * integral / (1 - math.exp(-1)), rel=1e-6)


def test_erlang_a_overloaded_queue_is_finite():
    result = erlang_a(8, 200, 180, 300, 20)  # A = 10 > N: Erlang C would be unstable
    assert 0 < result.p_abandon < 1 and 0 < result.service_level < 1
    assert math.isfinite(result.asa_seconds)
    # Throughput cannot exceed the agents: lambda (1 - p_abandon) <= N mu.
    assert result.occupancy <= 1 + 1e-12


def test_erlang_a_service_level_approaches_answered_share():
    result = erlang_a(12, 200, 180, 120, 10_000)
    assert result.service_level == pytest.approx(1 - result.p_abandon, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    traffic=st.floats(min_value=0.5, max_value=200),
    agents=st.integers(min_value=1, max_value=220),
    patience=st.floats(min_value=5, max_value=3600),
)
def test_erlang_a_more_agents_help(traffic, agents, patience):
    fewer = erlang_a(agents, traffic * 20, 180, patience, 20)
    more = erlang_a(agents + 1, traffic * 20, 180, patience, 20)
    # Tolerances cover rounding where both figures are within an ulp or two of 0 or 1.
    assert more.p_wait <= fewer.p_wait + 1e-12
    assert more.p_abandon <= fewer.p_abandon + 1e-12
    assert more.service_level >= fewer.service_level - 1e-9


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_c(14, 0, 180, 20), "calls_per_hour"),
        (lambda: erlang_c(14, -5, 180, 20), "calls_per_hour"),
        (lambda: erlang_c(14, 200, 0, 20), "aht_s"),
        (lambda: erlang_c(0, 200, 180, 20), "agents"),
        (lambda: erlang_c(14, 200, 180, -1), "target_seconds"),
        (lambda: erlang_b(3, float("nan")), "traffic"),
        (lambda: erlang_a(14, 200, 180, 0, 20), "patience_s"),
        (lambda: agents_for_service_level(200, 180, 20, 0), "sl_target"),
        (lambda: agents_for_service_level(200, 180, 20, 1), "sl_target"),
        (lambda: agents_for_service_level(200, 180, 20, 1.5), "sl_target"),
        (lambda: agents_for_service_level(200, 180, 20, 0.8, max_occupancy=0), "max_occupancy"),
        (lambda: traffic_erlangs(200, -1), "aht_s"),
    ],
)
def test_bad_inputs_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- CLI ----------------------------------------------------------------------------------

BASE = ["--calls-per-hour", "200", "--aht", "180", "--target-seconds", "20"]


def run(*args: str):
    return CliRunner().invoke(erlang, [*BASE, *args])


def test_cli_table():
    result = run("--agents", "14")
    assert result.exit_code == 0, result.output
    for text in ("Erlang C", "0.1741", "88.84%", "7.84 s", "71.4%"):
        assert text in result.output


def test_cli_json():
    result = run("--agents", "14", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["model"] == "erlang_c"
    assert figures["agents"] == 14
    assert figures["traffic_erlangs"] == pytest.approx(10.0)
    assert round(figures["p_wait"], 4) == 0.1741
    assert round(figures["service_level"], 4) == 0.8884
    assert round(figures["asa_seconds"], 2) == 7.84
    assert round(figures["occupancy"], 3) == 0.714


def test_cli_json_unstable_queue_has_null_asa():
    figures = json.loads(run("--agents", "9", "--json").output)
    assert figures["stable"] is False and figures["asa_seconds"] is None


def test_cli_sl_target():
    result = run("--sl-target", "0.8", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["agents"] == 14 and figures["sl_target"] == 0.8
    assert figures["service_level"] >= 0.8
    table = run("--sl-target", "0.8")
    assert "14 needed for 80% within 20 s" in table.output


def test_cli_patience_uses_erlang_a():
    result = run("--agents", "12", "--patience", "300", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    expected = erlang_a(12, 200, 180, 300, 20)
    assert figures["model"] == "erlang_a"
    assert figures["p_abandon"] == pytest.approx(expected.p_abandon)
    assert figures["service_level"] == pytest.approx(expected.service_level)
    assert "P(abandon)" in run("--sl-target", "0.8", "--patience", "300").output


@pytest.mark.parametrize(
    "args",
    [
        (),  # neither --agents nor --sl-target
        ("--agents", "14", "--sl-target", "0.8"),  # both
    ],
)
def test_cli_needs_exactly_one_of_agents_or_sl_target(args):
    result = run(*args)
    assert result.exit_code != 0
    assert "exactly one of --agents or --sl-target" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--calls-per-hour", "-200", "--aht", "180", "--target-seconds", "20", "--agents", "14"],
        ["--calls-per-hour", "lots", "--aht", "180", "--target-seconds", "20", "--agents", "14"],
        ["--calls-per-hour", "200", "--aht", "0", "--target-seconds", "20", "--agents", "14"],
        ["--calls-per-hour", "200", "--aht", "180", "--target-seconds", "20", "--agents", "0"],
        ["--calls-per-hour", "200", "--aht", "180", "--target-seconds", "20", "--sl-target", "1.2"],
        ["--calls-per-hour", "200", "--aht", "180", "--target-seconds", "-1", "--agents", "14"],
        ["--calls-per-hour", "200", "--aht", "180", "--agents", "14"],  # no --target-seconds
    ],
)
def test_cli_bad_values_exit_non_zero_with_message(args):
    result = CliRunner().invoke(erlang, args)
    assert result.exit_code != 0
    assert "Error" in result.output


def test_cli_help():
    result = CliRunner().invoke(erlang, ["--help"])
    assert result.exit_code == 0
    assert "--sl-target" in result.output and "--patience" in result.output
