"""Load benchmark: the production shape on loopback, driven by the carrier simulator.

Starts the web app under gunicorn (2 worker processes) and 2 RQ workers (`contactcenter worker`;
one of them leads the ACD heartbeat) against PostgreSQL (a scratch schema of the bench's own) and
Redis (a database number of its own). This process runs the local carrier simulator (webhooks
over real HTTP, its REST API on a port of its own that the app reaches through SIMULATOR_URL),
the inbound traffic generator at a steady rate of new calls through the demo IVR flow
(self-service, menus into the four queues, mistakes, silent callers, some hang-ups while
waiting), and simulated agents who accept offers through the ACD service and end their calls
through the carrier, as people do.

Reports webhook latency (every webhook the carrier sent, timed at its transport, by path),
routing latency from the store (queued → offered, queued → answered), errors (non-2xx answers,
failed requests, warnings in the servers' logs), and, after a drain with no new calls, whether
every call ended in a terminal state with exactly one interaction record and was answered at
most once. Exits 1 when a call is lost or duplicated.

    .venv/bin/python bench/load.py --rate 20 --duration 300          # the goal
    .venv/bin/python bench/load.py --rate 2 --duration 30            # a quick check

The simulator delivers webhooks from a pool of threads (`--carrier-threads`), as a real carrier
delivers them concurrently for different calls; how late its events ran against their schedule
(carrier lag) is reported, so a saturated load generator shows instead of passing for a slow app.
Departures from the defaults, all for the load shape: every queue's wrap-up is `--wrap` s (the
agents' talk time is short too); the per-address webhook rate limit is off (all webhooks come from
127.0.0.1 here); gunicorn keeps idle connections 75 s. Also reported, without failing the run:
records that say both answered and abandoned (the caller hung up while an agent was accepting).

Redis: BENCH_LOAD_REDIS_URL (default db 7; refused unless empty or this bench's); PostgreSQL:
BENCH_DATABASE_URL (schema bench_load, dropped afterwards); server logs go to BENCH_LOG_DIR
(default a new temporary directory, printed).
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _support import ROOT, free_port, percentile, scratch_schema, summary  # noqa: E402

from contactcenter.telephony.simulator.scheduler import EventScheduler  # noqa: E402

REDIS_URL = os.environ.get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379/7")
OWNER_KEY = "bench-load:owner"
CENTER_NUMBER = "+18005550100"
WARM_UP_S = 10.0
TERMINAL = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# Load agents cover every queue of the demo flow and the skills its queue nodes ask for.
AGENT_SKILLS = {"support": 8, "billing": 6, "technical": 9, "sales": 8, "troubleshooting": 5, "spanish": 9}
# What callers do in the demo flow (contactcenter/ivr/flows/demo.yaml), with weights. {p} is the
# patience of a caller who waits for an agent (hang up that long after the call started).
CALLER_SCRIPTS: tuple[tuple[str, str, int], ...] = (
    ("self-service", "press 1, press 1, enter 1#, press 2, press 5", 4),  # order status, CSAT 5
    ("self-service", "press 1, press 1, enter 99999#, press 2, press 4", 1),  # not found, all set
    ("billing", "press 1, press 2, hang up after {p}", 3),
    ("technical", "press 1, press 4, hang up after {p}", 2),
    ("sales", "press 1, press 5, hang up after {p}", 2),
    ("agent", "press 1, press 0, hang up after {p}", 2),
    ("agent-es", "press 2, press 0, hang up after {p}", 1),
    ("not-found-agent", "press 1, press 1, enter 99999#, press 0, hang up after {p}", 1),
    ("wrong-keys", "press 1, press 7, press 8, press 7, hang up after {p}", 1),
    ("silent", "wait, wait, wait, wait, hang up after {p}", 1),
    ("gives-up-waiting", "press 1, press 2, wait 1, hang up", 1),  # hangs up 1 s into the queue
    ("hangs-up-in-menu", "press 1, wait 3, hang up", 1),
)
QUEUED_SHARE = sum(w for kind, _, w in CALLER_SCRIPTS if kind != "self-service" and kind != "hangs-up-in-menu") / sum(
    w for _, _, w in CALLER_SCRIPTS
)


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- the carrier side


class PooledScheduler(EventScheduler):
    """The simulator's real-time scheduler, running due events on a pool of threads.

    Every event takes the carrier's lock for its decisions and posts webhooks without it, so
    events of different calls may run side by side, as a real carrier's do. Records how late
    each event started against its due time.
    """

    def __init__(self, threads: int) -> None:
        super().__init__(None)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="carrier")
        self._count_lock = threading.Lock()
        self.in_flight = 0
        self.ran = 0
        self.lags: list[float] = []

    def _run(self, due: float, callback: Callable[[], None]) -> None:
        lag = self.now() - due
        with self._count_lock:
            self.lags.append(max(0.0, lag))
        try:
            callback()
        except Exception:  # noqa: BLE001 - as the stock scheduler: one bad event is logged
            import logging

            logging.getLogger(__name__).exception("carrier simulator event failed")
        finally:
            with self._count_lock:
                self.in_flight -= 1
                self.ran += 1

    def _loop(self) -> None:
        while True:
            with self._cond:
                item = None
                while self._running and item is None:
                    if self._heap:
                        delay = self._heap[0][0] - self.now()
                        if delay <= 0:
                            due, _, callback = heapq.heappop(self._heap)
                            item = (due, callback)
                            break
                        self._cond.wait(min(delay, 0.5))
                    else:
                        self._cond.wait(0.5)
                if not self._running:
                    return
            with self._count_lock:
                self.in_flight += 1
            self._pool.submit(self._run, *item)

    def stop(self, timeout_s: float = 5.0) -> None:
        super().stop(timeout_s)
        self._pool.shutdown(wait=True, cancel_futures=True)


class TimedTransport:
    """The simulator's HTTP transport (one keep-alive session per delivering thread), timing
    every webhook and counting answers that are not 2xx (status 0: no answer at all)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[Any] = []
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.error_samples: list[str] = []
        self.slow: list[str] = []  # webhooks that took a second or more, with the time they ended
        self.timeline: list[tuple[float, float]] = []  # (sent at, latency) of every webhook
        self.fallbacks = 0  # 2xx answers that were the app's "store unreachable" hold document

    def _inner(self) -> Any:
        inner = getattr(self._local, "transport", None)
        if inner is None:
            from contactcenter.telephony.simulator.transport import HttpTransport

            inner = self._local.transport = HttpTransport()
            with self.lock:
                self._all.append(inner)
        return inner

    def _record(self, url: str, began: float, status: int, body: str) -> None:
        elapsed = time.perf_counter() - began
        kind = urlsplit(url).path
        with self.lock:
            self.latencies[kind].append(elapsed)
            self.timeline.append((began, elapsed))
            if elapsed >= 1.0 and len(self.slow) < 50:
                self.slow.append(f"{time.strftime('%H:%M:%S')} {kind} {elapsed * 1000:.0f} ms -> {status}")
            if not 200 <= status < 300:
                self.errors[f"{kind} {status or 'no answer'}"] += 1
                if len(self.error_samples) < 20:
                    self.error_samples.append(f"{kind} {status}: {body.strip()[:300]}")
            elif "held=" in body:
                self.fallbacks += 1

    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, str]:
        began = time.perf_counter()
        status, body = self._inner().post(url, params, headers)
        self._record(url, began, status, body)
        return status, body

    def get(self, url: str, headers: Mapping[str, str]) -> tuple[int, str]:
        began = time.perf_counter()
        status, body = self._inner().get(url, headers)
        self._record(url, began, status, body)
        return status, body

    def count(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.latencies.values())

    def error_count(self) -> int:
        with self.lock:
            return sum(self.errors.values())

    def close(self) -> None:
        for inner in self._all:
            inner.close()


