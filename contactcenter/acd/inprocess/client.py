"""`InProcessRedis`: a private Redis for one process, where the ACD's Lua scripts run in-process.

The simulation routes every call through the ACD's own Lua scripts; on a Redis server (or
fakeredis, which runs each script through its Python command layer) most of the time goes to
getting each `redis.call` to the data and back. Here the data lives in the same Lua state as the
scripts (`store_lua`, with `cjson_lua`), so a script runs start to finish in Lua and crosses into
Python once: the same scripts, the same decisions, tens of times faster. The language is Lua 5.1,
as Redis embeds it, run by LuaJIT's interpreter (PUC Lua 5.1 where LuaJIT is missing, or on request).

It answers what `RealtimeACD` asks of a client (`register_script` and the reads behind its
snapshots) and a few basics (get, set, delete, keys, flushdb). There is no network, no pub/sub
(published events reach no one) and no persistence: it is for runs that live and die in one process.
Keys with a TTL expire on `contactcenter.clock`, so in a simulation they expire in simulated time.
"""

from __future__ import annotations

import builtins
import fnmatch
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

try:  # the same Lua 5.1 language as Redis embeds, in LuaJIT's faster interpreter where present
    import lupa.luajit21 as _DEFAULT_LUA
except ImportError:  # pragma: no cover - lupa wheels without LuaJIT
    import lupa.lua51 as _DEFAULT_LUA  # type: ignore[no-redef]
from redis.exceptions import ResponseError

from contactcenter import clock

_HERE = Path(__file__).parent
# The store and cjson, in Lua files beside this module, read once per process.
STORE_LUA = (_HERE / "store.lua").read_text()
CJSON_LUA = (_HERE / "cjson.lua").read_text()


# Lua hands each reply array over in one call into Python (rather than Python reading a Lua
# table item by item, one crossing each); long arrays come in slices.
def _make_list(*items: Any) -> list[Any]:
    return list(items)


def _extend_list(target: list[Any], *items: Any) -> None:
    target.extend(items)


def _arg(value: Any) -> str | bytes:
    """Arguments reach the scripts as Redis hands them over: strings, whatever they were in Python."""
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _now_ms() -> int:
    return int(round(clock.timestamp() * 1000))


class InProcessScript:
    """A registered script, called like redis-py's `Script`: `script(keys=[...], args=[...])`."""

    def __init__(self, store: InProcessRedis, text: str) -> None:
        self.sha = hashlib.sha1(text.encode()).hexdigest()
        self._store = store
        self._fn = store._compile(text, self.sha)

    def __call__(self, keys: Sequence[Any] = (), args: Sequence[Any] = (), client: Any = None) -> Any:
        return self._store._run_script(self._fn, keys, args)


class InProcessPipeline:
    """Commands queued and answered together, as `redis.Redis.pipeline(transaction=False)` does."""

    def __init__(self, store: InProcessRedis) -> None:
        self._store = store
        self._queued: list[Callable[[], Any]] = []

    def __getattr__(self, name: str) -> Callable[..., InProcessPipeline]:
        method = getattr(self._store, name)

        def queue(*args: Any, **kwargs: Any) -> InProcessPipeline:
            self._queued.append(lambda: method(*args, **kwargs))
            return self

        return queue

    def execute(self) -> list[Any]:
        queued, self._queued = self._queued, []
        return [call() for call in queued]

    def __enter__(self) -> InProcessPipeline:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._queued = []


