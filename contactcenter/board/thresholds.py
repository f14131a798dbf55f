"""Per-queue thresholds and the level (ok, warn, critical) each puts a queue's tile at.

Three measures, each with a warning and a critical value set by an admin (`QueueThreshold`):

* `longest_wait_s` — the longest a caller now waiting has waited (seconds; higher is worse);
* `waiting`        — callers waiting now (higher is worse);
* `service_level`  — today's service level, as a share 0–1 (lower is worse).

A level is a pure function of a board queue row and the queue's thresholds, so every web process
colours the same tiles; `alerts` turns a warn or critical level into an alert.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OK, WARN, CRITICAL = "ok", "warn", "critical"
LEVELS = (OK, WARN, CRITICAL)
RANK = {OK: 0, WARN: 1, CRITICAL: 2}


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    higher_is_worse: bool
    share: bool = False  # a share 0–1, shown and entered as a percentage

    def value(self, row: Mapping[str, Any]) -> float | None:
        if self.name == "service_level":
            sl = (row.get("today") or {}).get("service_level")
            return None if sl is None else float(sl)
        if self.name == "longest_wait_s":
            return float(row.get("longest_wait_s") or 0) if row.get("waiting") else 0.0
        return float(row.get(self.name) or 0)

    def show(self, value: float) -> str:
        if self.share:
            return f"{value:.0%}"
        if self.name == "longest_wait_s":
            return f"{int(value)} s"
        return f"{int(value)}"


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("longest_wait_s", "Longest wait", True),
        Metric("waiting", "Callers waiting", True),
        Metric("service_level", "Service level today", False, share=True),
    )
}
MAX_COUNT = 1_000_000


@dataclass(frozen=True)
class Threshold:
    metric: str
    warn: float
    critical: float

    def level(self, value: float | None) -> str:
        if value is None:
            return OK
        if METRICS[self.metric].higher_is_worse:
            return CRITICAL if value >= self.critical else WARN if value >= self.warn else OK
        return CRITICAL if value <= self.critical else WARN if value <= self.warn else OK

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "warn": self.warn, "critical": self.critical}


def check(metric: str, warn: float, critical: float) -> str | None:
    """Why these values cannot make a threshold (None: they can)."""
    m = METRICS.get(metric)
    if m is None:
        return "unknown measure"
    if not (math.isfinite(warn) and math.isfinite(critical)) or warn < 0 or critical < 0:
        return f"{m.label}: thresholds must be numbers of zero or more"
    if m.share and (warn > 1 or critical > 1):
        return f"{m.label}: thresholds are percentages from 0 to 100"
    if not m.share and (warn > MAX_COUNT or critical > MAX_COUNT):
        return f"{m.label}: thresholds must be under {MAX_COUNT}"
    if m.higher_is_worse and critical < warn:
        return f"{m.label}: the critical value must be at or above the warning value"
    if not m.higher_is_worse and critical > warn:
        return f"{m.label}: the critical value must be at or below the warning value"
    return None


def levels(row: Mapping[str, Any], thresholds: Mapping[str, Threshold]) -> dict[str, str]:
    """The level of each measure that has a threshold, for one board queue row."""
    return {name: t.level(METRICS[name].value(row)) for name, t in thresholds.items() if name in METRICS}


def worst(found: Mapping[str, str]) -> str:
    return max(found.values(), key=RANK.__getitem__, default=OK)
