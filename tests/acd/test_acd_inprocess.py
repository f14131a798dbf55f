"""The in-process store `simulate inbound` runs on: the ACD's own scripts in an embedded Lua with
their data. Evidence that it decides exactly as Redis does:
- a random day of every operation (all strategies, escalation, RONA, rebuilds) gives the same
  replies, snapshots and audits as on the real Redis, in LuaJIT's interpreter and in PUC Lua 5.1;
- a seeded simulation makes the same matches, at the same simulated milliseconds, with the same
  figures, in-process, on the real Redis, and on fakeredis (the store it ran on before);
- each Redis command the scripts use answers as fakeredis does; cjson round-trips; keys expire on
  the clock the store is given.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import fakeredis
import lupa.lua51
import pytest
import redis

from contactcenter.acd.inprocess import InProcessRedis
from contactcenter.acd.realtime import RealtimeACD
from contactcenter.acd.simulation import Simulation, SimulationConfig
from tests.support.acd_day import random_day as _random_day

# --- decisions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lua", [None, lupa.lua51], ids=["default-runtime", "puc-lua-5.1"])
def test_a_random_day_gives_identical_results_in_process_and_on_redis(redis_client: redis.Redis, lua: Any) -> None:
    real = RealtimeACD(redis_client, "diff" + secrets.token_hex(3), auto_match=True)
    inprocess = RealtimeACD(InProcessRedis(lua=lua), "diff", auto_match=True)
    real_log = _random_day(real, seed=5)
    inprocess_log = _random_day(inprocess, seed=5)
    assert len(real_log) == len(inprocess_log)
    for i, (a, b) in enumerate(zip(real_log, inprocess_log, strict=True)):
        assert a == b, f"step {i} differs"


def _matches(config: SimulationConfig, client: Any) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """Every ACD event of a run with the simulated millisecond it happened at (offer ids without
    their random per-request suffix), and the run's figures without its wall time."""
    namespace = None if client is None else f"sim-same-{secrets.token_hex(3)}"
    sim = Simulation(config, client, namespace=namespace)
    seen: list[tuple[Any, ...]] = []

    def record(event: dict[str, Any]) -> None:
        offer = str(event.get("offer_id") or "").split("-")[0]
        seen.append(
            (sim.now_ms, event["type"], event.get("call_sid"), event.get("agent_id"), event.get("state"), offer)
        )

    sim.acd.listeners.append(record)
    figures = sim.run().to_dict()
    figures.pop("wall_seconds")
    return seen, figures


def test_a_simulation_makes_the_same_matches_in_process_on_redis_and_on_fakeredis(redis_client: redis.Redis) -> None:
    config = SimulationConfig(
        agents=7,
        calls_per_hour=130,
        aht_s=180,
        hours=1,
        warmup_hours=0.25,
        seed=9,
        patience_s=120,
        wrap_s=10,
        answer_delay_s=1,
        skills_mix=(("billing", 0.3), ("support", 0.7)),
        strategy="round-robin",
    )
    inprocess_events, inprocess_figures = _matches(config, None)
    assert sum(1 for e in inprocess_events if e[1] == "offer.created") > 100
    for client in (redis_client, fakeredis.FakeRedis()):
        events, figures = _matches(config, client)
        assert len(events) == len(inprocess_events)
        for i, (a, b) in enumerate(zip(events, inprocess_events, strict=True)):
            assert a == b, f"event {i} differs"
        assert json.dumps(figures, sort_keys=True) == json.dumps(inprocess_figures, sort_keys=True)


# --- the store ---------------------------------------------------------------------------------------------

