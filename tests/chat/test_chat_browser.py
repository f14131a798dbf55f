"""A web chat end to end in Chromium: a visitor on a company's site (another origin than the
app) chats with an agent on /desktop, loses the network and comes back without losing a
message, the agent ends the chat, the visitor rates it, and the ticket holds the transcript."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from contactcenter.acd.models import QueueMembership
from contactcenter.chat.models import Chat, ChatMessage
from contactcenter.config import Settings
from contactcenter.db import transaction
from contactcenter.mail.models import Mailbox
from contactcenter.tickets.models import TicketSurvey
from tests.support.accessibility import assert_accessible
from tests.support.browser import open_desktop, screenshots, until
from tests.support.chats import HostSite
from tests.support.factories import gen_agent, gen_queue
from tests.support.mail import free_port

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/webchat")
SITE_PORT = free_port()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with the host site's origin allowed to carry the widget."""
    return settings.with_overrides(chat_allowed_origins=(f"http://localhost:{SITE_PORT}",))


@pytest.fixture
def floor(committed_runtime):  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        support = gen_queue(session, "support")
        alice = gen_agent(session, "alice", display_name="Alice", skills={"support": 5})
        session.add(QueueMembership(queue_id=support.id, user_id=alice.id))
        session.add(Mailbox(address="help@example.com", display_name="Help"))
    return committed_runtime


@pytest.fixture
def site(live_server):  # type: ignore[no-untyped-def]
    host = HostSite(SITE_PORT, live_server).start()
    yield host
    host.stop()


def _messages(rt, body):  # type: ignore[no-untyped-def]
    with transaction(rt.session_factory) as session:
        return session.scalars(select(ChatMessage).where(ChatMessage.body == body)).all()


def test_a_visitor_and_an_agent_chat_through_a_network_drop(floor, live_server, site, page, browser):
    agent = page
    open_desktop(agent, live_server)
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    visitor.set_default_timeout(15_000)
    visitor.goto(site.origin)

    # The pre-chat form.
    visitor.click("button.launcher")
    visitor.fill("#cc-name", "Ada <b>Visitor</b>")
    visitor.fill("#cc-email", "ada@example.com")
    visitor.fill("#cc-question", "Where is my order? <script>alert(1)</script>")
    screenshots(visitor, SHOTS, "widget-prechat")
    assert_accessible(visitor, "#contactcenter-chat")
    visitor.click("form.prechat button[type=submit]")
    visitor.wait_for_selector(".log li.visitor")
    assert "shortly" in visitor.inner_text(".status")
    screenshots(visitor, SHOTS, "widget-waiting")

    # The agent gets the offer in the task list and accepts it there.
    agent.wait_for_selector(".task-accept")
    assert agent.inner_text("#offer-kind") == "Incoming chat"
    agent.click(".task-accept")
    agent.wait_for_selector("#chat:not([hidden]) #chat-log li.visitor")
    assert "<script>alert(1)</script>" in agent.inner_text("#chat-log")  # shown as text, not run
    agent.wait_for_function("document.getElementById('state').textContent === 'In a chat'")
    visitor.wait_for_function(
        "() => document.querySelector('#contactcenter-chat').shadowRoot.querySelector('.status')"
        ".textContent.includes('chatting with Alice')"
    )

    # Typing indicators and messages both ways.
    agent.type("#chat-text", "Let me check")
    visitor.wait_for_selector(".typing:not([hidden])")
    agent.press("#chat-text", "Enter")
    visitor.wait_for_selector(".log li.agent >> text=Let me check")
    visitor.type("#cc-text", "Thanks!")
    agent.wait_for_selector("#chat-typing:not([hidden])")
    visitor.press("#cc-text", "Enter")
    agent.wait_for_selector("#chat-log li.visitor >> text=Thanks!")

    # The visitor's network drops: what they type waits, what the agent writes arrives later.
    visitor_context.set_offline(True)
    visitor.fill("#cc-text", "typed while offline")
    visitor.press("#cc-text", "Enter")
    visitor.wait_for_selector(".log li.pending >> text=typed while offline")
    agent.fill("#chat-text", "Your parcel left today")
    agent.press("#chat-text", "Enter")
    agent.wait_for_selector("#chat-log li.agent >> text=Your parcel left today")
    visitor.wait_for_timeout(2000)
    visitor_context.set_offline(False)
    visitor.wait_for_selector(".log li.agent >> text=Your parcel left today")
    agent.wait_for_selector("#chat-log li.visitor >> text=typed while offline")
    until(lambda: len(_messages(floor, "typed while offline")) == 1, "the offline message stored")
    assert visitor.locator(".log li >> text=typed while offline").count() == 1
    assert visitor.locator(".log li.pending").count() == 0

    screenshots(visitor, SHOTS, "widget-conversation")
    screenshots(agent, SHOTS, "desktop-chat")
    assert_accessible(agent)

    # The agent ends the chat; the visitor rates it; the agent wraps up.
    agent.click("#chat-end")
    agent.wait_for_selector("#chat-wrapup:not([hidden])")
    visitor.wait_for_selector("form.rating:not([hidden])")
    screenshots(visitor, SHOTS, "widget-rating")
    visitor.click("label[for=cc-score-5]")
    visitor.fill("#cc-comment", "Quick and kind")
    visitor.click("form.rating button[type=submit]")
    visitor.wait_for_selector(".thanks:not([hidden])")
    agent.fill("#chat-notes", "Parcel shipped; customer happy")
    agent.click("#chat-wrapup-submit")
    agent.wait_for_function("document.getElementById('state').dataset.state === 'available'")

    with transaction(floor.session_factory) as session:
        chat = session.scalars(select(Chat)).one()
        survey = session.scalar(select(TicketSurvey).where(TicketSurvey.ticket_id == chat.ticket_id))
        ticket_id = chat.ticket_id
    assert (survey.channel, survey.score, survey.comment) == ("chat", 5, "Quick and kind")

    # The ticket's timeline is the transcript.
    agent.goto(f"{live_server}/tickets/{ticket_id}")
    story = agent.inner_text("body")
    order = ["Where is my order?", "Let me check", "Thanks!", "typed while offline", "Your parcel left today"]
    positions = [story.find(text) for text in order]
    assert all(p >= 0 for p in positions)
    assert sorted(positions[:3]) == positions[:3]
    visitor_context.close()


def test_the_demo_page_shows_the_widget_under_its_strict_policy(floor, live_server, page):
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.goto(f"{live_server}/chat/demo")
    page.click("button.launcher")
    page.wait_for_selector("form.prechat #cc-name")
    screenshots(page, SHOTS, "demo-page")
    assert refused == []
