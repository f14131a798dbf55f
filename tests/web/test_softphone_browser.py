"""The browser softphone in headless Chromium, against the real-time carrier simulator: an agent
whose calls ring in the browser accepts an offer, the softphone rings in the page, they answer,
talk, hang up and land in wrap-up; the carrier saw the browser's leg join and the call end."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import conference_name
from contactcenter.db import transaction
from tests.support.accessibility import assert_accessible
from tests.support.browser import log_in, open_desktop, screenshots, until
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_agent, gen_customer, gen_queue

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path("/tmp/shots/softphone")


@pytest.fixture
def floor(committed_runtime, simulated_carrier, live_server):  # type: ignore[no-untyped-def]
    rt, carrier = committed_runtime, simulated_carrier
    rt.settings = rt.settings.with_overrides(ivr_flow="")
    with transaction(rt.session_factory) as session:
        support = gen_queue(session, "support", wrap_up_s=120)
        alice = gen_agent(session, "alice", skills={"support": 5})  # contact: client:alice, the browser
        session.add(QueueMembership(queue_id=support.id, user_id=alice.id))
        gen_customer(session, "Grace Hopper", ("+14155550100",))
    carrier.browser_devices = True
    carrier.add_number(CENTER_NUMBER, live_server + "/hooks/voice", live_server + "/hooks/status")
    carrier.start()
    return carrier


def test_accepting_an_offer_answers_the_browser_without_a_second_click(floor, live_server, page):
    carrier = floor
    open_desktop(page, live_server)
    page.wait_for_function("document.getElementById('softphone').dataset.phase === 'ready'")
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 600")
    page.wait_for_selector("#offer:not([hidden])")
    page.click("#accept")

    page.wait_for_function("document.getElementById('softphone').dataset.phase === 'connected'")
    room = conference_name(handle.sid)
    until(lambda: len(carrier.conference_participants(room)) == 2, "the browser's leg joined the conference")
    page.wait_for_function("/^Talk 0:0\\d$/.test(document.getElementById('cb-talk').textContent)")  # from the answer
    screenshots(page, SHOTS, "desktop-softphone-connected")
    assert_accessible(page, "#softphone")

    [leg] = [sid for sid in carrier.conference_participants(room) if sid != handle.sid]
    assert carrier.call(leg).status == "in-progress"
    page.click("#cc-hangup")
    page.wait_for_selector("#wrapup:not([hidden])")
    until(lambda: handle.ended and carrier.call(leg).ended, "the call and the browser's leg ended")
    page.wait_for_function("document.getElementById('softphone').dataset.phase === 'ready'")


def test_a_ring_for_no_accepted_task_still_rings_until_answered(floor, live_server, page, committed_runtime):
    carrier = floor
    open_desktop(page, live_server)
    page.wait_for_function("document.getElementById('softphone').dataset.phase === 'ready'")
    telephony = committed_runtime.telephony
    telephony.add_participant("team-huddle", "client:alice?task=CA" + "0" * 32, CENTER_NUMBER)

    page.wait_for_function("document.getElementById('softphone').dataset.phase === 'ringing'")
    assert "Softphone ringing" in page.inner_text("#sp-status")
    rings = int(page.evaluate("() => document.body.dataset.rings || '0'"))
    page.wait_for_function(f"Number(document.body.dataset.rings || 0) > {rings}")  # the desktop's ring
    screenshots(page, SHOTS, "desktop-softphone-ringing")
    page.keyboard.press("a")  # answers the browser
    page.wait_for_function("document.getElementById('softphone').dataset.phase === 'connected'")
    until(lambda: len(carrier.conference_participants("team-huddle")) == 1, "answered by key")


def test_a_blocked_microphone_is_explained_with_the_fix(floor, live_server, page):
    open_desktop(page, live_server, available=False)
    for error in ({"name": "NotAllowedError"}, {"code": 31401}, {"code": 31208}):
        explained = page.evaluate("(e) => window.Softphone.explainError(e)", error)
        assert explained["kind"] == "microphone"
        assert "blocked the microphone" in explained["message"] and "Allow" in explained["message"]


def test_a_missing_microphone_is_explained_too(floor, live_server, page):
    open_desktop(page, live_server, available=False)
    explained = page.evaluate("() => window.Softphone.explainError({code: 31402})")
    assert explained["kind"] == "microphone" and "plug one in" in explained["message"]


def test_an_agent_moves_their_calls_to_a_phone_from_the_call_bar(floor, live_server, page):
    open_desktop(page, live_server, available=False)
    page.click(".sp-settings summary")
    page.select_option("#sp-contact-kind", "phone")
    page.fill("#sp-contact-value", "<script>alert(1)</script>")
    page.click("#sp-contact button[type=submit]")
    page.wait_for_selector("#sp-contact-error:not([hidden])")
    assert "country code" in page.inner_text("#sp-contact-error")
    screenshots(page, SHOTS, "desktop-softphone-settings-error")
    page.fill("#sp-contact-value", "(415) 555-0100")
    page.click("#sp-contact button[type=submit]")
    page.wait_for_function("document.getElementById('sp-contact-saved').textContent.includes('+14155550100')")
    assert_accessible(page, "#softphone")


def test_the_board_shows_a_supervisors_softphone(floor, live_server, page, committed_runtime):
    from contactcenter.accounts.models import Role

    with transaction(committed_runtime.session_factory) as session:
        gen_agent(session, "sam", role=Role.SUPERVISOR)
    log_in(page, live_server, "sam")
    page.goto(live_server + "/board")
    page.wait_for_function("document.getElementById('softphone').dataset.phase === 'ready'")
    screenshots(page, SHOTS, "board-softphone")
    assert_accessible(page, ".board-softphone")


def test_with_twilio_the_page_runs_the_vendored_voice_sdk(floor, live_server, page, committed_runtime):
    committed_runtime.settings = committed_runtime.settings.with_overrides(
        carrier="twilio",
        twilio_api_key_sid="SK" + "a" * 32,
        twilio_api_key_secret="softphone-test-key-secret-of-32-bytes",
    )
    log_in(page, live_server, "alice")
    with page.expect_response(lambda r: r.url.endswith("/desktop/voice-token")) as token:
        page.goto(live_server + "/desktop")
    assert token.value.status == 200
    assert page.evaluate("() => typeof window.Twilio.Device") == "function"
    assert page.evaluate("() => window.Twilio.Device.version").startswith("2.")
    assert not page.evaluate("() => [...document.scripts].some((s) => s.src && !s.src.startsWith(location.origin))")


def test_a_supervisor_monitors_from_the_board_in_the_browser(floor, live_server, page, browser, committed_runtime):
    from contactcenter.accounts.models import Role

    carrier = floor
    with transaction(committed_runtime.session_factory) as session:
        gen_agent(session, "sam", role=Role.SUPERVISOR)
    desk = browser.new_context().new_page()
    desk.set_default_timeout(10_000)
    open_desktop(desk, live_server)
    desk.wait_for_function("document.getElementById('softphone').dataset.phase === 'ready'")
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 600")
    desk.wait_for_selector("#offer:not([hidden])")
    desk.click("#accept")  # answers her browser too
    room = conference_name(handle.sid)
    until(lambda: len(carrier.conference_participants(room)) == 2, "alice answered in her browser")

    log_in(page, live_server, "sam")
    page.goto(live_server + "/board")
    page.wait_for_function("document.getElementById('softphone').dataset.phase === 'ready'")
    page.click("#agents tbody tr:has-text('alice') .supervise[data-mode=monitor]")
    page.wait_for_function("document.getElementById('softphone').dataset.phase === 'ringing'")
    screenshots(page, SHOTS, "board-softphone-ringing")
    page.click("#sp-answer")
    page.wait_for_function("document.getElementById('softphone').dataset.phase === 'connected'")
    until(lambda: len(carrier.conference_participants(room)) == 3, "sam joined the call")
    [sam_leg] = [p for p in carrier.list_participants(room) if p.call.to == "client:sam"]
    assert sam_leg.muted
    page.click("#sp-hangup")  # the board's own way to leave the call
    until(lambda: len(carrier.conference_participants(room)) == 2, "sam left the call")
    desk.context.close()


def test_the_talk_timer_waits_for_the_agents_phone_to_answer(floor, live_server, page, committed_runtime):
    from contactcenter.accounts.models import User
    from contactcenter.telephony.simulator.callers import Callee

    carrier = floor
    with transaction(committed_runtime.session_factory) as session:
        session.query(User).filter(User.username == "alice").update({"contact_uri": "+14155550177"})
    carrier.set_callee("+14155550177", Callee(answer="human", ring_s=4))
    open_desktop(page, live_server)
    carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 600")
    page.wait_for_selector("#offer:not([hidden])")
    page.click("#accept")
    page.wait_for_function("document.getElementById('cb-talk').textContent === 'Connecting…'")
    screenshots(page, SHOTS, "desktop-call-connecting")
    page.wait_for_function("/^Talk 0:0[0-3]$/.test(document.getElementById('cb-talk').textContent)", timeout=12_000)


def test_when_the_automatic_answer_fails_the_ring_is_left_to_the_agent(floor, live_server, page):
    carrier = floor
    open_desktop(page, live_server)
    page.wait_for_function("document.getElementById('softphone').dataset.phase === 'ready'")
    refused = {"error": {"code": "conflict", "message": "the carrier refused the answer"}}
    page.route("**/desktop/device/calls/*/answer", lambda route: route.fulfill(status=409, json=refused))
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 600")
    page.wait_for_selector("#offer:not([hidden])")
    page.click("#accept")
    page.wait_for_function("document.getElementById('softphone').dataset.phase === 'ringing'")
    assert page.is_visible("#sp-answer") and "refused the answer" in page.inner_text("#sp-error")
    page.unroute("**/desktop/device/calls/*/answer")
    page.click("#sp-answer")
    until(lambda: len(carrier.conference_participants(conference_name(handle.sid))) == 2, "answered by hand")
