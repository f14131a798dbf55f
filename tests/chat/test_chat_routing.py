"""A web chat through the ACD: offered to an agent of its queue like a call, accepted without a
carrier leg, and ended into the agent's wrap-up."""

from __future__ import annotations

from contactcenter.acd.services import AcdService, chat_key
from contactcenter.chat import routing
from contactcenter.chat.models import ChatStatus
from tests.support.chats import chat_team, visitor_chat


def _ready(db, runtime):  # type: ignore[no-untyped-def]
    queue, agent = chat_team(db)
    service = AcdService(db, runtime.acd)
    service.sync_configuration()
    return service, agent


def test_a_new_chat_is_offered_to_an_available_agent(db, runtime):
    service, agent = _ready(db, runtime)
    service.set_state(agent.id, "available")
    chat = visitor_chat(db)
    routing.enqueue(db, service, chat)
    [offer] = [o for o in runtime.acd.pending_offers() if o.call_sid == chat_key(chat.id)]
    assert offer.agent_id == str(agent.id)


def test_accepting_the_offer_gives_the_chat_to_the_agent(db, runtime):
    service, agent = _ready(db, runtime)
    service.set_state(agent.id, "available")
    chat = visitor_chat(db)
    routing.enqueue(db, service, chat)
    [offer] = runtime.acd.pending_offers()
    outcome = service.accept(offer.offer_id, agent.id)
    joined = routing.accepted(db, outcome, agent.id)
    assert joined is not None and joined.id == chat.id
    assert (chat.status, chat.agent_id) == (ChatStatus.ACTIVE.value, agent.id)
    assert runtime.acd.agent_snapshot(str(agent.id)).state == "on_call"


def test_a_waiting_chat_reports_its_place_in_line(db, runtime):
    service, agent = _ready(db, runtime)
    chat = visitor_chat(db)
    routing.enqueue(db, service, chat)
    assert routing.waiting(service, chat).position == 1


def test_the_agent_ending_the_chat_goes_to_wrap_up(db, runtime):
    service, agent = _ready(db, runtime)
    service.set_state(agent.id, "available")
    chat = visitor_chat(db)
    routing.enqueue(db, service, chat)
    [offer] = runtime.acd.pending_offers()
    routing.accepted(db, service.accept(offer.offer_id, agent.id), agent.id)
    assert routing.end(db, service, chat, by="agent", agent_id=agent.id)
    assert chat.status == ChatStatus.ENDED.value
    assert runtime.acd.agent_snapshot(str(agent.id)).state == "wrap_up"


def test_a_visitor_leaving_before_an_agent_takes_the_chat_out_of_the_queue(db, runtime):
    service, agent = _ready(db, runtime)
    chat = visitor_chat(db)
    routing.enqueue(db, service, chat)
    routing.end(db, service, chat, by="visitor")
    assert runtime.acd.call_snapshot(chat_key(chat.id)) is None or runtime.acd.call_snapshot(
        chat_key(chat.id)
    ).state not in ("waiting", "offered")


def _lose_the_router(runtime):  # type: ignore[no-untyped-def]
    runtime.redis.flushdb()  # a Redis restart without persistence


def test_after_a_redis_restart_a_waiting_chat_keeps_its_place_in_line(db, runtime):
    from contactcenter.app.recovery import rebuild_if_lost

    service, agent = _ready(db, runtime)
    first, second = visitor_chat(db), visitor_chat(db, email="bo@example.com")
    routing.enqueue(db, service, first)
    routing.enqueue(db, service, second)
    db.commit()
    _lose_the_router(runtime)
    assert rebuild_if_lost(runtime)
    assert routing.waiting(service, first).position == 1
    assert routing.waiting(service, second).position == 2


def test_after_a_redis_restart_an_agent_in_a_chat_stays_busy_with_it(db, runtime):
    from contactcenter.app.recovery import rebuild_if_lost

    service, agent = _ready(db, runtime)
    service.set_state(agent.id, "available")
    chat = visitor_chat(db)
    routing.enqueue(db, service, chat)
    [offer] = runtime.acd.pending_offers()
    routing.accepted(db, service.accept(offer.offer_id, agent.id), agent.id)
    db.commit()
    _lose_the_router(runtime)
    assert rebuild_if_lost(runtime)
    snapshot = runtime.acd.agent_snapshot(str(agent.id))
    assert (snapshot.state, snapshot.call_sid) == ("on_call", chat_key(chat.id))
    assert routing.end(db, service, chat, by="agent", agent_id=agent.id)
    assert runtime.acd.agent_snapshot(str(agent.id)).state == "wrap_up"


def test_a_simulated_agent_never_takes_a_chat(db, runtime):
    from contactcenter.app.services import CarrierUrls
    from contactcenter.app.simulated_agents import SimulatedAgents

    service, agent = _ready(db, runtime)
    service.set_state(agent.id, "available")
    chat = visitor_chat(db)
    routing.enqueue(db, service, chat)
    db.commit()
    machine = SimulatedAgents(runtime, [agent.id], CarrierUrls.under("http://cc.test"), answer_after_s=0)
    machine.step()
    assert runtime.acd.agent_snapshot(str(agent.id)).state == "reserved"  # still only offered
    assert runtime.acd.call_snapshot(chat_key(chat.id)).state == "offered"
