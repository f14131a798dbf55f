"""kill -9 of an RQ worker in the middle of a job: the job is retried, nothing is lost or done twice."""

from __future__ import annotations

import os

import pytest
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from contactcenter.app.runtime import Runtime
from contactcenter.contacts.models import CustomerPhone
from tests.support.fault_jobs import register_customer
from tests.support.faults import pg_runtime, pg_url, spawn_worker, wait_for  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.fault, pytest.mark.slow]
# Waits below are upper bounds for a loaded machine (worker start-up, lease expiry, a retry);
# a run usually takes a few seconds of each.


@pytest.fixture
def database_url(pg_url: str) -> str:  # the workers spawned by `spawn_worker` use it too
    return pg_url


@pytest.fixture
def committed_runtime(pg_runtime: Runtime) -> Runtime:
    return pg_runtime


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
