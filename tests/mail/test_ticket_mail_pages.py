"""The ticket page's e-mail: replies mailed from the composer, attachments, sending again."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.mail.inbound import deliver
from contactcenter.mail.mailboxes import add_mailbox
from contactcenter.mail.models import MailMessage
from tests.support.factories import gen_agent, gen_customer, gen_member, gen_queue, gen_staff
from tests.support.mail import gen_mail
from tests.support.web_client import log_in

SUPPORT = ["support@example.com"]


@pytest.fixture
def office(db: Session):  # type: ignore[no-untyped-def]
    staff = gen_staff(db)
    queue = gen_queue(db, "support")
    gen_member(db, staff["alice"], queue)
    add_mailbox(db, "support@example.com", display_name="Acme Support", queue="support")
    raw = gen_mail(message_id="<k1@example.org>", attachments=[("receipt.pdf", "application/pdf", b"%PDF-1.4 x")])
    ticket = deliver(db, raw, SUPPORT).ticket
    db.commit()
    return staff, ticket


def _mails(db: Session) -> list[MailMessage]:
    return list(db.scalars(select(MailMessage).order_by(MailMessage.id)))


def test_the_page_shows_the_mail_and_offers_to_e_mail_the_reply(client, office) -> None:  # type: ignore[no-untyped-def]
    _, ticket = office
    log_in(client, "alice")
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "By e-mail from" in page and "ann@example.org" in page
    assert 'id="composer-email"' in page and "checked" in page.split('id="composer-email"')[1][:20]
    assert "receipt.pdf" in page


def test_a_public_reply_with_the_box_ticked_is_queued_for_sending(client, db, office, redis_client) -> None:  # type: ignore[no-untyped-def]
    _, ticket = office
    log_in(client, "alice")
    resp = client.post(
        f"/tickets/{ticket.id}/comments", data={"visibility": "public", "body": "Try the fuse.", "send_email": "1"}
    )
    assert resp.status_code == 302
    reply = _mails(db)[-1]
    assert (reply.direction, reply.status, reply.to_addresses) == ("out", "queued", ["ann@example.org"])
    assert reply.in_reply_to == "<k1@example.org>"
    assert redis_client.llen("rq:queue:default") == 1
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "E-mailed to" in page and "sending…" in page


def test_an_internal_note_is_never_mailed_even_with_the_box_ticked(client, db, office) -> None:  # type: ignore[no-untyped-def]
    _, ticket = office
    log_in(client, "alice")
    client.post(f"/tickets/{ticket.id}/comments", data={"visibility": "internal", "body": "hmm", "send_email": "1"})
    assert [m.direction for m in _mails(db)] == ["in"]


def test_a_failed_reply_can_be_sent_again(client, db, office, redis_client) -> None:  # type: ignore[no-untyped-def]
    _, ticket = office
    log_in(client, "alice")
    client.post(f"/tickets/{ticket.id}/comments", data={"visibility": "public", "body": "Hello", "send_email": "1"})
    reply = _mails(db)[-1]
    reply.status, reply.note = "failed", "attempt 1: 550 no such user"
    db.commit()
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "The e-mail was not sent: attempt 1: 550 no such user" in page
    resp = client.post(f"/tickets/{ticket.id}/mail/{reply.id}/resend")
    assert resp.status_code == 302
    db.refresh(reply)
    assert reply.status == "queued"
    assert client.post(f"/tickets/{ticket.id}/mail/{reply.id}/resend").status_code == 404  # not failed now


def test_attachments_download_with_safe_headers(client, office) -> None:  # type: ignore[no-untyped-def]
    _, ticket = office
    log_in(client, "alice")
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    url = re.search(r'href="([^"]+/attachments/\d+)" download>receipt.pdf<', page).group(1)  # type: ignore[union-attr]
    resp = client.get(url)
    assert resp.status_code == 200 and resp.data == b"%PDF-1.4 x"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="receipt.pdf"')
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_another_queues_agent_gets_404_for_the_attachment_and_resend(client, db, office) -> None:  # type: ignore[no-untyped-def]
    _, ticket = office
    gen_agent(db, "bob")
    db.commit()
    log_in(client, "bob")
    attachment = db.scalar(select(MailMessage).where(MailMessage.direction == "in")).attachments[0]
    assert client.get(f"/tickets/{ticket.id}/attachments/{attachment.id}").status_code == 404
    assert client.post(f"/tickets/{ticket.id}/mail/1/resend").status_code == 404


def test_an_attachment_of_another_ticket_is_404_through_this_one(client, db, office) -> None:  # type: ignore[no-untyped-def]
    _, ticket = office
    other = deliver(db, gen_mail("Other", attachments=[("x.png", "image/png", b"png")]), SUPPORT)
    db.commit()
    log_in(client, "alice")
    attachment_id = other.message.attachments[0].id
    assert client.get(f"/tickets/{ticket.id}/attachments/{attachment_id}").status_code == 404
    assert client.get(f"/tickets/{ticket.id}/attachments/99999999999").status_code == 404


def test_a_customer_without_an_address_gets_no_mail_box(client, db, office) -> None:  # type: ignore[no-untyped-def]
    from contactcenter.tickets import services as tickets

    customer = gen_customer(db, "Phone Only")
    phone_ticket = tickets.open_ticket(db, "Call", customer_id=customer.id, queue_id=office[1].queue_id)
    db.commit()
    log_in(client, "alice")
    page = client.get(f"/tickets/{phone_ticket.id}").get_data(as_text=True)
    assert 'id="composer-email"' not in page
    resp = client.post(
        f"/tickets/{phone_ticket.id}/comments", data={"visibility": "public", "body": "x", "send_email": "1"}
    )
    assert resp.status_code == 400 and "no e-mail address" in resp.get_data(as_text=True)


def test_a_reply_queued_long_ago_can_be_sent_again(client, db, office) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from contactcenter import clock

    _, ticket = office
    log_in(client, "alice")
    client.post(f"/tickets/{ticket.id}/comments", data={"visibility": "public", "body": "Hello", "send_email": "1"})
    reply = _mails(db)[-1]
    assert client.post(f"/tickets/{ticket.id}/mail/{reply.id}/resend").status_code == 404  # just queued
    reply.created_at = clock.now() - timedelta(minutes=11)
    db.commit()
    assert "waited over ten minutes" in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert client.post(f"/tickets/{ticket.id}/mail/{reply.id}/resend").status_code == 302
