"""One agent's call from start to finish in headless Chromium, against the real-time carrier simulator.

The agent logs in and goes available; the simulator places a call; the offer pops with the
customer's name and latest ticket; the agent accepts; the script greets the customer by name; a FAQ
search finds the article; hold and resume; hang up, disposition and notes in wrap-up. The
interaction in the store carries all of it.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from sqlalchemy import select

from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import conference_name
from contactcenter.app.ticker import tick_once
from contactcenter.contacts.models import Interaction
from contactcenter.db import transaction
from contactcenter.scripts import faq
from contactcenter.scripts.services import ScriptFields, save_script
from contactcenter.tickets.models import TicketInteraction
from contactcenter.tickets.services import open_ticket
from tests.support.browser import open_desktop, until
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_agent, gen_customer, gen_queue

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WRAP_UP_S = 5

SCRIPT: dict[str, Any] = {
    "start": "greet",
    "steps": {
        "greet": {
            "say": "Hello {customer.first_name}, thanks for calling.",
            "kind": "choice",
            "question": "Is this about the open ticket?",
            "options": [
                {"value": "yes", "label": "Yes", "next": "close"},
                {"value": "no", "label": "No", "next": "close"},
            ],
        },
        "close": {"say": "Thank you, {customer.name}!", "kind": "end"},
    },
}


def _center(rt, carrier, wrap_up_s: int):  # type: ignore[no-untyped-def]
    rt.settings = rt.settings.with_overrides(ivr_flow="")  # straight to the queue
    with transaction(rt.session_factory) as session:
        support = gen_queue(session, "support", wrap_up_s=wrap_up_s)
        alice = gen_agent(session, "alice", skills={"support": 5})
        session.add(QueueMembership(queue_id=support.id, user_id=alice.id))
        grace = gen_customer(session, "Grace Hopper", ("+14155550100",), segment="vip")
        open_ticket(session, "Router keeps dropping", customer_id=grace.id)
        save_script(session, ScriptFields(name="welcome", title="Welcome", definition=SCRIPT, is_default=True))
        faq.save_article(session, "Resetting your router", "Hold the reset button for ten seconds.", ["technical"])
    carrier.start()
    return rt, carrier


@pytest.fixture
def center(committed_runtime, simulated_carrier):  # type: ignore[no-untyped-def]
    return _center(committed_runtime, simulated_carrier, wrap_up_s=120)


@pytest.fixture
def short_wrap_center(committed_runtime, simulated_carrier):  # type: ignore[no-untyped-def]
    """The same floor with a wrap-up timer short enough to run out during a test."""
    return _center(committed_runtime, simulated_carrier, wrap_up_s=WRAP_UP_S)


def test_an_agent_handles_a_call_from_offer_to_wrap_up(center, live_server, page):
    rt, carrier = center
    carrier.add_number(CENTER_NUMBER, live_server + "/hooks/voice", live_server + "/hooks/status")
    open_desktop(page, live_server)

    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 600")
    page.wait_for_selector("#offer:not([hidden]) #offer-pop .customer-name")
    offer_pop = page.inner_text("#offer-pop")
    assert "Grace Hopper (vip)" in offer_pop and "Router keeps dropping" in offer_pop
    page.click("#accept")
    page.wait_for_selector("#call-controls:not([hidden])")
    until(
        lambda: len(carrier.conference_participants(conference_name(handle.sid))) == 2,
        "caller and agent in the conference",
    )
    page.wait_for_selector("#call-pop .customer-name")
    assert "Router keeps dropping" in page.inner_text("#call-pop")

    page.wait_for_selector("#script:not([hidden]) li.current[data-step=greet]")
    assert "Hello Grace, thanks for calling." in page.inner_text("#script-steps")
    page.click("#script li.current button[data-value=yes]")
    page.wait_for_selector("#script li.current[data-step=close]")
    assert "Thank you, Grace Hopper!" in page.inner_text("#script-steps")

    page.fill("#faq-q", "router reset")
    page.click("#faq-form button[type=submit]")
    page.wait_for_selector("#faq-results li[data-article]")
    assert "Resetting your router" in page.inner_text("#faq-results")

    page.click("#cc-hold")
    page.wait_for_function("document.getElementById('cc-hold').textContent === 'Resume'")
    assert carrier.get_participant(conference_name(handle.sid), handle.sid).hold is True
    time.sleep(1.1)  # a second on hold, so it shows in the store
    page.click("#cc-hold")
    page.wait_for_function("document.getElementById('cc-hold').textContent === 'Hold'")
    assert carrier.get_participant(conference_name(handle.sid), handle.sid).hold is False

    page.click("#cc-hangup")
    page.wait_for_selector("#wrapup:not([hidden])")
    until(lambda: handle.ended, "the call ended")
    page.select_option("#wrapup-disposition", "resolved")
    page.fill("#wrapup-notes", "Router reset walked through.")
    page.click("#wrapup-submit")
    page.wait_for_selector("#wrapup", state="hidden")
    page.wait_for_function("document.getElementById('state').dataset.state === 'available'")

    with transaction(rt.session_factory) as session:
        call = session.scalars(select(Interaction).where(Interaction.call_sid == handle.sid)).one()
        assert call.customer is not None and call.customer.name == "Grace Hopper"
        assert call.agent_id is not None and call.answered_at is not None
        assert call.disposition == "resolved" and call.notes == "Router reset walked through."
        assert call.hold_s >= 1
        assert call.wrap_s is not None and call.talk_s is not None
        assert {k: v["answer"] for k, v in call.script_answers["answers"].items()} == {"greet": "yes"}


def _take_and_hang_up(page, live_server, carrier):  # type: ignore[no-untyped-def]
    """Alice takes the call that rings, then hangs up: the wrap-up panel opens."""
    carrier.add_number(CENTER_NUMBER, live_server + "/hooks/voice", live_server + "/hooks/status")
    open_desktop(page, live_server)
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 600")
    page.wait_for_selector("#offer:not([hidden])")
    page.click("#accept")
    page.wait_for_selector("#call-controls:not([hidden])")
    until(
        lambda: len(carrier.conference_participants(conference_name(handle.sid))) == 2,
        "caller and agent in the conference",
    )
    page.click("#cc-hangup")
    page.wait_for_selector("#wrapup:not([hidden])")
    until(lambda: handle.ended, "the call ended")
    return handle


def test_wrap_up_typed_before_the_timer_ends_is_kept_and_submitted_with_its_ticket_number(
    short_wrap_center, live_server, page, tmp_path
):
    rt, carrier = short_wrap_center
    page.set_viewport_size({"width": 1400, "height": 900})
    handle = _take_and_hang_up(page, live_server, carrier)
    page.select_option("#wrapup-disposition", "follow_up")
    page.fill("#wrapup-notes", "Modem <b>replacement</b> promised for Friday.")
    page.wait_for_function("document.getElementById('wrapup-draft-status').textContent === 'draft saved'")
    page.locator("#wrapup").screenshot(path=str(tmp_path / "wrapup-1400x900.png"))

    time.sleep(WRAP_UP_S + 0.5)
    tick_once(rt)  # the heartbeat: the timer has run out, the agent is available again
    page.wait_for_function("document.getElementById('state').dataset.state === 'available'")
    assert page.input_value("#wrapup-notes") == "Modem <b>replacement</b> promised for Friday."
    assert "time is up" in page.inner_text("#wrapup-timer")

    page.reload()
    page.wait_for_selector("#wrapup:not([hidden])")
    assert page.input_value("#wrapup-notes") == "Modem <b>replacement</b> promised for Friday."
    assert page.input_value("#wrapup-disposition") == "follow_up"
    page.set_viewport_size({"width": 1024, "height": 768})
    page.locator("#wrapup").screenshot(path=str(tmp_path / "wrapup-1024x768.png"))

    page.check("input[name=wrapup-ticket][value=new]")
    page.fill("#wrapup-ticket-subject", "Modem replacement")
    page.click("#wrapup-submit")
    page.wait_for_selector("#wrapup-saved:not([hidden])")
    page.wait_for_selector("#wrapup", state="hidden")
    page.screenshot(path=str(tmp_path / "saved-1024x768.png"))
    shown = re.fullmatch(r"Saved — ticket #(\d+)", page.inner_text("#wrapup-saved").strip())
    assert shown is not None
    with transaction(rt.session_factory) as session:
        call = session.scalars(select(Interaction).where(Interaction.call_sid == handle.sid)).one()
        assert (call.disposition, call.notes) == ("follow_up", "Modem <b>replacement</b> promised for Friday.")
        linked = session.scalars(select(TicketInteraction.ticket_id).where(TicketInteraction.interaction_id == call.id))
        assert list(linked) == [int(shown.group(1))]


def test_the_agent_extends_the_wrap_up_once(center, live_server, page):
    _, carrier = center
    _take_and_hang_up(page, live_server, carrier)
    page.wait_for_selector("#wrapup-extend:not([hidden])")
    before = int(page.inner_text("#wrapup-timer").split()[0])
    page.click("#wrapup-extend")
    page.wait_for_selector("#wrapup-extend", state="hidden")
    assert int(page.inner_text("#wrapup-timer").split()[0]) > before + 100
