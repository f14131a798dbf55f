"""The board in headless Chromium, driven by the carrier simulator: a call arrives and waits, an
agent accepts it on their desktop, and the board's numbers follow without a reload."""

from __future__ import annotations

import pytest

from contactcenter.accounts.models import Role
from contactcenter.acd.models import QueueMembership
from contactcenter.db import transaction
from tests.support.browser import log_in
from tests.support.factories import gen_agent, gen_queue

pytestmark = pytest.mark.browser
CENTER = "+18005550100"
HOSTILE = '<img src=x onerror="window.__injected=1">Eve'


@pytest.fixture
def center(committed_runtime, live_server, simulated_carrier):  # type: ignore[no-untyped-def]
    rt = committed_runtime
    rt.settings = rt.settings.with_overrides(ivr_flow="")  # callers go straight to the queue
    with transaction(rt.session_factory) as session:
        support = gen_queue(session, "support", display_name="Support")
        alice = gen_agent(session, "alice", skills={"support": 5}, display_name="Alice")
        eve = gen_agent(session, "eve", skills={"support": 5}, display_name=HOSTILE)
        gen_agent(session, "sam", role=Role.SUPERVISOR)
        for agent in (alice, eve):
            session.add(QueueMembership(queue_id=support.id, user_id=agent.id))
    simulated_carrier.add_number(CENTER, f"{live_server}/hooks/voice", f"{live_server}/hooks/status")
    simulated_carrier.start()
    return simulated_carrier, live_server


def _figure(field):  # type: ignore[no-untyped-def]
    return f'document.querySelector(\'[data-queue="support"] [data-field="{field}"]\')'


def _wait_figure(page, field, value):  # type: ignore[no-untyped-def]
    page.wait_for_function(f"{_figure(field)} && {_figure(field)}.textContent === {value!r}")


def test_board_shows_the_call_waiting_then_answered(center, page, browser):
    carrier, base = center
    log_in(page, base, "sam")
    page.goto(base + "/board")
    page.wait_for_function("document.getElementById('connection').textContent === 'live'")
    _wait_figure(page, "waiting", "0")
    _wait_figure(page, "answered", "0")

    carrier.place_inbound_call("+14155550100", CENTER, "hang up after 120")
    _wait_figure(page, "waiting", "1")

    desk = browser.new_context().new_page()
    desk.set_default_timeout(10_000)
    log_in(desk, base, "alice")
    desk.goto(base + "/desktop")
    desk.wait_for_function("document.getElementById('connection').textContent === 'live'")
    desk.click("button[data-state=available]")
    desk.wait_for_selector("#offer:not([hidden])")
    desk.click("#accept")
    desk.wait_for_function("document.getElementById('state').dataset.state === 'on_call'")

    _wait_figure(page, "waiting", "0")
    _wait_figure(page, "answered", "1")
    _wait_figure(page, "on_call", "1")
    page.wait_for_function(
        "[...document.querySelectorAll('#agents tr')].some(r => r.textContent.includes('Alice')"
        " && r.querySelector('td.state') && r.querySelector('td.state').dataset.state === 'on_call')"
    )
    # The grid shows the call Alice is on: the caller masked, the queue, the direction.
    page.wait_for_function(
        "[...document.querySelectorAll('#agents tbody tr')].some(r => r.cells[0].textContent === 'Alice'"
        " && r.querySelector('td.caller').textContent === '+1 \u2022\u2022\u2022\u2022 0100'"
        " && r.querySelector('td.queue').textContent === 'Support'"
        " && r.querySelector('td.direction').textContent === 'Inbound')"
    )
    assert "4155550100" not in page.text_content("#agents")
    assert page.url.endswith("/board")  # no reload, no navigation: the numbers came over the socket
    desk.context.close()


def test_html_in_an_agent_name_renders_as_text(center, page):
    carrier, base = center
    log_in(page, base, "sam")
    page.goto(base + "/board")
    page.wait_for_function("document.querySelectorAll('#agents tbody tr').length === 2")
    # Names come with the figures the board reads from the store, a moment after the live rows.
    page.wait_for_function(
        "name => [...document.querySelectorAll('#agents tbody tr td.name')].some(c => c.textContent === name)",
        arg=HOSTILE,
    )
    names = page.eval_on_selector_all("#agents tbody tr td.name", "cells => cells.map(c => c.textContent)")
    assert HOSTILE in names
    assert page.evaluate("document.querySelectorAll('#agents img').length") == 0
    assert page.evaluate("window.__injected === undefined")


def test_an_agent_is_refused_the_board(center, page):
    carrier, base = center
    log_in(page, base, "alice")
    response = page.goto(base + "/board")
    assert response is not None and response.status == 403


def test_supervisor_puts_an_agent_on_break_from_the_board(center, page):
    carrier, base = center
    log_in(page, base, "sam")
    page.goto(base + "/board")
    page.wait_for_function("document.querySelectorAll('#agents tbody tr').length === 2")
    row = "#agents tbody tr:has(td:text-is('Alice'))"
    page.select_option(f"{row} select.state-choice", "break:lunch")
    page.click(f"{row} button.set-state")
    page.wait_for_function(
        "[...document.querySelectorAll('#agents tbody tr')].some(r => r.cells[0].textContent === 'Alice'"
        " && r.cells[2].textContent === 'On break (lunch)')"
    )
    assert page.is_hidden("#action-error")


def test_a_state_picked_on_the_board_survives_an_update_of_that_agents_row(center, page, committed_runtime):
    """The supervisor picks "break: lunch" for Alice; before they press Set, Alice's row changes (she
    goes available on her desktop). The pick must survive the redraw, or Set would set another state."""
    from sqlalchemy import select

    from contactcenter.accounts.models import User
    from contactcenter.app.services import Services

    carrier, base = center
    log_in(page, base, "sam")
    page.goto(base + "/board")
    page.wait_for_function("document.querySelectorAll('#agents tbody tr').length === 2")
    row = "#agents tbody tr:has(td:text-is('Alice'))"
    page.select_option(f"{row} select.state-choice", "break:lunch")
    with transaction(committed_runtime.session_factory) as session:
        alice = session.scalar(select(User.id).where(User.username == "alice"))
        assert Services(committed_runtime, session).acd.set_state(alice, "available").ok
    page.wait_for_function(
        "[...document.querySelectorAll('#agents tbody tr')].some(r => r.cells[0].textContent === 'Alice'"
        " && r.cells[2].textContent === 'Available')"
    )
    assert page.input_value(f"{row} select.state-choice") == "break:lunch"
    page.click(f"{row} button.set-state")
    page.wait_for_function(
        "[...document.querySelectorAll('#agents tbody tr')].some(r => r.cells[0].textContent === 'Alice'"
        " && r.cells[2].textContent === 'On break (lunch)')"
    )
