"""Call jobs: keep the call log true when the carrier's status callback never arrives, and
release scheduled callbacks into their queue when they are due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from contactcenter import clock
from contactcenter.app import runtime
from contactcenter.app.jobs import job, queue
from contactcenter.app.services import Services
from contactcenter.calls import wrapup
from contactcenter.contacts import interactions
from contactcenter.contacts.models import Interaction
from contactcenter.db import transaction
from contactcenter.telephony.interfaces import TERMINAL_STATUSES, TelephonyError


@job("low")
def reconcile_call(call_sid: str) -> str:
    """Ask the carrier how the call stands and close our record if it has ended."""
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        call = interactions.find(session, call_sid)
        if call is None or call.is_ended:
            return "nothing-to-do"
        try:
            info = rt.telephony.fetch_call(call_sid)
        except TelephonyError as exc:
            if exc.status == 404:
                interactions.end_call(call, clock.now(), "failed", None)
                return "closed-unknown-to-carrier"
            raise
        if info.status not in TERMINAL_STATUSES:
            return "still-live"
        interactions.end_call(call, info.end_time or clock.now(), info.status, info.duration_s)
        return "closed"


@job("low")
def sweep_stale_calls(older_than_s: int = 3600, limit: int = 500) -> int:
    """Queue a reconcile for every call still open long after it should have ended."""
    rt = runtime.current()
    cutoff = clock.now() - timedelta(seconds=older_than_s)
    with transaction(rt.session_factory) as session:
        sids = list(
            session.scalars(
                select(Interaction.call_sid)
                .where(Interaction.ended_at.is_(None), Interaction.arrived_at < cutoff)
                .order_by(Interaction.arrived_at)
                .limit(limit)
            )
        )
    for sid in sids:
        reconcile_call.enqueue(sid, _connection=rt.redis)  # type: ignore[attr-defined]
    return len(sids)


@job("default")
def release_callback(request_id: int) -> str:
    """A scheduled callback is due: it joins its queue for an agent."""
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        return wrapup.release_callback(session, Services(rt, session).acd, request_id)


def schedule_callback_release(request_id: int, at: datetime) -> None:
    """Release the callback into its queue at `at` (RQ's scheduler runs in every worker)."""
    queue("default").enqueue_at(at, release_callback, request_id)
