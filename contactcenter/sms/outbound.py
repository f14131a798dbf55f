"""Replies by text: stored first, handed to the carrier by a job after the commit, then followed
through the carrier's status callbacks.

A reply goes to the customer's number from the number they wrote to, so the conversation stays
one thread on their phone. A customer who texted STOP gets nothing: the reply is refused before
it is stored, with the reason, and the agent answers another way.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.errors import DomainError, Kind
from contactcenter.sms.models import Direction, SmsMessage
from contactcenter.sms.optout import opted_out
from contactcenter.telephony.interfaces import TelephonyError
from contactcenter.telephony.messaging import FINAL_STATUSES, MAX_BODY, MessageStatus, Messaging
from contactcenter.tickets.models import Ticket, TicketComment

OUTBOX_KEY = "contactcenter.sms.outbox"
# How far along a message is; a late or repeated callback never moves it back.
PROGRESS = {
    "queued": 0,
    "accepted": 1,
    "scheduled": 1,
    "sending": 2,
    "sent": 3,
    "partially_delivered": 4,
    "delivered": 5,
    "read": 6,
    "undelivered": 5,
    "failed": 5,
    "canceled": 5,
}


class SmsReplyError(DomainError, ValueError):
    """The ticket cannot be answered by text (no conversation, the customer opted out, too long)."""

    kind: Kind = "unprocessable"
    code = "sms_reply_refused"


class UnknownMessage(DomainError, LookupError):
    kind: Kind = "not_found"
    code = "unknown_message"


class TemporarySmsFailure(DomainError):
    """The carrier could not take the message now (unreachable, 5xx, rate limited): retried."""

    kind: Kind = "dependency_failed"
    code = "carrier_temporary_failure"


def reply_target(session: Session, ticket: Ticket) -> tuple[str, str] | None:
    """(customer number, our number) of the ticket's text conversation, if it has one."""
    row = session.execute(
        select(SmsMessage.customer_number, SmsMessage.our_number)
        .where(SmsMessage.ticket_id == ticket.id, SmsMessage.direction == Direction.IN.value)
        .order_by(SmsMessage.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def queue_reply(session: Session, ticket: Ticket, comment: TicketComment) -> SmsMessage:
    target = reply_target(session, ticket)
    if target is None:
        raise SmsReplyError("this ticket has no text conversation to answer")
    customer_number, our_number = target
    if opted_out(session, customer_number):
        raise SmsReplyError(f"{customer_number} asked not to be contacted (texted STOP); answer another way")
    body = comment.body.strip()
    if not body:
        raise SmsReplyError("a text cannot be empty")
    if len(body) > MAX_BODY:
        raise SmsReplyError(f"a text holds at most {MAX_BODY:,} characters; this one has {len(body):,}")
    message = SmsMessage(
        direction=Direction.OUT.value,
        status="queued",
        our_number=our_number,
        customer_number=customer_number,
        ticket_id=ticket.id,
        comment_id=comment.id,
        body=body,
    )
    session.add(message)
    session.flush()
    mark_for_sending(session, message)
    return message


def mark_for_sending(session: Session, message: SmsMessage) -> None:
    """Have the sending job queued once this transaction commits (see app.wiring)."""
    session.info.setdefault(OUTBOX_KEY, []).append(message.id)


def take_outbox(session: Session) -> list[int]:
    return list(session.info.pop(OUTBOX_KEY, []))


def send(session: Session, message: SmsMessage, carrier: Messaging, status_callback: str | None) -> bool:
    """Hand one stored reply to the carrier. True once it took it; False when refused for good;
    raises TemporarySmsFailure when worth trying again. A message already handed over is not
    sent twice."""
    if message.sid is not None or message.direction != Direction.OUT.value:
        return message.sid is not None
    if opted_out(session, message.customer_number):
        _fail(message, "not sent: the customer texted STOP before it went out")
        return False
    message.attempts += 1
    try:
        sent = carrier.send_message(message.customer_number, message.our_number, message.body, status_callback)
    except TelephonyError as exc:
        if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
            _fail(message, f"the carrier refused it: {exc}")
            return False
        _fail(message, f"the carrier could not take it: {exc}")
        raise TemporarySmsFailure(str(exc)) from exc
    if message.status == "failed":
        message.note = ""  # the last attempt's error is no longer true
    message.sid = sent.sid
    message.status = sent.status if sent.status in PROGRESS else "queued"
    message.updated_at = clock.now()
    return True


def record_status(session: Session, report: MessageStatus) -> SmsMessage:
    message = session.scalar(select(SmsMessage).where(SmsMessage.sid == report.sid))
    if message is None:
        raise UnknownMessage("no message with this MessageSid was sent from here")
    if message.direction != Direction.OUT.value:
        return message
    current = PROGRESS.get(message.status, 0)
    if message.status in FINAL_STATUSES or PROGRESS.get(report.status, 0) < current:
        return message
    message.status = report.status
    message.updated_at = clock.now()
    if report.error_code:
        message.error_code = report.error_code
    if report.status in ("undelivered", "failed"):
        message.note = f"the carrier could not deliver it (error {report.error_code or 'unknown'})"
    return message


def _fail(message: SmsMessage, note: str) -> None:
    message.status = "failed"
    message.note = note[:1000]
    message.updated_at = clock.now()
