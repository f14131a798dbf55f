"""The board's settings and actions: teams of agents, per-queue thresholds, acknowledging alerts.

Plain functions over a session (the caller commits, with its audit entry in the same
transaction); refusals are `BoardError`s. Acknowledging an alert publishes `alert.acknowledged`
for supervisors, so every web process's feed stops the alert flashing on every board at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from contactcenter import clock, events
from contactcenter.accounts.models import Role, User
from contactcenter.acd.models import Queue
from contactcenter.board.models import AlertAck, QueueThreshold, Team, TeamMember
from contactcenter.board.thresholds import METRICS, Threshold, check
from contactcenter.errors import DomainError

ACKNOWLEDGED = "alert.acknowledged"
TEAM_NAME = re.compile(r"^[\w][\w .&'-]{0,63}$", re.UNICODE)
ALERT_KEY = re.compile(r"^[a-z0-9_.:-]{3,120}$")


class BoardError(DomainError, ValueError):
    kind = "unprocessable"
    code = "board_invalid"


# -- teams -------------------------------------------------------------------------------------


def teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


def create_team(session: Session, name: str) -> Team:
    name = " ".join(name.split())
    if not TEAM_NAME.match(name):
        raise BoardError(
            "a team name is 1 to 64 letters, digits, spaces and . & ' - (starting with a letter or digit)",
            code="bad_team_name",
        )
    if session.scalar(select(Team.id).where(Team.name == name)) is not None:
        raise BoardError(f"there is already a team named {name}", code="team_exists", kind="conflict")
    team = Team(name=name)
    session.add(team)
    session.flush()
    return team


def delete_team(session: Session, team_id: int) -> str:
    team = session.get(Team, team_id)
    if team is None:
        raise BoardError("no such team", code="unknown_team", kind="not_found")
    name = team.name
    session.execute(delete(TeamMember).where(TeamMember.team_id == team_id))
    session.delete(team)
    session.flush()
    return name


def set_agent_team(session: Session, user_id: int, team_id: int | None) -> Team | None:
    """Put an agent in a team (None: in none). An agent is in at most one team."""
    user = session.get(User, user_id)
    if user is None or user.role != Role.AGENT.value:
        raise BoardError("only agents are put in teams", code="not_an_agent", kind="not_found")
    team = None
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None:
            raise BoardError("no such team", code="unknown_team", kind="not_found")
    member = session.get(TeamMember, user_id)
    if team is None:
        if member is not None:
            session.delete(member)
    elif member is None:
        session.add(TeamMember(user_id=user_id, team_id=team.id))
    else:
        member.team_id = team.id
    session.flush()
    return team


def team_of(session: Session, user_id: int) -> Team | None:
    return session.scalar(
        select(Team).join(TeamMember, TeamMember.team_id == Team.id).where(TeamMember.user_id == user_id)
    )


def agent_teams(session: Session) -> dict[str, str]:
    """Team name by agent id (as the ACD spells ids: strings)."""
    rows = session.execute(select(TeamMember.user_id, Team.name).join(Team, Team.id == TeamMember.team_id))
    return {str(uid): name for uid, name in rows}


# -- thresholds --------------------------------------------------------------------------------


def thresholds_by_queue(session: Session) -> dict[str, dict[str, Threshold]]:
    rows = session.execute(
        select(Queue.name, QueueThreshold.metric, QueueThreshold.warn, QueueThreshold.critical).join(
            Queue, Queue.id == QueueThreshold.queue_id
        )
    )
    out: dict[str, dict[str, Threshold]] = {}
    for queue, metric, warn, critical in rows:
        if metric in METRICS:
            out.setdefault(queue, {})[metric] = Threshold(metric, float(warn), float(critical))
    return out


def save_thresholds(
    session: Session, queue_id: int, values: Mapping[str, tuple[float, float] | None]
) -> dict[str, Any]:
    """Set (or, with None, remove) the thresholds of one queue; all checked before any is written.
    Returns what was set, for the audit entry."""
    queue = session.get(Queue, queue_id)
    if queue is None:
        raise BoardError("no such queue", code="unknown_queue", kind="not_found")
    for metric, pair in values.items():
        if metric not in METRICS:
            raise BoardError(f"unknown measure {metric[:40]!r}", code="bad_metric", kind="invalid")
        if pair is not None:
            problem = check(metric, *pair)
            if problem:
                raise BoardError(problem, code="bad_threshold")
    existing = {t.metric: t for t in session.scalars(select(QueueThreshold).where(QueueThreshold.queue_id == queue_id))}
    for metric, pair in values.items():
        row = existing.get(metric)
        if pair is None:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            session.add(QueueThreshold(queue_id=queue_id, metric=metric, warn=pair[0], critical=pair[1]))
        else:
            row.warn, row.critical, row.updated_at = pair[0], pair[1], clock.now()
    session.flush()
    return {m: (list(p) if p is not None else None) for m, p in values.items()}


# -- acknowledging alerts ----------------------------------------------------------------------


@dataclass(frozen=True)
class Ack:
    key: str
    by: str
    at: float

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "by": self.by, "at": self.at}


def _ack(row: AlertAck) -> Ack:
    return Ack(row.alert_key, row.user_name, row.acknowledged_at.timestamp())


def active_acks(session: Session) -> dict[str, Ack]:
    rows = session.scalars(select(AlertAck).where(AlertAck.cleared_at.is_(None)).order_by(AlertAck.id))
    return {r.alert_key: _ack(r) for r in rows}


def acknowledge(session: Session, user: User, key: str, holding: set[str]) -> tuple[Ack, bool]:
    """Acknowledge the alert `key`, which must be one that holds now (`holding`). Returns the ack and
    whether it is new (a second acknowledgement keeps the first one's who and when)."""
    if not isinstance(key, str) or not ALERT_KEY.match(key):
        raise BoardError("that is not an alert", code="bad_alert", kind="invalid")
    if key not in holding:
        raise BoardError("that alert is no longer raised", code="alert_gone", kind="not_found")
    current = session.scalar(select(AlertAck).where(AlertAck.alert_key == key, AlertAck.cleared_at.is_(None)))
    if current is not None:
        return _ack(current), False
    row = AlertAck(alert_key=key, user_id=user.id, user_name=user.display_name or user.username)
    session.add(row)
    session.flush()
    return _ack(row), True


def announce(redis_client: redis.Redis, ack: Ack) -> None:
    """Tell every web process's board (after the commit): the alert stops flashing everywhere."""
    events.publish(redis_client, {"type": ACKNOWLEDGED, **ack.as_dict()}, channel=events.SUPERVISORS_CHANNEL)


def clear_acks(session: Session, holding: set[str], now: datetime | None = None) -> int:
    """Close the acknowledgements of alerts that no longer hold, so they flash when they start again."""
    open_keys = set(session.scalars(select(AlertAck.alert_key).where(AlertAck.cleared_at.is_(None))))
    gone = open_keys - holding
    if not gone:
        return 0
    session.execute(
        update(AlertAck)
        .where(AlertAck.alert_key.in_(gone), AlertAck.cleared_at.is_(None))
        .values(cleared_at=now or clock.now())
    )
    return len(gone)
