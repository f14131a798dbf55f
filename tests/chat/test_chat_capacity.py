"""Several web chats at once for one agent: each offered and accepted on its own, all listed on
the desktop with their own clocks, and all kept through a Redis restart."""

from __future__ import annotations

from contactcenter.acd.services import AcdService, chat_key
from contactcenter.chat import routing
from contactcenter.chat.models import ChatStatus
from tests.support.chats import chat_team, visitor_chat
from tests.support.factories import PASSWORD
from web import create_app


def _two_chats(db, runtime):  # type: ignore[no-untyped-def]
    queue, agent = chat_team(db)
    service = AcdService(db, runtime.acd)
    service.sync_configuration()
    service.set_state(agent.id, "available")
    first, second = visitor_chat(db), visitor_chat(db, name="Bo Visitor", email="bo@example.com")
    for chat in (first, second):
        routing.enqueue(db, service, chat)
    for offer in runtime.acd.pending_offers():
        routing.accepted(db, service.accept(offer.offer_id, agent.id), agent.id)
    db.commit()
    return service, agent, first, second


def test_an_agent_takes_a_second_chat_while_in_the_first(db, runtime):
    _, agent, first, second = _two_chats(db, runtime)
    assert (first.status, second.status) == (ChatStatus.ACTIVE.value, ChatStatus.ACTIVE.value)
    assert {first.agent_id, second.agent_id} == {agent.id}


def test_ending_one_chat_leaves_the_agent_in_the_other(db, runtime):
    service, agent, first, second = _two_chats(db, runtime)
    assert routing.end(db, service, first, by="agent", agent_id=agent.id)
    snap = runtime.acd.agent_snapshot(str(agent.id))
    assert (snap.state, snap.call_sid) == ("on_call", chat_key(second.id))


def test_after_a_redis_restart_the_agent_keeps_both_chats(db, runtime):
    from contactcenter.app.recovery import rebuild_if_lost

    _, agent, first, second = _two_chats(db, runtime)
    runtime.redis.flushdb()
    assert rebuild_if_lost(runtime)
    assert runtime.acd.agent_snapshot(str(agent.id)).load["chat"] == 2
    assert [t.call_sid for t in runtime.acd.held_tasks(str(agent.id))] == [chat_key(first.id), chat_key(second.id)]


def test_the_desktop_lists_each_chat_with_its_start(db, runtime):
    _, agent, first, second = _two_chats(db, runtime)
    app = create_app(runtime, testing=True, relay_events=False)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    chats = client.get("/desktop/snapshot").get_json()["chats"]
    assert [(c["id"], c["visitor"]) for c in chats] == [(first.id, "Ada Visitor"), (second.id, "Bo Visitor")]
    assert all(isinstance(c["since"], float) for c in chats)
