"""Rate limits on the doors anyone can knock on: the login form and the carrier webhooks.

Counters live in Redis, so every web process enforces one limit together. A limit is a fixed
window: the first request of a window creates the counter with the window as its expiry, each
request adds one (one Lua call, atomic), and past the limit the answer is 429 with `Retry-After`
saying when the window ends.

- Login, per client address: every attempt counts (guessing many accounts from one place).
- Login, per account: failed attempts count (guessing one password from many places); a
  correct password does not reset it early, so a guesser gains nothing from one success.
- Webhooks, per client address and per web process: generous (the carrier's real traffic must
  never hit it), it only keeps a flood of forged requests from using the signature check as a CPU
  sink. CPU is spent per process, so the count is kept in the process's memory: a Redis round trip
  per webhook would cost more CPU than the signature check it guards.

When Redis does not answer the limiter lets requests through: refusing every login and every
call because the limiter is away would be the worse failure.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from flask import Flask, Response, request

from contactcenter.app.runtime import Runtime

log = logging.getLogger("contactcenter.ratelimit")
PREFIX = "ratelimit:"

_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
"""


@dataclass(frozen=True)
class Limit:
    name: str
    count: int  # requests allowed per window; 0 disables the limit
    window_s: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int


class RateLimiter:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._script = client.register_script(_HIT)

    def _key(self, limit: Limit, who: str) -> str:
        # Hashed: usernames and addresses do not appear in Redis key names.
        digest = hashlib.sha256(who.encode()).hexdigest()[:24]
        return f"{PREFIX}{limit.name}:{digest}"

    def hit(self, limit: Limit, who: str) -> Verdict:
        """Count one request; refused when it goes past the limit."""
        if limit.count <= 0:
            return Verdict(True, 0)
        try:
            count, ttl_ms = self._script(keys=[self._key(limit, who)], args=[limit.window_s * 1000])
        except redis.RedisError:
            log.warning("rate limiter unavailable: %s not limited", limit.name)
            return Verdict(True, 0)
        retry = max(1, -(-int(ttl_ms) // 1000))
        return Verdict(int(count) <= limit.count, retry)

    def peek(self, limit: Limit, who: str) -> Verdict:
        """Whether `who` is over the limit now, without counting."""
        if limit.count <= 0:
            return Verdict(True, 0)
        try:
            key = self._key(limit, who)
            raw, ttl_ms = self.client.get(key), self.client.pttl(key)
        except redis.RedisError:
            return Verdict(True, 0)
        count = int(raw or 0)
        return Verdict(count < limit.count, max(1, -(-max(int(ttl_ms), 0) // 1000)))


class ProcessLimiter:
    """Fixed windows counted in this process's memory (see the module docstring for why).

    Memory stays bounded: counts are dropped when their window ends, and past `max_keys` distinct
    clients in one window the newcomers share one count (a flood from many addresses is then
    limited as one client)."""

    OVERFLOW = "\x00overflow"

    def __init__(self, max_keys: int = 65_536, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.max_keys = max_keys
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._windows: dict[str, int] = {}
        self._counts: dict[tuple[str, str], int] = {}

    def hit(self, limit: Limit, who: str) -> Verdict:
        if limit.count <= 0:
            return Verdict(True, 0)
        now = self._monotonic()
        window = int(now // limit.window_s)
        with self._lock:
            if self._windows.get(limit.name) != window:
                self._windows[limit.name] = window
                for key in [k for k in self._counts if k[0] == limit.name]:
                    del self._counts[key]
            key = (limit.name, who)
            if key not in self._counts and len(self._counts) >= self.max_keys:
                key = (limit.name, self.OVERFLOW)
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        retry = max(1, math.ceil((window + 1) * limit.window_s - now))
        return Verdict(count <= limit.count, retry)


def too_many(verdict: Verdict, what: str) -> Response:
    resp = Response(f"too many {what}; try again in {verdict.retry_after_s} s\n", status=429, mimetype="text/plain")
    resp.headers["Retry-After"] = str(verdict.retry_after_s)
    return resp


def client_address() -> str:
    """The client's address as the trusted proxies report it (see TRUSTED_PROXY_HOPS)."""
    return request.remote_addr or "unknown"


def init_app(app: Flask, runtime: Runtime) -> None:
    settings = runtime.settings
    limiter = RateLimiter(runtime.redis)
    process_limiter = ProcessLimiter()
    login_ip = Limit("login-ip", settings.login_attempts_per_ip, settings.login_window_s)
    login_account = Limit("login-account", settings.login_failures_per_account, settings.login_window_s)
    webhooks_ip = Limit("webhooks-ip", settings.webhooks_per_ip_per_minute, 60)
    app.extensions["contactcenter.ratelimit"] = limiter

    def _username() -> str:
        return request.form.get("username", "")[:256].strip().lower()

    @app.before_request
    def _limit() -> Response | None:
        endpoint = request.endpoint or ""
        if endpoint == "auth.login" and request.method == "POST":
            verdict = limiter.hit(login_ip, client_address())
            if not verdict.allowed:
                log.warning("login refused: too many attempts from one address")
                return too_many(verdict, "login attempts")
            verdict = limiter.peek(login_account, _username())
            if not verdict.allowed:
                log.warning("login refused: too many failed attempts for one account")
                return too_many(verdict, "failed logins for this account")
        elif endpoint.startswith(("hooks.", "dialer_hooks.")):
            verdict = process_limiter.hit(webhooks_ip, client_address())
            if not verdict.allowed:
                log.warning("webhook refused: too many requests from one address")
                return too_many(verdict, "requests")
        return None

    @app.after_request
    def _count_failures(response: Response) -> Response:
        if request.endpoint == "auth.login" and request.method == "POST" and response.status_code == 401:
            limiter.hit(login_account, _username())
        return response
