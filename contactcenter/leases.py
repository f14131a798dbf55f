"""Leader leases: one process at a time runs a loop that must not run twice (the ACD ticker, the
dialer's pacer), and a dead leader is replaced within one lease.

A lease is a Redis key holding the leader's token with a TTL. Taking it and renewing it are one
compare-and-set in a single Lua call: the key is ours (renew) or free (take), otherwise someone
else leads. A read followed by a separate PEXPIRE would let a holder whose lease expired between
the two extend the new leader's lease and go on believing it leads too; in one script nothing
runs in between. Releasing deletes the key only while it still holds our token, so a holder that
lost the lease cannot end the new leader's.
"""

from __future__ import annotations

import uuid
from typing import Any

_ACQUIRE_OR_RENEW = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class LeaderLease:
    """A lease on `key` for `token` (a fresh random one by default), `ttl_s` long from each renewal.

    Call `acquire_or_renew` more often than the TTL (a third of it is usual); while it returns
    True this holder leads, and no other holder's call can return True until the lease lapses.
    """

    def __init__(self, redis: Any, key: str, ttl_s: float, token: str | None = None) -> None:
        if ttl_s <= 0:
            raise ValueError("a lease needs a positive TTL")
        self.redis = redis
        self.key = key
        self.ttl_ms = max(1, int(round(ttl_s * 1000)))
        self.token = token or uuid.uuid4().hex
        self._acquire_or_renew = redis.register_script(_ACQUIRE_OR_RENEW)
        self._release = redis.register_script(_RELEASE)
        self.held = False

    def acquire_or_renew(self) -> bool:
        """Take the lease if it is free, extend it if it is ours; True while we lead."""
        self.held = bool(self._acquire_or_renew(keys=[self.key], args=[self.token, self.ttl_ms]))
        return self.held

    def release(self) -> bool:
        """Give the lease up (another holder may take it at once); True if it was still ours."""
        released = bool(self._release(keys=[self.key], args=[self.token]))
        self.held = False
        return released

    def holder(self) -> str | None:
        """The token of the current leader (None: nobody leads)."""
        value = self.redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else value


__all__ = ["LeaderLease"]
