"""Redis connections: the real server when REDIS_URL is set, else one in-process substitute.

The substitute (fakeredis, with Lua) is shared by every thread of the process, so the embedded
default behaves like one Redis server for the web app, the worker thread and the simulator.
"""

from __future__ import annotations

import threading

import fakeredis
import redis

_embedded_server: fakeredis.FakeServer | None = None
_lock = threading.Lock()


def _server() -> fakeredis.FakeServer:
    global _embedded_server
    with _lock:
        if _embedded_server is None:
            _embedded_server = fakeredis.FakeServer()
        return _embedded_server


def connect(url: str) -> redis.Redis:
    """A client for `url`; bytes in and out (RQ needs raw bytes)."""
    if not url:
        return fakeredis.FakeRedis(server=_server())
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30)
