"""Callers, agents and the router together, through the carrier simulator.

Offers reach one agent; accepting moves the caller from the queue into the call's conference and
adds the agent's leg; a missed offer (RONA) puts the agent on a "missed" break and the call back
at the head of the line; waiting callers hear their place and can ask to be called back.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from contactcenter import clock
from contactcenter.acd.models import AgentStateChange, CallbackRequest, Queue, QueueMembership
from contactcenter.acd.services import AcdService, ConnectUrls, agent_label, callback_key, conference_name
from contactcenter.contacts.models import Interaction
from contactcenter.telephony.simulator import Callee
from contactcenter.tickets.models import Ticket
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import carrier_params, gen_agent, gen_queue, post_signed

URLS = ConnectUrls(
    "http://cc.test/hooks/connect", "http://cc.test/hooks/agent-leg", "http://cc.test/hooks/callback-answer"
)


@pytest.fixture
def center(db, runtime, carrier):  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    support = gen_queue(db, "support", wrap_up_s=30)
    alice = gen_agent(db, "alice", skills={"support": 5})
    db.add(QueueMembership(queue_id=support.id, user_id=alice.id))
    db.flush()
    service = AcdService(db, runtime.acd, runtime.telephony, URLS, center_number=CENTER_NUMBER)
    service.sync_configuration()
    runtime.acd_configured = True
    return service, alice


def _call(db, sid) -> Interaction:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalars(select(Interaction).where(Interaction.call_sid == sid)).one()


def _states(db, agent_id) -> list[str]:  # type: ignore[no-untyped-def]
    db.flush()
    return list(
        db.scalars(
            select(AgentStateChange.state).where(AgentStateChange.agent_id == agent_id).order_by(AgentStateChange.id)
        )
    )


def test_offer_accept_connects_caller_and_agent(center, carrier, runtime, db):
    acd, alice = center
    acd.set_state(alice.id, "available")
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 120")
    carrier.run_for(6)
    [offer] = runtime.acd.pending_offers()
    assert offer.call_sid == handle.sid and offer.agent_id == str(alice.id)
    assert acd.accept(offer.offer_id, alice.id).ok
    carrier.run_for(10)
    participants = carrier.conference_participants(conference_name(handle.sid))
    assert handle.sid in participants and len(participants) == 2
    carrier.run_until_idle()
    call = _call(db, handle.sid)
    assert call.agent_id == alice.id and call.offered_at is not None and call.answered_at is not None
    assert call.outcome == "completed" and call.wait_s is not None and call.wait_s <= 6
    assert runtime.acd.agent_snapshot(str(alice.id)).state == "wrap_up"
    assert _states(db, alice.id) == ["available", "reserved", "on_call", "wrap_up"]


def test_second_accept_of_the_same_offer_fails_cleanly(center, carrier, runtime, db):
    acd, alice = center
    acd.set_state(alice.id, "available")
    carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 60")
    carrier.run_for(5)
    [offer] = runtime.acd.pending_offers()
    assert acd.accept(offer.offer_id, alice.id).ok
    again = acd.accept(offer.offer_id, alice.id)
    assert not again.ok and again.reason == "already_accepted"


def test_missed_offer_puts_agent_on_break_and_call_back_at_the_head(center, carrier, runtime, db):
    acd, alice = center
    acd.set_state(alice.id, "available")
    first = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 200")
    carrier.run_for(3)
    second = carrier.place_inbound_call("+14155550101", CENTER_NUMBER, "hang up after 200")
    carrier.run_for(20)  # past the 15 s offer timeout
    report = acd.tick()
    assert len(report.expired) == 1
    snapshot = runtime.acd.agent_snapshot(str(alice.id))
    assert (snapshot.state, snapshot.reason) == ("break", "missed")
    assert runtime.acd.position(first.sid).position == 1
    assert runtime.acd.position(second.sid).position == 2


def test_caller_hanging_up_during_the_offer_rescinds_it(center, carrier, runtime, db):
    acd, alice = center
    acd.set_state(alice.id, "available")
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 8")
    carrier.run_until_idle()
    assert runtime.acd.pending_offers() == []
    assert runtime.acd.agent_snapshot(str(alice.id)).state == "available"
    call = _call(db, handle.sid)
    assert call.outcome == "abandoned" and call.offered_at is not None and not call.short_abandon


def test_waiting_caller_hears_place_in_line_and_wait(center, carrier, runtime, db):
    acd, alice = center
    acd.set_state(alice.id, "break", "lunch")
    carrier.place_inbound_call("+14155550101", CENTER_NUMBER, "hang up after 100")
    carrier.run_for(2)
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 60")
    carrier.run_until_idle()
    assert "You are number 2 in line." in handle.heard_text()
    assert "press 1" in handle.heard_text()
    call = _call(db, handle.sid)
    assert call.outcome == "abandoned" and call.wait_s >= 55


def test_short_abandon_is_marked(center, carrier, runtime, db):
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 3")
    carrier.run_until_idle()
    call = _call(db, handle.sid)
    assert call.outcome == "abandoned" and call.short_abandon and call.wait_s < 5


def test_callback_keeps_the_callers_place_and_calls_back(center, carrier, runtime, db):
    acd, alice = center
    early = carrier.place_inbound_call("+14155550101", CENTER_NUMBER, "hang up after 400")
    carrier.run_for(2)
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1")
    carrier.run_for(30)
    late = carrier.place_inbound_call("+14155550102", CENTER_NUMBER, "hang up after 400")
    carrier.run_for(5)
    assert "We will call you back at this number" in handle.heard_text()
    assert handle.ended
    request = db.scalars(select(CallbackRequest)).one()
    assert request.place_at == _call(db, handle.sid).queued_at
    assert _call(db, handle.sid).outcome == "callback"
    # Place in line: after the earlier caller, ahead of the later one.
    assert runtime.acd.position(callback_key(request.id)).position == 2
    assert runtime.acd.position(late.sid).position == 3
    # Alice takes the earlier caller, then the callback: we dial the customer and connect.
    acd.set_state(alice.id, "available")
    [offer] = runtime.acd.pending_offers()
    assert offer.call_sid == early.sid
    acd.accept(offer.offer_id, alice.id)
    acd.complete(early.sid, alice.id, 0)
    [offer] = runtime.acd.pending_offers()
    assert offer.call_sid == callback_key(request.id)
    assert acd.accept(offer.offer_id, alice.id).ok
    carrier.run_for(30)
    db.expire_all()
    outbound = db.scalars(select(Interaction).where(Interaction.direction == "outbound")).one()
    assert outbound.to_number == "+14155550100"
    assert len(carrier.conference_participants(conference_name(outbound.call_sid))) == 2
    assert db.get(CallbackRequest, request.id).status == "connected"


def _connected_callback(center, carrier, runtime, db):  # type: ignore[no-untyped-def]
    """Alice takes a caller's callback request; the customer we dial answers and is connected."""
    acd, alice = center
    early = carrier.place_inbound_call("+14155550101", CENTER_NUMBER, "hang up after 400")
    carrier.run_for(2)
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1")
    carrier.run_for(40)
    assert handle.ended
    request = db.scalars(select(CallbackRequest)).one()
    acd.set_state(alice.id, "available")
    [offer] = runtime.acd.pending_offers()
    assert acd.accept(offer.offer_id, alice.id).ok
    acd.complete(early.sid, alice.id, 0)
    early.hang_up()
    carrier.run_for(1)
    [offer] = runtime.acd.pending_offers()
    assert offer.call_sid == callback_key(request.id)
    assert acd.accept(offer.offer_id, alice.id).ok
    carrier.run_for(30)
    db.expire_all()
    outbound = db.scalars(select(Interaction).where(Interaction.direction == "outbound")).one()
    [leg] = [leg for leg in _agent_legs(carrier) if not leg.ended]  # the first caller's leg has ended
    assert runtime.acd.agent_snapshot(str(alice.id)).state == "on_call"
    return alice, outbound, leg


