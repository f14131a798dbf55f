"""The heartbeat: ACD offer timeouts (RONA), wrap-ups that end, any match still possible, and
the periodic sweeps (SLA escalations, calls whose last status never arrived).

Matching happens at once on every change; this loop covers what only time can trigger. One
process leads at a time (a Redis lock with a short lease), so several workers can run it and a
dead leader is replaced within seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from contactcenter.app import recovery
from contactcenter.app.runtime import Runtime
from contactcenter.app.services import Services
from contactcenter.db import transaction
from contactcenter.failure_log import FailureLog
from contactcenter.leases import LeaderLease

log = logging.getLogger("contactcenter.app.ticker")
LEASE_MS = 3000
LOCK_KEY = "{acd}:ticker-leader"


def _identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def leader_lease(runtime: Runtime, me: str) -> LeaderLease:
    """The ticker's lease for the process identified by `me` (see `contactcenter.leases`)."""
    return LeaderLease(runtime.redis, LOCK_KEY, LEASE_MS / 1000, token=me)


def lead(runtime: Runtime, me: str) -> bool:
    """Take or keep the leader lease; True while this process leads."""
    return leader_lease(runtime, me).acquire_or_renew()


def tick_once(runtime: Runtime, overflow_url: str | None = None) -> int:
    """One heartbeat, its state changes written to the store; returns the number of offers made.

    With `overflow_url` (the public /hooks/overflow), callers past their queue's max wait are
    taken out of the line and redirected to the queue's overflow action.
    """
    recovery.before_tick(runtime)  # lost Redis state, webhook outbox, departed agents
    with transaction(runtime.session_factory) as session:
        services = Services(runtime, session)
        service = services.acd
        services.wrapups().keep_not_ready()  # queues whose wrap-up ends not ready
        report = service.tick()
        if overflow_url:
            service.overflow_overdue(overflow_url)
    if report.expired:
        log.info("offers timed out (RONA): %s", ", ".join(report.expired))
    return len(report.offers)


# Sweeps the leader queues as jobs every minute: SLA warnings and escalations that are due, and
# calls whose final status callback never arrived, recordings past their queue's retention.
SWEEP_EVERY_S = 60.0


def sweep(runtime: Runtime) -> None:
    from contactcenter.app.tasks.calls import sweep_stale_calls
    from contactcenter.app.tasks.recordings import purge_expired_recordings, refetch_missing_audio
    from contactcenter.app.tasks.tickets import sweep_sla

    sweep_sla.enqueue(_connection=runtime.redis)  # type: ignore[attr-defined]
    sweep_stale_calls.enqueue(_connection=runtime.redis)  # type: ignore[attr-defined]
    purge_expired_recordings.enqueue(_connection=runtime.redis)  # type: ignore[attr-defined]
    refetch_missing_audio.enqueue(_connection=runtime.redis)  # type: ignore[attr-defined]


def run(runtime: Runtime, stop: threading.Event, interval_s: float = 1.0, overflow_url: str | None = None) -> None:
    lease = leader_lease(runtime, _identity())
    next_sweep = 0.0
    failures = FailureLog(log)
    while not stop.is_set():
        try:
            if lease.acquire_or_renew():
                tick_once(runtime, overflow_url)
                if time.monotonic() >= next_sweep:
                    sweep(runtime)
                    next_sweep = time.monotonic() + SWEEP_EVERY_S
        except Exception as exc:  # noqa: BLE001 - keep beating through a Redis or database blip
            failures.failed("ACD tick", exc)
        else:
            failures.succeeded("ACD tick")
        stop.wait(interval_s)


def start(runtime: Runtime, stop: threading.Event, overflow_url: str | None = None) -> threading.Thread:
    if overflow_url is None and runtime.settings.public_base_url:
        overflow_url = runtime.settings.public_base_url + "/hooks/overflow"
    thread = threading.Thread(
        target=run, args=(runtime, stop), kwargs={"overflow_url": overflow_url}, name="acd-ticker", daemon=True
    )
    thread.start()
    return thread
