"""`contactcenter simulate`: discrete-event simulations on a simulated clock.

    contactcenter simulate inbound --agents 20 --calls-per-hour 320 --aht 180 --hours 8 --seed 1 --json
    contactcenter simulate inbound --agents 12 --calls-per-hour 200 --aht 240 --patience 90 --json
    contactcenter simulate inbound --agents 30 --calls-per-hour 500 --aht 180 --skills-mix billing:0.3,support:0.7

`simulate` is the group every simulation hangs off; other domains add their own sub-commands to it
with `simulate.add_command(...)`. `simulate inbound` routes Poisson traffic through the real ACD
(`contactcenter.acd.simulation`) and sets its figures next to Erlang C (or Erlang A with
--patience), with standard errors and the agreement test described in that module.
"""

from __future__ import annotations

import json
from typing import Any

import click

from contactcenter.acd.interfaces import DEFAULT_STRATEGY, STRATEGIES

_POSITIVE = click.FloatRange(min=0, min_open=True)
_NON_NEGATIVE = click.FloatRange(min=0)


@click.group()
def simulate() -> None:
    """Discrete-event simulations on a simulated clock (hours of traffic in seconds)."""


def _skills_mix(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from contactcenter.acd.simulation import parse_skills_mix

    try:
        return parse_skills_mix(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(figures: dict[str, Any]) -> str:
    comparison = figures["comparison"]
    model = "Erlang A" if comparison["model"] == "erlang_a" else "Erlang C"
    rows = [
        ("agents", figures["agents"]),
        ("traffic", f"{figures['traffic_erlangs']:.2f} erlangs (rho {figures['rho']:.3f})"),
        ("offered", figures["offered"]),
        ("answered", figures["answered"]),
        ("abandoned", figures["abandoned"]),
        ("max_wait_seconds", f"{figures['max_wait_seconds']:.1f}"),
    ]
    lines = [f"{k.ljust(18)}  {v}" for k, v in rows]
    lines.append("")
    lines.append(f"{'metric'.ljust(18)}  {'simulated':>10}  {'std err':>9}  {model:>10}  {'tolerance':>9}  within")
    for metric, c in comparison["metrics"].items():
        digits = 2 if metric == "asa_seconds" else 4
        lines.append(
            f"{metric.ljust(18)}  {_fmt(c['simulated'], digits):>10}  {_fmt(c.get('standard_error'), digits):>9}  "
            f"{_fmt(c['predicted'], digits):>10}  {_fmt(c.get('tolerance'), digits):>9}  "
            f"{'yes' if c['within'] else 'no' if c['within'] is not None else '-'}"
        )
    for name, q in figures["queues"].items():
        if q.get("same_as_overall"):
            continue
        lines.append(
            f"queue {name}: {q['agents']} agents, offered {q['offered']}, service level {_fmt(q['service_level'])}, "
            f"ASA {_fmt(q['asa_seconds'], 2)} s, agrees with {model}: {'yes' if q['comparison']['agrees'] else 'no'}"
        )
    ref = figures["reference"]
    lines.append(
        f"reference queue (same calls, first come first served): service level {_fmt(ref['service_level'])}, "
        f"ASA {_fmt(ref['asa_seconds'], 2)} s; calls the ACD resolved differently: {ref['differing']}"
    )
    lines.append("")
    lines.append(
        f"{figures['hours']:g} h measured after {figures['warmup_hours']:g} h warm-up, {figures['batches']} batches; "
        f"{figures['acd_requests']} ACD requests in {figures['wall_seconds']:.1f} s"
    )
    if not comparison["exact"]:
        lines.append(f"note: with wrap-up or an answer delay, handle times are not exponential: {model} is approximate")
    for problem in figures["anomalies"] + figures["audit_problems"]:
        lines.append(f"problem: {problem}")
    return "\n".join(lines)


@simulate.command("inbound")
@click.option("--agents", default=10, show_default=True, type=click.IntRange(min=1), help="agents logged in")
@click.option("--calls-per-hour", default=160.0, show_default=True, type=_POSITIVE, help="Poisson arrival rate")
@click.option(
    "--aht",
    default=180.0,
    show_default=True,
    type=_POSITIVE,
    help="average handle time (talk + wrap-up), seconds; talk is exponential",
)
@click.option(
    "--hours",
    default=8.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True, max=24 * 31),
    help="hours of traffic measured (after the warm-up)",
)
@click.option(
    "--warmup",
    default=0.5,
    show_default=True,
    type=click.FloatRange(min=0, max=24 * 31),
    help="hours simulated first and left out of the figures",
)
@click.option(
    "--patience",
    default=None,
    type=_POSITIVE,
    help="mean caller patience, seconds (exponential); callers then abandon, compared with Erlang A",
)
@click.option(
    "--skills-mix",
    default=None,
    callback=_skills_mix,
    metavar="SKILL:SHARE,...",
    help="one queue per skill, calls and agents split by share (e.g. billing:0.3,support:0.7)",
)
@click.option(
    "--target-seconds",
    default=20.0,
    show_default=True,
    type=_NON_NEGATIVE,
    help="service level threshold: answered within this many seconds",
)
@click.option(
    "--wrap", default=0.0, show_default=True, type=_NON_NEGATIVE, help="wrap-up after each call, seconds (part of AHT)"
)
@click.option(
    "--answer-delay",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0, max=15, max_open=True),
    help="seconds an agent takes to accept an offer (below the 15 s offer timeout)",
)
@click.option("--strategy", default=DEFAULT_STRATEGY, show_default=True, type=click.Choice(STRATEGIES))
@click.option(
    "--batches",
    default=20,
    show_default=True,
    type=click.IntRange(min=20, max=10_000),
    help="batches for the standard errors (batch means)",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--redis-url",
    default=None,
    metavar="URL",
    help="run on this Redis server (own namespace, removed afterwards) instead of a private in-memory one",
)
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
def simulate_inbound(
    agents: int,
    calls_per_hour: float,
    aht: float,
    hours: float,
    warmup: float,
    patience: float | None,
    skills_mix: Any,
    target_seconds: float,
    wrap: float,
    answer_delay: float,
    strategy: str,
    batches: int,
    seed: int,
    redis_url: str | None,
    as_json: bool,
) -> None:
    """Route simulated inbound calls through the real ACD and compare with Erlang C / Erlang A."""
    from contactcenter.acd.simulation import SimulationConfig, SimulationError, simulate as run

    if wrap >= aht:
        raise click.BadParameter(
            f"{wrap:g} must be below --aht ({aht:g}): wrap-up is part of the handle time", param_hint="'--wrap'"
        )
    options: dict[str, Any] = {}
    if skills_mix is not None:
        options["skills_mix"] = skills_mix
    try:
        config = SimulationConfig(
            agents=agents,
            calls_per_hour=calls_per_hour,
            aht_s=aht,
            hours=hours,
            seed=seed,
            patience_s=patience,
            target_seconds=target_seconds,
            warmup_hours=warmup,
            wrap_s=wrap,
            answer_delay_s=answer_delay,
            strategy=strategy,
            batches=batches,
            **options,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    client = None
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise click.ClickException(f"Redis at {redis_url} is not reachable: {exc}") from None
    try:
        figures = run(config, client).to_dict()
    except SimulationError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(figures) if as_json else _table(figures))


__all__ = ["simulate", "simulate_inbound"]
