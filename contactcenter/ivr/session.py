"""Per-call IVR state in Redis, with a TTL: where the caller is, what they told us, how often they missed.

State lives in Redis because any web process may receive the next webhook of the call. It is
disposable by design: an unknown or expired session restarts the caller at the flow's root.
Every turn carries a step number in its callback URL; an answer to any step but the current one
(a carrier retry, a replay) is answered by prompting again from where the caller is, so the menu
never advances twice.

What the caller did on each turn (the nodes visited, the carrier's delivery) is appended to a
pending list next to the session, not written to the SQL store on every webhook: a menu answer
then costs two Redis round trips instead of a durable commit. The IVR service writes the list onto
the interaction when the caller leaves the IVR (queue, transfer, goodbye, voicemail) and the status
callback writes it when the caller hangs up mid-IVR.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import redis

SESSION_TTL_S = 2 * 3600


@dataclass
class IvrSession:
    call_sid: str
    flow: str
    version: int
    node: str
    language: str
    step: int = 0
    variables: dict[str, Any] = field(default_factory=dict)
    sensitive: list[str] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    customer_id: int | None = None
    segment: str | None = None
    caller: str = ""
    # Set when the caller did something that needs follow-up (callback, voicemail), so that
    # reaching the goodbye afterwards is not counted as served in the IVR.
    outcome: str | None = None
    # A survey score given in the IVR, not yet written to the interaction.
    csat: int | None = None
    # The call's status as last written to the store, and whether the caller has left the IVR
    # (queued, transferred, hung up): a menu answer is taken from Redis alone only while the
    # caller is in the IVR and the answer would not move the call's status forward.
    status: str = ""
    left: bool = False

    def to_json(self) -> str:
        """The session as stored. Its fields are JSON values already, so the instance's own dict is
        encoded as it is (`dataclasses.asdict` deep-copies every nested value first, on every turn)."""
        return json.dumps(vars(self))

    def public_variables(self) -> dict[str, Any]:
        """Variables safe to show an agent or store: sensitive entries are left out."""
        return {k: v for k, v in self.variables.items() if k not in self.sensitive}


class SessionStore:
    def __init__(self, client: redis.Redis, ttl_s: int = SESSION_TTL_S, prefix: str = "ivr") -> None:
        self.redis = client
        self.ttl_s = ttl_s
        self.prefix = prefix

    def _key(self, call_sid: str) -> str:
        return f"{self.prefix}:session:{call_sid}"

    def _pending_key(self, call_sid: str) -> str:
        return f"{self.prefix}:pending:{call_sid}"

    def _seen_key(self, call_sid: str) -> str:
        return f"{self.prefix}:seen:{call_sid}"

    @staticmethod
    def _decode(raw: bytes | str | None) -> IvrSession | None:
        if raw is None:
            return None
        try:
            return IvrSession(**json.loads(raw))
        except (TypeError, ValueError):
            return None  # an unreadable session restarts the caller rather than failing the call

    def load(self, call_sid: str) -> IvrSession | None:
        return self._decode(self.redis.get(self._key(call_sid)))

    def claim_and_load(self, call_sid: str, delivery: str) -> tuple[bool, IvrSession | None]:
        """Mark `delivery` (the webhook's dedupe key) seen for this call and load the session, in
        one round trip. False when it was seen before: a carrier retry, answered by prompting
        again. The set is what the unique key of the event log used to decide per webhook."""
        seen = self._seen_key(call_sid)
        pipe = self.redis.pipeline(transaction=False)
        pipe.sadd(seen, delivery)
        pipe.expire(seen, self.ttl_s)
        pipe.get(self._key(call_sid))
        added, _, raw = pipe.execute()
        return bool(added), self._decode(raw)

    def save(self, session: IvrSession, pending: Mapping[str, Any] | None = None) -> None:
        """Store the session and, in the same round trip, append one turn's record to the
        call's pending list (see the module docstring)."""
        if pending is None:
            self.redis.set(self._key(session.call_sid), session.to_json(), ex=self.ttl_s)
            return
        key = self._pending_key(session.call_sid)
        # No MULTI: the three commands reach Redis in one write and only this call's webhook (one
        # at a time, serialised by the seen set) touches these keys.
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self._key(session.call_sid), session.to_json(), ex=self.ttl_s)
        pipe.rpush(key, json.dumps(pending))
        pipe.expire(key, self.ttl_s)
        pipe.execute()

    def pending(self, call_sid: str) -> list[dict[str, Any]]:
        """The turns not yet written to the store, oldest first (unreadable ones skipped)."""
        turns = []
        for raw in self.redis.lrange(self._pending_key(call_sid), 0, -1):
            try:
                item = json.loads(raw)
            except ValueError:
                continue
            if isinstance(item, dict):
                turns.append(item)
        return turns

    def written(self, call_sid: str, count: int) -> None:
        """The first `count` pending turns are in the store now: drop them (turns appended
        meanwhile stay)."""
        if count > 0:
            self.redis.ltrim(self._pending_key(call_sid), count, -1)

    def drop(self, call_sid: str) -> None:
        self.redis.delete(self._key(call_sid))
