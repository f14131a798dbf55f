"""Mail that arrives: filed on the ticket it answers, or on a new ticket for its sender.

Threading, in order of trust: the message names one of the ticket's messages in In-Reply-To or
References (identifiers we made or received; unguessable enough); or its subject carries the
ticket's number ("[#123]") and the sender already takes part in that ticket (its customer, or a
previous sender or recipient) — a number alone never lets a stranger write into someone's ticket.
A closed ticket is not reopened: the mail opens a follow-up linked to it.

Redelivery is harmless: a Message-ID already on file returns what was filed the first time. Mail
that nobody should answer (auto-replies, bounces, list mail) is kept as ignored, opens no ticket
and so is never answered, which is what stops two autoresponders from mailing each other forever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.contacts.customers import create_customer
from contactcenter.contacts.models import Customer
from contactcenter.errors import DomainError, Kind
from contactcenter.mail.models import Direction, MailAttachment, Mailbox, MailMessage, MailStatus
from contactcenter.mail.parsing import ParsedMail, parse
from contactcenter.tickets import services as tickets
from contactcenter.tickets.models import CommentAuthor, Ticket, TicketMerge

TICKET_TOKEN = re.compile(r"\[#(\d{1,10})\]")
MAX_TICKET_ID = 2**31 - 1


class UnknownMailbox(DomainError, LookupError):
    """None of the recipients is a mailbox of ours."""

    kind: Kind = "not_found"
    code = "unknown_mailbox"


@dataclass
class Delivery:
    message: MailMessage
    ticket: Ticket | None
    created: bool  # a new ticket was opened for it
    duplicate: bool = False  # the same Message-ID was filed before


def mailbox_for(session: Session, recipients: list[str]) -> Mailbox:
    addresses = [r.strip().lower() for r in recipients if isinstance(r, str) and "@" in r][:100]
    found = session.scalars(select(Mailbox).where(Mailbox.address.in_(addresses))).first() if addresses else None
    if found is None:
        raise UnknownMailbox("no mailbox here receives mail for " + (", ".join(addresses[:3]) or "nobody"))
    return found


def is_mailbox(session: Session, address: str) -> bool:
    return session.scalar(select(Mailbox.id).where(Mailbox.address == address.strip().lower())) is not None


def deliver(session: Session, raw: bytes, recipients: list[str]) -> Delivery:
    """File one received message (the raw bytes as the mail server handed them over)."""
    mailbox = mailbox_for(session, recipients)
    mail = parse(raw)
    known = session.scalar(select(MailMessage).where(MailMessage.message_id == mail.message_id))
    if known is not None:
        ticket = session.get(Ticket, known.ticket_id) if known.ticket_id else None
        return Delivery(known, ticket, created=False, duplicate=True)
    record = _record(mail, mailbox)
    session.add(record)
    automatic = mail.automatic
    if automatic is None and is_mailbox(session, mail.from_address):
        # Our own mail coming back (a reply copied to the mailbox, a forwarding loop).
        automatic = f"sent by our own mailbox {mail.from_address}"
    if automatic:
        record.status = MailStatus.IGNORED.value
        record.note = f"not filed: {automatic}"
        session.flush()
        return Delivery(record, None, created=False)
    ticket, follows = _thread(session, mail)
    created = ticket is None
    customer = _customer(session, mail)
    if ticket is None:
        ticket = tickets.open_ticket(
            session,
            (mail.subject or "(no subject)")[:255],
            description=_comment_text(mail)[: tickets.MAX_TEXT],
            customer_id=customer.id,
            queue_id=mailbox.queue_id,
            channel="email",
        )
        if follows is not None:
            tickets.link_tickets(session, ticket, follows, kind="related")
    comment = tickets.add_comment(
        session,
        ticket,
        _comment_text(mail)[: tickets.MAX_TEXT],
        public=True,
        author_kind=CommentAuthor.CUSTOMER.value,
    )
    record.ticket_id = ticket.id
    record.comment_id = comment.id
    session.flush()
    return Delivery(record, ticket, created=created)


def _record(mail: ParsedMail, mailbox: Mailbox) -> MailMessage:
    record = MailMessage(
        direction=Direction.IN.value,
        status=MailStatus.RECEIVED.value,
        mailbox_id=mailbox.id,
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to,
        references=" ".join(mail.references),
        from_address=mail.from_address,
        from_name=mail.from_name,
        to_addresses=mail.to_addresses,
        subject=mail.subject,
        body_text=mail.new_text,
        full_text=mail.full_text,
        body_html=mail.html,
        note="; ".join(f"attachment left out: {why}" for why in mail.refused)[:2000],
    )
    record.attachments = [
        MailAttachment(filename=a.filename, content_type=a.content_type, size=len(a.data), data=a.data)
        for a in mail.attachments
    ]
    return record


def _comment_text(mail: ParsedMail) -> str:
    text = mail.new_text or ("(no text)" if not mail.attachments else "")
    extras = [f"Attached: {a.filename}" for a in mail.attachments] + [f"Not kept: {why}" for why in mail.refused]
    return "\n\n".join(part for part in (text, "\n".join(extras)) if part)


def _thread(session: Session, mail: ParsedMail) -> tuple[Ticket | None, Ticket | None]:
    """(the ticket to file on, a closed ticket the new one follows up)."""
    ids = [i for i in [mail.in_reply_to, *reversed(mail.references)] if i]
    ticket: Ticket | None = None
    if ids:
        ticket_id = session.scalar(
            select(MailMessage.ticket_id)
            .where(MailMessage.message_id.in_(ids), MailMessage.ticket_id.is_not(None))
            .order_by(MailMessage.id.desc())
            .limit(1)
        )
        ticket = session.get(Ticket, ticket_id) if ticket_id else None
    if ticket is None:
        ticket = _by_subject(session, mail)
    ticket = _follow_merges(session, ticket)
    if ticket is not None and ticket.status == "closed":
        return None, ticket
    return ticket, None


def _by_subject(session: Session, mail: ParsedMail) -> Ticket | None:
    match = TICKET_TOKEN.search(mail.subject)
    if match is None or not 0 < int(match.group(1)) <= MAX_TICKET_ID:
        return None
    ticket = session.get(Ticket, int(match.group(1)))
    if ticket is None:
        return None
    sender = mail.from_address
    customer_email = session.scalar(select(func.lower(Customer.email)).where(Customer.id == ticket.customer_id))
    if customer_email == sender:
        return ticket
    seen = session.execute(
        select(MailMessage.from_address, MailMessage.to_addresses)
        .where(MailMessage.ticket_id == ticket.id)
        .order_by(MailMessage.id.desc())
        .limit(200)
    )
    took_part = any(sender == sent_by or sender in (sent_to or []) for sent_by, sent_to in seen)
    return ticket if took_part else None


def _follow_merges(session: Session, ticket: Ticket | None) -> Ticket | None:
    for _ in range(10):  # merges chain at most a few deep; a cycle cannot loop forever
        if ticket is None or ticket.status != "merged":
            return ticket
        target_id = session.scalar(select(TicketMerge.target_id).where(TicketMerge.source_id == ticket.id))
        ticket = session.get(Ticket, target_id) if target_id else None
    return ticket


def _customer(session: Session, mail: ParsedMail) -> Customer:
    found = session.scalars(
        select(Customer).where(func.lower(Customer.email) == mail.from_address).order_by(Customer.id).limit(1)
    ).first()
    if found is not None:
        return found
    name = mail.from_name or mail.from_address.split("@", 1)[0]
    return create_customer(session, name[:200], email=mail.from_address)
