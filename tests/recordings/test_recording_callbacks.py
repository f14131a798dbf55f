"""The carrier's recording status callbacks at /hooks/recording-status: signed, checked, applied
once per RecordingSid and status, and refused (writing nothing) when forged, malformed, hostile,
oversized or about a call we never had."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contactcenter.config import SIMULATOR_ACCOUNT_SID
from contactcenter.recordings.models import CallRecording, RecordingEvent
from tests.support.factories import gen_call, post_signed
from tests.support.recordings import recording_sid

PATH = "/hooks/recording-status"


@pytest.fixture
def call(db):  # type: ignore[no-untyped-def]
    return gen_call(db)


def _params(call_sid: str, sid: str, status: str = "completed", **extra: str) -> dict[str, str]:
    params = {
        "AccountSid": SIMULATOR_ACCOUNT_SID,
        "CallSid": call_sid,
        "RecordingSid": sid,
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{SIMULATOR_ACCOUNT_SID}/Recordings/{sid}",
        "RecordingStatus": status,
        "RecordingChannels": "2",
        "RecordingStartTime": "Mon, 07 Dec 2026 10:00:00 +0000",
        "RecordingSource": "StartCallRecordingAPI",
    }
    if status == "completed":
        params["RecordingDuration"] = "42"
    params.update(extra)
    return params


def _rows(db) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    return (
        db.scalar(select(func.count(CallRecording.id))) or 0,
        db.scalar(select(func.count(RecordingEvent.id))) or 0,
    )


def test_a_completed_callback_stores_the_recording(client, db, call):
    sid = recording_sid()
    assert post_signed(client, PATH, _params(call.call_sid, sid)).status_code == 204
    rec = db.scalars(select(CallRecording).where(CallRecording.recording_sid == sid)).one()
    assert (rec.status, rec.duration_s, rec.channels, rec.interaction_id) == ("completed", 42, 2, call.id)


def test_a_completed_callback_queues_the_audio_fetch(client, db, call, redis_client):
    from contactcenter.app.jobs import queue

    post_signed(client, PATH, _params(call.call_sid, recording_sid()))
    assert queue("default", redis_client).count == 1


def test_the_same_callback_twice_changes_nothing_twice(client, db, call, redis_client):
    from contactcenter.app.jobs import queue

    params = _params(call.call_sid, recording_sid())
    assert post_signed(client, PATH, params).status_code == 204
    assert post_signed(client, PATH, params).status_code == 204
    assert _rows(db) == (1, 1)
    assert queue("default", redis_client).count == 1


def test_a_late_in_progress_never_reopens_a_completed_recording(client, db, call):
    sid = recording_sid()
    post_signed(client, PATH, _params(call.call_sid, sid))
    post_signed(client, PATH, _params(call.call_sid, sid, "in-progress"))
    rec = db.scalars(select(CallRecording).where(CallRecording.recording_sid == sid)).one()
    assert rec.status == "completed"


def test_absent_means_no_audio_and_no_fetch(client, db, call, redis_client):
    from contactcenter.app.jobs import queue

    sid = recording_sid()
    assert post_signed(client, PATH, _params(call.call_sid, sid, "absent", RecordingDuration="0")).status_code == 204
    rec = db.scalars(select(CallRecording).where(CallRecording.recording_sid == sid)).one()
    assert rec.status == "absent" and queue("default", redis_client).count == 0


def test_a_forged_callback_is_refused_and_writes_nothing(client, db, call):
    resp = client.post(PATH, data=_params(call.call_sid, recording_sid()), headers={"X-Twilio-Signature": "forged"})
    assert resp.status_code == 403
    assert _rows(db) == (0, 0)


def test_a_callback_for_another_account_is_refused(client, db, call):
    params = _params(call.call_sid, recording_sid(), AccountSid="AC" + "0" * 32)
    assert post_signed(client, PATH, params).status_code == 403
    assert _rows(db) == (0, 0)


def test_a_callback_about_a_call_we_never_had_is_404(client, db):
    assert post_signed(client, PATH, _params("CA" + "1" * 32, recording_sid())).status_code == 404
    assert _rows(db) == (0, 0)


def test_a_recording_sid_of_another_call_is_404(client, db, call):
    sid = recording_sid()
    post_signed(client, PATH, _params(call.call_sid, sid))
    other = gen_call(db)
    assert post_signed(client, PATH, _params(other.call_sid, sid)).status_code == 404
    assert _rows(db) == (1, 1)


@pytest.mark.parametrize(
    "bad",
    [
        {"RecordingSid": "'; DROP TABLE call_recordings; --"},
        {"RecordingSid": "<script>alert(1)</script>"},
        {"RecordingStatus": "exploded"},
        {"RecordingStatus": "completed<img src=x onerror=alert(1)>"},
        {"RecordingDuration": "-5"},
        {"RecordingDuration": "1e9"},
        {"RecordingChannels": "7"},
        {"RecordingStartTime": "yesterday"},
        {"CallSid": "CA' OR '1'='1"},
    ],
)
def test_malformed_or_hostile_values_are_refused_with_a_clear_message(client, db, call, bad):
    params = {**_params(call.call_sid, recording_sid()), **bad}
    resp = post_signed(client, PATH, params)
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert body.startswith("malformed webhook:") and "<" not in body and "DROP" not in body
    assert _rows(db) == (0, 0)


def test_a_missing_recording_sid_is_refused(client, db, call):
    params = _params(call.call_sid, recording_sid())
    del params["RecordingSid"]
    assert post_signed(client, PATH, params).status_code == 400


def test_a_megabyte_body_is_refused_and_writes_nothing(client, db, call):
    params = _params(call.call_sid, recording_sid(), Junk="x" * (1024 * 1024))
    assert post_signed(client, PATH, params).status_code == 413
    assert _rows(db) == (0, 0)


def test_json_instead_of_a_form_is_refused(client, db, call):
    resp = client.post(PATH, json=_params(call.call_sid, recording_sid()))
    assert resp.status_code == 415
    assert _rows(db) == (0, 0)


def test_a_callback_that_comes_before_the_start_is_recorded_once(db, call):
    """The carrier's in-progress callback may arrive before the request that started the
    recording has written it: both name the same RecordingSid and leave one recording."""
    from contactcenter.recordings.interfaces import RecordingCallback
    from contactcenter.recordings.services import RecordingService

    sid = recording_sid()
    cb = RecordingCallback(SIMULATOR_ACCOUNT_SID, call.call_sid, sid, "in-progress", 2, None, None)
    RecordingService(db).on_callback(cb)
    RecordingService(db).on_callback(cb)
    assert _rows(db) == (1, 1)
