"""The Redis database this test run owns.

Tests flush their database around each test, so two runs side by side on one machine must never
share one: each run claims a free database (10-15) in a registry kept in database 0.
"""

from __future__ import annotations

import os

import redis

_REGISTRY_URL = "redis://127.0.0.1:6379/0"


def _claim_redis_database() -> str:
    """A Redis database (10-15) no other test run on this machine holds, claimed for an hour."""
    if os.environ.get("TEST_REDIS_URL"):
        return os.environ["TEST_REDIS_URL"]
    registry = redis.Redis.from_url(_REGISTRY_URL)
    try:
        for index in range(10, 16):
            if registry.set(f"contactcenter-tests:db{index}", os.getpid(), nx=True, ex=3600):
                return f"redis://127.0.0.1:6379/{index}"
    except redis.ConnectionError:
        pass  # the fixture reports an unreachable server as a failure
    return f"redis://127.0.0.1:6379/{10 + os.getpid() % 6}"


TEST_REDIS_URL = _claim_redis_database()


def release_redis_database() -> None:
    """Give the claim back at the end of the run, unless another run has taken it over since."""
    try:
        registry = redis.Redis.from_url(_REGISTRY_URL)
        index = TEST_REDIS_URL.rsplit("/", 1)[-1]
        if registry.get(f"contactcenter-tests:db{index}") == str(os.getpid()).encode():
            registry.delete(f"contactcenter-tests:db{index}")
    except redis.RedisError:
        pass
