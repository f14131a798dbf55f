"""Board settings in the words of the domain: teams, thresholds, a caller waiting, a call in progress."""

from __future__ import annotations

from typing import Any

from contactcenter import clock
from contactcenter.acd.models import Queue
from contactcenter.board import services as board_settings
from contactcenter.board.models import Team
from contactcenter.board.thresholds import Threshold
from tests.support.factories import gen_call


def team_with(db: Any, name: str, *agents: Any) -> Team:
    team = board_settings.create_team(db, name)
    for agent in agents:
        board_settings.set_agent_team(db, agent.id, team.id)
    return team


def thresholds_on(db: Any, queue: Queue, **pairs: tuple[float, float]) -> None:
    board_settings.save_thresholds(db, queue.id, dict(pairs))


def queue_row(waiting: int = 0, wait: float = 0.0, sl: float | None = None, **extra: Any) -> dict[str, Any]:
    """A board queue row as `stats.queue_rows` makes it (the measures thresholds look at)."""
    return {
        "queue": "support",
        "name": "Support",
        "waiting": waiting,
        "longest_wait_s": wait,
        "sl_target": 0.0,
        "alert_wait_s": 0,
        "today": {"service_level": sl},
        **extra,
    }


def limits(**pairs: tuple[float, float]) -> dict[str, Threshold]:
    return {m: Threshold(m, *p) for m, p in pairs.items()}


def call_in_progress(db: Any, agent: Any, queue: Queue, **kw: Any) -> Any:
    """A call an agent answered and is still on."""
    now = clock.now()
    values = {"agent_id": agent.id, "queue_id": queue.id, "status": "in-progress", "ended_at": None, "answered_at": now}
    values.update(kw)
    return gen_call(db, arrived_at=now, **values)