def test_agent_hanging_up_a_callback_goes_to_wrap_up_and_ends_the_customers_call(center, carrier, runtime, db):
    alice, outbound, leg = _connected_callback(center, carrier, runtime, db)
    runtime.telephony.hangup(leg.sid)  # the agent hangs up (softphone or desk phone)
    carrier.run_for(5)
    assert runtime.acd.agent_snapshot(str(alice.id)).state == "wrap_up"
    assert carrier.call(outbound.call_sid).ended
    db.expire_all()
    request = db.scalars(select(CallbackRequest)).one()
    assert request.status == "done" and request.done_at is not None


@pytest.mark.parametrize("task", ["CA" + "1" * 32, "cb-1' OR '1'='1", "<b>cb-1</b>", "cb-" + "9" * 40, ""])
def test_agent_leg_status_with_a_malformed_task_is_refused(center, carrier, app, task):
    acd, alice = center
    params = carrier_params("CA" + "2" * 32, status="completed", from_=CENTER_NUMBER, to="client:alice")
    path = f"/hooks/agent-leg?call={'CA' + '3' * 32}&agent={alice.id}&task={quote(task)}"
    refused = post_signed(app.test_client(), path, params)
    assert refused.status_code == 400 and b"task must be a callback id" in refused.data


def test_customer_hanging_up_a_callback_sends_the_agent_to_wrap_up(center, carrier, runtime, db):
    alice, outbound, leg = _connected_callback(center, carrier, runtime, db)
    runtime.telephony.hangup(outbound.call_sid)  # the customer's side ends
    carrier.run_for(5)
    assert leg.ended
    assert runtime.acd.agent_snapshot(str(alice.id)).state == "wrap_up"


