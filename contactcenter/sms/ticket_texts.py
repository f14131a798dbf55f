"""What a ticket page shows of its texts: who texted, where a reply goes, how far it got."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import phones
from contactcenter.sms.models import SmsMessage
from contactcenter.sms.optout import opted_out
from contactcenter.sms.outbound import reply_target
from contactcenter.tickets.models import Ticket

STATUS_WORDS = {
    "queued": "sending…",
    "accepted": "sending…",
    "scheduled": "sending…",
    "sending": "sending…",
    "sent": "sent",
    "partially_delivered": "partly delivered",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "not delivered",
    "failed": "not sent",
    "canceled": "not sent",
}


@dataclass(frozen=True)
class TextFacts:
    direction: str
    status: str
    status_words: str
    customer_number: str
    our_number: str
    note: str
    keyword: str  # "stop", "start", "help" for the carriers' opt-out words, else ""


@dataclass(frozen=True)
class TextTarget:
    customer_number: str
    opted_out: bool


def by_comment(session: Session, ticket_id: int) -> dict[int, TextFacts]:
    rows = session.scalars(
        select(SmsMessage).where(SmsMessage.ticket_id == ticket_id, SmsMessage.comment_id.is_not(None))
    )
    return {
        r.comment_id: TextFacts(
            r.direction,
            r.status,
            STATUS_WORDS.get(r.status, r.status),
            phones.display(r.customer_number),
            r.our_number,
            r.note,
            r.keyword,
        )
        for r in rows
        if r.comment_id is not None
    }


def text_target(session: Session, ticket: Ticket) -> TextTarget | None:
    """Where a public reply could be texted, and whether the customer opted out."""
    target = reply_target(session, ticket)
    if target is None:
        return None
    return TextTarget(phones.display(target[0]), opted_out(session, target[0]))
