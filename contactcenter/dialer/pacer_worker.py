"""The pacer worker: one leader (a Redis lease) wakes on published events and runs every running
campaign's dialing step at least once a second.

Events travel through a Redis list so web processes, the ACD and the worker need not share
memory; only the leader holds the pacers.
"""

from __future__ import annotations

import logging
import math
import threading
import time as _time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from contactcenter import clock
from contactcenter.dialer.dialing import CampaignDialer, StepReport
from contactcenter.dialer.pacing_vocabulary import NO_ANSWER
from contactcenter.leases import LeaderLease

log = logging.getLogger("contactcenter.dialer.pacer")


EVENTS_KEY = "{dialer}:events"
LEADER_KEY = "{dialer}:leader"
MAX_QUEUED_EVENTS = 100_000


class LeaderLock(LeaderLease):
    """One pacer leads at a time: a lease on `{dialer}:leader` (see `contactcenter.leases`),
    renewed while alive."""

    def __init__(self, redis: Any, key: str = LEADER_KEY, ttl_s: float = 5.0, token: str | None = None) -> None:
        super().__init__(redis, key, ttl_s, token)


def publish_event(redis: Any, kind: str, campaign_id: int, **data: Any) -> None:
    """Wake the pacer: an agent-state change or a call outcome happened (web hooks, the ACD)."""
    import json

    payload = json.dumps({"kind": kind, "campaign_id": campaign_id, **data}, separators=(",", ":"))
    pipe = redis.pipeline()
    pipe.lpush(EVENTS_KEY, payload)
    pipe.ltrim(EVENTS_KEY, 0, MAX_QUEUED_EVENTS - 1)
    pipe.execute()


def drain_events(redis: Any, wait_s: float) -> list[dict[str, Any]]:
    """Events published since the last call (oldest first), waiting up to `wait_s` for the first."""
    import json

    events: list[dict[str, Any]] = []
    first = redis.brpop([EVENTS_KEY], timeout=max(1, int(math.ceil(wait_s)))) if wait_s > 0 else redis.rpop(EVENTS_KEY)
    if first is None:
        return events
    raw = first[1] if isinstance(first, (list, tuple)) else first
    while raw is not None:
        try:
            events.append(json.loads(raw))
        except ValueError:
            log.warning("dropping a malformed dialer event")
        raw = redis.rpop(EVENTS_KEY)
    return events


def apply_event(dialer: CampaignDialer, event: Mapping[str, Any], now: float) -> None:
    """Feed one published event to its campaign's dialer (and so to its pacer)."""
    kind = event.get("kind")
    call_id = str(event.get("call_id") or "")
    at = float(event.get("at") or now)
    pacer = dialer.pacer
    if kind == "live_answer":
        dialer.live_answer(call_id, at)
    elif kind == "connected":
        pacer.on_connected(call_id, at)
    elif kind == "abandoned":
        pacer.on_abandoned(call_id, at)
    elif kind == "not_live":
        dialer.call_ended(call_id, str(event.get("outcome") or NO_ANSWER), at)
    elif kind == "handle_done":
        pacer.on_handle_done(float(event.get("talk_s") or 0.0), float(event.get("wrap_s") or 0.0))
    # "agent_state" and anything else only wake the loop.


class PacerWorker:
    """The pacing loop: lead with a Redis lock, react to events, decide at least once a second.

    `campaigns()` returns the dialers of the running campaigns (built by `CampaignDialers` from the
    SQL store, and rebuilt when campaigns start, pause or stop).
    """

    def __init__(
        self,
        redis: Any,
        campaigns: Callable[[], Mapping[int, CampaignDialer]],
        *,
        tick_s: float = 1.0,
        lock: LeaderLock | None = None,
    ) -> None:
        self.redis = redis
        self.campaigns = campaigns
        self.tick_s = tick_s
        self.lock = lock or LeaderLock(redis)
        self.steps = 0

    def step(self, events: Sequence[Mapping[str, Any]] = (), now: float | None = None) -> dict[int, StepReport]:
        """One pass: if leader, apply events and run every campaign's dialer."""
        now = clock.timestamp() if now is None else now
        if not self.lock.acquire_or_renew():
            return {}
        dialers = self.campaigns()
        for event in events:
            dialer = dialers.get(int(event.get("campaign_id") or 0))
            if dialer is not None:
                apply_event(dialer, event, now)
        reports = {}
        for campaign_id, dialer in dialers.items():
            try:
                reports[campaign_id] = dialer.step(now)
            except Exception:
                log.exception("pacing step failed for campaign %s", campaign_id)
        self.steps += 1
        return reports

    def run(self, stop: threading.Event | None = None, max_steps: int | None = None) -> None:
        stop = stop or threading.Event()
        try:
            while not stop.is_set() and (max_steps is None or self.steps < max_steps):
                if self.lock.held or self.lock.acquire_or_renew():
                    events = drain_events(self.redis, self.tick_s)
                    self.step(events)
                else:
                    _time.sleep(self.tick_s)
        finally:
            self.lock.release()
