"""kill -9 of an RQ worker in the middle of a job: the job is retried, nothing is lost or done twice."""

from __future__ import annotations

import os

import pytest
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from typing import Iterator

from sqlalchemy import text

from conftest import delete_all_rows
from contactcenter.db import make_engine, make_sessionmaker
from contactcenter.migrate import upgrade
from contactcenter.runtime import Runtime
from contactcenter.tickets.models import CustomerPhone
from fault_jobs import register_customer
from fault_support import spawn_worker, wait_for  # noqa: F401 (fixture)

pytestmark = [pytest.mark.fault, pytest.mark.slow]
# Waits below are upper bounds for a loaded machine (worker start-up, lease expiry, a retry);
# a run usually takes a few seconds of each.


SCHEMA = f"fault_workers_{os.getpid()}"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """Workers are several processes writing at once: that is PostgreSQL's job in production
    (SQLite is refused there), so these tests run on a PostgreSQL schema of their own."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    base = base if base.startswith("postgresql") else "postgresql://postgres@127.0.0.1:5432/test"
    admin = make_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    except Exception as exc:  # a missing server is a failure, never a skip
        pytest.fail(f"PostgreSQL is not reachable at {base}: {exc}")
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{SCHEMA}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    admin.dispose()


@pytest.fixture
def database_url(pg_url: str) -> str:  # the workers spawned by `spawn_worker` use it too
    return pg_url


@pytest.fixture
def committed_runtime(pg_url, settings, redis_client) -> Iterator[Runtime]:  # type: ignore[no-untyped-def]
    engine = make_engine(pg_url)
    delete_all_rows(engine)
    rt = Runtime(settings=settings.with_overrides(database_url=pg_url), engine=engine,
                 session_factory=make_sessionmaker(engine), redis=redis_client)
    yield rt
    delete_all_rows(engine)
    engine.dispose()


def _attempts(redis_client, phone: str) -> int:  # type: ignore[no-untyped-def]
    return int(redis_client.llen(f"fault:attempts:{phone}"))


def _customers(committed_runtime, phone: str) -> int:  # type: ignore[no-untyped-def]
    with committed_runtime.session_factory() as session:
        return int(session.scalar(select(func.count(CustomerPhone.id)).where(CustomerPhone.e164 == phone)))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has finished too
        return stat.read().split(")")[-1].split()[0] == "Z"


def _horse(redis_client, phone: str) -> int:  # type: ignore[no-untyped-def]
    """The work-horse process that ran the job's last attempt."""
    return int(redis_client.lindex(f"fault:attempts:{phone}", -1))


def _finished(job: Job) -> bool:
    job.refresh()
    return job.get_status() == JobStatus.FINISHED


def test_job_killed_before_its_work_is_retried_and_done_once(committed_runtime, redis_client, spawn_worker):
    phone = "+14155550161"
    job = register_customer.enqueue("Ada Lovelace", phone, hold_before=f"go:{phone}", _connection=redis_client)
    first = spawn_worker()
    wait_for(lambda: _attempts(redis_client, phone) == 1, timeout=90, what="the job to start")
    horse = _horse(redis_client, phone)
    first.kill9()  # mid-job: nothing written yet
    wait_for(lambda: _gone(horse), timeout=30, what="the job's process to die with its worker")

    spawn_worker()  # a survivor notices the dead worker's lapsed lease and RQ retries the job
    wait_for(lambda: _attempts(redis_client, phone) == 2, timeout=90, what="the retry to start")
    redis_client.rpush(f"go:{phone}", 1)
    wait_for(lambda: _finished(job), timeout=90, what="the retried job to finish")
    assert job.return_value() == "created"
    assert _customers(committed_runtime, phone) == 1


def test_job_killed_after_its_work_is_retried_and_not_done_twice(committed_runtime, redis_client, spawn_worker):
    phone = "+14155550162"
    job = register_customer.enqueue("Alan Turing", phone, hold_after=f"after:{phone}", _connection=redis_client)
    first = spawn_worker()
    wait_for(lambda: _customers(committed_runtime, phone) == 1, timeout=90, what="the job to commit its work")
    horse = _horse(redis_client, phone)
    first.kill9()  # the work is committed, RQ never heard the job finish
    wait_for(lambda: _gone(horse), timeout=30, what="the job's process to die with its worker")

    spawn_worker()
    wait_for(lambda: _finished(job), timeout=90, what="the retried job to finish")
    assert _attempts(redis_client, phone) == 2
    assert job.return_value() == "already-there"
    assert _customers(committed_runtime, phone) == 1
