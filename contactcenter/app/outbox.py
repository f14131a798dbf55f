"""Carrier webhooks received while the database was unreachable, kept in Redis until it returns.

While the store is away the webhook still answers the caller (a safe TwiML fallback: an apology,
"please hold", and a redirect that tries again). Facts that no retry would bring back — a call
arriving, a call ending, an agent's leg ending — are written here, already verified (signature,
account, shape), and replayed into the store by the heartbeat's leader once it can write again.

Replays go through the same idempotent paths as live webhooks (one interaction per call id,
every carrier delivery logged once), so a replay that races a live retry changes nothing twice,
and the time of each fact is the time it was received (`Timestamp`), not the time of replay.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import format_datetime
from typing import Any

import redis
from sqlalchemy.exc import DataError, IntegrityError

from contactcenter import clock
from contactcenter.app.runtime import Runtime
from contactcenter.db import transaction
from contactcenter.telephony.webhooks import MalformedWebhook, parse_call_event

log = logging.getLogger("contactcenter.app.outbox")
OUTBOX_KEY = "outbox:webhooks"
DEAD_KEY = "outbox:webhooks:dead"  # entries that can never apply (kept for a person to read)
# What is worth keeping: the start of a call, its status callbacks, the end of an agent's leg;
# for campaign calls, a person answering or waiting (they heard the safe-harbor message instead
# of an agent: `contactcenter.dialer.outage`) and the status callbacks.
ENDPOINTS = ("voice", "status", "agent_leg", "dialer_answer", "dialer_hold", "dialer_status")


@dataclass(frozen=True)
class Entry:
    endpoint: str  # one of ENDPOINTS
    kind: str  # the CallEvent kind: voice, status
    params: Mapping[str, str]
    args: Mapping[str, str] = field(default_factory=dict)  # query parameters (call, agent)
    received_at: float = 0.0

    def encode(self) -> str:
        return json.dumps(
            {
                "endpoint": self.endpoint,
                "kind": self.kind,
                "params": dict(self.params),
                "args": dict(self.args),
                "received_at": self.received_at,
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, raw: Any) -> Entry:
        data = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        return cls(data["endpoint"], data["kind"], data["params"], data.get("args") or {}, float(data["received_at"]))


def write(
    client: redis.Redis, endpoint: str, kind: str, params: Mapping[str, str], args: Mapping[str, str] | None = None
) -> bool:
    """Keep a verified webhook for later; False when it is not one worth keeping."""
    if endpoint not in ENDPOINTS:
        return False
    entry = Entry(endpoint, kind, dict(params), dict(args or {}), clock.timestamp())
    client.rpush(OUTBOX_KEY, entry.encode())
    return True


def pending(client: redis.Redis) -> int:
    return int(client.llen(OUTBOX_KEY))


def replay(runtime: Runtime, limit: int = 500) -> int:
    """Apply what waits in the outbox, oldest first; returns how many were applied.

    Called by one process at a time (the heartbeat's leader). An entry leaves the list only after
    its transaction committed; a database error stops the pass and leaves it first in line.
    """
    done = 0
    client = runtime.redis
    while done < limit:
        raw = client.lindex(OUTBOX_KEY, 0)
        if raw is None:
            break
        try:
            entry = Entry.decode(raw)
            with transaction(runtime.session_factory) as session:
                _apply(runtime, session, entry)
        except (MalformedWebhook, KeyError, ValueError, LookupError, IntegrityError, DataError) as exc:
            log.error("outbox entry cannot apply (%s); kept aside", type(exc).__name__)
            client.rpush(DEAD_KEY, raw)
        client.lrem(OUTBOX_KEY, 1, raw)  # type: ignore[arg-type]  # redis-py annotates the value as str; bytes work
        done += 1
    if done:
        log.info("outbox: %d webhook(s) written to the store", done)
    return done


def _apply(runtime: Runtime, session: Any, entry: Entry) -> None:
    from contactcenter.app.services import Services
    from contactcenter.contacts import interactions

    params = dict(entry.params)
    if entry.received_at and "Timestamp" not in params:
        params["Timestamp"] = format_datetime(clock.as_utc(_from_ts(entry.received_at)))
    event = parse_call_event(entry.kind, params)
    settings = runtime.settings
    services = Services(runtime, session)  # replays what the carrier reported: places no call
    acd = services.acd
    if entry.endpoint == "voice":
        interactions.open_call(session, event, settings.default_region)
    elif entry.endpoint == "status":
        services.calls().status(event)  # raises UnknownCall (a LookupError) for a call never seen
    elif entry.endpoint == "agent_leg":
        if event.is_terminal:
            acd.complete(entry.args["call"], int(entry.args["agent"]))
    elif entry.endpoint.startswith("dialer_"):
        _apply_dialer(runtime, session, acd, entry, event)


def _apply_dialer(runtime: Runtime, session: Any, acd: Any, entry: Entry, event: Any) -> None:
    from contactcenter.app.services import Services
    from contactcenter.dialer.pacer_worker import publish_event

    raw = entry.args.get("attempt", "")
    if not raw.isdigit():
        raise ValueError("a campaign call's webhook without its attempt")
    calls = Services(runtime, session).outbound_calls()  # replays what the carrier reported
    if entry.endpoint == "dialer_status":
        calls.status(event, int(raw), screened=entry.args.get("amd") != "off")  # UnknownAttempt if never made
    else:
        calls.abandoned_while_store_away(
            event, int(raw), answered=entry.endpoint == "dialer_answer", screened=entry.args.get("amd") != "off"
        )
    session.flush()
    for pacer_event in calls.events:  # the pacer also reconciles with the records
        try:
            publish_event(runtime.redis, **pacer_event.as_dict())
        except redis.exceptions.RedisError:
            log.warning("could not publish a replayed pacer event")


def _from_ts(seconds: float):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromtimestamp(seconds, tz=UTC)
