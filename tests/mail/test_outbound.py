from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from contactcenter.app.runtime import Runtime
from contactcenter.app.tasks import mail as mail_tasks
from contactcenter.mail import outbound
from contactcenter.mail.inbound import deliver
from contactcenter.mail.mailboxes import add_mailbox
from contactcenter.mail.models import MailMessage
from contactcenter.mail.smtp import SmtpTransport
from contactcenter.tickets import services as tickets
from tests.support.factories import gen_customer, gen_queue
from tests.support.mail import Outbox, free_port, gen_mail, smtp_server


@pytest.fixture
def conversation(db: Session):  # type: ignore[no-untyped-def]
    gen_queue(db, "support")
    add_mailbox(db, "support@example.com", display_name="Acme Support", queue="support", signature="Acme Support team")
    delivery = deliver(
        db,
        gen_mail("Kettle [urgent]", message_id="<c1@example.org>", references="<c0@example.org>"),
        ["support@example.com"],
    )
    assert delivery.ticket is not None
    return delivery.ticket


@pytest.fixture
def outbox(runtime: Runtime) -> Iterator[Outbox]:
    """A real SMTP server, and the runtime's settings pointing at it."""
    with smtp_server() as (box, port):
        previous = runtime.settings
        runtime.settings = previous.with_overrides(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
        yield box
        runtime.settings = previous


def _reply(db: Session, ticket, body: str = "Please try another socket.") -> MailMessage:  # type: ignore[no-untyped-def]
    comment = tickets.add_comment(db, ticket, body, public=True)
    return outbound.queue_reply(db, ticket, comment)


def test_a_reply_answers_the_newest_message_and_carries_the_ticket_number(db: Session, conversation) -> None:  # type: ignore[no-untyped-def]
    reply = _reply(db, conversation)
    assert reply.in_reply_to == "<c1@example.org>"
    assert reply.references == "<c0@example.org> <c1@example.org>"
    assert reply.subject == f"Re: Kettle [urgent] [#{conversation.id}]"
    assert reply.to_addresses == ["ann@example.org"]
    assert reply.body_text == "Please try another socket.\n\n-- \nAcme Support team"
    assert reply.message_id.endswith("@example.com>") and reply.status == "queued"


def test_the_subject_keeps_one_re_and_one_ticket_number() -> None:
    assert outbound.reply_subject("Re: RE: Kettle [#12] [#12]", 12) == "Re: Kettle [#12]"
    assert outbound.reply_subject("", 3) == "Re: your request [#3]"


def test_internal_notes_are_never_mailed(db: Session, conversation) -> None:  # type: ignore[no-untyped-def]
    note = tickets.add_comment(db, conversation, "customer seems annoyed", public=False)
    with pytest.raises(outbound.ReplyError, match="internal"):
        outbound.queue_reply(db, conversation, note)


def test_a_ticket_without_an_address_cannot_be_mailed(db: Session) -> None:
    add_mailbox(db, "support@example.com")
    customer = gen_customer(db, "No Mail")
    ticket = tickets.open_ticket(db, "Phone only", customer_id=customer.id)
    comment = tickets.add_comment(db, ticket, "hello", public=True)
    with pytest.raises(outbound.ReplyError, match="no e-mail address"):
        outbound.queue_reply(db, ticket, comment)


def test_the_job_sends_it_through_a_real_smtp_server(db: Session, conversation, outbox: Outbox) -> None:  # type: ignore[no-untyped-def]
    reply = _reply(db, conversation)
    db.commit()
    assert mail_tasks.send_mail(reply.id) is True
    [envelope] = outbox.messages
    assert envelope.rcpt_tos == ["ann@example.org"]
    sent = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert sent["Message-ID"] == reply.message_id
    assert sent["In-Reply-To"] == "<c1@example.org>"
    assert sent["From"] == "Acme Support <support@example.com>"
    assert sent["Auto-Submitted"] == "no"
    db.refresh(reply)
    assert (reply.status, reply.attempts) == ("sent", 1) and reply.sent_at is not None


def test_the_customers_answer_to_the_reply_threads_back(db: Session, conversation, outbox: Outbox) -> None:  # type: ignore[no-untyped-def]
    reply = _reply(db, conversation)
    answer = deliver(db, gen_mail("Re: whatever", "Works now!", in_reply_to=reply.message_id), ["support@example.com"])
    assert answer.ticket is not None and answer.ticket.id == conversation.id


def test_a_deferral_is_recorded_and_raised_for_a_retry(db: Session, conversation, outbox: Outbox) -> None:  # type: ignore[no-untyped-def]
    reply = _reply(db, conversation)
    db.commit()
    outbox.refuse_with = "451 4.7.1 greylisted, try later"
    with pytest.raises(outbound.TemporaryFailure):
        mail_tasks.send_mail(reply.id)
    db.refresh(reply)
    assert (reply.status, reply.attempts) == ("failed", 1) and "greylisted" in reply.note
    outbox.refuse_with = None
    assert mail_tasks.send_mail(reply.id) is True  # the retry sends the same message
    db.refresh(reply)
    assert (reply.status, reply.attempts, reply.note) == ("sent", 2, "")


def test_a_permanent_refusal_is_shown_not_retried(db: Session, conversation, outbox: Outbox) -> None:  # type: ignore[no-untyped-def]
    reply = _reply(db, conversation)
    db.commit()
    outbox.refuse_with = "550 5.1.1 no such user"
    assert mail_tasks.send_mail(reply.id) is False
    db.refresh(reply)
    assert reply.status == "failed" and "no such user" in reply.note


def test_an_unreachable_server_is_a_temporary_failure() -> None:
    transport = SmtpTransport(host="127.0.0.1", port=free_port(), security="none", timeout_s=2)
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "x"
    with pytest.raises(outbound.TemporaryFailure, match="unreachable"):
        transport.send(message)


def test_without_a_mail_server_the_reply_fails_with_the_reason(db: Session, conversation, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    reply = _reply(db, conversation)
    db.commit()
    assert mail_tasks.send_mail(reply.id) is False
    db.refresh(reply)
    assert reply.status == "failed" and "SMTP_HOST" in reply.note
