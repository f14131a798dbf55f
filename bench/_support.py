"""Shared plumbing for the benchmarks: a scratch PostgreSQL schema, servers on loopback, percentiles."""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[index]


def summary(latencies_s: Sequence[float]) -> dict[str, float]:
    ms = [v * 1000 for v in latencies_s]
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan"),
    }


@contextmanager
def scratch_schema(name: str) -> Iterator[str]:
    """A PostgreSQL schema of the bench's own, migrated to head, dropped afterwards."""
    from contactcenter.db import make_engine
    from contactcenter.migrate import upgrade

    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{name}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        admin.dispose()


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, threads: int = 8) -> Iterator[str]:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "web.wsgi:app",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if requests.get(base + "/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise RuntimeError("the web server did not start")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def kept_schema(name: str) -> Iterator[tuple[str, bool]]:
    """A PostgreSQL schema of the bench's own that outlives the run, for benches whose seeding
    takes minutes: yields (url, fresh). `fresh` is True when the schema was just created (the
    caller seeds it); an existing schema is only migrated to head, so a later migration's
    indexes are built over data already there. Drop it with `drop_schema(name)`."""
    from contactcenter.db import make_engine
    from contactcenter.migrate import upgrade

    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{name}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            exists = (
                conn.execute(
                    text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :name"), {"name": name}
                ).first()
                is not None
            )
            if not exists:
                conn.execute(text(f"CREATE SCHEMA {name}"))
    finally:
        admin.dispose()
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    yield url, not exists


def drop_schema(name: str) -> None:
    from contactcenter.db import make_engine

    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
    finally:
        admin.dispose()


def customer_reads(
    factory: Any, ids: Sequence[int], read: Callable[[Any, int], object], reads: int, name: str
) -> dict[str, float]:
    """`read(session, customer_id)` for random customers, timed beside reading the customer's row
    by primary key in the same iterations (the baseline): p50/p95/p99 of `name`, p95 of the baseline."""
    from sqlalchemy import select

    from contactcenter.contacts.models import Customer

    rng = random.Random(1)
    measured: list[float] = []
    baseline: list[float] = []
    with factory() as session:
        for _ in range(reads):
            cid = rng.choice(ids)
            session.expire_all()
            t0 = time.perf_counter()
            session.execute(select(Customer.id, Customer.name).where(Customer.id == cid)).one()
            t1 = time.perf_counter()
            read(session, cid)
            t2 = time.perf_counter()
            baseline.append((t1 - t0) * 1000)
            measured.append((t2 - t1) * 1000)
    return {
        f"{name}_p50_ms": round(percentile(measured, 50), 3),
        f"{name}_p95_ms": round(percentile(measured, 95), 3),
        f"{name}_p99_ms": round(percentile(measured, 99), 3),
        "baseline_pk_row_p95_ms": round(percentile(baseline, 95), 3),
    }
