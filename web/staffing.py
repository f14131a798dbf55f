"""The staffing calculator: how many agents a forecast needs, by Erlang C or (with a caller
patience) Erlang A, with the same figures as `contactcenter erlang` (`contactcenter.acd.erlang`).

A plain GET form, so a result can be bookmarked or sent on; nothing is written. Besides the answer
the page lists the staffings around it (agents against service level, ASA, P(wait), abandon rate
and occupancy), since planners trade a few agents against the service they buy. Supervisors and
admins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import Blueprint, render_template, request
from flask_login import login_required

from contactcenter.acd.erlang import ErlangAResult, ErlangCResult, agents_for_service_level, erlang_a, erlang_c
from web.admin import staff_only

bp = Blueprint("staffing", __name__)
MAX_INPUT = 32  # characters per input; more is never a number we can use
MAX_TRAFFIC_ERLANGS = 5000.0
# Erlang A sums a chain about (calls per second x patience) states long when understaffed.
MAX_CHAIN_WORK = 200_000.0
ROWS_BELOW, ROWS_ABOVE = 3, 4
FIELDS = ("calls_per_hour", "aht", "target_seconds", "sl_target", "patience")
DEFAULTS = {"calls_per_hour": "", "aht": "", "target_seconds": "20", "sl_target": "80", "patience": ""}


@dataclass
class Inputs:
    calls_per_hour: float = 0.0
    aht: float = 0.0
    target_seconds: float = 20.0
    sl_target: float = 0.8
    patience: float | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _number(
    inputs: Inputs, name: str, label: str, low: float, high: float, *, low_open: bool = True, optional: bool = False
) -> float | None:
    raw = request.args.get(name, "")
    if len(raw) > MAX_INPUT:
        inputs.errors[name] = f"{label}: too long"
        return None
    raw = raw.strip().replace(",", ".")
    if not raw:
        if not optional:
            inputs.errors[name] = f"{label}: required"
        return None
    try:
        value = float(raw)
    except ValueError:
        inputs.errors[name] = f"{label}: a number, e.g. {high / 10:g}"
        return None
    if not math.isfinite(value) or value < low or (low_open and value == low) or value > high:
        bound = "above" if low_open else "from"
        inputs.errors[name] = f"{label}: a number {bound} {low:g} up to {high:g}"
        return None
    return value


def read_inputs() -> Inputs:
    """The form's inputs, each checked on its own (every problem next to its input at once)."""
    inputs = Inputs()
    calls = _number(inputs, "calls_per_hour", "Calls per hour", 0, 1_000_000)
    aht = _number(inputs, "aht", "Average handle time", 0, 86_400)
    target = _number(inputs, "target_seconds", "Answer within", 0, 3600, low_open=False)
    share = _number(inputs, "sl_target", "Service level target", 0, 99.99)
    patience = _number(inputs, "patience", "Caller patience", 0, 86_400, optional=True)
    if calls is not None and aht is not None:
        inputs.calls_per_hour, inputs.aht = calls, aht
        if calls * aht / 3600 > MAX_TRAFFIC_ERLANGS:
            inputs.errors["calls_per_hour"] = (
                f"more than {MAX_TRAFFIC_ERLANGS:g} erlangs of traffic: split the forecast into smaller queues"
            )
    if target is not None:
        inputs.target_seconds = target
    if share is not None:
        inputs.sl_target = share / 100
    if patience is not None:
        inputs.patience = patience
        if calls is not None and calls / 3600 * patience > MAX_CHAIN_WORK:
            inputs.errors["patience"] = "too long for Erlang A at this volume: leave it empty for Erlang C"
    return inputs


@dataclass(frozen=True)
class Staffing:
    answer: ErlangCResult | ErlangAResult
    rows: list[ErlangCResult | ErlangAResult]
    model: str
    command: str


def calculate(inputs: Inputs) -> Staffing:
    """The agents needed for the target, and the staffings around that answer."""
    answer = agents_for_service_level(
        inputs.calls_per_hour, inputs.aht, inputs.target_seconds, inputs.sl_target, patience_s=inputs.patience
    )
    rows: list[ErlangCResult | ErlangAResult] = []
    for agents in range(max(1, answer.agents - ROWS_BELOW), answer.agents + ROWS_ABOVE + 1):
        if inputs.patience is not None:
            rows.append(erlang_a(agents, inputs.calls_per_hour, inputs.aht, inputs.patience, inputs.target_seconds))
        else:
            rows.append(erlang_c(agents, inputs.calls_per_hour, inputs.aht, inputs.target_seconds))
    command = (
        f"contactcenter erlang --calls-per-hour {inputs.calls_per_hour:g} --aht {inputs.aht:g} "
        f"--sl-target {inputs.sl_target:g} --target-seconds {inputs.target_seconds:g}"
    )
    if inputs.patience is not None:
        command += f" --patience {inputs.patience:g}"
    model = "Erlang A" if inputs.patience is not None else "Erlang C"
    return Staffing(answer, rows, model, command)


@bp.get("/staffing")
@login_required
@staff_only
def page() -> tuple[str, int]:
    asked = any(name in request.args for name in FIELDS)
    form = {name: request.args.get(name, DEFAULTS[name] if not asked else "")[:MAX_INPUT] for name in FIELDS}
    inputs = read_inputs() if asked else Inputs()
    result: Staffing | None = None
    status = 200
    if asked and not inputs.errors:
        try:
            result = calculate(inputs)
        except ValueError as exc:
            inputs.errors["form"] = str(exc)
    if inputs.errors:
        status = 400
    return render_template(
        "staffing.html", form=form, errors=inputs.errors, result=result, inputs=inputs, isinf=math.isinf
    ), status
