"""An agent answers an e-mail ticket in Chromium; the reply goes out through a real SMTP server."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcenter.app.runtime import Runtime
from contactcenter.app.tasks import mail as mail_tasks
from contactcenter.db import transaction
from contactcenter.mail.inbound import deliver
from contactcenter.mail.mailboxes import add_mailbox
from contactcenter.mail.models import MailMessage
from tests.support.browser import log_in, screenshots
from tests.support.factories import gen_member, gen_queue, gen_staff
from tests.support.mail import gen_mail, smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_agent_replies_to_an_e_mail_from_the_ticket(
    page, live_server: str, committed_runtime: Runtime, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        staff = gen_staff(session)
        queue = gen_queue(session, "support")
        gen_member(session, staff["alice"], queue)
        add_mailbox(session, "support@example.com", display_name="Acme Support", queue="support", signature="Acme")
        raw = gen_mail(
            "My kettle broke",
            "Hello,\n\nmy kettle stopped working yesterday.\n\nOn Monday, Shop <shop@example.org> wrote:\n> Thanks!",
            attachments=[("receipt.pdf", "application/pdf", b"%PDF-1.4 receipt")],
        )
        ticket_id = deliver(session, raw, ["support@example.com"]).ticket.id  # type: ignore[union-attr]

    log_in(page, live_server, "alice")
    page.goto(f"{live_server}/tickets/{ticket_id}")
    page.wait_for_selector(".mail-facts >> text=By e-mail from")
    body = page.locator(".entry-comment .body").first.inner_text()
    assert body.startswith("Hello,\n\nmy kettle stopped working yesterday.") and "Thanks!" not in body
    assert page.locator(".mail-attachments a").inner_text() == "receipt.pdf"
    assert page.locator("#composer-email").is_checked()
    page.check("input[name=visibility][value=public]")
    page.fill("#composer-body", "Sorry to hear that. A replacement is on its way.")
    screenshots(page, tmp_path, "mail-ticket-composing")
    page.click("#composer-send")
    page.wait_for_selector(".flash.ok >> text=e-mailed to ann@example.org")
    page.wait_for_selector(".mail-status.mail-queued")

    with smtp_server() as (outbox, port):
        settings = committed_runtime.settings
        committed_runtime.settings = settings.with_overrides(
            smtp_host="127.0.0.1", smtp_port=port, smtp_security="none"
        )
        try:
            with transaction(committed_runtime.session_factory) as session:
                reply_id = session.query(MailMessage.id).filter(MailMessage.direction == "out").scalar()
            assert mail_tasks.send_mail(reply_id) is True
        finally:
            committed_runtime.settings = settings
    assert outbox.messages[0].rcpt_tos == ["ann@example.org"]

    page.reload()
    page.wait_for_selector(".mail-status.mail-sent")
    screenshots(page, tmp_path, "mail-ticket-sent")
    with page.expect_download() as download:
        page.click(".mail-attachments a")
    assert Path(download.value.path()).read_bytes() == b"%PDF-1.4 receipt"


def test_an_admin_sets_up_a_mailbox(page, live_server: str, committed_runtime: Runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        gen_staff(session)
        gen_queue(session, "support")
    log_in(page, live_server, "ann")
    page.click("summary >> text=Admin")
    page.click("text=Mailboxes")
    page.fill("input[name=address]", "help@example.com")
    page.fill("input[name=display_name]", "Acme Help")
    page.select_option("select[name=queue]", "support")
    page.fill("input[name=imap_host]", "imap.example.com")
    page.fill("input[name=imap_username]", "help@example.com")
    page.fill("input[name=imap_password_env]", "not a variable")
    page.click("text=Add mailbox")
    page.wait_for_selector("#mailbox-error >> text=environment variable")
    assert page.input_value("input[name=imap_host]") == "imap.example.com"  # what was typed is kept
    page.fill("input[name=imap_password_env]", "IMAP_PASSWORD")
    page.click("text=Add mailbox")
    page.wait_for_selector("#mailboxes tr[data-address='help@example.com']")
    screenshots(page, tmp_path, "mailboxes")


def test_a_customer_answers_the_survey_from_the_mail(
    page, live_server: str, committed_runtime: Runtime, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import re

    from contactcenter.tickets import services as tickets
    from contactcenter.tickets.models import TicketSurvey

    with transaction(committed_runtime.session_factory) as session:
        gen_queue(session, "support")
        add_mailbox(session, "support@example.com", queue="support")
        ticket = deliver(session, gen_mail(), ["support@example.com"]).ticket
        assert ticket is not None
        tickets.change_status(session, ticket, "open")
        tickets.change_status(session, ticket, "solved")
        body = session.query(MailMessage.body_text).filter(MailMessage.note == "satisfaction survey").scalar()
    link = re.search(r"http\S+/survey/(\S+)\?score=4", body).group(1)  # type: ignore[union-attr]
    page.goto(f"{live_server}/survey/{link}?score=4")
    assert page.is_checked("input[name=score][value='4']")
    page.fill("textarea[name=comment]", "Quick answer, thank you.")
    screenshots(page, tmp_path, "survey")
    page.click("#survey-send")
    page.wait_for_selector("#survey-thanks >> text=(4/5)")
    with transaction(committed_runtime.session_factory) as session:
        answered = session.query(TicketSurvey).one()
        assert (answered.score, answered.comment) == (4, "Quick answer, thank you.")
