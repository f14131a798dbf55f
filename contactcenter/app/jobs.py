"""Background jobs on RQ, defined once so every job gets the same connection, retries and logging.

`@job(...)` wraps a function; `fn.enqueue(*args)` queues it on the process runtime's Redis. In
the embedded default (no REDIS_URL) the queue lives in the in-process Redis substitute and
`contactcenter demo` runs the worker in a thread of the same process.

Jobs survive a worker that dies mid-job (kill -9, a lost machine): every `contactcenter worker`
holds a short lease in Redis while it lives (`WorkerLease`), and `recover_abandoned` — run by
every worker every few seconds, one at a time under a lock — hands the jobs of a worker whose
lease lapsed back to RQ's own abandoned-job handling, which retries them (`Retry`) or fails
them. RQ alone notices a dead worker only after its heartbeat TTL (a minute and more).

A retried job may run again after it already did its work (the worker died between the work and
RQ recording it), so jobs must be idempotent: each one checks the store before it acts (calls
already closed, notices already sent). The wrapper adds a second guard: a job id that finished
once is not run again.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from rq import Queue, Retry, get_current_job
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.scheduler import SCHEDULER_LOCKING_KEY_TEMPLATE

from contactcenter.app import runtime as runtime_mod

log = logging.getLogger("contactcenter.app.jobs")
F = TypeVar("F", bound=Callable[..., Any])
QUEUES = ("high", "default", "low")

# A worker renews its lease every LEASE_RENEW_S; one silent for LEASE_S is taken for dead.
LEASE_S = 10.0
LEASE_RENEW_S = 1.0
LEASED_WORKERS = "jobs:leased-workers"  # names of workers that hold leases (others are never judged)
RECOVERY_LOCK = "jobs:recovery-lock"
DONE_TTL_S = 3600  # longer than any retry of the same job can come (intervals + recovery)
SCHEDULER_INTERVAL_S = 1  # RQScheduler's default renewal interval, as the worker starts it


def queue(name: str = "default", connection: Any = None) -> Queue:
    conn = connection if connection is not None else runtime_mod.current().redis
    return Queue(name, connection=conn)


def lease_key(worker_name: str) -> str:
    return f"jobs:lease:{worker_name}"


def done_key(job_id: str) -> str:
    return f"jobs:done:{job_id}"


def job(
    queue_name: str = "default",
    *,
    retries: int = 3,
    retry_intervals: Sequence[int] = (5, 30, 120),
    timeout: int = 300,
) -> Callable[[F], F]:
    if queue_name not in QUEUES:
        raise ValueError(f"unknown queue {queue_name}")

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def logged(*args: Any, **kwargs: Any) -> Any:
            current = get_current_job()
            if current is not None:
                _die_with_worker()
            if current is not None and current.connection.exists(done_key(current.id)):
                # A retry of a job that finished before its worker died: the work is done.
                log.info("job skipped %s: job %s already done", fn.__qualname__, current.id)
                return None
            started = time.perf_counter()
            log.info("job start %s", fn.__qualname__, extra={"job_id": current.id if current else None})
            try:
                result = fn(*args, **kwargs)
            except Exception:
                log.exception("job failed %s", fn.__qualname__)
                raise
            if current is not None:
                current.connection.set(done_key(current.id), "1", ex=DONE_TTL_S)
            log.info("job done %s in %.3fs", fn.__qualname__, time.perf_counter() - started)
            return result

        def enqueue(*args: Any, _connection: Any = None, _job_id: str | None = None, **kwargs: Any) -> Any:
            return queue(queue_name, _connection).enqueue(
                logged,
                *args,
                job_id=_job_id,
                retry=Retry(max=retries, interval=list(retry_intervals)) if retries else None,
                job_timeout=timeout,
                **kwargs,
            )

        logged.enqueue = enqueue  # type: ignore[attr-defined]
        return logged  # type: ignore[return-value]

    return decorate


_worker_pid: int | None = None  # set in a `contactcenter worker` process, inherited by its work-horses


def mark_worker_process() -> None:
    """Called by `contactcenter worker` before it forks work-horses (see `_die_with_worker`)."""
    global _worker_pid
    _worker_pid = os.getpid()


def _die_with_worker() -> None:
    """In a forked work-horse: die when the worker process dies.

    RQ starts each horse in a session of its own, so a worker killed with SIGKILL (or by the
    OOM killer) would leave its horse running the job on, orphaned, while the lease lapses and
    another worker retries the same job: the job would run twice at once. The kernel's parent-
    death signal ties the horse's life to the lease holder's (Linux; elsewhere nothing changes).
    """
    if _worker_pid is None or os.getpid() == _worker_pid or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != _worker_pid:  # the worker died before the signal was armed
        os._exit(1)


class WorkerLease:
    """A worker's proof of life: a Redis key with a short expiry, renewed from a thread.

    Runs in the worker's main process, so it dies with it (kill -9 takes the thread along), while
    a job running in the forked work-horse does not renew it: a stuck job is RQ's timeout's
    business, not ours.
    """

    def __init__(
        self,
        connection: Any,
        worker_name: str,
        *,
        lease_s: float = LEASE_S,
        renew_s: float = LEASE_RENEW_S,
        worker: Any = None,
    ) -> None:
        self.connection = connection
        self.worker_name = worker_name
        self.worker = worker  # the rq Worker, to take over scheduling from a dead one
        self.lease_ms = int(lease_s * 1000)
        self.renew_s = renew_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> WorkerLease:
        self.connection.set(lease_key(self.worker_name), _identity(), px=self.lease_ms)
        self.connection.sadd(LEASED_WORKERS, self.worker_name)
        self._thread = threading.Thread(target=self._run, name="worker-lease", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.renew_s):
            try:
                self.connection.set(lease_key(self.worker_name), _identity(), px=self.lease_ms)
                recover_abandoned(self.connection)
                if self.worker is not None and release_stale_scheduler_locks(self.connection):
                    self._take_over_scheduling()
            except Exception:  # noqa: BLE001 - a Redis blip must not end the lease thread
                log.warning("worker lease renewal failed", exc_info=True)

    def _take_over_scheduling(self) -> None:
        """A dead worker's scheduler held the scheduling lock: start ours now rather than at
        RQ's next maintenance pass (minutes), so retries and timed jobs stay on time."""
        scheduler = getattr(self.worker, "scheduler", None)
        if scheduler is None:
            return
        process = getattr(scheduler, "_process", None)
        if process is None or not process.is_alive():
            scheduler.acquire_locks(auto_start=True)

    def stop(self) -> None:
        """A clean shutdown: RQ has already put back what this worker held."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.connection.delete(lease_key(self.worker_name))
            self.connection.srem(LEASED_WORKERS, self.worker_name)
        except Exception:  # noqa: BLE001
            pass


def _identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def recover_abandoned(connection: Any, queue_names: Iterable[str] = QUEUES) -> list[str]:
    """Jobs held by workers whose lease lapsed, handed to RQ's abandoned-job cleanup.

    RQ's `StartedJobRegistry.cleanup` retries an abandoned job that has retries left and fails
    it otherwise; it acts on entries whose expiry passed, so ours are marked expired first. One
    process recovers at a time (a lock), so a job is never put back twice. Returns the ids.
    """
    if not connection.set(RECOVERY_LOCK, _identity(), nx=True, px=int(LEASE_S * 1000)):
        return []
    try:
        leased = {_text(n) for n in connection.smembers(LEASED_WORKERS)}
        if not leased:
            return []
        dead = {name for name in leased if not connection.exists(lease_key(name))}
        if not dead:
            return []
        recovered: list[str] = []
        for name in queue_names:
            q = Queue(name, connection=connection)
            # RQ's own registry maintenance (a worker's start, its periodic pass) takes this lock
            # too: run together, both would retry the same abandoned job.
            if not connection.set(q.registry_cleaning_key, 1, nx=True, ex=30):
                continue  # being cleaned right now; the next round looks again
            try:
                registry = StartedJobRegistry(queue=q)
                marked = 0
                for entry in connection.zrange(registry.key, 0, -1):
                    job_id = registry.parse_job_id(entry)
                    held_by = (
                        Job.fetch(job_id, connection=connection).worker_name
                        if connection.exists(Job.key_for(job_id))
                        else None
                    )
                    if held_by in dead:
                        connection.zadd(registry.key, {entry: 0}, xx=True)  # expired now
                        recovered.append(job_id)
                        marked += 1
                if marked:
                    registry.cleanup(timestamp=1)  # only the entries marked above
            finally:
                connection.delete(q.registry_cleaning_key)
        for name in dead:
            if not _still_holds_jobs(connection, name, queue_names):
                connection.srem(LEASED_WORKERS, name)
        if recovered:
            log.warning(
                "recovered %d job(s) from dead worker(s) %s: %s",
                len(recovered),
                ", ".join(sorted(dead)),
                ", ".join(recovered),
            )
        return recovered
    finally:
        connection.delete(RECOVERY_LOCK)


def release_stale_scheduler_locks(connection: Any, queue_names: Iterable[str] = QUEUES) -> list[str]:
    """Scheduler locks whose holder stopped renewing them, deleted; returns their queues.

    RQ's scheduler renews its lock (expiry `interval + 60` s) every `interval` (1 s); a lock left
    unrenewed for LEASE_S belongs to a scheduler that died with its worker. RQ itself would wait
    for the lock to expire and for a survivor's next maintenance pass (up to ten minutes) before
    scheduling again; retries and timed jobs cannot wait that long.
    """
    full_ttl = SCHEDULER_INTERVAL_S + 60
    freed = []
    for name in queue_names:
        lock = SCHEDULER_LOCKING_KEY_TEMPLATE % name
        ttl = connection.ttl(lock)
        if ttl is not None and 0 < ttl < full_ttl - LEASE_S:
            connection.delete(lock)
            freed.append(name)
    if freed:
        log.warning("scheduler lock(s) of a dead worker released: %s", ", ".join(freed))
    return freed


def _still_holds_jobs(connection: Any, worker_name: str, queue_names: Iterable[str]) -> bool:
    for name in queue_names:
        registry = StartedJobRegistry(queue=Queue(name, connection=connection))
        for entry in connection.zrange(registry.key, 0, -1):
            job_id = registry.parse_job_id(entry)
            if (
                connection.exists(Job.key_for(job_id))
                and Job.fetch(job_id, connection=connection).worker_name == worker_name
            ):
                return True
    return False
