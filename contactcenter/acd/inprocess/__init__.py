"""The ACD's Lua scripts on an in-memory store inside this process (see `client`).

What the simulation runs on by default: the same scripts that decide every match in production,
without a server or a socket between them and their data.
"""

from contactcenter.acd.inprocess.client import InProcessRedis

__all__ = ["InProcessRedis"]
