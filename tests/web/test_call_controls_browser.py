"""The desktop's call controls and wrap-up in headless Chromium, against a real-time carrier simulator.

An agent accepts a simulated call, holds, resumes, hangs up, picks a disposition, writes notes,
opens a ticket and submits: the interaction in the store carries all of it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import conference_name
from contactcenter.calls.models import CallAction
from contactcenter.contacts.models import Interaction
from contactcenter.db import transaction
from contactcenter.tickets.models import TicketInteraction
from tests.support.browser import open_desktop, until
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_agent, gen_customer, gen_queue

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HOSTILE_NAME = "Grace <img src=x onerror=window.pwned=1> Hopper"


@pytest.fixture
def carrier_floor(committed_runtime, simulated_carrier):  # type: ignore[no-untyped-def]
    rt = committed_runtime
    rt.settings = rt.settings.with_overrides(ivr_flow="")
    with transaction(rt.session_factory) as session:
        support = gen_queue(session, "support", wrap_up_s=120)
        alice = gen_agent(session, "alice", skills={"support": 5})
        session.add(QueueMembership(queue_id=support.id, user_id=alice.id))
        gen_customer(session, HOSTILE_NAME, ("+14155550100",))
    simulated_carrier.start()
    return rt, simulated_carrier


def _take_a_call(carrier, live_server, page):  # type: ignore[no-untyped-def]
    """Alice opens her desktop, a caller rings in, she accepts: the call's controls are on screen."""
    carrier.add_number(CENTER_NUMBER, live_server + "/hooks/voice", live_server + "/hooks/status")
    open_desktop(page, live_server)
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 600")
    page.wait_for_selector("#offer:not([hidden])")
    page.click("#accept")
    page.wait_for_selector("#call-controls:not([hidden])")
    return handle


def test_agent_holds_resumes_and_wraps_up_a_simulated_call(carrier_floor, live_server, page):
    rt, carrier = carrier_floor
    handle = _take_a_call(carrier, live_server, page)
    until(
        lambda: len(carrier.conference_participants(conference_name(handle.sid))) == 2,
        "caller and agent in the conference",
    )

    page.click("#cc-hold")
    page.wait_for_function("document.getElementById('cc-hold').textContent === 'Resume'")
    assert carrier.get_participant(conference_name(handle.sid), handle.sid).hold is True
    page.click("#cc-hold")
    page.wait_for_function("document.getElementById('cc-hold').textContent === 'Hold'")
    assert carrier.get_participant(conference_name(handle.sid), handle.sid).hold is False

    page.click("#cc-hangup")
    page.wait_for_selector("#wrapup:not([hidden])")
    assert page.is_hidden("#call-controls")
    until(lambda: handle.ended, "the call ended")
    assert HOSTILE_NAME in page.inner_text("#wrapup-caller")  # shown as text, never as markup
    assert page.evaluate("window.pwned") is None
    page.select_option("#wrapup-disposition", "follow_up")
    page.fill("#wrapup-notes", "Modem <b>replaced</b>; customer happy.")
    page.check("input[name=wrapup-ticket][value=new]")
    page.fill("#wrapup-ticket-subject", "Modem replacement")
    page.click("#wrapup-submit")
    page.wait_for_selector("#wrapup", state="hidden")
    page.wait_for_function("document.getElementById('state').dataset.state === 'available'")

    with transaction(rt.session_factory) as session:
        call = session.scalars(select(Interaction).where(Interaction.call_sid == handle.sid)).one()
        held, resumed = (
            session.scalars(
                select(CallAction.at).where(CallAction.interaction_id == call.id, CallAction.action == action)
            ).one()
            for action in ("hold", "resume")
        )
        assert call.disposition == "follow_up"
        assert call.notes == "Modem <b>replaced</b>; customer happy."
        assert call.hold_s == int(round((resumed - held).total_seconds()))
        assert call.wrap_s is not None and call.wrapped_up_at is not None and call.talk_s is not None
        link = session.scalars(select(TicketInteraction).where(TicketInteraction.interaction_id == call.id)).one()
        assert link.ticket_id is not None


def test_the_consult_bar_shows_only_while_a_consult_runs(carrier_floor, live_server, page):
    rt, carrier = carrier_floor
    handle = _take_a_call(carrier, live_server, page)
    assert page.is_visible("#cc-transfer")
    assert not page.is_visible("#cc-consulting")  # no "Complete transfer" for a consult that never began
    assert not page.is_visible("#cc-complete")
    handle.hang_up()
