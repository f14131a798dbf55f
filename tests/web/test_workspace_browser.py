"""The agent workspace in headless Chromium, through the real path: the carrier simulator places
the call, the ACD offers it, the agent answers in the page.

Layout (call bar, tasks, canvas, script and FAQ all in view at both sizes), accessibility (axe),
keyboard shortcuts, the truthful offer lifecycle (the call card only once connected; "Caller hung
up"; "Missed — you are on break" and the return to available), and the call bar's timers.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from contactcenter import clock
from contactcenter.accounts.models import User
from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import conference_name
from contactcenter.app.ticker import tick_once
from contactcenter.db import transaction
from contactcenter.scripts import faq
from contactcenter.scripts.services import ScriptFields, save_script
from contactcenter.tickets.services import open_ticket
from tests.support.accessibility import assert_accessible
from tests.support.browser import SCREEN_SIZES, open_desktop, screenshots, until
from tests.support.constants import CENTER_NUMBER
from tests.support.dialer import gen_campaign, gen_lead
from tests.support.factories import gen_agent, gen_customer, gen_queue

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "workspace"
GRACE = "+14155550100"
SCRIPT: dict[str, Any] = {
    "start": "greet",
    "steps": {"greet": {"say": "Hello {customer.first_name}, thanks for calling.", "kind": "end"}},
}


@pytest.fixture
def center(committed_runtime, simulated_carrier, live_server):  # type: ignore[no-untyped-def]
    rt = committed_runtime
    rt.settings = rt.settings.with_overrides(ivr_flow="")  # straight to the queue
    with transaction(rt.session_factory) as session:
        support = gen_queue(session, "support", display_name="Support", wrap_up_s=120)
        alice = gen_agent(session, "alice", skills={"support": 5})
        session.add(QueueMembership(queue_id=support.id, user_id=alice.id))
        grace = gen_customer(session, "Grace Hopper", (GRACE,), segment="vip")
        ticket = open_ticket(session, "Router keeps dropping", customer_id=grace.id)
        ticket.assignee_id = alice.id
        save_script(session, ScriptFields(name="welcome", title="Welcome", definition=SCRIPT, is_default=True))
        faq.save_article(session, "Resetting your router", "Hold the reset button for ten seconds.", ["technical"])
    simulated_carrier.start()
    simulated_carrier.add_number(CENTER_NUMBER, live_server + "/hooks/voice", live_server + "/hooks/status")
    return rt, simulated_carrier


def _ring(page, carrier, script: str = "hang up after 600"):  # type: ignore[no-untyped-def]
    handle = carrier.place_inbound_call(GRACE, CENTER_NUMBER, script)
    page.wait_for_selector("#offer:not([hidden]) #offer-pop .customer-name")
    return handle


def _connected(page, carrier, handle) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#call:not([hidden]) #call-pop .customer-name")
    until(lambda: len(carrier.conference_participants(conference_name(handle.sid))) == 2, "caller and agent talk")


def _in_view(page, selector: str) -> bool:
    return bool(
        page.evaluate(
            """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                return r.height > 0 && r.top >= 0 && r.top < window.innerHeight && r.left >= 0
                  && r.right <= window.innerWidth + 1; }""",
            selector,
        )
    )


def _state(page, state: str) -> None:
    page.wait_for_function(f"document.getElementById('state').dataset.state === '{state}'")


def test_while_it_rings_the_offer_shows_but_not_the_call_card(center, live_server, page):
    _, carrier = center
    open_desktop(page, live_server)
    _ring(page, carrier)
    assert page.is_hidden("#call")
    assert page.inner_text("#state") == "Ringing"
    assert "Ringing: Grace Hopper" in page.inner_text("#cb-caller")
    assert "Support" in page.inner_text("#offer-queue")
    assert "Incoming call" in page.inner_text("#task-now")
    assert page.is_hidden("#cc-primary")  # no hold or hang up for a call not yet connected
    assert page.is_disabled("button[data-state=offline]")  # the status is the call's while it rings
    screenshots(page, SHOTS, "ringing")


@pytest.mark.parametrize(("width", "height"), SCREEN_SIZES + ((1920, 1080),))
def test_on_a_call_every_column_is_in_view(center, live_server, page, width, height):
    _, carrier = center
    page.set_viewport_size({"width": width, "height": height})
    open_desktop(page, live_server)
    handle = _ring(page, carrier)
    page.click("#accept")
    _connected(page, carrier, handle)
    page.wait_for_selector("#script:not([hidden])")
    for selector in (".callbar", "#cc-hangup", "#task-now", "#call-pop", "#script", "#faq-q"):
        assert _in_view(page, selector), f"{selector} is out of view at {width}x{height}"
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    assert "Router keeps dropping" in page.inner_text("#task-tickets")
    page.screenshot(path=str(SHOTS / f"on-call-{width}x{height}.png"))


def test_the_desktop_passes_axe_at_both_sizes(center, live_server, page):
    _, carrier = center
    open_desktop(page, live_server)
    for width, height in SCREEN_SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
    handle = _ring(page, carrier)
    assert_accessible(page)
    page.click("#accept")
    _connected(page, carrier, handle)
    for width, height in SCREEN_SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
    screenshots(page, SHOTS, "axe-on-call")


def test_keyboard_accepts_holds_mutes_and_hangs_up(center, live_server, page):
    _, carrier = center
    open_desktop(page, live_server)
    handle = _ring(page, carrier)
    page.keyboard.press("a")
    _connected(page, carrier, handle)
    page.wait_for_selector("#cc-primary:not([hidden])")
    page.keyboard.press("h")
    page.wait_for_function("document.getElementById('cc-hold').textContent === 'Resume'")
    until(lambda: carrier.get_participant(conference_name(handle.sid), handle.sid).hold is True, "caller held")
    page.keyboard.press("m")
    page.wait_for_function("document.getElementById('cc-mute').textContent === 'Unmute'")
    page.keyboard.press("x")
    page.wait_for_selector("#wrapup:not([hidden])")
    until(lambda: handle.ended, "the call ended")


def test_shortcuts_do_nothing_while_the_agent_types(center, live_server, page):
    _, carrier = center
    open_desktop(page, live_server)
    _ring(page, carrier)
    page.click("#faq-q")
    page.keyboard.type("a router reset")
    assert page.input_value("#faq-q") == "a router reset"
    time.sleep(0.5)
    assert page.is_visible("#offer")
    assert page.inner_text("#state") == "Ringing"


def test_question_mark_lists_the_shortcuts_and_escape_closes_them(center, live_server, page):
    open_desktop(page, live_server)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "faq-q"
    page.keyboard.press("?")  # typed into the search field: no list
    assert page.input_value("#faq-q") == "?" and page.is_hidden("#shortcuts")
    page.click("#idle")
    page.keyboard.press("?")
    page.wait_for_selector("#shortcuts:not([hidden])")
    listed = page.inner_text("#shortcuts")
    for what in ("Accept", "Reject", "Hold", "Mute", "Hang up"):
        assert what in listed
    assert page.evaluate("document.activeElement.id") == "shortcuts-close"
    screenshots(page, SHOTS, "shortcuts")
    page.keyboard.press("Escape")
    page.wait_for_selector("#shortcuts", state="hidden")


def test_a_caller_who_hangs_up_while_it_rings_is_reported(center, live_server, page):
    _, carrier = center
    open_desktop(page, live_server)
    handle = _ring(page, carrier)
    carrier.hang_up(handle.sid)
    page.wait_for_selector("#notice:not([hidden])")
    assert "Caller hung up" in page.inner_text("#notice")
    assert page.is_hidden("#offer") and page.is_hidden("#call")
    assert page.is_hidden("#notice-available")  # the agent is available again by themself
    _state(page, "available")
    screenshots(page, SHOTS, "caller-hung-up")


def test_a_missed_offer_puts_the_agent_on_break_with_one_click_back(center, live_server, page):
    rt, carrier = center
    rt.acd.offer_timeout_seconds = 2.0
    open_desktop(page, live_server)
    tick_once(rt)  # the heartbeat's first beat checks the ACD against the store; later ones only tick
    _ring(page, carrier)
    time.sleep(2.2)
    tick_once(rt)  # the heartbeat finds the offer unanswered: ring-no-answer
    page.wait_for_selector("#notice:not([hidden]) #notice-available")
    assert "Missed — you are on break" in page.inner_text("#notice")
    assert page.inner_text("#state") == "On break · missed a call"
    assert_accessible(page)  # the notice and its button too
    screenshots(page, SHOTS, "missed")
    page.click("#notice-available")
    page.wait_for_selector("#notice", state="hidden")
    # available again: the call still waiting in the queue is offered once more
    page.wait_for_function("['available', 'reserved'].includes(document.getElementById('state').dataset.state)")


def test_the_call_bar_counts_talk_and_hold_time(center, live_server, page):
    _, carrier = center
    open_desktop(page, live_server)
    handle = _ring(page, carrier)
    page.click("#accept")
    _connected(page, carrier, handle)
    page.wait_for_function("/^Talk 0:0[2-9]$/.test(document.getElementById('cb-talk').textContent)")
    assert "Grace Hopper" in page.inner_text("#cb-caller") and "Support" in page.inner_text("#cb-queue")
    page.click("#cc-hold")
    page.wait_for_function("/^On hold 0:0[1-9]$/.test(document.getElementById('cb-hold').textContent)")
    page.click("#cc-hold")
    page.wait_for_selector("#cb-hold", state="hidden")
    page.click("#cc-hangup")
    page.wait_for_function("/^Wrap-up \\d+:\\d\\d left$/.test(document.getElementById('cb-wrap').textContent)")
    assert page.is_hidden("#cb-talk")
    assert_accessible(page)  # the wrap-up form too
    screenshots(page, SHOTS, "wrap-up")


def test_recent_calls_show_local_times_and_the_outcome(center, live_server, page):
    rt, carrier = center
    open_desktop(page, live_server)
    first = _ring(page, carrier)
    page.click("#accept")
    _connected(page, carrier, first)
    page.click("#cc-hangup")
    page.wait_for_selector("#wrapup:not([hidden])")
    page.select_option("#wrapup-disposition", "resolved")
    page.click("#wrapup-submit")
    _state(page, "available")
    second = _ring(page, carrier)
    page.click("#accept")
    _connected(page, carrier, second)
    history = page.inner_text("#call-pop .timeline")
    assert "Answered — resolved" in history
    screenshots(page, SHOTS, "recent-calls")
    shown = page.inner_text("#call-pop .timeline time")
    assert shown and not re.search(r"\d{4}-\d\d-\d\d", shown)  # a readable local time, not an ISO stamp


def test_a_callback_i_promised_is_listed_with_my_tickets(center, live_server, page):
    rt, _ = center
    with transaction(rt.session_factory) as session:
        alice = session.scalars(select(User).where(User.username == "alice")).one()
        campaign = gen_campaign(session, "Renewals", start=False)
        lead = gen_lead(session, campaign, "+14155550123", name="Ada <b>Lovelace</b>")
        lead.callback_at = clock.now()
        lead.callback_agent_id = alice.id
    open_desktop(page, live_server)
    page.wait_for_selector("#task-callbacks li")
    listed = page.inner_text("#task-callbacks")
    assert "Ada <b>Lovelace</b>" in listed and "Due now" in listed
    assert page.locator("#task-callbacks b").count() == 0


def test_an_offer_rings_until_it_is_answered(center, live_server, page):
    _, carrier = center
    open_desktop(page, live_server)  # clicking "Available" is the gesture that lets the page make sound
    _ring(page, carrier)
    page.wait_for_function("Number(document.body.dataset.rings || 0) >= 2")  # the tone repeats while it rings
    page.click("#accept")
    page.wait_for_selector("#call:not([hidden])")
    rings = page.evaluate("Number(document.body.dataset.rings)")
    time.sleep(2.5)
    assert page.evaluate("Number(document.body.dataset.rings)") == rings


def test_notifications_are_asked_for_from_a_button_and_shown_while_the_tab_is_hidden(center, live_server, browser):
    """Headless Chromium never hides a tab, so the page is told it is hidden; the notifications
    it then shows are recorded as they are made."""
    _, carrier = center
    context = browser.new_context()
    context.add_init_script(
        """window.shownNotifications = [];
        const Real = window.Notification;
        window.Notification = class extends Real {
          constructor(title, options) { super(title, options); window.shownNotifications.push([title, options.body]); }
        };"""
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        open_desktop(page, live_server)
        assert page.evaluate("Notification.permission") == "default"  # nothing asked on load
        page.wait_for_selector("#notify-enable:not([hidden])")
        context.grant_permissions(["notifications"], origin=live_server)
        page.click("#notify-enable")
        page.wait_for_selector("#notify-enable", state="hidden")
        page.evaluate("Object.defineProperty(document, 'hidden', { configurable: true, get: () => true })")
        _ring(page, carrier)
        page.wait_for_function("window.shownNotifications.length === 1")
        assert page.evaluate("window.shownNotifications[0]") == ["Incoming call", "Grace Hopper · Support"]
    finally:
        context.close()


def test_rejecting_with_the_keyboard_says_so_and_offers_the_way_back(center, live_server, page):
    _, carrier = center
    open_desktop(page, live_server)
    _ring(page, carrier)
    page.keyboard.press("r")
    page.wait_for_selector("#notice:not([hidden]) #notice-available")
    assert "Rejected — you are on break" in page.inner_text("#notice")
    assert page.is_hidden("#offer")
    _state(page, "break")
