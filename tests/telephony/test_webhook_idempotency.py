"""The carrier retries and reorders: the same event twice changes nothing twice."""

from __future__ import annotations

from sqlalchemy import func, select

from contactcenter.contacts.models import CarrierEvent, Interaction
from tests.support.factories import carrier_params, gen_queue, post_signed


def _interaction(db, sid):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalars(select(Interaction).where(Interaction.call_sid == sid)).one()


def test_replayed_incoming_call_creates_one_interaction_and_same_twiml(client, db):
    gen_queue(db, "support")
    params = carrier_params()
    first = post_signed(client, "/hooks/voice", params)
    queued_at = _interaction(db, params["CallSid"]).queued_at
    second = post_signed(client, "/hooks/voice", params)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert db.scalar(select(func.count(Interaction.id))) == 1
    assert db.scalar(select(func.count(CarrierEvent.id))) == 1
    assert _interaction(db, params["CallSid"]).queued_at == queued_at


def test_replayed_status_callback_is_applied_once(client, db):
    params = carrier_params()
    post_signed(client, "/hooks/voice", params)
    done = carrier_params(
        params["CallSid"],
        status="completed",
        CallDuration="42",
        SequenceNumber="3",
        Timestamp="Wed, 25 Nov 2026 12:00:42 +0000",
    )
    assert post_signed(client, "/hooks/status", done).status_code == 204
    ended = _interaction(db, params["CallSid"]).ended_at
    assert post_signed(client, "/hooks/status", done).status_code == 204
    call = _interaction(db, params["CallSid"])
    assert call.ended_at == ended
    assert call.duration_s == 42
    assert db.scalar(select(func.count(CarrierEvent.id)).where(CarrierEvent.kind == "status")) == 1


def test_late_ringing_after_completed_does_not_reopen_the_call(client, db):
    params = carrier_params()
    post_signed(client, "/hooks/voice", params)
    post_signed(
        client,
        "/hooks/status",
        carrier_params(params["CallSid"], status="completed", CallDuration="30", SequenceNumber="2"),
    )
    post_signed(client, "/hooks/status", carrier_params(params["CallSid"], status="ringing", SequenceNumber="0"))
    call = _interaction(db, params["CallSid"])
    assert call.status == "completed"
    assert call.ended_at is not None
    assert call.outcome == "abandoned"  # it waited in the queue and nobody answered


def test_voice_webhook_after_call_ended_hangs_up(client, db):
    params = carrier_params()
    post_signed(client, "/hooks/voice", params)
    post_signed(client, "/hooks/status", carrier_params(params["CallSid"], status="completed", CallDuration="5"))
    resp = post_signed(client, "/hooks/wait", carrier_params(params["CallSid"], status="in-progress"))
    assert b"<Hangup" in resp.data
