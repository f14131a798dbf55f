"""A supervisor works a ticket in a real headless Chromium: view, ticket, notes, status."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcenter.accounts.models import Role
from contactcenter.db import transaction
from contactcenter.tickets import sla
from contactcenter.tickets.services import add_comment, link_interaction
from tests.support.browser import log_in, screenshots
from tests.support.factories import gen_agent, gen_call, gen_customer, gen_member, gen_queue, gen_ticket

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/ticketui-shots")


@pytest.fixture
def workspace(committed_runtime):  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        support = gen_queue(session, "support", display_name="Support")
        gen_agent(session, "sam", role=Role.SUPERVISOR, display_name="Sam Supervisor")
        alice = gen_agent(session, "alice", display_name="Alice Agent")
        gen_member(session, alice, support)
        sla.create_policy(
            session, "Standard", targets={"first_response": {"*": 4 * 3600}, "resolution": {"*": 48 * 3600}}
        )
        grace = gen_customer(session, "Grace Hopper", ("+14155550100",), segment="gold", email="grace@example.com")
        ticket = gen_ticket(
            session,
            "Printer jams on every second page of a long report",
            queue_id=support.id,
            customer_id=grace.id,
            priority="high",
            tags=["hardware", "printer"],
            channel="phone",
        )
        call = gen_call(
            session,
            queue_id=support.id,
            agent_id=alice.id,
            disposition="ticket opened",
            notes="Caller says the tray is fine.",
            duration_s=312,
            ivr_path=[{"node": "welcome"}, {"node": "menu", "input": "2"}, {"node": "agent"}],
        )
        link_interaction(session, ticket, call)
        add_comment(session, ticket, "It jams after the toner change.", public=True, author_kind="customer")
        for i in range(3):
            gen_ticket(session, f"Other unassigned ticket {i}", queue_id=support.id)
        return {"ticket_id": ticket.id}


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    screenshots(page, SHOTS, name)


def test_supervisor_works_a_ticket_from_a_view(workspace, live_server, page):
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, live_server, "sam")
    page.click("header.top nav >> text=Tickets")
    page.wait_for_selector("#ticket-views")
    page.click("#ticket-views a[data-view=unassigned]")
    page.wait_for_selector("#ticket-views a.current[data-view=unassigned]")
    assert page.locator("#ticket-views a[data-view=unassigned] .count").inner_text() == "4"
    assert page.locator("table#tickets tbody tr[data-ticket-id]").count() == 4
    shoot(page, "ticket-view")

    page.click(f"table#tickets tr[data-ticket-id='{workspace['ticket_id']}'] td.subject a")
    page.wait_for_selector("#timeline")
    assert "Printer jams" in page.locator("#ticket-subject").inner_text()
    assert "Grace Hopper" in page.locator("#customer-card").inner_text()
    assert "menu (2)" in page.locator("#timeline").inner_text()
    assert page.locator("#sla-clocks li").count() >= 1

    # "c" focuses the composer; Ctrl+Enter sends an internal note
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "composer-body"
    page.keyboard.type("Checked the printer logs: <b>toner</b> sensor.")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".flash.ok >> text=Internal note added.")

    # a public reply through the toggle and the button
    page.check("#composer input[value=public]")
    page.fill("#composer-body", "Thanks Grace, a technician comes by tomorrow.")
    page.click("#composer-send")
    page.wait_for_selector(".flash.ok >> text=Public reply sent.")

    page.select_option("#status-select", "open")
    page.click("#properties button[type=submit]")
    page.wait_for_selector(".flash.ok >> text=Ticket updated.")
    assert page.locator("#ticket-status").inner_text() == "open"

    internal = page.locator("#timeline li.entry.internal")
    public = page.locator("#timeline li.entry.public.author-agent")
    assert internal.count() == 1 and public.count() == 1
    assert "<b>toner</b>" in internal.inner_text()  # shown as text, not markup
    assert "Internal note" in internal.inner_text() and "Public reply" in public.inner_text()
    look = "e => getComputedStyle(e).backgroundColor + ' ' + getComputedStyle(e).borderLeftColor"
    assert internal.evaluate(look) != public.evaluate(look)
    assert "Status changed" in page.locator("#timeline").inner_text()
    kinds = page.locator("#timeline li.entry").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds[0] == "created" or kinds[0] == "call"
    assert kinds[-1] == "change"  # newest last
    shoot(page, "ticket-page")


def test_a_bad_filter_shows_a_message_in_the_page(workspace, live_server, page):
    log_in(page, live_server, "sam")
    page.goto(live_server + "/tickets?view=all&created_from=yesterday")
    assert "created from: a date as YYYY-MM-DD" in page.locator("#form-error").inner_text()
    shoot(page, "ticket-view-error")