def test_redis_restart_rebuilds_queue_order_and_agent_states(center, carrier, runtime, redis_client, db):
    acd, alice = center
    acd.set_state(alice.id, "break", "training")
    first = carrier.place_inbound_call("+14155550101", CENTER_NUMBER, "hang up after 400")
    carrier.run_for(2)
    second = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 400")
    carrier.run_for(5)
    db.flush()
    redis_client.flushdb()  # Redis lost everything
    assert runtime.acd.position(first.sid) is None
    assert acd.rebuild().ok
    assert runtime.acd.position(first.sid).position == 1
    assert runtime.acd.position(second.sid).position == 2
    snapshot = runtime.acd.agent_snapshot(str(alice.id))
    assert (snapshot.state, snapshot.reason) == ("break", "training")


CLOSED_ON_MONDAYS = {"time_zone": "UTC", "hours": {"sat": ["09:00-17:00"]}}


def test_closed_queue_tells_the_caller_and_lets_them_go(center, carrier, db):
    acd, alice = center
    support = db.scalars(select(Queue).where(Queue.name == "support")).one()
    support.hours = CLOSED_ON_MONDAYS
    db.flush()
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 60")
    carrier.run_until_idle()
    assert "We are closed right now" in handle.heard_text()
    assert _call(db, handle.sid).outcome == "closed"


def test_full_queue_overflows_to_another_queue(center, carrier, runtime, db):
    acd, alice = center
    support = db.scalars(select(Queue).where(Queue.name == "support")).one()
    sales = gen_queue(db, "sales")
    support.max_length, support.overflow_action, support.overflow_queue_id = 1, "queue", sales.id
    db.flush()
    acd.sync_configuration()
    first = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 100")
    carrier.run_for(2)
    second = carrier.place_inbound_call("+14155550101", CENTER_NUMBER, "hang up after 100")
    carrier.run_for(5)
    assert _call(db, first.sid).queue_id == support.id
    assert _call(db, second.sid).queue_id == sales.id
    assert runtime.acd.call_snapshot(second.sid).queue == "sales"


def test_closed_queue_can_take_a_voicemail(center, carrier, db):
    acd, alice = center
    support = db.scalars(select(Queue).where(Queue.name == "support")).one()
    support.hours, support.overflow_action = CLOSED_ON_MONDAYS, "voicemail"
    db.flush()
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "speak 9")
    carrier.run_until_idle()
    assert "leave your name, number and message" in handle.heard_text()
    call = _call(db, handle.sid)
    assert call.outcome == "voicemail" and call.recording_url
    ticket = db.scalars(select(Ticket).where(Ticket.subject == "Voicemail for Support")).one()
    assert call.recording_url in ticket.description


def test_caller_past_max_wait_is_offered_a_callback_keeping_their_place(center, carrier, runtime, db):
    acd, alice = center
    support = db.scalars(select(Queue).where(Queue.name == "support")).one()
    support.max_wait_s, support.overflow_action = 30, "callback"
    db.flush()
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 300")
    carrier.run_for(40)
    moved = AcdService(db, runtime.acd, runtime.telephony).overflow_overdue("http://cc.test/hooks/overflow")
    assert moved == [handle.sid]
    carrier.run_for(20)
    assert "We will call you back at this number as soon as an agent is free." in handle.heard_text()
    request = db.scalars(select(CallbackRequest)).one()
    assert request.place_at == _call(db, handle.sid).queued_at
    assert runtime.acd.call_snapshot(callback_key(request.id)).state == "waiting"


