"""Live events for desktops and boards, carried on Redis pub/sub.

Any process (web, worker, pacer) publishes; every web process relays what it hears to the
Socket.IO clients connected to it. Events are plain JSON named `<area>.<what>`; an event that
names an agent goes to that agent's room, and every event goes to the supervisors' room.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import redis

# The ACD's own channel (its Lua scripts publish there atomically with each change) and the one
# every other module uses.
ACD_CHANNEL = "{acd}:events"
GENERAL_CHANNEL = "events:all"
SUPERVISORS_CHANNEL = "events:supervisors"
CHANNELS = (ACD_CHANNEL, GENERAL_CHANNEL, SUPERVISORS_CHANNEL)
SUPERVISORS_ROOM = "supervisors"
# Web chat events: to the visitor's widget (room `chat:<id>` of the /chat namespace) and, when
# the chat has one, its agent's desktop. Not for the board, so not among CHANNELS.
CHAT_CHANNEL = "events:chat"


def agent_room(agent_id: object) -> str:
    return f"agent:{agent_id}"


def publish(client: redis.Redis, event: Mapping[str, Any], channel: str = GENERAL_CHANNEL) -> None:
    if "type" not in event:
        raise ValueError("an event needs a type such as 'call.updated'")
    client.publish(channel, json.dumps(dict(event), default=str, separators=(",", ":")))


def rooms_for(event: Mapping[str, Any], channel: str) -> list[str]:
    """Where an event goes: its agent's room (unless it is for supervisors only) and the board."""
    rooms = [SUPERVISORS_ROOM]
    agent = event.get("agent_id")
    if agent not in (None, "") and channel != SUPERVISORS_CHANNEL:
        rooms.append(agent_room(agent))
    return rooms


def decode(raw: Any) -> dict[str, Any] | None:
    try:
        event = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    return event if isinstance(event, dict) and isinstance(event.get("type"), str) else None
