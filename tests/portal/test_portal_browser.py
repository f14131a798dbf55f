"""A customer uses the help center in Chromium: finds an answer, sends a request with a file,
signs in by the mailed link and adds to the request."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from contactcenter.app.runtime import Runtime
from contactcenter.db import transaction
from contactcenter.mail.mailboxes import add_mailbox
from contactcenter.scripts.models import FaqArticle
from contactcenter.tickets.models import Ticket, TicketComment
from tests.support.browser import screenshots
from tests.support.factories import gen_queue
from tests.support.portal import PDF, mailed_link

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_customer_sends_a_request_and_follows_it_up(
    page, live_server: str, committed_runtime: Runtime, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        gen_queue(session, "support")
        add_mailbox(session, "support@example.com", display_name="Acme Support", queue="support")
        session.add(
            FaqArticle(title="Where is my parcel?", body="Parcels arrive in 3-5 working days.", tags=["orders"])
        )
        session.add(FaqArticle(title="Refunds", body="Refunds take 5 days to reach your card.", tags=["billing"]))
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(PDF)

    page.goto(f"{live_server}/help")
    page.fill("#portal-q", "parcel")
    page.click("button >> text=Search")
    page.wait_for_selector("h2 >> text=1 answer for")
    screenshots(page, tmp_path, "portal-answers")
    page.click("text=Where is my parcel?")
    page.wait_for_selector("h1 >> text=Where is my parcel?")

    page.click("nav >> text=Send a request")
    page.fill("input[name=name]", "Ann Lee")
    page.fill("input[name=email]", "ann@example.org")
    page.fill("input[name=subject]", "Parcel never came")
    page.fill("textarea[name=message]", "Order 1187 was due on Monday.")
    page.set_input_files("input[name=attachment]", str(receipt))
    screenshots(page, tmp_path, "portal-request")
    time.sleep(3.2)  # a person takes a few seconds to fill the form
    page.click("#contact-send")
    page.wait_for_selector("#contact-done >> text=is with us")
    with committed_runtime.session_factory() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.channel == "web" and ticket.queue_id is not None

    page.click("nav >> text=My requests")
    page.fill("input[name=email]", "ann@example.org")
    page.click("#sign-in-send")
    page.wait_for_selector("#link-sent")
    with committed_runtime.session_factory() as session:
        token = mailed_link(session, "ann@example.org")
    page.goto(f"{live_server}/help/link/{token}")
    page.click("#link-continue")
    page.wait_for_selector("#my-requests >> text=Parcel never came")
    screenshots(page, tmp_path, "portal-my-requests")
    page.click("text=Parcel never came")
    assert page.locator(".portal-files a").inner_text() == "receipt.pdf"
    page.fill("#reply-form textarea", "It just arrived, thank you!")
    page.click("#reply-send")
    page.wait_for_selector("#latest >> text=It just arrived, thank you!")
    screenshots(page, tmp_path, "portal-request-thread")
    with committed_runtime.session_factory() as session:
        last = session.scalars(select(TicketComment).order_by(TicketComment.id.desc()).limit(1)).one()
        assert (last.author_kind, last.body) == ("customer", "It just arrived, thank you!")


def test_a_customer_books_a_call_back(page, live_server: str, committed_runtime: Runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from contactcenter.acd.models import CallbackRequest

    with transaction(committed_runtime.session_factory) as session:
        gen_queue(session, "support", time_zone="America/New_York")
        add_mailbox(session, "support@example.com", queue="support")
    page.goto(f"{live_server}/help")
    page.click("nav >> text=Call me back")
    page.fill("input[name=name]", "Ann Lee")
    page.fill("input[name=phone]", "+1 415 555 0100")
    page.select_option("#callback-slot", index=3)
    chosen = page.eval_on_selector("#callback-slot", "s => s.options[s.selectedIndex].value")
    screenshots(page, tmp_path, "portal-callback")
    time.sleep(3.2)  # a person takes a few seconds to fill the form
    page.click("#callback-send")
    page.wait_for_selector("#callback-done >> text=We will call you")
    screenshots(page, tmp_path, "portal-callback-booked")
    with committed_runtime.session_factory() as session:
        request = session.scalars(select(CallbackRequest)).one()
        assert request.phone == "+14155550100" and request.place_at.isoformat() == chosen
