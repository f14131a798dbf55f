"""An agent's desktop socket drops while it holds an offer: after a grace period the agent goes
not ready and the call is offered to the next agent, in its place; a reconnect within the grace
period changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter import clock
from contactcenter.acd.models import AgentStateChange, QueueMembership
from contactcenter.acd.services import AcdService
from contactcenter.app import recovery, ticker
from contactcenter.contacts.models import Interaction
from tests.support.factories import PASSWORD, call_sid, gen_agent, gen_queue
from web.extensions import socketio

pytestmark = pytest.mark.fault
GRACE_S = 10.0


@pytest.fixture
def floor(app, db, runtime):  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(presence_grace_s=GRACE_S)
    support = gen_queue(db, "support")
    alice = gen_agent(db, "alice", skills={"support": 5})
    bob = gen_agent(db, "bob", skills={"support": 5})
    for agent in (alice, bob):
        db.add(QueueMembership(queue_id=support.id, user_id=agent.id))
    db.flush()
    service = AcdService(db, runtime.acd)
    service.sync_configuration()
    runtime.acd_configured = True
    runtime.redis.set(runtime.acd.key(recovery.BUILT_KEY), "1")  # Redis holds the live state
    manual = clock.ManualClock(clock.now())
    with clock.using(manual):
        yield service, support, alice, bob, manual


def _desktop(app, username):  # type: ignore[no-untyped-def]
    web = app.test_client()
    assert web.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    sock = socketio.test_client(app, flask_test_client=web)
    assert sock.is_connected()
    return sock


def _offered_call(db, service, support, alice):  # type: ignore[no-untyped-def]
    service.set_state(alice.id, "available")
    call = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550100",
        to_number="+18005550100",
        queue_id=support.id,
        queued_at=clock.now(),
    )
    db.add(call)
    db.flush()
    service.enqueue(call, support)
    return call


def test_dropped_desktop_goes_offline_after_grace_and_the_call_goes_to_the_next_agent(app, db, runtime, floor):
    service, support, alice, bob, manual = floor
    sock = _desktop(app, "alice")
    call = _offered_call(db, service, support, alice)
    [offer] = runtime.acd.pending_offers()
    assert offer.agent_id == str(alice.id)
    service.set_state(bob.id, "available")  # bob is free, but the call is alice's for now

    sock.disconnect()  # the network drops
    manual.advance(GRACE_S - 1)
    ticker.tick_once(runtime)
    assert runtime.acd.agent_snapshot(str(alice.id)).state == "reserved"  # still within grace

    manual.advance(2)
    ticker.tick_once(runtime)  # well before the offer's own 15 s timeout
    assert runtime.acd.agent_snapshot(str(alice.id)).state == "offline"
    [again] = runtime.acd.pending_offers()
    assert (again.call_sid, again.agent_id) == (call.call_sid, str(bob.id))
    db.expire_all()
    last = db.scalars(
        select(AgentStateChange).where(AgentStateChange.agent_id == alice.id).order_by(AgentStateChange.id.desc())
    ).first()
    assert last.state == "offline"


def test_reconnect_within_grace_keeps_the_offer(app, db, runtime, floor):
    service, support, alice, bob, manual = floor
    sock = _desktop(app, "alice")
    call = _offered_call(db, service, support, alice)
    sock.disconnect()
    manual.advance(GRACE_S / 2)
    _desktop(app, "alice")  # the desktop comes back
    manual.advance(GRACE_S / 2 + 1)  # past the grace period, short of the offer's 15 s timeout
    ticker.tick_once(runtime)
    [offer] = runtime.acd.pending_offers()
    assert (offer.call_sid, offer.agent_id) == (call.call_sid, str(alice.id))
    assert runtime.acd.agent_snapshot(str(alice.id)).state == "reserved"


def test_agent_with_two_desktops_stays_ready_while_one_is_open(app, db, runtime, floor):
    service, support, alice, bob, manual = floor
    first, second = _desktop(app, "alice"), _desktop(app, "alice")
    service.set_state(alice.id, "available")
    first.disconnect()
    manual.advance(GRACE_S * 2)
    ticker.tick_once(runtime)
    assert runtime.acd.agent_snapshot(str(alice.id)).state == "available"
    second.disconnect()
    manual.advance(GRACE_S + 1)
    ticker.tick_once(runtime)
    assert runtime.acd.agent_snapshot(str(alice.id)).state == "offline"
