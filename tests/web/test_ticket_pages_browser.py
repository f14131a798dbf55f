"""A supervisor works a ticket in a real headless Chromium: view, ticket, notes, status."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.acd.models import Queue
from contactcenter.db import transaction
from contactcenter.tickets import macros, sla
from contactcenter.tickets.macros import MacroFields
from contactcenter.tickets.services import add_comment, link_interaction
from contactcenter.tickets.views import TICKETS_CHANGED_CHANNEL
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


@pytest.fixture
def agent_workspace(workspace, committed_runtime):  # type: ignore[no-untyped-def]
    """The workspace, plus an admin and a macro that takes a ticket and answers the customer."""
    with transaction(committed_runtime.session_factory) as session:
        gen_agent(session, "ann", role=Role.ADMIN, display_name="Ann Admin")
        macros.save(
            session,
            MacroFields(
                name="Take and acknowledge",
                status="open",
                assignee="me",
                add_tags="acknowledged",
                comment="Hello Grace, thanks for the details; we are looking into it.",
                comment_public=True,
            ),
        )
    return workspace


def test_an_agent_works_a_ticket_from_a_view_to_solved(agent_workspace, committed_runtime, live_server, page):
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, live_server, "alice")
    page.click("header.top nav >> text=Tickets")
    page.click("#ticket-views a[data-view=my_queues]")
    page.wait_for_selector("#ticket-views a.current[data-view=my_queues]")
    assert page.locator("#ticket-views a[data-view=my_queues] .count").inner_text() == "4"

    # a saved filter: the view's high-priority tickets, listed with its count
    page.select_option("#ticket-filters select[name=priority]", "high")
    page.click("#ticket-filters button[type=submit]")
    page.fill("#save-filter-name", "High priority")
    page.click("#save-filter button[type=submit]")
    page.wait_for_selector(".flash.ok >> text=Filter “High priority” saved.")
    assert page.locator("#saved-views .saved-view.current .count").inner_text() == "1"

    # bulk: pick every ticket of the "My queues" page and raise them all to urgent
    page.click("#ticket-views a[data-view=my_queues]")
    page.wait_for_function("document.getElementById('ticket-views').dataset.live === 'yes'")
    page.check("#pick-all")
    assert page.locator("#bulk-picked").inner_text() == "With the 4 picked tickets:"
    shoot(page, "agent-bulk-picked")
    page.select_option("#bulk select[name=bulk_priority]", "urgent")
    page.click("#bulk button[value=priority]")
    page.wait_for_selector(".flash.ok >> text=4 tickets changed.")
    assert page.locator("table#tickets .priority-urgent").count() == 4

    # another process opens a ticket in alice's queue: the open view's count follows without a reload
    page.wait_for_function("document.getElementById('ticket-views').dataset.live === 'yes'")
    with transaction(committed_runtime.session_factory) as session:
        support = session.scalar(select(Queue).where(Queue.name == "support"))
        gen_ticket(session, "Scanner beeps", queue_id=support.id)
    committed_runtime.redis.publish(TICKETS_CHANGED_CHANNEL, "1")
    page.wait_for_function(
        "document.querySelector('#ticket-views a[data-view=my_queues] .count').textContent === '5'", timeout=10_000
    )

    # the search box finds the ticket by a word of the customer's comment
    page.fill("#search-q", "toner")
    page.click("#ticket-search button[type=submit]")
    page.wait_for_selector("h1 >> text=Search “toner”")
    assert page.locator("table#tickets tbody tr[data-ticket-id]").count() == 1
    shoot(page, "agent-search")
    page.click(f"table#tickets tr[data-ticket-id='{agent_workspace['ticket_id']}'] td.subject a")
    page.wait_for_selector("#timeline")

    # the macro takes the ticket and puts its reply in the composer, as a public reply, unsent
    page.select_option("#macro-select", label="Take and acknowledge")
    shoot(page, "agent-macro-picker")
    page.click("#macro-apply")
    page.wait_for_selector(".flash.ok >> text=Macro “Take and acknowledge” applied")
    assert page.locator("#ticket-status").inner_text() == "open"
    assert "assigned to Alice Agent" in page.locator(".ticket-badges").inner_text()
    assert page.locator("#composer input[value=public]").is_checked()
    assert page.input_value("#composer-body").startswith("Hello Grace")
    page.fill("#composer-body", page.input_value("#composer-body") + " A technician comes tomorrow.")
    page.click("#composer-send")
    page.wait_for_selector(".flash.ok >> text=Public reply sent.")

    page.check("#composer input[value=internal]")
    page.fill("#composer-body", "Toner sensor replaced under warranty.")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".flash.ok >> text=Internal note added.")

    page.select_option("#status-select", "solved")
    page.click("#properties button[type=submit]")
    page.wait_for_selector(".flash.ok >> text=Ticket updated.")
    assert page.locator("#ticket-status").inner_text() == "solved"
    assert page.locator("#timeline li.entry.public.author-agent").count() == 1
    assert page.locator("#timeline li.entry.internal").count() == 1
    shoot(page, "agent-ticket-solved")


def test_an_admin_manages_macros(agent_workspace, live_server, page):
    log_in(page, live_server, "ann")
    page.click("header.top nav details.menu summary")
    page.click("header.top nav >> text=Ticket macros")
    page.wait_for_selector("table#macros")
    assert "Take and acknowledge" in page.locator("table#macros").inner_text()
    page.click("#new-macro")
    page.fill("#macro-form input[name=name]", "Escalate")
    page.select_option("#macro-form select[name=priority]", "urgent")
    page.fill("#macro-form input[name=add_tags]", "escalated")
    page.click("#macro-save")
    page.wait_for_selector(".flash.ok >> text=Macro “Escalate” created.")
    shoot(page, "admin-macros")
    page.click("#new-macro")
    page.fill("#macro-form input[name=name]", "Escalate")
    page.click("#macro-save")
    page.wait_for_selector("#name-error")
    assert "another macro has this name" in page.locator("#name-error").inner_text()
    shoot(page, "admin-macro-form-error")
