"""An agent answers a customer's text in Chromium; the reply reaches the handset through the
carrier and the ticket follows it to "delivered"."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from contactcenter.app.runtime import Runtime
from contactcenter.app.tasks import sms as sms_tasks
from contactcenter.db import transaction
from contactcenter.sms.models import SmsMessage
from tests.support.browser import log_in, screenshots
from tests.support.factories import gen_customer, gen_member, gen_queue, gen_staff
from tests.support.texts import CUSTOMER_MOBILE, TEXT_NUMBER, gen_text_number

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _wait_for(runtime: Runtime, query, timeout_s: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with runtime.session_factory() as session:
            found = session.scalar(query)
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError("not found in time")


def test_an_agent_answers_a_text_from_the_ticket(
    page, live_server: str, simulated_carrier, committed_runtime: Runtime, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    committed_runtime.settings = committed_runtime.settings.with_overrides(public_base_url=live_server)
    with transaction(committed_runtime.session_factory) as session:
        staff = gen_staff(session)
        queue = gen_queue(session, "support")
        gen_member(session, staff["alice"], queue)
        gen_customer(session, "Ann Lee", (CUSTOMER_MOBILE,))
        gen_text_number(session, queue="support")
    simulated_carrier.add_sms_number(TEXT_NUMBER, f"{live_server}/hooks/sms")
    simulated_carrier.start()
    simulated_carrier.send_text(CUSTOMER_MOBILE, TEXT_NUMBER, "Hi! Can I still change my delivery address?")
    ticket_id = _wait_for(committed_runtime, select(SmsMessage.ticket_id).where(SmsMessage.direction == "in"))

    log_in(page, live_server, "alice")
    page.goto(f"{live_server}/tickets/{ticket_id}")
    page.wait_for_selector(".text-facts >> text=By text from")
    assert "Can I still change my delivery address?" in page.locator(".entry-comment .body").first.inner_text()
    assert page.locator("#composer-sms").is_checked()
    page.check("input[name=visibility][value=public]")
    page.fill("#composer-body", "Yes — reply with the new address and we'll update it.")
    screenshots(page, tmp_path, "text-ticket-composing")
    page.click("#composer-send")
    page.wait_for_selector(".flash.ok >> text=texted to +1 415-555-0100")
    page.wait_for_selector(".text-status.text-queued")

    reply_id = _wait_for(committed_runtime, select(SmsMessage.id).where(SmsMessage.direction == "out"))
    assert sms_tasks.send_sms(reply_id) is True  # the worker's job
    _wait_for(committed_runtime, select(SmsMessage.id).where(SmsMessage.status == "delivered"))
    assert simulated_carrier.texts_to(CUSTOMER_MOBILE) == ["Yes — reply with the new address and we'll update it."]
    page.reload()
    page.wait_for_selector(".text-status.text-delivered >> text=delivered")
    screenshots(page, tmp_path, "text-ticket-delivered")


def test_after_stop_the_composer_says_replies_are_not_texted(
    page, live_server: str, simulated_carrier, committed_runtime: Runtime, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        staff = gen_staff(session)
        queue = gen_queue(session, "support")
        gen_member(session, staff["alice"], queue)
        gen_text_number(session, queue="support")
    simulated_carrier.add_sms_number(TEXT_NUMBER, f"{live_server}/hooks/sms")
    simulated_carrier.start()
    simulated_carrier.send_text(CUSTOMER_MOBILE, TEXT_NUMBER, "Where is my refund?")
    ticket_id = _wait_for(committed_runtime, select(SmsMessage.ticket_id).where(SmsMessage.direction == "in"))
    simulated_carrier.send_text(CUSTOMER_MOBILE, TEXT_NUMBER, "STOP")
    _wait_for(committed_runtime, select(SmsMessage.id).where(SmsMessage.keyword == "stop"))

    log_in(page, live_server, "alice")
    page.goto(f"{live_server}/tickets/{ticket_id}")
    page.wait_for_selector("#composer-sms-stopped >> text=texted STOP")
    assert page.locator("#composer-sms").count() == 0
    screenshots(page, tmp_path, "text-ticket-stopped")
