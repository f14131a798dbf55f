"""Board alerts: a queue's service level today under its target, or its longest wait past its
threshold (`Queue.sl_target`, `Queue.alert_wait_s`), and any measure at the warning or critical
value an admin set for the queue (`contactcenter.board.thresholds`, levels already on the row).

Alerts are a pure function of the figures, so every web process raises the same ones; the feed
announces an alert once when it starts (`new_alerts`) and keeps it on the queue's row while it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from contactcenter.board.thresholds import CRITICAL, METRICS, OK

SERVICE_LEVEL, LONG_WAIT = "service_level", "long_wait"


@dataclass(frozen=True)
class Alert:
    queue: str
    kind: str
    value: float
    threshold: float
    message: str
    level: str = CRITICAL

    @property
    def key(self) -> str:
        return f"{self.queue}:{self.kind}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "key": self.key}


def for_queue(row: Mapping[str, Any]) -> list[Alert]:
    """The alerts a board queue row (see `stats.queue_rows`) raises now."""
    alerts = []
    name = str(row.get("name") or row["queue"])
    sl = (row.get("today") or {}).get("service_level")
    target = float(row.get("sl_target") or 0)
    if sl is not None and sl < target:
        alerts.append(
            Alert(
                row["queue"],
                SERVICE_LEVEL,
                sl,
                target,
                f"{name}: service level {sl:.0%} is under its {target:.0%} target",
            )
        )
    wait = float(row.get("longest_wait_s") or 0)
    limit = float(row.get("alert_wait_s") or 0)
    if row.get("waiting") and limit > 0 and wait >= limit:
        alerts.append(
            Alert(
                row["queue"],
                LONG_WAIT,
                wait,
                limit,
                f"{name}: a caller has waited {int(wait)} s (threshold {int(limit)} s)",
            )
        )
    for metric, level in (row.get("levels") or {}).items():
        if level == OK or metric not in METRICS:
            continue
        m = METRICS[metric]
        value = m.value(row)
        limit = float((row.get("thresholds") or {}).get(metric, {}).get(level, 0))
        word = "critical" if level == CRITICAL else "warning"
        shown = m.show(value) if value is not None else "–"
        alerts.append(
            Alert(
                row["queue"],
                f"{metric}.{level}",
                value or 0.0,
                limit,
                f"{name}: {m.label.lower()} {shown} is at the {word} level ({m.show(limit)})",
                level,
            )
        )
    return alerts


def evaluate(rows: Iterable[Mapping[str, Any]]) -> list[Alert]:
    return [alert for row in rows for alert in for_queue(row)]


def started(current: Iterable[Alert], previous_keys: set[str]) -> list[Alert]:
    """Alerts that hold now and did not at the previous update."""
    return [a for a in current if a.key not in previous_keys]
