"""Recording in headless Chromium against a real-time carrier simulator: the agent pauses and
resumes the call's recording from the desktop (the carrier's recording follows, the call's
timeline says who and when), then plays the recording on the call's page, seeking through Range
requests; another agent gets 404 for the same audio."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.acd.models import Queue, QueueMembership
from contactcenter.db import transaction
from contactcenter.recordings.models import CallRecording
from tests.support.browser import log_in, open_desktop, screenshots, until
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_agent, gen_customer, gen_queue
from tests.support.recordings import ANNOUNCEMENT, gen_rule, run_jobs

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "recordings"
CALLER = "+14155550100"


@pytest.fixture
def recorded_floor(committed_runtime, simulated_carrier):  # type: ignore[no-untyped-def]
    rt = committed_runtime
    rt.settings = rt.settings.with_overrides(ivr_flow="")
    with transaction(rt.session_factory) as session:
        support = gen_queue(session, "support", wrap_up_s=120)
        for name in ("alice", "bob"):
            agent = gen_agent(session, name, skills={"support": 5})
            session.add(QueueMembership(queue_id=support.id, user_id=agent.id))
        gen_customer(session, "Grace Hopper", (CALLER,))
        gen_rule(session, "queue", support.id, "record", announcement=ANNOUNCEMENT, retention_days=90)
    simulated_carrier.start()
    return rt, simulated_carrier


def _recording(rt, call_sid: str) -> CallRecording | None:  # type: ignore[no-untyped-def]
    from contactcenter.contacts.models import Interaction

    with transaction(rt.session_factory) as session:
        found = session.scalars(
            select(CallRecording)
            .join(Interaction, Interaction.id == CallRecording.interaction_id)
            .where(Interaction.call_sid == call_sid)
        ).first()
        if found is not None:
            session.expunge(found)
        return found


def _take_a_recorded_call(rt, carrier, live_server, page):  # type: ignore[no-untyped-def]
    carrier.add_number(CENTER_NUMBER, live_server + "/hooks/voice", live_server + "/hooks/status")
    open_desktop(page, live_server)
    handle = carrier.place_inbound_call(CALLER, CENTER_NUMBER, "hang up after 600")
    page.wait_for_selector("#offer:not([hidden])")
    page.click("#accept")
    page.wait_for_selector("#call-controls:not([hidden])")
    until(lambda: carrier.recordings_of(handle.sid), "the carrier records the call")
    page.wait_for_selector("#rec-toggle:not([hidden])")
    return handle


def test_the_agent_pauses_and_resumes_the_recording_from_the_call(recorded_floor, live_server, page):
    rt, carrier = recorded_floor
    handle = _take_a_recorded_call(rt, carrier, live_server, page)
    assert page.inner_text("#rec-toggle") == "Pause recording"
    screenshots(page, SHOTS, "desktop-recording")

    page.click("#rec-toggle")
    page.wait_for_function("document.getElementById('rec-toggle').textContent === 'Resume recording'")
    assert carrier.recordings_of(handle.sid)[0].status == "paused"
    assert "paused" in page.inner_text("#rec-status")
    screenshots(page, SHOTS, "desktop-recording-paused")

    page.click("#rec-toggle")
    page.wait_for_function("document.getElementById('rec-toggle').textContent === 'Pause recording'")
    assert carrier.recordings_of(handle.sid)[0].status == "in-progress"

    rec = _recording(rt, handle.sid)
    assert rec is not None
    with transaction(rt.session_factory) as session:
        events = [(e.action, e.user.username if e.user else None) for e in session.get(CallRecording, rec.id).events]
    assert events == [("started", None), ("paused", "alice"), ("resumed", "alice")]
    handle.hang_up()


def test_the_agent_plays_the_recording_and_another_agent_gets_404(recorded_floor, live_server, page, browser):
    rt, carrier = recorded_floor
    handle = _take_a_recorded_call(rt, carrier, live_server, page)
    until(lambda: len(carrier.conference_participants(f"call-{handle.sid}")) == 2, "caller and agent talk")
    page.click("#rec-toggle")
    page.wait_for_function("document.getElementById('rec-toggle').textContent === 'Resume recording'")
    page.click("#rec-toggle")
    page.wait_for_function("document.getElementById('rec-toggle').textContent === 'Pause recording'")
    handle.hang_up()
    until(lambda: (_recording(rt, handle.sid) or CallRecording()).status == "completed", "the recording completed")
    run_jobs(rt.redis, "default")  # the worker fetches the audio from the carrier
    rec = _recording(rt, handle.sid)
    assert rec is not None and rec.media_bytes

    with transaction(rt.session_factory) as session:
        from contactcenter.contacts.models import Interaction

        call_id = session.scalar(select(Interaction.id).where(Interaction.call_sid == handle.sid))
    page.goto(f"{live_server}/calls/{call_id}")
    player = page.locator("audio.recording-player")
    page.wait_for_function("document.querySelector('audio.recording-player').readyState >= 1")
    duration = page.evaluate("document.querySelector('audio.recording-player').duration")
    assert duration == pytest.approx(rec.duration_s, abs=1.5)
    page.evaluate("document.querySelector('audio.recording-player').currentTime = 1.5")
    page.wait_for_function("document.querySelector('audio.recording-player').readyState >= 2")
    src = player.get_attribute("src")
    assert src == f"/recordings/{rec.id}/audio"
    ranged = page.evaluate(
        "async (u) => { const r = await fetch(u, {headers: {Range: 'bytes=0-99'}});"
        " return [r.status, (await r.arrayBuffer()).byteLength]; }",
        src,
    )
    assert ranged == [206, 100]
    timeline = page.inner_text(".recording-events")
    assert "Paused by alice" in timeline and "Resumed by alice" in timeline
    screenshots(page, SHOTS, "call-detail-recording")

    with transaction(rt.session_factory) as session:
        from contactcenter.accounts.models import User
        from contactcenter.tickets.models import TicketInteraction
        from tests.support.factories import gen_ticket

        alice_id = session.scalar(select(User.id).where(User.username == "alice"))
        ticket = gen_ticket(session, "Card payment taken on the phone", assignee_id=alice_id)
        session.add(TicketInteraction(ticket_id=ticket.id, interaction_id=call_id))
        ticket_id = ticket.id
    page.goto(f"{live_server}/tickets/{ticket_id}")
    page.wait_for_function("document.querySelector('#timeline audio.recording-player').readyState >= 1")
    assert page.locator("#timeline audio.recording-player").get_attribute("src") == src
    screenshots(page, SHOTS, "ticket-timeline-recording")

    other = browser.new_context()
    try:
        bob = other.new_page()
        log_in(bob, live_server, "bob")
        status = bob.evaluate("async (u) => (await fetch(u)).status", live_server + src)
        assert status == 404
        bob.goto(f"{live_server}/calls/{call_id}")
        assert bob.locator("audio.recording-player").count() == 0
    finally:
        other.close()


def test_the_recording_control_stays_away_from_unrecorded_calls(recorded_floor, live_server, page):
    rt, carrier = recorded_floor
    with transaction(rt.session_factory) as session:
        support = session.scalars(select(Queue).where(Queue.name == "support")).one()
        gen_rule(session, "queue", support.id, "off")
    carrier.add_number(CENTER_NUMBER, live_server + "/hooks/voice", live_server + "/hooks/status")
    open_desktop(page, live_server)
    handle = carrier.place_inbound_call(CALLER, CENTER_NUMBER, "hang up after 600")
    page.wait_for_selector("#offer:not([hidden])")
    page.click("#accept")
    page.wait_for_selector("#call-controls:not([hidden])")
    page.wait_for_timeout(1500)
    assert page.locator("#rec-toggle:visible").count() == 0
    handle.hang_up()


def test_an_admin_sets_a_recording_rule_for_a_queue(committed_runtime, live_server, page):
    rt = committed_runtime
    with transaction(rt.session_factory) as session:
        gen_agent(session, "ann", role=Role.ADMIN)
        support = gen_queue(session, "support")
        support_id = support.id
        gen_rule(session, "region", "DE", "off")
    log_in(page, live_server, "ann")
    page.goto(live_server + "/admin/recordings")
    page.check("input[name=scope][value=queue]")
    page.select_option("select[name=queue]", str(support_id))
    page.select_option("select[name=mode]", "record")
    page.fill("textarea[name=announcement]", "This call is recorded <b>for training</b>.")
    page.fill("input[name=retention_days]", "90")
    page.click("#rule-form button[type=submit]")
    page.wait_for_selector(f"#recording-rules tr[data-scope=queue][data-target='{support_id}']")
    row = page.inner_text(f"#recording-rules tr[data-scope=queue][data-target='{support_id}']")
    assert "announce and record" in row and "90 days" in row and "<b>for training</b>" in row
    screenshots(page, SHOTS, "admin-recording-rules")

    page.check("input[name=scope][value=region]")
    page.fill("input[name=region]", "Q1")
    page.click("#rule-form button[type=submit]")
    page.wait_for_selector("#rule-error")
    assert page.input_value("input[name=region]") == "Q1"  # the form is kept
    screenshots(page, SHOTS, "admin-recording-rules-error")
