"""Background jobs on RQ, defined once so every job gets the same connection, retries and logging.

`@job(...)` wraps a function; `fn.enqueue(*args)` queues it on the process runtime's Redis. In
the embedded default (no REDIS_URL) the queue lives in the in-process Redis substitute and
`contactcenter demo` runs the worker in a thread of the same process.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any, Callable, Sequence, TypeVar

from rq import Queue, Retry

from contactcenter import runtime as runtime_mod

log = logging.getLogger("contactcenter.jobs")
F = TypeVar("F", bound=Callable[..., Any])
QUEUES = ("high", "default", "low")


def queue(name: str = "default", connection: Any = None) -> Queue:
    conn = connection if connection is not None else runtime_mod.current().redis
    return Queue(name, connection=conn)


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
            started = time.perf_counter()
            log.info("job start %s", fn.__qualname__)
            try:
                result = fn(*args, **kwargs)
            except Exception:
                log.exception("job failed %s", fn.__qualname__)
                raise
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
