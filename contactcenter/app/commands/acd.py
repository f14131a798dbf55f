"""`contactcenter erlang`: staffing figures for a queue from the command line.

    contactcenter erlang --calls-per-hour 200 --aht 180 --agents 14 --target-seconds 20
    contactcenter erlang --calls-per-hour 200 --aht 180 --sl-target 0.8 --target-seconds 20 --json

Erlang C by default; with --patience the Erlang A model (callers hang up) is used instead.
"""

from __future__ import annotations

import dataclasses
import json
import math

import click

from contactcenter.acd.erlang import (
    ErlangAResult,
    ErlangCResult,
    agents_for_service_level,
    erlang_a,
    erlang_c,
)

_POSITIVE = click.FloatRange(min=0, min_open=True)


def _as_json(result: ErlangCResult | ErlangAResult, sl_target: float | None) -> str:
    figures = dataclasses.asdict(result)
    # JSON has no infinity: an unstable queue's ASA is reported as null (see "stable").
    figures = {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in figures.items()}
    figures["model"] = "erlang_a" if isinstance(result, ErlangAResult) else "erlang_c"
    if sl_target is not None:
        figures["sl_target"] = sl_target
    return json.dumps(figures)


def _as_table(result: ErlangCResult | ErlangAResult, sl_target: float | None) -> str:
    target = f"{result.target_seconds:g} s"
    if isinstance(result, ErlangAResult):
        model = f"Erlang A (mean patience {result.patience_seconds:g} s)"
    else:
        model = "Erlang C"
    agents = str(result.agents)
    if sl_target is not None:
        agents += f" needed for {sl_target:.0%} within {target}"
    rows = [
        ("Model", model),
        ("Traffic", f"{result.traffic_erlangs:.2f} erlangs"),
        ("Agents", agents),
        ("P(wait)", f"{result.p_wait:.4f}"),
    ]
    if isinstance(result, ErlangAResult):
        rows.append(("P(abandon)", f"{result.p_abandon:.4f}"))
    rows.append(("Service level", f"{result.service_level:.2%} answered within {target}"))
    if math.isinf(result.asa_seconds):
        rows.append(("ASA", "infinite: queue unstable, agents <= traffic"))
    else:
        rows.append(("ASA", f"{result.asa_seconds:.2f} s"))
    rows.append(("Occupancy", f"{result.occupancy:.1%}"))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


@click.command()
@click.option("--calls-per-hour", type=_POSITIVE, required=True, help="Offered calls per hour.")
@click.option("--aht", type=_POSITIVE, required=True, help="Average handle time, seconds.")
@click.option("--agents", type=click.IntRange(min=1), help="Agents staffed (or give --sl-target).")
@click.option(
    "--sl-target",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    help="Service level to reach, e.g. 0.8: prints the agents needed (or give --agents).",
)
@click.option(
    "--target-seconds",
    type=click.FloatRange(min=0),
    required=True,
    help="Service level threshold T: answered within T seconds.",
)
@click.option("--patience", type=_POSITIVE, help="Mean caller patience, seconds: use Erlang A.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def erlang(
    calls_per_hour: float,
    aht: float,
    agents: int | None,
    sl_target: float | None,
    target_seconds: float,
    patience: float | None,
    as_json: bool,
) -> None:
    """Erlang C / Erlang A staffing: P(wait), service level, ASA and occupancy."""
    if (agents is None) == (sl_target is None):
        raise click.UsageError("Give exactly one of --agents or --sl-target.")
    try:
        if sl_target is not None:
            result = agents_for_service_level(calls_per_hour, aht, target_seconds, sl_target, patience_s=patience)
        elif agents is None:  # never: exactly one of --agents and --sl-target is given (checked above)
            raise click.UsageError("Give exactly one of --agents or --sl-target.")
        elif patience is not None:
            result = erlang_a(agents, calls_per_hour, aht, patience, target_seconds)
        else:
            result = erlang_c(agents, calls_per_hour, aht, target_seconds)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(_as_json(result, sl_target) if as_json else _as_table(result, sl_target))