class InProcessRedis:
    """An in-memory Redis with an embedded Lua 5.1, for the ACD's scripts (module docstring).

    `now_ms` is the store's clock for key expiry (default: `contactcenter.clock`, in milliseconds);
    `lua` a lupa runtime module (default LuaJIT 2.1; `lupa.lua51` is PUC Lua 5.1, as in Redis).
    """

    def __init__(self, now_ms: Callable[[], int] = _now_ms, *, lua: ModuleType | None = None) -> None:
        self._now_ms = now_ms
        module = lua or _DEFAULT_LUA
        self._error: type[Exception] = module.LuaError
        # Text in, text out: keys and values are str on the Python side (what the ACD stores).
        self._lua = module.LuaRuntime(encoding="utf-8", unpack_returned_tuples=True)
        # Every script builds its library's closures anew on each call, which LuaJIT's compiler
        # cannot trace: it would only record and abort. Its interpreter alone is the fast path.
        self._lua.execute("if jit then jit.off() end")
        self._lua.execute(CJSON_LUA)
        setup = self._lua.execute(STORE_LUA, _make_list, _extend_list)
        self._compile_lua, self._run_lua, self._command_lua, self._keys_lua, self._flush_lua = setup

    # -- scripts ----------------------------------------------------------------------------------

    def _compile(self, text: str, name: str) -> Any:
        try:
            return self._compile_lua(text, f"f_{name}")
        except self._error as exc:
            raise ResponseError(str(exc)) from None

    def _run_script(self, fn: Any, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        try:
            return self._run_lua(
                fn,
                self._now_ms(),
                len(keys),
                *[k if k.__class__ is str else _arg(k) for k in keys],
                *[a if a.__class__ is str else _arg(a) for a in args],
            )
        except self._error as exc:
            raise ResponseError(str(exc)) from None

    def register_script(self, script: str | bytes) -> InProcessScript:
        return InProcessScript(self, script.decode() if isinstance(script, bytes) else script)

    # -- commands ---------------------------------------------------------------------------------

    def execute_command(self, *args: Any) -> Any:
        try:
            return self._command_lua(self._now_ms(), *map(_arg, args))
        except self._error as exc:
            raise ResponseError(str(exc)) from None

    def ping(self) -> bool:
        return True

    def get(self, key: Any) -> str | None:
        return self.execute_command("GET", key)

    def set(self, key: Any, value: Any) -> bool:
        self.execute_command("SET", key, value)
        return True

    def delete(self, *keys: Any) -> int:
        return int(self.execute_command("DEL", *keys)) if keys else 0

    def exists(self, *keys: Any) -> int:
        return int(self.execute_command("EXISTS", *keys))

    def expire(self, key: Any, seconds: int) -> bool:
        return bool(self.execute_command("EXPIRE", key, int(seconds)))

    def ttl(self, key: Any) -> int:
        return int(self.execute_command("TTL", key))

    def hget(self, key: Any, field: Any) -> str | None:
        return self.execute_command("HGET", key, field)

    def hgetall(self, key: Any) -> dict[str, str]:
        flat = self.execute_command("HGETALL", key)
        return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}

    def smembers(self, key: Any) -> builtins.set[str]:
        return set(self.execute_command("SMEMBERS", key))

    def zrange(self, key: Any, start: int, end: int, withscores: bool = False) -> list[Any]:
        if not withscores:
            return self.execute_command("ZRANGE", key, start, end)
        return _scored(self.execute_command("ZRANGE", key, start, end, "WITHSCORES"))

    def zrangebyscore(self, key: Any, min: Any, max: Any, withscores: bool = False) -> list[Any]:
        if not withscores:
            return self.execute_command("ZRANGEBYSCORE", key, min, max)
        return _scored(self.execute_command("ZRANGEBYSCORE", key, min, max, "WITHSCORES"))

    def zscore(self, key: Any, member: Any) -> float | None:
        score = self.execute_command("ZSCORE", key, member)
        return None if score is None else float(score)

    def keys(self, pattern: str = "*") -> list[str]:
        return [k for k in self._keys_lua(self._now_ms()) if fnmatch.fnmatchcase(k, pattern)]

    def scan_iter(self, match: str | None = None, count: int | None = None) -> Iterator[str]:
        yield from self.keys(match or "*")

    def flushdb(self) -> bool:
        self._flush_lua()
        return True

    flushall = flushdb

    def pipeline(self, transaction: bool = True) -> InProcessPipeline:
        return InProcessPipeline(self)

    def close(self) -> None:
        """Nothing to release: the data goes with the object."""


def _scored(flat: Iterable[Any]) -> list[tuple[str, float]]:
    items = list(flat)
    return [(items[i], float(items[i + 1])) for i in range(0, len(items), 2)]


__all__ = ["InProcessPipeline", "InProcessRedis", "InProcessScript"]