def script_factory(patience_s: int) -> Callable[[random.Random], str]:
    texts = [text.format(p=patience_s) for _, text, _ in CALLER_SCRIPTS]
    weights = [w for _, _, w in CALLER_SCRIPTS]

    def pick(rng: random.Random) -> str:
        return rng.choices(texts, weights=weights)[0]

    return pick


# ----------------------------------------------------------------------------- servers


def _claim_redis() -> Any:
    """The bench's Redis database: empty or already the bench's, never someone else's."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    if client.dbsize() and client.get(OWNER_KEY) is None:
        raise SystemExit(
            f"{REDIS_URL} holds data that is not this bench's; set BENCH_LOAD_REDIS_URL to an empty database"
        )
    client.flushdb()
    client.set(OWNER_KEY, str(os.getpid()))
    return client


def _seed(url: str, agents: int, wrap_up_s: int) -> tuple[list[int], int]:
    """The demo data (queues, customers, tickets, scripts) plus `agents` load agents in every
    queue; every queue's wrap-up shortened to `wrap_up_s`. Returns (agent ids, last interaction id)."""
    from sqlalchemy import func, select

    from contactcenter.accounts import services as accounts
    from contactcenter.acd.models import Queue, QueueMembership
    from contactcenter.app.demo_data import seed
    from contactcenter.contacts.models import Interaction
    from contactcenter.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(url)
    password = secrets.token_hex(12)
    hashed = accounts.generate_password_hash(password)
    real_hash = accounts.generate_password_hash
    accounts.generate_password_hash = lambda _password: hashed  # one scrypt for all load agents
    try:
        with transaction(make_sessionmaker(engine)) as session:
            seed(session)
            queues = list(session.scalars(select(Queue)))
            for queue in queues:
                queue.wrap_up_s = wrap_up_s
            ids = []
            for n in range(agents):
                user = accounts.create_user(session, f"loadagent{n:04d}", password, skills=AGENT_SKILLS)
                session.flush()
                for queue in queues:
                    session.add(QueueMembership(queue_id=queue.id, user_id=user.id))
                ids.append(user.id)
            last = session.scalar(select(func.max(Interaction.id))) or 0
    finally:
        accounts.generate_password_hash = real_hash
        engine.dispose()
    return ids, last


