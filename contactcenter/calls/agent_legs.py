"""When an agent's audio leg was actually answered, which is when they start talking.

The ACD's connected time is the accept; the agent's phone or browser answers a few seconds later
(or not at all). The carrier's status callback of the agent's leg says when, and the desktop's talk
timer counts from that moment ("connecting…" until then). One record per agent is enough: an agent
has one call at a time, and a record older than the current task's accept belongs to an earlier
call, so it is never shown for this one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from contactcenter import clock

KEEP_S = 12 * 3600  # longer than any call; the record only matters while the call is live
KEY = "cc:agent-leg-answered:{agent_id}"


@dataclass(frozen=True)
class AnsweredLeg:
    call_sid: str  # the task the leg was dialled for
    leg_sid: str
    at: float  # epoch seconds


def record_answered(client: redis.Redis, agent_id: int, call_sid: str, leg_sid: str, at: float | None = None) -> None:
    """The carrier says the agent's leg is in progress (a repeat keeps the first moment)."""
    key = KEY.format(agent_id=int(agent_id))
    raw = client.get(key)
    if raw:
        known = _decode(raw)
        if known is not None and known.leg_sid == leg_sid:
            return
    payload = {"call": call_sid, "leg": leg_sid, "at": clock.timestamp() if at is None else at}
    client.set(key, json.dumps(payload), ex=KEEP_S)


def answered_since(client: redis.Redis, agent_id: int, since: float | None) -> AnsweredLeg | None:
    """The agent's leg answered at or after `since` (the accept), or None while it still rings."""
    raw = client.get(KEY.format(agent_id=int(agent_id)))
    known = _decode(raw) if raw else None
    if known is None or (since is not None and known.at < since - 1.0):  # a second of clock skew
        return None
    return known


def _decode(raw: bytes | str) -> AnsweredLeg | None:
    try:
        data = json.loads(raw)
        return AnsweredLeg(str(data["call"]), str(data["leg"]), float(data["at"]))
    except (ValueError, KeyError, TypeError):
        return None
