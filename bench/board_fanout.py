"""Board fan-out: how long from an agent-state change to every connected supervisor's page.

Starts the app under gunicorn (1 worker x 64 threads, the deployment in web/wsgi.py) against
PostgreSQL and Redis, seeds `--agents` agents over 5 queues and a day of calls (so today's
figures cost what they cost), connects `--supervisors` real Socket.IO clients (python-socketio
over WebSocket, each logged in with its own session), then changes agent states through the ACD
service at `--rate` changes a second for `--seconds` (round robin: each agent changes every
agents/rate seconds, so coalescing never hides a change).

Latency of one change at one supervisor = the wall time the client received the `board.update`
carrying the agent's new row − the row's `since` (the instant the ACD script made the change).
Prints p50/p95/p99 over every (change, supervisor) pair and over the slowest supervisor of each
change ("to every supervisor"), updates per second per client (the coalescing), and the reference
of a bare Socket.IO round trip on the same server.

    python bench/board_fanout.py --agents 500 --rate 50 --seconds 20 --supervisors 50 [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import redis
import requests
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import gunicorn, percentile, scratch_schema  # noqa: E402

GOAL_P95_S = 0.25
PASSWORD = "bench-password-1"
USER_AGENT = "board-fanout-bench/1"
BENCH_REDIS_URL = os.environ.get("BOARD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
MARKER = "board-fanout-bench:owned"
QUEUES = ("support", "billing", "sales", "retention", "tech")


def _seed(url: str, agents: int, supervisors: int, calls_today: int) -> list[int]:
    """Queues, agents (one shared password hash: hashing 500 passwords would take a minute), a
    day of calls. Returns the agent ids."""
    from werkzeug.security import generate_password_hash

    from contactcenter import clock
    from contactcenter.accounts.models import User
    from contactcenter.acd.models import Queue, QueueMembership
    from contactcenter.contacts.models import Interaction
    from contactcenter.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(url)
    digest = generate_password_hash(PASSWORD)
    with transaction(make_sessionmaker(engine)) as session:
        queues = [Queue(name=q, display_name=q.title()) for q in QUEUES]
        session.add_all(queues)
        users = [
            User(
                username=f"agent{i:04d}",
                display_name=f"Agent {i:04d}",
                password_hash=digest,
                role="agent",
                contact_uri=f"client:agent{i:04d}",
            )
            for i in range(agents)
        ]
        users += [
            User(username=f"super{i:03d}", display_name=f"Supervisor {i}", password_hash=digest, role="supervisor")
            for i in range(supervisors)
        ]
        session.add_all(users)
        session.flush()
        session.add_all(
            QueueMembership(queue_id=queues[i % len(queues)].id, user_id=u.id) for i, u in enumerate(users[:agents])
        )
        now = clock.now()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        span = max(60.0, (now - midnight).total_seconds() - 600)
        rows = []
        for i in range(calls_today):
            queued = midnight + timedelta(seconds=span * i / max(1, calls_today))
            wait = (i * 7) % 60
            answered = i % 10 != 0
            rows.append(
                Interaction(
                    call_sid=f"CA{secrets.token_hex(16)}",
                    direction="inbound",
                    from_number="+14155550100",
                    to_number="+18005550100",
                    arrived_at=queued,
                    queued_at=queued,
                    queue_id=queues[i % len(queues)].id,
                    agent_id=users[i % agents].id if answered else None,
                    answered_at=queued + timedelta(seconds=wait) if answered else None,
                    ended_at=queued + timedelta(seconds=wait + (180 if answered else 0)),
                    outcome="completed" if answered else "abandoned",
                    wait_s=wait,
                    status="completed",
                )
            )
        session.add_all(rows)
        ids = [u.id for u in users[:agents]]
    engine.dispose()
    return ids


class Supervisor:
    """One board page: a logged-in Socket.IO client that notes when each agent row arrives."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        page = self.http.get(base + "/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        resp = self.http.post(
            base + "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token.group(1) if token else ""},
            allow_redirects=False,
            timeout=10,
        )
        if resp.status_code != 302:
            raise RuntimeError(f"login failed for {username}: {resp.status_code}")
        self.client = socketio.Client(reconnection=False)
        self.arrivals: list[tuple[str, float, float]] = []  # (agent id, since, received at)
        self.updates = 0
        self.bytes = 0
        self.lock = threading.Lock()
        self.client.on("board.update", self._on_update)
        self.client.on("pong.bench", lambda data: None)

    def _on_update(self, update: dict) -> None:
        received = time.time()
        with self.lock:
            self.updates += 1
            self.bytes += len(json.dumps(update))
            for row in update.get("agents", []):
                if row.get("since") is not None:
                    self.arrivals.append((row["agent_id"], float(row["since"]), received))

    def connect(self) -> None:
        cookies = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.client.connect(
            self.base, headers={"Cookie": cookies, "User-Agent": USER_AGENT}, transports=["websocket"], wait_timeout=10
        )
        self.client.call("snapshot.request", {}, timeout=30)

    def round_trip(self) -> float:
        start = time.perf_counter()
        self.client.call("snapshot.request", {}, timeout=30)
        return time.perf_counter() - start