def test_short_abandon_threshold_is_a_setting(center, carrier, runtime, db):
    runtime.settings = runtime.settings.with_overrides(short_abandon_s=10.0)
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 8")
    carrier.run_until_idle()
    call = _call(db, handle.sid)
    assert call.outcome == "abandoned" and call.short_abandon and 5 <= call.wait_s < 10


def test_queue_escalation_is_configured_from_the_store(center, carrier, runtime, db):
    acd, alice = center
    support = db.scalars(select(Queue).where(Queue.name == "support")).one()
    bob = gen_agent(db, "bob", skills={"support": 2})
    db.add(QueueMembership(queue_id=support.id, user_id=bob.id))
    from contactcenter.accounts.services import get_or_create_skill
    from contactcenter.acd.models import QueueSkill

    support.required_skills.append(QueueSkill(skill=get_or_create_skill(db, "support"), min_level=5))
    support.escalation = [{"after_seconds": 30, "relax_to": 2}]
    db.flush()
    acd.sync_configuration()
    acd.set_state(bob.id, "available")  # level 2: not good enough at first
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 200")
    carrier.run_for(10)
    assert runtime.acd.pending_offers() == []
    carrier.run_for(30)
    acd.tick()
    [offer] = runtime.acd.pending_offers()
    assert offer.call_sid == handle.sid and offer.agent_id == str(bob.id)


def test_malformed_escalation_is_refused():
    import pytest as _pytest

    from contactcenter.acd.interfaces import ACDError
    from contactcenter.acd.services import escalation_steps

    with _pytest.raises(ACDError):
        escalation_steps([{"relax_to": 2}])
    with _pytest.raises(ACDError):
        escalation_steps([{"after_seconds": 10, "relax_to": 99}])


def _agent_legs(carrier):  # type: ignore[no-untyped-def]
    with carrier.lock:
        sids = [c.sid for c in carrier._calls.values() if c.to.startswith("client:")]  # noqa: SLF001
    return [carrier.call(sid) for sid in sids]


def test_caller_gone_before_joining_the_conference_leaves_no_agent_alone_in_it(center, carrier, runtime, db):
    """Found under load: the caller hangs up between the accept's redirect and the conference."""
    acd, alice = center
    carrier.set_callee("client:alice", Callee(answer="human", ring_s=2))
    acd.set_state(alice.id, "available")
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 120")
    carrier.run_for(6)
    [offer] = runtime.acd.pending_offers()
    assert acd.accept(offer.offer_id, alice.id).ok  # redirect sent, the agent's leg is ringing
    handle.hang_up()  # before the carrier moved the caller into the conference
    carrier.run_until_idle()
    [leg] = _agent_legs(carrier)
    assert leg.ended and carrier.active_calls() == 0
    assert runtime.acd.agent_snapshot(str(alice.id)).state == "wrap_up"


def test_agent_leg_answering_after_the_caller_left_is_hung_up(center, carrier, runtime, db, app):
    acd, alice = center
    carrier.set_callee("client:alice", Callee(answer="human", ring_s=1))
    call = Interaction(
        call_sid="CA" + "5" * 32,
        direction="inbound",
        from_number="+14155550100",
        to_number=CENTER_NUMBER,
        status="completed",
        outcome="completed",
        agent_id=alice.id,
        answered_at=clock.now(),
        ended_at=clock.now(),
    )
    db.add(call)
    db.flush()
    runtime.telephony.add_participant(
        conference_name(call.call_sid), "client:alice", CENTER_NUMBER, label=agent_label(alice.id)
    )
    carrier.run_for(3)
    [leg] = _agent_legs(carrier)
    assert not leg.ended  # alone in a conference nobody will join

    params = carrier_params(
        leg.sid, status="in-progress", from_=CENTER_NUMBER, to="client:alice", Direction="outbound-api"
    )
    answer = post_signed(app.test_client(), f"/hooks/agent-leg?call={call.call_sid}&agent={alice.id}", params)
    assert answer.status_code == 204
    carrier.run_for(1)
    assert leg.ended
