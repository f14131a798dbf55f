"""A simulated call, end to end: carrier → signed webhooks → app → store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from contactcenter.app.jobs import queue
from contactcenter.app.tasks.calls import reconcile_call, sweep_stale_calls
from contactcenter.contacts.models import CarrierEvent, Interaction
from tests.support.constants import BUSINESS_HOURS, CENTER_NUMBER
from tests.support.factories import gen_customer, gen_queue


@pytest.fixture
def no_ivr(runtime):  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(ivr_flow="")


def _call(db, sid):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalars(select(Interaction).where(Interaction.call_sid == sid)).one()


def test_simulated_call_is_recorded_with_its_timestamps(no_ivr, carrier, db):
    grace = gen_customer(db, "Grace Hopper", ("(415) 555-0100",))
    support = gen_queue(db, "support")
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 40")
    carrier.run_until_idle()
    assert handle.ended and handle.status == "completed"
    assert "Hello Grace, thank you for calling." in handle.heard_text()
    call = _call(db, handle.sid)
    assert call.customer_id == grace.id and call.queue_id == support.id
    assert call.direction == "inbound" and call.from_number == "+14155550100"
    assert call.arrived_at == BUSINESS_HOURS
    assert call.queued_at is not None and call.arrived_at <= call.queued_at < call.arrived_at + timedelta(seconds=15)
    assert call.ended_at == BUSINESS_HOURS + timedelta(seconds=40)
    assert call.duration_s == 40
    assert call.answered_at is None and call.outcome == "abandoned"
    kinds = db.scalars(select(CarrierEvent.kind).where(CarrierEvent.interaction_id == call.id)).all()
    assert kinds[0] == "voice" and "status" in kinds


def test_unknown_caller_still_gets_an_interaction(no_ivr, carrier, db):
    gen_queue(db, "support")
    handle = carrier.place_inbound_call("+12125550182", CENTER_NUMBER, "hang up after 10")
    carrier.run_until_idle()
    call = _call(db, handle.sid)
    assert call.customer_id is None and call.ended_at is not None


def test_duplicated_status_callbacks_change_nothing_twice(no_ivr, app, runtime, db):
    from contactcenter.telephony.simulator import WsgiTransport, virtual_carrier

    gen_queue(db, "support")
    with virtual_carrier(WsgiTransport(app), start=BUSINESS_HOURS, duplicate_status_callbacks=True) as sim:
        sim.add_number(CENTER_NUMBER, "http://cc.test/hooks/voice", "http://cc.test/hooks/status")
        handle = sim.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 25")
        sim.run_until_idle()
    call = _call(db, handle.sid)
    assert call.duration_s == 25
    statuses = db.scalars(
        select(func.count(CarrierEvent.id)).where(CarrierEvent.interaction_id == call.id, CarrierEvent.kind == "status")
    ).one()
    assert statuses == 1
    assert handle.webhooks()
    assert all(w.rsplit("-> ", 1)[1].startswith("2") for w in handle.webhooks())


def test_lost_status_callback_is_reconciled_by_a_job(no_ivr, carrier, runtime, redis_client, db):
    gen_queue(db, "support")
    carrier.add_number("+18005550111", "http://cc.test/hooks/voice")  # no status callback configured
    handle = carrier.place_inbound_call("+14155550100", "+18005550111", "hang up after 30")
    carrier.run_until_idle()
    assert _call(db, handle.sid).ended_at is None  # the carrier never told us
    carrier.run_for(3600)
    assert sweep_stale_calls.enqueue(older_than_s=1800, _connection=redis_client) is not None
    worker = SimpleWorker([queue("low", redis_client)], connection=redis_client)
    worker.work(burst=True)
    call = _call(db, handle.sid)
    assert call.ended_at is not None and call.status == "completed" and call.duration_s == 30
    assert call.outcome == "abandoned"
    assert reconcile_call(handle.sid) == "nothing-to-do"