def run(agents: int, rate: float, seconds: float, supervisors: int, calls_today: int) -> dict:
    from contactcenter.acd.realtime import RealtimeACD
    from contactcenter.acd.services import AcdService
    from contactcenter.db import make_engine, make_sessionmaker

    r = redis.Redis.from_url(BENCH_REDIS_URL)
    if r.dbsize() and not r.exists(MARKER):
        raise SystemExit(f"{BENCH_REDIS_URL} holds keys this bench did not write; set BOARD_BENCH_REDIS_URL")
    r.flushdb()
    r.set(MARKER, 1)  # the database is this bench's: a later run may flush it
    with scratch_schema("bench_board") as url:
        agent_ids = _seed(url, agents, supervisors, calls_today)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        acd = RealtimeACD(r)
        with factory() as session:
            service = AcdService(session, acd)
            service.sync_configuration()
            for aid in agent_ids:
                service.set_state(aid, "available")
            session.commit()
        env = {
            "DATABASE_URL": url,
            "REDIS_URL": BENCH_REDIS_URL,
            "CARRIER": "simulator",
            "SECRET_KEY": secrets.token_hex(16),
            "IVR_FLOW": "",
            # every supervisor logs in from this one address
            "LOGIN_ATTEMPTS_PER_IP": str(max(30, 2 * supervisors)),
        }
        with gunicorn(env, workers=1, threads=64) as base:
            boards = [Supervisor(base, f"super{i:03d}") for i in range(supervisors)]
            for board in boards:
                board.connect()
            idle_rtt = [boards[0].round_trip() for _ in range(20)]
            time.sleep(1.0)
            for board in boards:
                with board.lock:
                    board.arrivals.clear()
                    board.updates = board.bytes = 0
            changes: list[tuple[str, float]] = []
            start = time.time()
            total = int(rate * seconds)
            with factory() as session:
                service = AcdService(session, acd)
                for i in range(total):
                    due = start + i / rate
                    pause = due - time.time()
                    if pause > 0:
                        time.sleep(pause)
                    aid = agent_ids[i % len(agent_ids)]
                    lap = i // len(agent_ids)
                    state, reason = [
                        ("break", "lunch"),
                        ("available", None),
                        ("break", "training"),
                        ("available", None),
                    ][lap % 4]
                    outcome = service.set_state(aid, state, reason)
                    session.commit()
                    since = next((e.get("since") for e in outcome.events if e.get("type") == "agent.state"), None)
                    if since is not None:
                        changes.append((str(aid), float(since)))
            driven = time.time() - start
            time.sleep(3.0)  # let the last updates arrive
            busy_rtt = [boards[0].round_trip() for _ in range(5)]
            for board in boards:
                board.client.disconnect()
        engine.dispose()
    r.flushdb()
    r.set(MARKER, 1)

    pairs: list[float] = []
    worst: dict[tuple[str, float], float] = defaultdict(float)
    missing = 0
    for board in boards:
        seen = {}
        for agent_id, since, received in board.arrivals:
            seen.setdefault((agent_id, round(since, 3)), received - since)
        for key in ((a, round(s, 3)) for a, s in changes):
            latency = seen.get(key)
            if latency is None:
                missing += 1
                continue
            pairs.append(latency)
            worst[key] = max(worst[key], latency)
    every = list(worst.values())
    window = driven + 3.0
    return {
        "agents": agents,
        "supervisors": supervisors,
        "rate_target": rate,
        "rate_driven": round(len(changes) / driven, 1),
        "changes": len(changes),
        "calls_today_seeded": calls_today,
        "pair_p50_ms": round(percentile(pairs, 50) * 1000, 1),
        "pair_p95_ms": round(percentile(pairs, 95) * 1000, 1),
        "pair_p99_ms": round(percentile(pairs, 99) * 1000, 1),
        "every_supervisor_p95_ms": round(percentile(every, 95) * 1000, 1),
        "every_supervisor_max_ms": round(max(every) * 1000, 1) if every else None,
        "missing_pairs": missing,
        "updates_per_s_per_client": round(sum(b.updates for b in boards) / len(boards) / window, 2),
        "mean_update_bytes": round(sum(b.bytes for b in boards) / max(1, sum(b.updates for b in boards))),
        "snapshot_rtt_idle_p50_ms": round(percentile(idle_rtt, 50) * 1000, 1),
        "snapshot_rtt_busy_p50_ms": round(percentile(busy_rtt, 50) * 1000, 1),
        "goal_p95_ms": GOAL_P95_S * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50.0, help="agent-state changes per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--supervisors", type=int, default=50)
    parser.add_argument("--calls-today", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.agents, args.rate, args.seconds, args.supervisors, args.calls_today)
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"board fan-out: {result['agents']} agents, {result['supervisors']} supervisors, "
        f"{result['rate_driven']} changes/s driven ({result['changes']} changes), "
        f"{result['calls_today_seeded']} calls today in the store"
    )
    print(
        f"  change -> supervisor:        p50 {result['pair_p50_ms']} ms, p95 {result['pair_p95_ms']} ms, "
        f"p99 {result['pair_p99_ms']} ms ({result['missing_pairs']} pairs never seen)"
    )
    print(
        f"  change -> every supervisor:  p95 {result['every_supervisor_p95_ms']} ms, "
        f"max {result['every_supervisor_max_ms']} ms (goal p95 <= {result['goal_p95_ms']:.0f} ms)"
    )
    print(
        f"  coalescing: {result['updates_per_s_per_client']} updates/s per client, "
        f"{result['mean_update_bytes']} bytes per update"
    )
    print(
        f"  reference: snapshot round trip p50 {result['snapshot_rtt_idle_p50_ms']} ms idle, "
        f"{result['snapshot_rtt_busy_p50_ms']} ms after the run"
    )


if __name__ == "__main__":
    main()
