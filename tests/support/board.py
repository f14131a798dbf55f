"""Helpers for the board's web tests: a small floor (queue, agents, supervisor) and its socket messages."""

from __future__ import annotations

import time
from typing import Any

from contactcenter.accounts.models import Role
from contactcenter.acd.models import QueueMembership
from tests.support.factories import gen_agent, gen_queue


def small_floor(db: Any) -> dict[str, Any]:
    support = gen_queue(db, "support", display_name="Support")
    alice = gen_agent(db, "alice", skills={"support": 5}, display_name="Alice")
    bob = gen_agent(db, "bob", skills={"support": 5}, display_name="Bob")
    sam = gen_agent(db, "sam", role=Role.SUPERVISOR, display_name="Sam")
    for agent in (alice, bob):
        db.add(QueueMembership(queue_id=support.id, user_id=agent.id))
    db.flush()
    return {"support": support, "alice": alice, "bob": bob, "sam": sam}


def received(sock: Any, name: str, until: Any = lambda _args: True, timeout: float = 5.0) -> list[Any]:
    """Messages named `name` received so far, waiting (up to `timeout`) for one that satisfies `until`."""
    deadline = time.monotonic() + timeout
    got: list[Any] = []
    while True:
        got += [m["args"][0] for m in sock.get_received() if m["name"] == name]
        if any(until(m) for m in got) or time.monotonic() >= deadline:
            return got
        time.sleep(0.05)