COMMANDS = """
local out = {}
local function add(label, x)
  if type(x) == 'table' then
    local parts = {}
    for i, v in ipairs(x) do parts[i] = tostring(v) end
    x = '[' .. table.concat(parts, ',') .. ']'
  end
  out[#out + 1] = label .. '=' .. tostring(x)
end
local function sorted(t) table.sort(t); return t end
add('hset', redis.call('HSET', 'h', 'a', '1', 'b', 2, 'c', 2.5))
add('hset again', redis.call('HSET', 'h', 'a', '7', 'd', ''))
add('hget', redis.call('HGET', 'h', 'b'))
add('hget missing', redis.call('HGET', 'h', 'zz'))
add('hget no key', redis.call('HGET', 'nokey', 'a'))
add('hmget', redis.call('HMGET', 'h', 'a', 'zz', 'c'))
add('hincrby', redis.call('HINCRBY', 'h', 'a', 5))
add('hincrby new', redis.call('HINCRBY', 'h', 'n', -2))
add('hdel', redis.call('HDEL', 'h', 'a', 'zz'))
add('hgetall', sorted(redis.call('HGETALL', 'h')))
add('hdel all', redis.call('HDEL', 'h', 'b', 'c', 'd', 'n'))
add('exists', redis.call('EXISTS', 'h'))
add('sadd', redis.call('SADD', 's', 'x', 'y', 'x', 'z'))
add('srem', redis.call('SREM', 's', 'y', 'q'))
add('smembers', sorted(redis.call('SMEMBERS', 's')))
add('zadd', redis.call('ZADD', 'z', '3', 'c', '1', 'a', '2', 'b', '1', 'a2', '1.5', 'h'))
add('zadd update', redis.call('ZADD', 'z', '5', 'a'))
add('zrange', redis.call('ZRANGE', 'z', 0, -1, 'WITHSCORES'))
add('zrange mid', redis.call('ZRANGE', 'z', 1, 2))
add('zrange tail', redis.call('ZRANGE', 'z', -2, -1))
add('zrange empty', redis.call('ZRANGE', 'z', 7, 9))
add('zrangebyscore', redis.call('ZRANGEBYSCORE', 'z', '(1', '+inf', 'WITHSCORES', 'LIMIT', 0, 2))
add('zrangebyscore all', redis.call('ZRANGEBYSCORE', 'z', '-inf', 2))
add('zrangebyscore offset', redis.call('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', 2, 10))
add('zcount', redis.call('ZCOUNT', 'z', '-inf', '(3'))
add('zcount closed', redis.call('ZCOUNT', 'z', 1.5, 3))
add('zrank', redis.call('ZRANK', 'z', 'c'))
add('zrank missing', redis.call('ZRANK', 'z', 'nope'))
add('zrem', redis.call('ZREM', 'z', 'a', 'nope'))
add('zcard', redis.call('ZCARD', 'z'))
add('incr', redis.call('INCR', 'n'))
add('incr again', redis.call('INCR', 'n'))
add('get', redis.call('GET', 'n'))
add('set', redis.call('SET', 'k', 'v')['ok'])
add('get missing', redis.call('GET', 'missing'))
add('del', redis.call('DEL', 'k', 'n', 'missing'))
add('expire missing', redis.call('EXPIRE', 'missing', 10))
add('expire', redis.call('EXPIRE', 's', 10))
return out
"""


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


def test_the_commands_the_scripts_use_answer_as_on_fakeredis() -> None:
    expected = _text(fakeredis.FakeRedis().register_script(COMMANDS)())
    assert InProcessRedis().register_script(COMMANDS)() == expected
    assert "zrange=[a2,1,h,1.5,b,2,c,3,a,5]" in expected  # by score, then member; scores as Redis writes them


def test_a_script_reply_converts_as_redis_converts_it() -> None:
    store = InProcessRedis()
    script = "return {1, 2.9, -2.9, 'x', true, false, {'nested', {}}, nil, 'after nil'}"
    assert store.register_script(script)() == [1, 2, -2, "x", 1, None, ["nested", []]]
    with pytest.raises(redis.ResponseError, match="boom"):
        store.register_script("return redis.error_reply('boom')")()
    with pytest.raises(redis.ResponseError, match="unknown command"):
        store.register_script("return redis.call('NOPE')")()


def test_cjson_round_trips_what_python_writes_and_reads() -> None:
    store = InProcessRedis()
    document = {
        "name": "q/1",
        "prio": 3,
        "ratio": 0.25,
        "on": True,
        "off": False,
        "none": None,
        "tiers": [{"after": 0, "caps": {}, "req": [["en", 5]]}],
        "text": 'tab\t "quote" é 😀',
    }
    echoed = store.register_script("return cjson.encode(cjson.decode(ARGV[1]))")(args=[json.dumps(document)])
    assert json.loads(echoed) == document
    event = store.register_script("return cjson.encode({type = 'x', at = 1767603600.123, n = 3, list = {1, 'a'}})")()
    assert json.loads(event) == {"type": "x", "at": 1767603600.123, "n": 3, "list": [1, "a"]}
    # a decoded document is the script's own: changing it does not change the next decode
    script = "local a = cjson.decode(ARGV[1]); a.x = 2; return cjson.decode(ARGV[1]).x"
    assert store.register_script(script)(args=['{"x": 1}']) == 1


def test_keys_expire_on_the_stores_clock() -> None:
    now = [1_000_000]
    store = InProcessRedis(now_ms=lambda: now[0])
    store.set("k", "v")
    assert store.expire("k", 10) and store.ttl("k") == 10
    now[0] += 10_000
    assert store.get("k") == "v"  # Redis expires a key once its deadline has passed
    now[0] += 1
    assert store.get("k") is None and store.keys() == []
    store.set("k", "v")
    assert store.ttl("k") == -1  # a new value has no deadline
    assert store.flushdb() and store.keys() == []
