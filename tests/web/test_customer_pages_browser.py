"""A supervisor finds a customer in a real headless Chromium, opens them, edits the segment and
sees their open ticket."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcenter.accounts.models import Role
from contactcenter.db import transaction
from contactcenter.dialer import dnc
from contactcenter.tickets import sla
from tests.support.browser import log_in, screenshots
from tests.support.dialer import gen_campaign, gen_lead
from tests.support.factories import gen_agent, gen_call, gen_customer, gen_queue, gen_ticket

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/customer-shots")


@pytest.fixture
def customers(committed_runtime):  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        support = gen_queue(session, "support", display_name="Support")
        gen_agent(session, "sam", role=Role.SUPERVISOR, display_name="Sam Supervisor")
        sla.create_policy(
            session, "Standard", targets={"first_response": {"*": 4 * 3600}, "resolution": {"*": 48 * 3600}}
        )
        grace = gen_customer(
            session, "Grace Hopper", ("+14155550100", "+14155550111"), segment="gold", email="grace@example.com"
        )
        for name, number in (("Ada Lovelace", "+442079460958"), ("Alan Turing", "+12125550123")):
            gen_customer(session, name, (number,))
        ticket = gen_ticket(
            session, "Printer jams on every second page of a long report", queue_id=support.id, customer_id=grace.id
        )
        gen_ticket(session, "Invoice question", queue_id=support.id, customer_id=grace.id, status="solved")
        gen_call(session, customer_id=grace.id, queue_id=support.id, duration_s=312, disposition="ticket opened")
        campaign = gen_campaign(session, "Winter renewals")
        gen_lead(session, campaign, "+14155550111", name="Grace Hopper")
        dnc.add(session, "+14155550100", reason="asked on the phone")
        return {"grace_id": grace.id, "ticket_id": ticket.id}


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    screenshots(page, SHOTS, name)


def test_supervisor_finds_a_customer_by_phone_and_edits_the_segment(customers, live_server, page):
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, live_server, "sam")
    page.click("header.top nav >> text=Customers")
    page.wait_for_selector("table#customers")
    page.fill("input[name=q]", "415 555-0100")
    page.click("form.search button")
    page.wait_for_selector("p.result-count")
    rows = page.locator("table#customers tbody tr[data-customer-id]")
    assert rows.count() == 1 and "Grace Hopper" in rows.first.inner_text()
    shoot(page, "search")

    rows.first.locator("td.name a").click()
    page.wait_for_selector("#profile-form")
    assert page.locator("#customer-name").inner_text() == "Grace Hopper"
    assert page.locator("#customer-segment").inner_text() == "gold"
    open_ticket = page.locator(f"#open-tickets tr[data-ticket-id='{customers['ticket_id']}']")
    assert "Printer jams" in open_ticket.inner_text() and "due" in open_ticket.inner_text()
    assert page.locator("#open-tickets tbody tr[data-ticket-id]").count() == 1  # the solved one is not open
    assert page.locator("#timeline li[data-kind]").count() == 3
    assert "do not call" in page.locator("#numbers li[data-phone='+14155550100']").inner_text()
    assert "Winter renewals" in page.locator("#campaigns").inner_text()
    shoot(page, "customer")

    page.select_option("#profile-form select[name=segment]", "vip")
    page.click("#profile-form button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert page.locator("#customer-segment").inner_text() == "vip"

    page.fill("#profile-form input[name=email]", "not-an-address")
    page.click("#profile-form button[type=submit]")
    page.wait_for_selector("#profile-error")
    assert "e-mail address is not valid" in page.locator("#profile-error").inner_text()
    assert page.locator("#profile-form input[name=email]").input_value() == "not-an-address"
    shoot(page, "customer-refused")

    open_ticket.locator("td.subject a").click()
    page.wait_for_selector("#ticket-subject")
    assert "Printer jams" in page.locator("#ticket-subject").inner_text()


def test_supervisor_searches_a_customers_tickets_from_the_customer_page(customers, live_server, page):
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, live_server, "sam")
    page.goto(f"{live_server}/customers/{customers['grace_id']}")
    page.fill("#customer-ticket-q", "invoice")
    page.click("#customer-ticket-search button[type=submit]")
    page.wait_for_selector("table#tickets")
    rows = page.locator("table#tickets tbody tr[data-ticket-id]")
    assert rows.count() == 1 and "Invoice question" in rows.first.inner_text()
    shoot(page, "customer-ticket-search")