def _spawn(cmd: list[str], env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    out = open(log_path, "ab")
    return subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait_http(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the web server exited early (code {proc.returncode}); see its log")
        try:
            if requests.get(base + "/healthz", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{base} did not come up in {timeout_s:g} s")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)


def _log_problems(paths: list[Path]) -> dict[str, Any]:
    """WARNING and worse lines in the servers' logs (JSON lines), counted by logger and message."""
    counts: Counter[str] = Counter()
    samples: list[str] = []
    tracebacks = 0
    for path in paths:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                if line.startswith("Traceback"):
                    tracebacks += 1
                elif "[ERROR]" in line or "[CRITICAL]" in line or "WORKER TIMEOUT" in line:
                    counts[f"{path.stem}: {line.split('] ', 3)[-1][:120]}"] += 1
                continue
            if not isinstance(entry, dict) or entry.get("level") not in ("WARNING", "ERROR", "CRITICAL"):
                continue
            key = (
                f"{path.stem.rstrip('0123456789')}: {entry.get('level')} {entry.get('logger')}: "
                f"{str(entry.get('msg'))[:120]}"
            )
            counts[key] += 1
            if len(samples) < 10 and entry.get("level") != "WARNING":
                samples.append(line[:600])
    return {
        "by_message": dict(counts.most_common(25)),
        "total": sum(counts.values()),
        "tracebacks": tracebacks,
        "error_samples": samples,
    }


class CpuMeter:
    """CPU seconds used by each part of the system (Linux /proc), to say what limits a run."""

    TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, groups: Mapping[str, int]) -> None:
        self.groups = dict(groups)  # name -> process group id (each server runs in its own session)

    @staticmethod
    def _stat(pid: str) -> tuple[str, int, float, float] | None:
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # fields[2] = pgrp; [11], [12] = utime, stime; [13], [14] = children's (reaped) times
        return comm, int(fields[2]), float(fields[11]) + float(fields[12]), float(fields[13]) + float(fields[14])

    def sample(self) -> dict[str, float]:
        out: Counter[str] = Counter()
        me = os.getpid()
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            stat = self._stat(pid)
            if stat is None:
                continue
            comm, pgrp, own, reaped = stat
            if comm.startswith("postgres"):
                own += reaped  # the postmaster: backends that ended (pool overflow connections)
            for name, group in self.groups.items():
                if pgrp == group:
                    out[name] += own + (reaped if int(pid) == group else 0.0)
            if int(pid) == me:
                out["bench process (simulator, agents)"] += own
            elif comm.startswith("postgres"):
                out["postgresql (all clients)"] += own
            elif comm.startswith("redis-server"):
                out["redis"] += own
        try:
            cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
            out["machine busy"] = sum(float(v) for v in cpu) - float(cpu[3]) - float(cpu[4])
        except (OSError, IndexError, ValueError):
            pass
        return {k: v / self.TICK for k, v in out.items()}

    @staticmethod
    def cores(before: Mapping[str, float], after: Mapping[str, float], seconds: float) -> dict[str, float]:
        """Average cores each part used between two samples."""
        return {k: round((after.get(k, 0.0) - before.get(k, 0.0)) / seconds, 2) for k in after if seconds > 0}


# ----------------------------------------------------------------------------- checks


def _leg_parent(call: Any) -> tuple[str | None, str | None]:
    """(customer call SID, agent id) from an agent leg's status callback URL."""
    if not call.status_callback:
        return None, None
    query = parse_qs(urlsplit(call.status_callback).query)
    return (query.get("call") or [None])[0], (query.get("agent") or [None])[0]


def _check(url: str, carrier: Any, placed: list[Any], first_new_interaction: int, rt: Any) -> dict[str, Any]:
    from sqlalchemy import func, select

    from contactcenter.acd.models import AgentStateChange
    from contactcenter.contacts.models import Interaction
    from contactcenter.db import make_engine, make_sessionmaker

    sids = [h.sid for h in placed]
    sid_set = set(sids)
    # -- the carrier: every placed call ended, each with at most one agent leg
    with carrier.lock:
        calls = list(carrier._calls.values())  # noqa: SLF001 - the bench reads the carrier's books
    by_sid = {c.sid: c for c in calls}
    not_ended = [s for s in sids if not by_sid[s].ended]
    carrier_status = Counter(by_sid[s].status for s in sids)
    legs: dict[str, list[tuple[str | None, Any]]] = defaultdict(list)
    stray_legs = 0
    for c in calls:
        if c.sid in sid_set or not c.to.startswith("client:"):
            continue
        parent, agent = _leg_parent(c)
        if parent in sid_set:
            legs[parent].append((agent, c))
        else:
            stray_legs += 1
    open_legs = [s for s, items in legs.items() for _, c in items if not c.ended]  # by the customer's call
    legs_not_ended = len(open_legs)
    multi_leg = {s: len(items) for s, items in legs.items() if len(items) > 1}
    answered_legs = {s: [(a, c) for a, c in items if c.answered_at is not None] for s, items in legs.items()}
    multi_answered = {s: len(v) for s, v in answered_legs.items() if len(v) > 1}

    # -- the store: one interaction per call, ended, terminal, answered by the agent whose leg it was
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = []
            for i in range(0, len(sids), 1000):
                rows += session.scalars(select(Interaction).where(Interaction.call_sid.in_(sids[i : i + 1000]))).all()
            others = (
                session.scalar(
                    select(func.count(Interaction.id)).where(
                        Interaction.id > first_new_interaction, Interaction.call_sid.not_in(sids)
                    )
                )
                or 0
            )
            on_call = Counter()
            for i in range(0, len(sids), 1000):
                on_call.update(
                    dict(
                        session.execute(
                            select(AgentStateChange.call_sid, func.count(AgentStateChange.id))
                            .where(
                                AgentStateChange.state == "on_call", AgentStateChange.call_sid.in_(sids[i : i + 1000])
                            )
                            .group_by(AgentStateChange.call_sid)
                        ).all()
                    )
                )
    finally:
        engine.dispose()
    per_sid: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        per_sid[r.call_sid].append(r)
    missing = [s for s in sids if not per_sid.get(s)]
    duplicated = [s for s in sids if len(per_sid.get(s, ())) > 1]
    not_terminal = [r.call_sid for r in rows if r.ended_at is None or r.status not in TERMINAL]
    no_outcome = [r.call_sid for r in rows if not r.outcome]
    answered_twice = [s for s, n in on_call.items() if n > 1]
    agent_mismatch = []
    for s, items in answered_legs.items():
        mine = per_sid.get(s) or []
        if len(items) == 1 and len(mine) == 1 and mine[0].agent_id is not None and str(mine[0].agent_id) != items[0][0]:
            agent_mismatch.append(s)
    answered_without_leg = [r.call_sid for r in rows if r.agent_id is not None and not answered_legs.get(r.call_sid)]

    # -- routing latency, from the store
    queued = [r for r in rows if r.queued_at is not None]
    to_offer = [(r.offered_at - r.queued_at).total_seconds() for r in queued if r.offered_at]
    to_answer = [(r.answered_at - r.queued_at).total_seconds() for r in queued if r.answered_at]
    offer_to_answer = [(r.answered_at - r.offered_at).total_seconds() for r in queued if r.answered_at and r.offered_at]
    # -- the router's live state after the drain: nobody waiting, nobody still on a call
    agents = rt.acd.agents()
    agent_states = Counter(a.state for a in agents)
    from contactcenter.acd.interfaces import TERMINAL_CALL_STATES

    router_states = Counter(
        (snap.state if snap is not None else "gone") for snap in (rt.acd.call_snapshot(s) for s in sids)
    )
    still_in_router = sum(
        n for state, n in router_states.items() if state != "gone" and state not in TERMINAL_CALL_STATES
    )

    lost = {
        "not_ended_at_carrier": len(not_ended),
        "no_interaction": len(missing),
        "interaction_not_terminal": len(not_terminal),
        "agent_legs_not_ended": legs_not_ended,
        "agents_still_on_call": agent_states.get("on_call", 0) + agent_states.get("reserved", 0),
        "calls_still_in_router": still_in_router,
    }
    duplicated_counts = {
        "duplicate_interactions": len(duplicated),
        "calls_with_several_agent_legs": len(multi_leg),
        "calls_answered_by_several_legs": len(multi_answered),
        "calls_answered_twice_in_store": len(answered_twice),
        "agent_mismatch": len(agent_mismatch),
    }
    # Records that contradict themselves: answered (an agent accepted) and abandoned at once, which
    # interval statistics count twice (answered has answered_at; abandoned is the outcome).
    answered_and_abandoned = [r.call_sid for r in rows if r.answered_at is not None and r.outcome == "abandoned"]
    inconsistent = {"answered_and_abandoned": len(answered_and_abandoned)}
    examples = {
        k: v[:5]
        for k, v in {
            "not_ended_at_carrier": not_ended,
            "agent_legs_not_ended": open_legs,
            "no_interaction": missing,
            "interaction_not_terminal": not_terminal,
            "duplicate_interactions": duplicated,
            "calls_with_several_agent_legs": list(multi_leg),
            "calls_answered_twice_in_store": answered_twice,
            "agent_mismatch": agent_mismatch,
            "answered_and_abandoned": answered_and_abandoned,
            "accepted_but_no_agent_leg_answered": answered_without_leg,
            "no_outcome": no_outcome,
        }.items()
        if v
    }
    # The story of a few problem calls, for the report: the store's record and the carrier's transcript.
    stories = {}
    for sid in [x for v in examples.values() for x in v[:2]][:8]:
        if sid in stories:
            continue
        mine = per_sid.get(sid) or []
        stories[sid] = {
            "interactions": [
                {
                    k: str(getattr(r, k))
                    for k in (
                        "status",
                        "outcome",
                        "arrived_at",
                        "queued_at",
                        "offered_at",
                        "answered_at",
                        "ended_at",
                        "agent_id",
                    )
                }
                for r in mine
            ],
            "agent_legs": [
                {
                    "agent": a,
                    "status": c.status,
                    "answered": c.answered_at is not None,
                    "end_reason": c.end_reason,
                    "transcript": [f"{e.t:.2f} {e.kind} {e.detail[:160]}" for e in c.transcript][-15:],
                }
                for a, c in legs.get(sid, [])
            ],
            "transcript": [f"{e.t:.2f} {e.kind} {e.detail[:160]}" for e in by_sid[sid].transcript][-40:],
        }
    return {
        "calls_placed": len(sids),
        "carrier_status": dict(carrier_status),
        "agent_legs": sum(len(v) for v in legs.values()),
        "stray_agent_legs": stray_legs,
        "outcomes": dict(Counter(r.outcome or "none" for r in rows)),
        "interactions_without_outcome": len(no_outcome),
        "other_new_interactions": others,
        "queued": len(queued),
        "routing": {
            "queued_to_offered": summary(to_offer) if to_offer else {"count": 0},
            "queued_to_answered": summary(to_answer) if to_answer else {"count": 0},
            "offered_to_answered": summary(offer_to_answer) if offer_to_answer else {"count": 0},
        },
        "agent_states_after_drain": dict(agent_states),
        "router_call_states_after_drain": dict(router_states),
        "lost": lost,
        "duplicated": duplicated_counts,
        "inconsistent": inconsistent,
        # an agent accepted, the caller hung up before the agent's leg answered (a race, not a loss)
        "accepted_but_no_agent_leg_answered": len(answered_without_leg),
        "examples": examples,
        "stories": stories,
    }


# ----------------------------------------------------------------------------- the run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20.0, help="new calls per second (default 20)")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of arrivals (default 300)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--agents", type=int, default=0, help="simulated agents (default: enough for the rate)")
    parser.add_argument("--talk", type=float, default=8.0, help="agents' mean talk time, s (default 8)")
    parser.add_argument("--wrap", type=int, default=2, help="wrap-up after each call, s (default 2)")
    parser.add_argument("--answer-after", type=float, default=1.0, help="agents answer an offer after, s (default 1)")
    parser.add_argument(
        "--patience",
        type=int,
        default=120,
        help="callers who wait for an agent hang up this long after calling, s (default 120)",
    )
    parser.add_argument("--carrier-threads", type=int, default=32, help="webhook delivery threads (default 32)")
    parser.add_argument("--web-threads", type=int, default=16, help="threads per gunicorn worker (default 16)")
    parser.add_argument(
        "--drain",
        type=float,
        default=0,
        help="longest wait for calls to end after the last arrival, s (default: patience + 40)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--json-file", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args()
    if args.rate <= 0 or args.duration <= 0 or args.talk <= 0 or args.carrier_threads < 1:
        parser.error("rate, duration, talk and carrier threads must be positive")
    # Offered load in agent-seconds per second: talk + answer + ring + wrap-up + the agents' 1 s step.
    busy_s = args.talk + args.answer_after + 1.0 + args.wrap + 2.0
    agents = args.agents or int(math.ceil(args.rate * QUEUED_SHARE * busy_s * 1.4)) + 4
    drain_s = args.drain or args.patience + 40

    import logging

    from contactcenter.app import runtime as runtime_mod, ticker
    from contactcenter.app.demo_data import CUSTOMERS
    from contactcenter.app.recovery import BUILT_KEY
    from contactcenter.app.services import CarrierUrls
    from contactcenter.app.simulated_agents import SimulatedAgents
    from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN, load_settings
    from contactcenter.telephony.simulator import Callee, InboundTraffic, SimulatedCarrier, SimulatorServer
    from contactcenter.telephony.simulator.traffic import caller_numbers

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the simulator's REST access log
    redis_client = _claim_redis()
    logs = Path(os.environ.get("BENCH_LOG_DIR") or tempfile.mkdtemp(prefix="bench-load-"))
    logs.mkdir(parents=True, exist_ok=True)
    log_files = [logs / "web.log", logs / "worker0.log", logs / "worker1.log"]
    procs: list[subprocess.Popen[bytes]] = []
    transport = TimedTransport()
    carrier = SimulatedCarrier(
        transport, account_sid=SIMULATOR_ACCOUNT_SID, auth_token=SIMULATOR_AUTH_TOKEN, seed=10**9 + args.seed
    )  # SIDs unlike the demo data's (seeded with 7)
    scheduler = carrier.scheduler = PooledScheduler(args.carrier_threads)
    api = SimulatorServer(carrier).start()
    stop = threading.Event()
    samples: list[dict[str, float]] = []
    rt = None
    try:
        with scratch_schema("bench_load") as url:
            try:
                t_seed = time.perf_counter()
                agent_ids, last_interaction = _seed(url, agents, args.wrap)
                log(f"seeded the demo data and {agents} agents in {time.perf_counter() - t_seed:.1f} s; logs in {logs}")
                port = free_port()
                base = f"http://127.0.0.1:{port}"
                env = {
                    "DATABASE_URL": url,
                    "REDIS_URL": REDIS_URL,
                    "CARRIER": "simulator",
                    "SIMULATOR_URL": api.url,
                    "SECRET_KEY": secrets.token_hex(32),
                    "PUBLIC_BASE_URL": base,
                    "LOG_FORMAT": "json",
                    # every webhook comes from 127.0.0.1 here; a carrier's come from many addresses
                    "WEBHOOKS_PER_IP_PER_MINUTE": "0",
                }
                # Keep-alive longer than the carrier's idle gaps: with gunicorn's 5 s a reused connection
                # can be closed by the server just as a webhook goes out on it (no answer at all).
                procs.append(
                    _spawn(
                        [
                            sys.executable,
                            "-m",
                            "gunicorn",
                            "-w",
                            "2",
                            "--threads",
                            str(args.web_threads),
                            "-b",
                            f"127.0.0.1:{port}",
                            "--timeout",
                            "60",
                            "--keep-alive",
                            "75",
                            "--log-level",
                            "warning",
                            "--no-control-socket",
                            "web.wsgi:app",
                        ],
                        env,
                        log_files[0],
                    )
                )
                for n in range(2):
                    procs.append(
                        _spawn([sys.executable, "-m", "contactcenter.app.cli", "worker"], env, log_files[1 + n])
                    )
                _wait_http(base, procs[0])

                settings = load_settings({**os.environ, **env})
                rt = runtime_mod.build_runtime(settings)
                runtime_mod.install(rt)
                deadline = time.monotonic() + 60
                while not (rt.redis.get(ticker.LOCK_KEY) and rt.redis.exists(rt.acd.key(BUILT_KEY))):
                    if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                        raise SystemExit("the workers did not start the ACD heartbeat; see their logs")
                    time.sleep(0.2)
                leader = rt.redis.get(ticker.LOCK_KEY)
                rt.acd_configured = True

                urls = CarrierUrls.under(base)
                for n in range(agents):
                    carrier.set_callee(f"client:loadagent{n:04d}", Callee(answer="human", ring_s=1.0))
                shard = 20  # agents per stepping thread (each step is one transaction, as in the demo)
                for i in range(0, len(agent_ids), shard):
                    SimulatedAgents(
                        rt,
                        agent_ids[i : i + shard],
                        urls,
                        answer_after_s=args.answer_after,
                        mean_talk_s=args.talk,
                        seed=args.seed + i,
                    ).start(stop)
                deadline = time.monotonic() + 60
                while sum(1 for a in rt.acd.agents() if a.state == "available") < agents:
                    if time.monotonic() > deadline:
                        raise SystemExit("the simulated agents did not all become available in 60 s")
                    time.sleep(0.5)
                log(
                    f"web {base} (gunicorn, 2 workers x {args.web_threads} threads), 2 RQ workers "
                    f"(ACD leader {leader.decode() if isinstance(leader, bytes) else leader}), simulator {api.url}, "
                    f"{agents} agents available"
                )

                carrier.add_number(CENTER_NUMBER, f"{base}/hooks/voice", f"{base}/hooks/status")
                carrier.start()
                callers = [number for _, number, _, _ in CUSTOMERS] * 40 + caller_numbers(2000, args.seed)
                traffic = InboundTraffic(
                    carrier,
                    CENTER_NUMBER,
                    args.rate * 60,
                    script_factory(args.patience),
                    seed=args.seed,
                    callers=callers,
                )
                meter = CpuMeter(
                    {"web (gunicorn, 2 processes)": procs[0].pid, "worker 1": procs[1].pid, "worker 2": procs[2].pid}
                )
                cpu_before = meter.sample()
                load_at_start = [round(v, 2) for v in os.getloadavg()]
                began = time.perf_counter()
                traffic.start(args.duration)
                last_report = began
                peak_active = 0
                while True:
                    time.sleep(1.0)
                    now = time.perf_counter()
                    active = carrier.active_calls()
                    peak_active = max(peak_active, active)
                    arriving = traffic._running  # noqa: SLF001
                    if now - last_report >= 10 or not arriving:
                        with scheduler._count_lock:  # noqa: SLF001
                            recent = scheduler.lags[-2000:]
                        sample = {
                            "t": round(now - began, 1),
                            "placed": len(traffic.placed),
                            "active": active,
                            "webhooks": transport.count(),
                            "errors": transport.error_count(),
                            "lag_p99_ms": round(percentile(recent, 99) * 1000, 1) if recent else 0.0,
                        }
                        samples.append(sample)
                        log(
                            f"t={sample['t']:6.1f}s placed {sample['placed']:6d}  in progress {active:5d}  "
                            f"webhooks {sample['webhooks']:7d}  errors {sample['errors']:4d}  "
                            f"carrier lag p99 {sample['lag_p99_ms']:.0f} ms"
                        )
                        last_report = now
                    if not arriving:
                        break
                arrivals_s = time.perf_counter() - began
                cpu_cores = CpuMeter.cores(cpu_before, meter.sample(), arrivals_s)
                placed = list(traffic.placed)
                log(f"arrivals over: {len(placed)} calls in {arrivals_s:.1f} s; draining (at most {drain_s:g} s)")
                drain_deadline = time.monotonic() + drain_s

                def busy() -> bool:
                    with carrier.lock:
                        open_calls = sum(1 for c in carrier._calls.values() if not c.ended)  # noqa: SLF001
                    return open_calls > 0 or scheduler.in_flight > 0

                while time.monotonic() < drain_deadline and busy():
                    time.sleep(1.0)
                # The last status callbacks and agent-leg callbacks are answered; wrap-ups end.
                settle = time.monotonic() + args.wrap + 10
                while time.monotonic() < settle:
                    states = Counter(a.state for a in rt.acd.agents())
                    if scheduler.in_flight == 0 and set(states) <= {"available", "offline"}:
                        break
                    time.sleep(0.5)
                time.sleep(2.0)
                drained_s = time.perf_counter() - began - arrivals_s
                cpu_total = CpuMeter.cores(cpu_before, meter.sample(), arrivals_s + drained_s)
                stop.set()
                time.sleep(1.5)  # the agents' last step ends
                store = _check(url, carrier, placed, last_interaction, rt)
                carrier.stop()
                rt.close()
                rt = None
            finally:
                stop.set()
                _stop(procs)  # before the schema goes
    finally:
        stop.set()
        _stop(procs)
        try:
            carrier.stop()
        except Exception:  # noqa: BLE001
            pass
        api.stop()
        transport.close()
        if rt is not None:
            rt.close()
        redis_client.flushdb()
        redis_client.close()

    all_latencies = [v for values in transport.latencies.values() for v in values]
    # Each web process configures itself on its first webhooks (flow, router configuration, query
    # caches): the first seconds are reported apart from the steady state.
    expected = args.rate * args.duration
    steady = [elapsed for sent, elapsed in transport.timeline if sent >= began + WARM_UP_S]
    lags = scheduler.lags
    sustained = {
        # Poisson arrivals: the count falls short of rate x duration by 3 standard deviations at most
        "arrivals_as_scheduled": len(placed) >= expected - 3 * math.sqrt(expected),
        "carrier_lag_p99_under_1s": percentile(lags, 99) < 1.0,
        "no_webhook_errors": not transport.errors,
        "webhook_p99_under_2s_after_warm_up": percentile(steady, 99) < 2.0,
    }
    durations = [h.ended_after_s for h in placed if h.ended_after_s is not None]
    problems = _log_problems(log_files)
    lost_total = sum(store["lost"].values())
    dup_total = sum(store["duplicated"].values())
    result = {
        "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "rate_per_s": args.rate,
        "duration_s": args.duration,
        "seed": args.seed,
        "agents": agents,
        "mean_talk_s": args.talk,
        "wrap_up_s": args.wrap,
        "patience_s": args.patience,
        "carrier_threads": args.carrier_threads,
        "web": f"gunicorn 2 workers x {args.web_threads} threads",
        "workers": 2,
        "calls_placed": len(placed),
        "arrival_rate_achieved_per_s": round(len(placed) / arrivals_s, 2),
        "peak_calls_in_progress": peak_active,
        "drain_s": round(drained_s, 1),
        "cpu_cores_while_arriving": cpu_cores,
        "cpu_cores_whole_run": cpu_total,
        "cores": os.cpu_count(),
        "web_cpu_ms_per_webhook": round(
            cpu_total.get("web (gunicorn, 2 processes)", 0.0)
            * (arrivals_s + drained_s)
            * 1000
            / max(1, len(all_latencies)),
            2,
        ),
        "load_average_at_start": load_at_start,
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "call_duration_s": {
            "p50": round(percentile(durations, 50), 1),
            "p99": round(percentile(durations, 99), 1),
            "max": round(max(durations or [0.0]), 1),
        },
        "carrier_lag": {
            "p50_ms": round(percentile(scheduler.lags, 50) * 1000, 1),
            "p99_ms": round(percentile(scheduler.lags, 99) * 1000, 1),
            "max_ms": round(max(scheduler.lags or [0]) * 1000, 1),
        },
        "webhooks": {
            **summary(all_latencies),
            "per_s": round(len(all_latencies) / (arrivals_s + drained_s), 1),
            "errors": sum(transport.errors.values()),
            "store_unreachable_fallbacks": transport.fallbacks,
        },
        "webhooks_after_warm_up": {**summary(steady), "warm_up_s": WARM_UP_S},
        "sustained": {**sustained, "all": all(sustained.values())},
        "webhooks_by_path": {path: summary(values) for path, values in sorted(transport.latencies.items())},
        "webhook_errors_by_path": dict(transport.errors),
        "webhook_error_samples": transport.error_samples,
        "slow_webhooks": transport.slow,
        "server_log_problems": problems,
        "store": store,
        "progress": samples,
        "logs": str(logs),
    }
    result["lost_calls"] = lost_total
    result["duplicated_calls"] = dup_total
    result["passed"] = lost_total == 0 and dup_total == 0
    result["consistent_records"] = not any(store["inconsistent"].values())
    if args.json_file:
        args.json_file.write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0 if result["passed"] else 1


def _print(r: dict[str, Any]) -> None:
    s = r["store"]
    w = r["webhooks"]
    print(
        f"load: {r['calls_placed']} calls at {r['arrival_rate_achieved_per_s']}/s (target {r['rate_per_s']}/s for "
        f"{r['duration_s']:g} s), {r['agents']} agents (talk {r['mean_talk_s']:g} s, wrap-up {r['wrap_up_s']} s), "
        f"{r['web']}, {r['workers']} RQ workers"
    )
    print(f"load average (1, 5, 15 min) at start {r['load_average_at_start']}, at end {r['load_average_at_end']}")
    print(
        f"peak calls in progress {r['peak_calls_in_progress']}; drain {r['drain_s']} s; carrier lag "
        f"p50 {r['carrier_lag']['p50_ms']} ms, p99 {r['carrier_lag']['p99_ms']} ms, max {r['carrier_lag']['max_ms']} ms"
    )
    d = r["call_duration_s"]
    print(f"call duration at the carrier: p50 {d['p50']} s, p99 {d['p99']} s, max {d['max']} s")
    print(
        "CPU while calls arrived (cores of "
        + str(r["cores"])
        + "): "
        + ", ".join(f"{k} {v}" for k, v in sorted(r["cpu_cores_while_arriving"].items(), key=lambda kv: -kv[1]))
    )
    print(
        "CPU over the whole run: "
        + ", ".join(f"{k} {v}" for k, v in sorted(r["cpu_cores_whole_run"].items(), key=lambda kv: -kv[1]))
        + f"; web CPU per webhook {r['web_cpu_ms_per_webhook']} ms"
    )
    print(
        f"webhooks {w['count']} ({w['per_s']}/s): p50 {w['p50_ms']} ms, p99 {w['p99_ms']} ms, mean {w['mean_ms']} ms; "
        f"errors {w['errors']}, store-unreachable fallbacks {w['store_unreachable_fallbacks']}"
    )
    ws = r["webhooks_after_warm_up"]
    print(
        f"  after the first {ws['warm_up_s']:g} s: {ws['count']} webhooks, p50 {ws['p50_ms']} ms, p99 {ws['p99_ms']} ms"
    )
    for path, v in r["webhooks_by_path"].items():
        print(f"  {path:24s} {v['count']:7d}  p50 {v['p50_ms']:8.2f} ms  p99 {v['p99_ms']:8.2f} ms")
    routing = s["routing"]
    for name, v in routing.items():
        if v.get("count"):
            print(f"routing {name.replace('_', ' ')}: {v['count']} calls, p50 {v['p50_ms']} ms, p99 {v['p99_ms']} ms")
    print(f"outcomes: {s['outcomes']}; carrier status: {s['carrier_status']}; agent legs {s['agent_legs']}")
    print(f"agents after the drain: {s['agent_states_after_drain']}")
    if r["webhook_errors_by_path"]:
        print(f"webhook errors: {r['webhook_errors_by_path']}")
    p = r["server_log_problems"]
    if p["total"] or p["tracebacks"]:
        print(f"server log warnings/errors: {p['total']} (tracebacks {p['tracebacks']})")
        for message, count in p["by_message"].items():
            print(f"  {count:6d}  {message}")
    sus = r["sustained"]
    print(
        f"rate sustained: {'yes' if sus['all'] else 'NO'} "
        f"({', '.join(k.replace('_', ' ') + ' ' + ('yes' if v else 'NO') for k, v in sus.items() if k != 'all')})"
    )
    print(f"lost: {s['lost']}")
    print(f"duplicated: {s['duplicated']}")
    print(
        f"inconsistent records: {s['inconsistent']}; accepted but the caller gone before the agent's leg "
        f"answered: {s['accepted_but_no_agent_leg_answered']}"
    )
    if s["examples"]:
        print(f"examples: {s['examples']}")
    print(
        f"every call ended in a terminal state with exactly one interaction, answered at most once: "
        f"{'yes' if r['passed'] else 'NO'} (lost {r['lost_calls']}, duplicated {r['duplicated_calls']}); "
        f"logs {r['logs']}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
