"""Retention: the periodic job deletes recordings past their queue's retention at the carrier
and in the store, each deletion audited; younger recordings are kept. Real Redis/RQ, real SQL
(SQLite by default, PostgreSQL with TEST_DATABASE_URL), the carrier simulator on virtual time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contactcenter import clock
from contactcenter.app.tasks.recordings import purge_expired_recordings
from contactcenter.app.ticker import sweep
from contactcenter.audit.models import AuditEntry
from contactcenter.recordings.models import CallRecording, RecordingMedia
from contactcenter.telephony.simulator.carrier import CarrierError
from tests.support.recordings import make_recorded_floor, run_jobs


@pytest.fixture
def kept_a_week(db, runtime, carrier, redis_client):  # type: ignore[no-untyped-def]
    """A call recorded in a queue that keeps recordings 7 days, its audio fetched."""
    recorded = make_recorded_floor(db, runtime, carrier, retention_days=7)
    handle = recorded.connect(recorded.floor.alice, "hang up after 30")
    carrier.run_until_idle()
    run_jobs(redis_client, "default")
    return recorded, handle


def _purge(redis_client) -> None:  # type: ignore[no-untyped-def]
    purge_expired_recordings.enqueue(_connection=redis_client)  # type: ignore[attr-defined]
    run_jobs(redis_client, "low")


def test_a_recording_past_its_retention_is_deleted_at_the_carrier(kept_a_week, carrier, redis_client):
    recorded, handle = kept_a_week
    sid = recorded.recording(handle.sid).recording_sid
    carrier.run_for(8 * 86400)
    _purge(redis_client)
    with pytest.raises(CarrierError) as err:
        carrier.get_recording(sid)
    assert err.value.status == 404


def test_a_recording_past_its_retention_loses_its_audio_here(kept_a_week, carrier, redis_client, db):
    recorded, handle = kept_a_week
    carrier.run_for(8 * 86400)
    _purge(redis_client)
    rec = recorded.recording(handle.sid)
    assert rec.status == "deleted" and rec.deleted_at is not None and rec.media_bytes is None
    assert db.get(RecordingMedia, rec.id) is None
    assert [e.action for e in rec.events][-1] == "deleted"


def test_each_deletion_is_audited(kept_a_week, carrier, redis_client, db):
    recorded, handle = kept_a_week
    sid = recorded.recording(handle.sid).recording_sid
    carrier.run_for(8 * 86400)
    _purge(redis_client)
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "recording.delete")).one()
    assert (entry.object_type, entry.object_id, entry.actor_name) == ("call_recording", sid, "retention")


def test_a_younger_recording_is_kept(kept_a_week, carrier, redis_client):
    recorded, handle = kept_a_week
    carrier.run_for(6 * 86400)
    _purge(redis_client)
    rec = recorded.recording(handle.sid)
    assert rec.status == "completed" and rec.media_bytes
    assert carrier.get_recording(rec.recording_sid).status == "completed"


def test_purging_again_changes_nothing(kept_a_week, carrier, redis_client, db):
    carrier.run_for(8 * 86400)
    _purge(redis_client)
    _purge(redis_client)
    assert db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "recording.delete")) == 1


def test_a_recording_already_gone_at_the_carrier_is_still_deleted_here(kept_a_week, carrier, redis_client):
    recorded, handle = kept_a_week
    carrier.delete_recording(recorded.recording(handle.sid).recording_sid)
    carrier.run_for(8 * 86400)
    _purge(redis_client)
    assert recorded.recording(handle.sid).status == "deleted"


def test_a_queue_without_retention_keeps_its_recordings(db, runtime, carrier, redis_client):
    recorded = make_recorded_floor(db, runtime, carrier)
    handle = recorded.connect(recorded.floor.alice, "hang up after 30")
    carrier.run_until_idle()
    carrier.run_for(3650 * 86400)
    _purge(redis_client)
    assert recorded.recording(handle.sid).retain_until is None
    assert recorded.recording(handle.sid).status == "completed"


def test_the_periodic_sweep_queues_the_purge(runtime, redis_client):
    from contactcenter.app.jobs import queue

    sweep(runtime)
    queued = [job.func_name for job in queue("low", redis_client).jobs]
    assert "contactcenter.app.tasks.recordings.purge_expired_recordings" in queued
    assert "contactcenter.app.tasks.recordings.refetch_missing_audio" in queued


def test_due_recordings_are_found_by_their_retention_date(db, kept_a_week):
    from contactcenter.recordings.services import RecordingService

    recorded, handle = kept_a_week
    rec = recorded.recording(handle.sid)
    service = RecordingService(db)
    assert service.due_for_deletion(clock.now() + timedelta(days=6)) == []
    assert service.due_for_deletion(clock.now() + timedelta(days=8)) == [rec.recording_sid]
    assert db.scalar(select(CallRecording.retention_days).where(CallRecording.id == rec.id)) == 7


def test_audio_whose_fetch_never_happened_is_fetched_by_the_sweep(db, runtime, carrier, redis_client):
    from contactcenter.app.jobs import queue
    from contactcenter.app.tasks.recordings import refetch_missing_audio

    recorded = make_recorded_floor(db, runtime, carrier)
    handle = recorded.connect(recorded.floor.alice, "hang up after 30")
    carrier.run_until_idle()
    queue("default", redis_client).empty()  # the fetch job was lost
    assert recorded.recording(handle.sid).media_bytes is None
    carrier.run_for(900)
    refetch_missing_audio.enqueue(_connection=redis_client)  # type: ignore[attr-defined]
    run_jobs(redis_client, "low", "default")
    assert recorded.recording(handle.sid).media_bytes


def test_a_fresh_recording_is_left_to_its_own_fetch(db, runtime, carrier, redis_client):
    from contactcenter.app.tasks.recordings import refetch_missing_audio

    recorded = make_recorded_floor(db, runtime, carrier)
    recorded.connect(recorded.floor.alice, "hang up after 30")
    carrier.run_until_idle()
    assert refetch_missing_audio() == 0
