"""Replies by e-mail from a ticket: built once, sent (and retried) by a worker job.

A reply answers the newest message of the conversation: In-Reply-To names it and References
carries the chain, so the customer's mail program threads it; the subject carries the ticket's
number ("[#123]") for mail programs that drop those headers. It is sent from the mailbox of the
ticket's queue (or the one the customer wrote to), signed with that mailbox's signature.

The message is stored before anything is sent, with its own Message-ID, so a retry sends the very
same message and the customer's answer to it threads even if the send is retried much later.
"""

from __future__ import annotations

import secrets
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.contacts.models import Customer
from contactcenter.errors import DomainError, Kind
from contactcenter.mail.inbound import TICKET_TOKEN
from contactcenter.mail.models import Direction, Mailbox, MailMessage, MailStatus
from contactcenter.tickets.models import Ticket, TicketComment


class ReplyError(DomainError, ValueError):
    """The ticket cannot be answered by e-mail (no address to write to, no mailbox)."""

    kind: Kind = "unprocessable"
    code = "mail_reply_refused"


class MailTransport(Protocol):
    """The outgoing mail server: accepts one message or raises (SMTP in production)."""

    def send(self, message: EmailMessage) -> None: ...


class TemporaryFailure(DomainError):
    """The server refused for now (4xx, unreachable): the job tries again."""

    kind: Kind = "dependency_failed"
    code = "mail_server_temporary_failure"


def reply_address(session: Session, ticket: Ticket) -> str | None:
    """Where a reply goes: the ticket's customer, else the last person who wrote in."""
    email = None
    if ticket.customer_id is not None:
        email = session.scalar(select(Customer.email).where(Customer.id == ticket.customer_id))
    if email and "@" in email:
        return email.strip()
    return session.scalar(
        select(MailMessage.from_address)
        .where(MailMessage.ticket_id == ticket.id, MailMessage.direction == Direction.IN.value)
        .order_by(MailMessage.id.desc())
        .limit(1)
    )


def mailbox_for_ticket(session: Session, ticket: Ticket) -> Mailbox | None:
    """The mailbox of the ticket's queue, else the one the customer last wrote to, else the first."""
    if ticket.queue_id is not None:
        found = session.scalars(select(Mailbox).where(Mailbox.queue_id == ticket.queue_id).order_by(Mailbox.id)).first()
        if found is not None:
            return found
    last_in = session.scalar(
        select(MailMessage.mailbox_id)
        .where(MailMessage.ticket_id == ticket.id, MailMessage.mailbox_id.is_not(None))
        .order_by(MailMessage.id.desc())
        .limit(1)
    )
    if last_in is not None:
        return session.get(Mailbox, last_in)
    return session.scalars(select(Mailbox).order_by(Mailbox.id)).first()


def latest_message(session: Session, ticket_id: int) -> MailMessage | None:
    """The newest message of the ticket's conversation (in or out): the one a new mail answers."""
    return session.scalars(
        select(MailMessage).where(MailMessage.ticket_id == ticket_id).order_by(MailMessage.id.desc()).limit(1)
    ).first()


def thread_headers(answered: MailMessage | None) -> tuple[str | None, str]:
    """In-Reply-To and References for a message answering `answered` (the chain kept short)."""
    if answered is None:
        return None, ""
    chain = [*answered.references.split()[-20:], answered.message_id]
    return answered.message_id, " ".join(dict.fromkeys(chain))


def queue_reply(session: Session, ticket: Ticket, comment: TicketComment) -> MailMessage:
    """Store the e-mail carrying a public comment to the customer; the caller queues the sending
    job after the commit (`contactcenter.app.tasks.mail.send_mail`)."""
    if not comment.public:
        raise ReplyError("internal notes are never mailed")
    to = reply_address(session, ticket)
    if not to:
        raise ReplyError("the ticket's customer has no e-mail address")
    mailbox = mailbox_for_ticket(session, ticket)
    if mailbox is None:
        raise ReplyError("no mailbox is set up to send from (contactcenter mail mailbox add)")
    answered = latest_message(session, ticket.id)
    in_reply_to, references = thread_headers(answered)
    subject = answered.subject if answered is not None and answered.subject else ticket.subject
    body = comment.body.strip()
    if mailbox.signature.strip():
        body += "\n\n-- \n" + mailbox.signature.strip()
    return queue_message(
        session,
        mailbox,
        to,
        reply_subject(subject, ticket.id),
        body,
        message_id=new_message_id(ticket, mailbox),
        ticket_id=ticket.id,
        comment_id=comment.id,
        in_reply_to=in_reply_to,
        references=references,
    )


