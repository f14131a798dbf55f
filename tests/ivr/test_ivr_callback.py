"""The IVR's callback node books a callback the way a waiting caller's "press 1" does: stored,
and in the router at once, offered to agents in turn; asked again, it is still one callback."""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from contactcenter.acd.models import CallbackRequest, QueueMembership
from contactcenter.acd.services import AcdService, ConnectUrls, callback_key
from contactcenter.contacts.models import Interaction
from contactcenter.ivr.services import CrmSelfService
from contactcenter.ivr.session import SessionStore
from tests.support.constants import BUSINESS_HOURS, CENTER_NUMBER
from tests.support.factories import call_sid, carrier_params, gen_agent, gen_queue, post_signed

URLS = ConnectUrls(
    "http://cc.test/hooks/connect", "http://cc.test/hooks/agent-leg", "http://cc.test/hooks/callback-answer"
)


@pytest.fixture
def center(db, runtime):  # type: ignore[no-untyped-def]
    queues = {name: gen_queue(db, name) for name in ("support", "billing", "technical", "sales")}
    alice = gen_agent(db, "alice", skills={"support": 5})
    db.add(QueueMembership(queue_id=queues["support"].id, user_id=alice.id))
    db.flush()
    assert all(r.accepted for r in runtime.reload_flows())
    acd = AcdService(db, runtime.acd, lambda: runtime.telephony, URLS, center_number=CENTER_NUMBER)
    acd.sync_configuration()
    runtime.acd_configured = True
    return acd, alice


def _waiting(runtime, queue: str) -> int:  # type: ignore[no-untyped-def]
    return next(s.waiting for s in runtime.acd.queue_stats() if s.queue == queue)


def _request(db) -> CallbackRequest:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalars(select(CallbackRequest)).one()


def test_ivr_callback_waits_in_the_router_at_once(center, carrier, runtime, db):
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 3")
    carrier.run_until_idle()
    assert "We will call you back at this number within two hours." in handle.heard_text()
    request = _request(db)
    snapshot = runtime.acd.call_snapshot(callback_key(request.id))
    assert snapshot is not None and (snapshot.state, snapshot.queue) == ("waiting", "support")
    assert snapshot.attributes == {"callback": request.id, "phone": "+14155550100"}


def test_ivr_callback_is_offered_to_an_available_agent(center, carrier, runtime, db):
    acd, alice = center
    acd.set_state(alice.id, "available")
    carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 3")
    carrier.run_until_idle()
    request = _request(db)
    [offer] = runtime.acd.pending_offers()
    assert offer.call_sid == callback_key(request.id) and offer.agent_id == str(alice.id)


def test_ivr_callback_takes_its_turn_behind_earlier_callers(center, carrier, runtime, db):
    early = carrier.place_inbound_call("+14155550101", CENTER_NUMBER, "press 1, press 0, hang up after 400")
    carrier.run_for(60)  # through the menu and into the line
    carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 3")
    carrier.run_for(60)
    late = carrier.place_inbound_call("+14155550102", CENTER_NUMBER, "press 1, press 0, hang up after 400")
    carrier.run_for(60)
    request = _request(db)
    assert runtime.acd.position(early.sid).position == 1
    assert runtime.acd.position(callback_key(request.id)).position == 2
    assert runtime.acd.position(late.sid).position == 3


def test_a_retried_callback_webhook_books_one_callback(center, client, runtime, db):
    sid = call_sid()
    with freeze_time(BUSINESS_HOURS):
        post_signed(client, "/hooks/voice", carrier_params(sid))
        post_signed(client, "/hooks/ivr?step=0", carrier_params(sid, status="in-progress", Digits="1"))
        press_3 = carrier_params(sid, status="in-progress", Digits="3")
        first = post_signed(client, "/hooks/ivr?step=1", press_3)
        again = post_signed(client, "/hooks/ivr?step=1", press_3)
    assert first.status_code == again.status_code == 200
    assert db.scalar(select(func.count(CallbackRequest.id))) == 1
    request = _request(db)
    assert runtime.acd.call_snapshot(callback_key(request.id)).state == "waiting"
    assert _waiting(runtime, "support") == 1


def test_booking_again_for_the_same_call_keeps_one_callback(center, carrier, runtime, db):
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 3")
    carrier.run_until_idle()
    acd, _ = center
    ivr = SessionStore(runtime.redis).load(handle.sid)
    CrmSelfService(db, "US", acd).request_callback(ivr, "support", 0)
    assert db.scalar(select(func.count(CallbackRequest.id))) == 1
    assert _waiting(runtime, "support") == 1


def test_a_stored_callback_missing_from_the_router_is_put_back_on_a_repeat(center, carrier, runtime, db):
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 3")
    carrier.run_until_idle()
    acd, _ = center
    request = _request(db)
    runtime.acd.rebuild([], [], [])  # Redis lost everything; the stored request is still pending
    assert runtime.acd.call_snapshot(callback_key(request.id)) is None
    acd.sync_configuration()
    ivr = SessionStore(runtime.redis).load(handle.sid)
    CrmSelfService(db, "US", acd).request_callback(ivr, "support", 0)
    assert db.scalar(select(func.count(CallbackRequest.id))) == 1
    assert runtime.acd.call_snapshot(callback_key(request.id)).state == "waiting"


def test_an_accepted_ivr_callback_dials_the_customer_from_the_number_they_called(center, carrier, runtime, db):
    _, alice = center
    acd = AcdService(db, runtime.acd, lambda: runtime.telephony, URLS)  # as the web app builds it
    carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 3")
    carrier.run_until_idle()
    acd.set_state(alice.id, "available")
    [offer] = runtime.acd.pending_offers()
    assert acd.accept(offer.offer_id, alice.id).ok
    carrier.run_until_idle()
    db.expire_all()
    outbound = db.scalars(select(Interaction).where(Interaction.direction == "outbound")).one()
    assert (outbound.to_number, outbound.from_number) == ("+14155550100", CENTER_NUMBER)
    assert _request(db).status == "connected"
