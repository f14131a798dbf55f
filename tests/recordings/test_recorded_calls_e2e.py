"""Recording end to end: the router, the web hooks and the carrier simulator on virtual time.

What is checked is what the caller heard, what the carrier holds (its recordings and their
audio) and what the store keeps.
"""

from __future__ import annotations

import pytest

from contactcenter.recordings.interfaces import RecordingError
from contactcenter.recordings.services import RecordingService
from contactcenter.tickets.access import Viewer
from tests.support.recordings import ANNOUNCEMENT, loudness, make_recorded_floor, run_jobs, wav_facts


@pytest.fixture
def recorded(db, runtime, carrier):  # type: ignore[no-untyped-def]
    return make_recorded_floor(db, runtime, carrier, retention_days=30)


def _service(db, runtime) -> RecordingService:  # type: ignore[no-untyped-def]
    return RecordingService(db, runtime.telephony)


def test_the_caller_hears_the_announcement_before_the_agent(recorded, carrier):
    handle = recorded.connect(recorded.floor.alice)
    steps = [(e.kind, e.detail) for e in handle.transcript]
    announced = steps.index(("heard", ANNOUNCEMENT))
    joined = next(i for i, (kind, detail) in enumerate(steps) if kind == "conference" and detail.startswith("joined"))
    assert announced < joined


def test_a_call_in_a_recorded_queue_is_recorded_at_the_carrier_in_two_channels(recorded, carrier):
    handle = recorded.connect(recorded.floor.alice)
    [at_carrier] = carrier.recordings_of(handle.sid)
    assert at_carrier.status == "in-progress" and at_carrier.channels == 2
    rec = recorded.recording(handle.sid)
    assert (rec.recording_sid, rec.status) == (at_carrier.sid, "in-progress")
    assert [e.action for e in rec.events] == ["started"]


def test_the_end_of_the_call_completes_the_recording_with_its_retention(recorded, carrier):
    handle = recorded.connect(recorded.floor.alice, "hang up after 40")
    carrier.run_until_idle()
    rec = recorded.recording(handle.sid)
    assert rec.status == "completed" and rec.duration_s and rec.duration_s > 20
    assert rec.retain_until is not None and (rec.retain_until - rec.completed_at).days == 30


def test_the_audio_job_keeps_the_carriers_wav_in_the_store(recorded, carrier, redis_client, db, runtime):
    handle = recorded.connect(recorded.floor.alice, "hang up after 40")
    carrier.run_until_idle()
    run_jobs(redis_client, "default")
    rec = recorded.recording(handle.sid)
    audio = _service(db, runtime).audio(rec.id, Viewer(recorded.floor.alice.id, "agent"))
    channels, seconds = wav_facts(audio.content)
    assert channels == 2 and abs(seconds - rec.duration_s) <= 1
    assert rec.media_bytes == len(audio.content)


def test_an_announce_only_queue_announces_and_records_nothing(db, runtime, carrier):
    recorded = make_recorded_floor(db, runtime, carrier, mode="announce")
    handle = recorded.connect(recorded.floor.alice)
    assert ANNOUNCEMENT in handle.heard()
    assert carrier.recordings_of(handle.sid) == []
    assert recorded.recordings(handle.sid) == []


def test_a_queue_without_a_rule_neither_announces_nor_records(db, runtime, carrier):
    from tests.support.calls import make_floor

    floor = make_floor(db, runtime, carrier)
    handle = floor.connect(floor.alice)
    assert not any("record" in said.lower() for said in handle.heard())
    assert carrier.recordings_of(handle.sid) == []


def test_a_region_rule_not_to_record_overrides_the_queue(db, runtime, carrier):
    from tests.support.recordings import gen_rule

    recorded = make_recorded_floor(db, runtime, carrier)
    gen_rule(db, "region", "US", "off")  # the caller is +1 415 …
    handle = recorded.connect(recorded.floor.alice)
    assert ANNOUNCEMENT not in handle.heard()
    assert carrier.recordings_of(handle.sid) == []


def test_pause_and_resume_reach_the_carrier_and_the_timeline(recorded, carrier, db, runtime):
    handle = recorded.connect(recorded.floor.alice)
    alice = Viewer(recorded.floor.alice.id, "agent")
    paused = _service(db, runtime).set_paused(handle.sid, alice, True)
    assert paused.status == "paused" and carrier.recordings_of(handle.sid)[0].status == "paused"
    carrier.run_for(10)
    resumed = _service(db, runtime).set_paused(handle.sid, alice, False)
    assert resumed.status == "in-progress" and carrier.recordings_of(handle.sid)[0].status == "in-progress"
    events = [(e.action, e.user_id) for e in recorded.recording(handle.sid).events]
    assert events == [("started", None), ("paused", alice.user_id), ("resumed", alice.user_id)]


def test_the_paused_part_of_the_recording_is_silent(recorded, carrier, db, runtime, redis_client):
    handle = recorded.connect(recorded.floor.alice, "hang up after 60")
    alice = Viewer(recorded.floor.alice.id, "agent")
    carrier.run_for(5)
    started = carrier.recordings_of(handle.sid)[0].created_at
    _service(db, runtime).set_paused(handle.sid, alice, True)
    paused_at = carrier.scheduler.now() - started
    carrier.run_for(10)
    _service(db, runtime).set_paused(handle.sid, alice, False)
    carrier.run_until_idle()
    run_jobs(redis_client, "default")
    rec = recorded.recording(handle.sid)
    content = _service(db, runtime).audio(rec.id, alice).content
    assert loudness(content, paused_at + 1, paused_at + 9) == 0
    assert loudness(content, 0, paused_at - 1) > 0
    assert loudness(content, paused_at + 11, paused_at + 14) > 0


def test_another_agent_cannot_pause_the_call(recorded, db, runtime):
    handle = recorded.connect(recorded.floor.alice)
    with pytest.raises(RecordingError) as err:
        _service(db, runtime).set_paused(handle.sid, Viewer(recorded.floor.bob.id, "agent"), True)
    assert err.value.kind == "not_found"


def test_a_supervisor_may_pause_any_call(recorded, db, runtime):
    handle = recorded.connect(recorded.floor.alice)
    outcome = _service(db, runtime).set_paused(handle.sid, Viewer(recorded.floor.carmen.id, "supervisor"), True)
    assert outcome.status == "paused"


def test_pausing_a_call_that_is_not_recorded_is_a_conflict(db, runtime, carrier):
    recorded = make_recorded_floor(db, runtime, carrier, mode="announce")
    handle = recorded.connect(recorded.floor.alice)
    with pytest.raises(RecordingError) as err:
        _service(db, runtime).set_paused(handle.sid, Viewer(recorded.floor.alice.id, "agent"), True)
    assert err.value.code == "not_recording"


def test_pausing_twice_changes_nothing_twice(recorded, db, runtime):
    handle = recorded.connect(recorded.floor.alice)
    alice = Viewer(recorded.floor.alice.id, "agent")
    _service(db, runtime).set_paused(handle.sid, alice, True)
    _service(db, runtime).set_paused(handle.sid, alice, True)
    assert [e.action for e in recorded.recording(handle.sid).events] == ["started", "paused"]
