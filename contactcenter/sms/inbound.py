"""Texts that arrive: filed on the customer's open conversation with that number, or on a new
ticket; the carriers' opt-out words are honoured before anything else.

STOP puts the number on the do-not-contact list the dialer checks (so an opt-out by text also
stops campaign calls) and START takes that entry off again; neither opens a ticket, but an open
conversation gets an internal note so the agent knows why replies are refused. HELP is answered
straight away with the number's help text. Redelivery is harmless: a MessageSid on file returns
what was done the first time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contactcenter import phones
from contactcenter.contacts.customers import create_customer, find_by_phone
from contactcenter.dialer import dnc
from contactcenter.dialer.models import DncEntry
from contactcenter.errors import DomainError, Kind
from contactcenter.sms import keywords
from contactcenter.sms.models import Direction, Keyword, SmsMessage, SmsNumber
from contactcenter.sms.numbers import help_answer, number_for
from contactcenter.sms.optout import DNC_SOURCE
from contactcenter.sms.surveys import THANKS, answer_by_text
from contactcenter.telephony.messaging import InboundMessage
from contactcenter.tickets import services as tickets
from contactcenter.tickets.models import CommentAuthor, Ticket

OPEN_TICKET_STATUSES = ("new", "open", "pending", "on_hold")


class UnknownSmsNumber(DomainError, LookupError):
    """The text was sent to a number that does not take texts here."""

    kind: Kind = "not_found"
    code = "unknown_sms_number"


@dataclass
class Receipt:
    message: SmsMessage
    ticket: Ticket | None
    created: bool = False  # a new ticket was opened for it
    duplicate: bool = False  # the same MessageSid was handled before
    reply: str | None = None  # what goes straight back to the sender (HELP)


def receive(session: Session, text: InboundMessage, *, default_region: str = "US") -> Receipt:
    known = session.scalar(select(SmsMessage).where(SmsMessage.sid == text.sid))
    if known is not None:
        ticket = session.get(Ticket, known.ticket_id) if known.ticket_id else None
        return Receipt(known, ticket, duplicate=True)
    number = number_for(session, text.to, default_region)
    if number is None:
        raise UnknownSmsNumber("this number does not take texts here")
    sender = phones.try_normalize(text.from_, default_region)
    record = SmsMessage(
        sid=text.sid,
        direction=Direction.IN.value,
        status="received",
        number_id=number.id,
        our_number=number.number,
        customer_number=sender or text.from_,
        body=text.body,
        media_count=text.media_count,
    )
    session.add(record)
    if sender is None:
        record.status = "handled"
        record.note = "not filed: the sender is not a phone number that can be answered"
        session.flush()
        return Receipt(record, None)
    word = keywords.classify(text.body)
    record.keyword = word.value
    if word is not Keyword.NONE:
        return _keyword(session, record, number, word)
    answered = answer_by_text(session, sender, number.number, text.body)
    if answered is not None:
        record.status = "handled"
        record.ticket_id = answered.ticket_id
        record.note = f"survey answer: {answered.score}/5"
        session.flush()
        return Receipt(record, None, reply=THANKS)
    ticket = open_conversation(session, sender, number)
    created = ticket is None
    if ticket is None:
        owner = find_by_phone(session, sender, default_region)
        customer = owner or create_customer(session, phones.display(sender), [sender], default_region=default_region)
        who = f"{owner.name} ({phones.display(sender)})" if owner else phones.display(sender)
        ticket = tickets.open_ticket(
            session,
            f"Text from {who}"[:255],
            description=_comment_text(record)[: tickets.MAX_TEXT],
            customer_id=customer.id,
            queue_id=number.queue_id,
            channel="sms",
        )
    comment = tickets.add_comment(
        session, ticket, _comment_text(record), public=True, author_kind=CommentAuthor.CUSTOMER.value
    )
    record.ticket_id = ticket.id
    record.comment_id = comment.id
    session.flush()
    return Receipt(record, ticket, created=created)


def open_conversation(session: Session, customer_number: str, number: SmsNumber) -> Ticket | None:
    """The ticket still open on which this customer last texted this number of ours."""
    return session.scalars(
        select(Ticket)
        .join(SmsMessage, SmsMessage.ticket_id == Ticket.id)
        .where(
            SmsMessage.customer_number == customer_number,
            SmsMessage.our_number == number.number,
            Ticket.status.in_(OPEN_TICKET_STATUSES),
        )
        .order_by(SmsMessage.id.desc())
        .limit(1)
    ).first()


def _keyword(session: Session, record: SmsMessage, number: SmsNumber, word: Keyword) -> Receipt:
    record.status = "handled"
    reply = None
    if word is Keyword.STOP:
        dnc.add(session, record.customer_number, source=DNC_SOURCE, reason="texted STOP")
        note = "The customer texted STOP: no more texts or campaign calls to this number."
    elif word is Keyword.START:
        session.execute(
            delete(DncEntry).where(
                DncEntry.phone == record.customer_number,
                DncEntry.campaign_id.is_(None),
                DncEntry.source == DNC_SOURCE,
            )
        )
        note = "The customer texted START: texts to this number are allowed again."
    else:
        reply = help_answer(number)
        note = ""
    ticket = open_conversation(session, record.customer_number, number)
    if ticket is not None and note:
        record.ticket_id = ticket.id
        comment = tickets.add_comment(session, ticket, note, public=False, author_kind=CommentAuthor.SYSTEM.value)
        record.comment_id = comment.id
    session.flush()
    return Receipt(record, ticket, reply=reply)


def _comment_text(record: SmsMessage) -> str:
    text = record.body.strip() or "(an empty text)"
    if record.media_count:
        pictures = "picture" if record.media_count == 1 else "pictures"
        text += f"\n\n({record.media_count} {pictures} sent with the text; pictures are not kept)"
    return text
