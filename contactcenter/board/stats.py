"""The board's figures: live state from the ACD (Redis) joined with today's figures from the store.

Two halves, computed at different rates by the feed:

* live   — per queue: waiting, longest wait, agents available / reserved / on call / wrap-up /
           break / offline (`RealtimeACD.queue_stats`); per agent: state, reason, since, call.
           Cheap (a few Redis round trips), recomputed on every coalesced update.
* today  — per queue, from the interactions in the store, in the queue's own zone and with its own
           service-level formula (`contactcenter.tickets.intervals`): offered, answered, abandoned,
           service level, ASA, AHT, and the same per 15-minute interval for the chart. One SQL
           pass over today's calls; the feed refreshes it every few seconds at most.

Everything returned is plain JSON-ready data; times are Unix seconds (`since`) so the page can
count time in state itself, corrected by the server time sent with each update.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.accounts.models import Role, User
from contactcenter.acd.interfaces import AgentSnapshot, QueueStats
from contactcenter.acd.models import Queue
from contactcenter.tickets.intervals import (
    DEFAULT_FORMULA,
    FORMULAS,
    INTERVAL,
    CallInterval,
    ReportError,
    Window,
    call_intervals,
    zone,
)


@dataclass(frozen=True)
class QueueSettings:
    """What the board needs to know of a queue besides its live state: names and targets."""

    name: str
    display_name: str
    sl_target: float
    sl_threshold_s: int
    alert_wait_s: int
    sl_formula: str
    time_zone: str

    @classmethod
    def from_model(cls, queue: Queue) -> QueueSettings:
        formula = queue.sl_formula if queue.sl_formula in FORMULAS else DEFAULT_FORMULA
        try:
            zone(queue.time_zone or "UTC")
            tz = queue.time_zone or "UTC"
        except ReportError:
            tz = "UTC"  # a bad zone must not blank the board; admin validation reports it
        return cls(
            queue.name,
            queue.display_name,
            float(queue.sl_target),
            int(queue.sl_threshold_s),
            int(queue.alert_wait_s or 60),
            formula,
            tz,
        )


def queue_settings(session: Session) -> dict[str, QueueSettings]:
    return {q.name: QueueSettings.from_model(q) for q in session.scalars(select(Queue).order_by(Queue.name))}


def agent_names(session: Session) -> dict[str, str]:
    """Display names of agents by id (as the ACD spells ids: strings)."""
    rows = session.execute(select(User.id, User.display_name).where(User.role == Role.AGENT.value))
    return {str(uid): name for uid, name in rows}


# -- today -----------------------------------------------------------------------------------


def _today(tz_name: str, now: datetime) -> tuple[Window, datetime]:
    tz = zone(tz_name)
    day = now.astimezone(tz).date()
    window = Window(day, day, tz)
    return window, window.lower


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def today_figures(
    session: Session, settings: dict[str, QueueSettings], now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Per queue name: today's totals and its 15-minute intervals (only those with calls).

    One pass over today's calls per (zone, formula) the queues use; the day's totals are the
    intervals added up, service level through the queue's formula on the summed counts.
    """
    now = now or clock.now()
    groups: dict[tuple[str, str], list[str]] = {}
    for s in settings.values():
        groups.setdefault((s.time_zone, s.sl_formula), []).append(s.name)
    out: dict[str, dict[str, Any]] = {}
    for (tz_name, formula_name), names in groups.items():
        window, day_start = _today(tz_name, now)
        sl = FORMULAS[formula_name]
        by_queue: dict[str, list[CallInterval]] = {name: [] for name in names}
        for row in call_intervals(
            session,
            window.first,
            window.last,
            time_zone=tz_name,
            sl_formula=formula_name,
            granularity="interval",
            now=now,
        ):
            if row.queue in by_queue:
                by_queue[row.queue].append(row)
        for name, rows in by_queue.items():
            answered = sum(r.answered for r in rows)
            waits = [w for r in rows for w in r.waits]
            handles = [h for r in rows for h in r.handle_times]
            out[name] = {
                "offered": sum(r.offered for r in rows),
                "answered": answered,
                "abandoned": sum(r.abandoned for r in rows),
                "short_abandons": sum(r.short_abandons for r in rows),
                "service_level": _round(
                    sl.compute(
                        answered,
                        sum(r.answered_in_t for r in rows),
                        sum(r.abandoned_in_t for r in rows),
                        sum(r.abandoned_after_t for r in rows),
                        sum(r.short_abandons_in_t for r in rows),
                        sum(r.short_abandons_after_t for r in rows),
                    ),
                    4,
                ),
                "asa_s": _round(sum(waits) / len(waits) if waits else None),
                "aht_s": _round(sum(handles) / len(handles) if handles else None),
                "day_start": day_start.timestamp(),
                "intervals": [
                    {
                        "slot": int((r.start - day_start) // INTERVAL),
                        "label": r.start.astimezone(window.tz).strftime("%H:%M"),
                        "offered": r.offered,
                        "answered": r.answered,
                        "abandoned": r.abandoned,
                        "service_level": _round(r.service_level, 4),
                    }
                    for r in rows
                ],
            }
    return out


# -- live ------------------------------------------------------------------------------------


def live_queue(stats: QueueStats) -> dict[str, Any]:
    return {
        "waiting": stats.waiting,
        "offered_now": stats.offered,
        "longest_wait_s": round(stats.longest_wait_seconds, 1),
        "agents": {
            "available": stats.agents_available,
            "reserved": stats.agents_reserved,
            "on_call": stats.agents_on_call,
            "wrap_up": stats.agents_wrap_up,
            "break": stats.agents_break,
            "offline": stats.agents_offline,
        },
    }


# The names a supervisor reads for the ACD's states.
STATE_LABELS = {
    "available": "Available",
    "reserved": "Ringing",
    "on_call": "On a call",
    "wrap_up": "Wrap-up",
    "break": "On break",
    "offline": "Logged out",
}


def state_label(state: str, reason: str | None = None) -> str:
    label = STATE_LABELS.get(state, state.replace("_", " ").capitalize())
    return f"{label} ({reason})" if reason else label


def agent_row(
    agent: AgentSnapshot,
    names: dict[str, str],
    teams: dict[str, str] | None = None,
    calls: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    call = None
    if agent.call_sid and agent.state in ("on_call", "wrap_up", "reserved"):
        call = (calls or {}).get(agent.call_sid)
    return {
        "agent_id": agent.agent_id,
        "name": names.get(agent.agent_id, f"agent {agent.agent_id}"),
        "team": (teams or {}).get(agent.agent_id),
        "state": agent.state,
        "state_label": state_label(agent.state, agent.reason),
        "reason": agent.reason,
        "since": agent.since,
        "call_sid": agent.call_sid,
        "call": call,
        "queues": list(agent.queues),
        "calls_today": agent.calls_today,
    }


def offline_row(agent_id: str, name: str, team: str | None = None) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "name": name,
        "team": team,
        "state": "offline",
        "state_label": STATE_LABELS["offline"],
        "reason": None,
        "since": None,
        "call_sid": None,
        "call": None,
        "queues": [],
        "calls_today": 0,
    }


def queue_rows(
    settings: dict[str, QueueSettings], live: Iterable[QueueStats], today: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per queue the store knows: its targets, live state and today's figures."""
    by_name = {s.queue: s for s in live}
    rows = []
    for name, s in sorted(settings.items()):
        stats = by_name.get(name)
        row: dict[str, Any] = {
            "queue": name,
            "name": s.display_name,
            "sl_target": s.sl_target,
            "sl_threshold_s": s.sl_threshold_s,
            "alert_wait_s": s.alert_wait_s,
            "sl_formula": s.sl_formula,
            "time_zone": s.time_zone,
        }
        if stats is not None:
            row.update(live_queue(stats))
        else:
            row.update(
                waiting=0,
                offered_now=0,
                longest_wait_s=0.0,
                agents={k: 0 for k in ("available", "reserved", "on_call", "wrap_up", "break", "offline")},
            )
        row["today"] = today.get(name) or {
            "day_start": _today(s.time_zone, clock.now())[1].timestamp(),
            "offered": 0,
            "answered": 0,
            "abandoned": 0,
            "short_abandons": 0,
            "service_level": None,
            "asa_s": None,
            "aht_s": None,
            "intervals": [],
        }
        rows.append(row)
    return rows


def agent_totals(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["state"]] = totals.get(row["state"], 0) + 1
    return totals


__all__ = [
    "QueueSettings",
    "agent_names",
    "agent_row",
    "agent_totals",
    "live_queue",
    "offline_row",
    "queue_rows",
    "queue_settings",
    "state_label",
    "today_figures",
]