def queue_message(
    session: Session,
    mailbox: Mailbox,
    to: str,
    subject: str,
    text: str,
    *,
    message_id: str,
    ticket_id: int | None = None,
    comment_id: int | None = None,
    in_reply_to: str | None = None,
    references: str = "",
    note: str = "",
) -> MailMessage:
    """Store one outgoing mail from `mailbox` and have it sent after the commit: replies,
    surveys and the portal's sign-in links all leave this way."""
    message = MailMessage(
        direction=Direction.OUT.value,
        status=MailStatus.QUEUED.value,
        ticket_id=ticket_id,
        mailbox_id=mailbox.id,
        comment_id=comment_id,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        from_address=mailbox.address,
        from_name=mailbox.display_name,
        to_addresses=[to],
        subject=subject,
        body_text=text,
        full_text=text,
        note=note,
    )
    session.add(message)
    session.flush()
    mark_for_sending(session, message)
    return message


OUTBOX_KEY = "mail_outbox"


def mark_for_sending(session: Session, message: MailMessage) -> None:
    """Have the sending job queued for `message` once this transaction commits (see app.wiring):
    queued before the commit, the job could run before the message exists for it."""
    session.info.setdefault(OUTBOX_KEY, []).append(message.id)


def take_outbox(session: Session) -> list[int]:
    return list(session.info.pop(OUTBOX_KEY, []))


def reply_subject(subject: str, ticket_id: int) -> str:
    """ "Re: <subject> [#id]", with one "Re:" and one ticket number however often it went round."""
    bare = TICKET_TOKEN.sub("", subject).strip()
    while bare[:3].lower() in ("re:", "aw:", "sv:"):
        bare = bare[3:].strip()
    return f"Re: {bare or 'your request'} [#{ticket_id}]"[:998]


def new_message_id(ticket: Ticket, mailbox: Mailbox) -> str:
    domain = mailbox.address.rsplit("@", 1)[-1] or "localhost"
    return f"<ticket-{ticket.id}.{secrets.token_hex(10)}@{domain}>"


def build(message: MailMessage) -> EmailMessage:
    """The RFC 5322 message for a stored reply (the same on every attempt but its Date)."""
    mime = EmailMessage()
    mime["From"] = formataddr((message.from_name, message.from_address)) if message.from_name else message.from_address
    mime["To"] = ", ".join(message.to_addresses)
    mime["Subject"] = message.subject
    mime["Message-ID"] = message.message_id
    if message.in_reply_to:
        mime["In-Reply-To"] = message.in_reply_to
    if message.references:
        mime["References"] = message.references
    mime["Date"] = format_datetime(clock.now())
    # Tell other autoresponders this is a person's answer, not an automatic one (RFC 3834 says
    # "no" is the default; said explicitly, some vacation responders skip answering it).
    mime["Auto-Submitted"] = "no"
    mime.set_content(message.body_text)
    return mime


def send(session: Session, message: MailMessage, transport: MailTransport) -> bool:
    """One attempt: True once the server accepted it. A temporary failure is recorded on the
    message and raised again for the job to retry; a permanent one is recorded and returns False."""
    if message.status == MailStatus.SENT.value:
        return True
    message.attempts += 1
    try:
        transport.send(build(message))
    except TemporaryFailure as exc:
        message.status = MailStatus.FAILED.value
        message.note = f"attempt {message.attempts}: {exc}"[:2000]
        raise
    except Exception as exc:  # noqa: BLE001 - a permanent refusal: recorded, not retried
        message.status = MailStatus.FAILED.value
        message.note = f"attempt {message.attempts}: {exc}"[:2000]
        return False
    message.status = MailStatus.SENT.value
    message.sent_at = clock.now()
    message.note = ""
    return True
