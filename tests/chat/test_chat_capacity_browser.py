"""Two chats at once on the agent's desktop in Chromium: the task list shows each with its own
clock, counting from when that chat was accepted."""

from __future__ import annotations

import pytest

from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService
from contactcenter.chat import routing
from contactcenter.db import transaction
from tests.support.browser import open_desktop
from tests.support.chats import visitor_chat
from tests.support.factories import gen_agent, gen_queue

pytestmark = pytest.mark.browser


def test_each_chat_held_at_once_has_its_own_clock(committed_runtime, live_server, page):
    rt = committed_runtime
    with transaction(rt.session_factory) as session:
        support = gen_queue(session, "support")
        alice = gen_agent(session, "alice", display_name="Alice", skills={"support": 5})
        session.add(QueueMembership(queue_id=support.id, user_id=alice.id))
    open_desktop(page, live_server)
    with transaction(rt.session_factory) as session:
        service = AcdService(session, rt.acd)
        for name, email in (("Ada", "ada@example.com"), ("Bo", "bo@example.com")):
            chat = visitor_chat(session, name=name, email=email)
            routing.enqueue(session, service, chat)
        for offer in rt.acd.pending_offers():
            routing.accepted(session, service.accept(offer.offer_id, int(offer.agent_id)), int(offer.agent_id))
    page.reload()
    page.wait_for_function("document.querySelectorAll('#task-now .task-timer').length === 2")
    items = page.locator("#task-now li.chat").all_inner_texts()
    assert any("Ada" in text for text in items) and any("Bo" in text for text in items)
    page.wait_for_function(
        "[...document.querySelectorAll('#task-now .task-timer')].every((t) => /^\\d+:\\d\\d$/.test(t.textContent))"
    )
