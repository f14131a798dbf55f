"""Recording jobs: fetch a completed recording's audio from the carrier into the store (again, for
any whose fetch never happened), and delete recordings whose queue's retention has run out (at
the carrier and here, audited)."""

from __future__ import annotations

from datetime import timedelta

from contactcenter import clock
from contactcenter.app import runtime
from contactcenter.app.jobs import job
from contactcenter.app.services import Services
from contactcenter.audit.services import Origin
from contactcenter.db import transaction

RETENTION_ACTOR = "retention"
PURGE_BATCH = 200
AUDIO_GRACE_S = 600  # a completed recording's audio job has had this long (with its retries)


@job("default")
def fetch_recording_audio(recording_sid: str) -> int:
    """The carrier finished a recording: keep its audio (bytes stored; 0 when there is none)."""
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        return Services(rt, session).recordings().store_audio(recording_sid)


@job("low")
def purge_expired_recordings(limit: int = PURGE_BATCH) -> int:
    """Delete every recording past its retention; each in its own transaction, so one the
    carrier refuses (retried next sweep) does not hold back the others."""
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        due = Services(rt, session).recordings().due_for_deletion(clock.now(), limit)
    deleted = 0
    for sid in due:
        with transaction(rt.session_factory) as session:
            origin = Origin(actor_name=RETENTION_ACTOR)
            if Services(rt, session).recordings().delete(sid, origin, "retention period ended"):
                deleted += 1
    return deleted


@job("low")
def refetch_missing_audio(grace_s: int = AUDIO_GRACE_S) -> int:
    """Queue the audio fetch again for completed recordings still without audio after `grace_s`."""
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        sids = Services(rt, session).recordings().awaiting_audio(clock.now() - timedelta(seconds=grace_s))
    for sid in sids:
        fetch_recording_audio.enqueue(sid, _connection=rt.redis)  # type: ignore[attr-defined]
    return len(sids)
