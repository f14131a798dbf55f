"""Per-call IVR state in Redis, with a TTL: where the caller is, what they told us, how often they missed.

State lives in Redis because any web process may receive the next webhook of the call. It is
disposable by design: an unknown or expired session restarts the caller at the flow's root.
Every turn carries a step number in its callback URL; an answer to any step but the current one
(a carrier retry, a replay) is answered by prompting again from where the caller is, so the menu
never advances twice.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
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

    def load(self, call_sid: str) -> IvrSession | None:
        raw = self.redis.get(self._key(call_sid))
        if raw is None:
            return None
        try:
            return IvrSession(**json.loads(raw))
        except (TypeError, ValueError):
            return None  # an unreadable session restarts the caller rather than failing the call

    def save(self, session: IvrSession) -> None:
        self.redis.set(self._key(session.call_sid), json.dumps(asdict(session)), ex=self.ttl_s)

    def drop(self, call_sid: str) -> None:
        self.redis.delete(self._key(call_sid))
