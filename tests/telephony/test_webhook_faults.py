"""The carrier repeats webhooks and delivers them out of order; the stored state stays right.

Complements test_webhook_idempotency.py: any order and any number of repeats of a call's status
callbacks end in the state in-order delivery gives, and a whole call through the simulator with
every status callback delivered twice leaves one record of each thing.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import func, select

from contactcenter.acd.models import AgentStateChange, CallbackRequest, QueueMembership
from contactcenter.acd.services import AcdService, ConnectUrls
from contactcenter.contacts.models import CarrierEvent, Interaction
from contactcenter.telephony.simulator import WsgiTransport, virtual_carrier
from tests.support.constants import BUSINESS_HOURS, CENTER_NUMBER
from tests.support.factories import call_sid, carrier_params, gen_agent, gen_queue, post_signed

pytestmark = pytest.mark.fault

START = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
DELIVERIES = {
    "ringing": dict(status="ringing", SequenceNumber="0", Timestamp="Wed, 25 Nov 2026 12:00:00 +0000"),
    "in-progress": dict(status="in-progress", SequenceNumber="1", Timestamp="Wed, 25 Nov 2026 12:00:02 +0000"),
    "completed": dict(
        status="completed", SequenceNumber="2", CallDuration="40", Timestamp="Wed, 25 Nov 2026 12:00:42 +0000"
    ),
}


def _interaction(db, sid):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalars(select(Interaction).where(Interaction.call_sid == sid)).one()


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.lists(st.sampled_from(sorted(DELIVERIES)), min_size=1, max_size=7)
    .map(lambda picked: picked + [name for name in sorted(DELIVERIES) if name not in picked])
    .flatmap(st.permutations)
)
def test_any_order_and_any_repeats_of_status_callbacks_end_in_the_same_state(client, db, order):
    sid = call_sid()
    arrived = carrier_params(sid, Timestamp="Wed, 25 Nov 2026 11:59:58 +0000")
    assert post_signed(client, "/hooks/voice", arrived).status_code == 200
    for name in order:
        extra = dict(DELIVERIES[name])
        status = extra.pop("status")
        assert post_signed(client, "/hooks/status", carrier_params(sid, status=status, **extra)).status_code == 204
    call = _interaction(db, sid)
    assert call.status == "completed"
    assert call.duration_s == 40
    assert call.ended_at == datetime(2026, 11, 25, 12, 0, 42, tzinfo=UTC)
    logged = db.scalar(
        select(func.count(CarrierEvent.id)).where(CarrierEvent.interaction_id == call.id, CarrierEvent.kind == "status")
    )
    assert logged == 3  # each distinct delivery once, however often it came


def test_status_callback_before_the_call_is_known_is_refused_without_writing(client, db):
    sid = call_sid()
    resp = post_signed(client, "/hooks/status", carrier_params(sid, status="completed", CallDuration="3"))
    assert resp.status_code == 404  # the carrier's retry after the voice webhook will apply it
    assert db.scalar(select(func.count(Interaction.id))) == 0
    post_signed(client, "/hooks/voice", carrier_params(sid))
    assert (
        post_signed(client, "/hooks/status", carrier_params(sid, status="completed", CallDuration="3")).status_code
        == 204
    )
    assert _interaction(db, sid).is_ended


def test_callback_key_pressed_twice_keeps_one_request(client, db, runtime):
    support = gen_queue(db, "support")
    AcdService(db, runtime.acd).sync_configuration()
    runtime.acd_configured = True
    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    sid = call_sid()
    post_signed(client, "/hooks/voice", carrier_params(sid, status="in-progress"))
    press = carrier_params(sid, status="in-progress", Digits="1")
    first = post_signed(client, "/hooks/queue/key", press)
    second = post_signed(client, "/hooks/queue/key", press)
    assert first.status_code == second.status_code == 200
    assert db.scalar(select(func.count(CallbackRequest.id))) == 1
    assert _interaction(db, sid).queue_id == support.id


URLS = ConnectUrls(
    "http://cc.test/hooks/connect", "http://cc.test/hooks/agent-leg", "http://cc.test/hooks/callback-answer"
)


def test_whole_call_with_every_status_callback_delivered_twice(app, db, runtime):
    from contactcenter.telephony.simulator import SimulatorHttpClient, create_rest_app
    from contactcenter.telephony.twilio_adapter import TwilioTelephony

    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    support = gen_queue(db, "support", wrap_up_s=30)
    alice = gen_agent(db, "alice", skills={"support": 5})
    db.add(QueueMembership(queue_id=support.id, user_id=alice.id))
    db.flush()
    with virtual_carrier(
        WsgiTransport(app, raise_app_errors=False), start=BUSINESS_HOURS, duplicate_status_callbacks=True
    ) as sim:
        sim.add_number(CENTER_NUMBER, "http://cc.test/hooks/voice", "http://cc.test/hooks/status")
        runtime.use_telephony(
            TwilioTelephony(
                runtime.settings.twilio_account_sid,
                runtime.settings.twilio_auth_token,
                http_client=SimulatorHttpClient(create_rest_app(sim)),
            )
        )
        acd = AcdService(db, runtime.acd, runtime.telephony, URLS, center_number=CENTER_NUMBER)
        acd.sync_configuration()
        runtime.acd_configured = True
        acd.set_state(alice.id, "available")
        handle = sim.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 90")
        sim.run_for(6)
        [offer] = runtime.acd.pending_offers()
        assert acd.accept(offer.offer_id, alice.id).ok
        sim.run_until_idle()
    db.expire_all()
    calls = db.scalars(select(Interaction).where(Interaction.direction == "inbound")).all()
    assert [c.call_sid for c in calls] == [handle.sid]
    assert calls[0].outcome == "completed" and calls[0].agent_id == alice.id
    states = list(
        db.scalars(
            select(AgentStateChange.state).where(AgentStateChange.agent_id == alice.id).order_by(AgentStateChange.id)
        )
    )
    assert states == ["available", "reserved", "on_call", "wrap_up"]  # nothing applied twice
    keys = list(db.scalars(select(CarrierEvent.dedupe_key)))
    assert len(keys) == len(set(keys))
