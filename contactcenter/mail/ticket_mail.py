"""What a ticket page shows of its e-mail: per comment, the message that carried it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.mail.models import MailAttachment, MailMessage, MailStatus
from contactcenter.mail.outbound import mailbox_for_ticket, reply_address
from contactcenter.tickets.models import Ticket


@dataclass(frozen=True)
class MailFacts:
    mail_id: int
    direction: str
    status: str
    from_address: str
    to_addresses: list[str]
    subject: str
    note: str
    attempts: int
    # Still "queued" long after it was written (its job never ran: Redis was away): sendable again.
    stuck: bool = False
    # (attachment id, file name, size in bytes)
    attachments: list[tuple[int, str, int]] = field(default_factory=list)


def by_comment(session: Session, ticket_id: int) -> dict[int, MailFacts]:
    rows = list(
        session.scalars(
            select(MailMessage).where(MailMessage.ticket_id == ticket_id, MailMessage.comment_id.is_not(None))
        )
    )
    files: dict[int, list[tuple[int, str, int]]] = {}
    if rows:
        for att_id, message_id, filename, size in session.execute(
            select(MailAttachment.id, MailAttachment.message_id, MailAttachment.filename, MailAttachment.size)
            .where(MailAttachment.message_id.in_([r.id for r in rows]))
            .order_by(MailAttachment.id)
        ):
            files.setdefault(message_id, []).append((att_id, filename, size))
    return {
        r.comment_id: MailFacts(
            r.id,
            r.direction,
            r.status,
            r.from_address,
            list(r.to_addresses or []),
            r.subject,
            r.note,
            r.attempts,
            _stuck(r),
            files.get(r.id, []),
        )
        for r in rows
        if r.comment_id is not None
    }


STUCK_AFTER = timedelta(minutes=10)


def _stuck(message: MailMessage) -> bool:
    if message.status != MailStatus.QUEUED.value:
        return False
    return clock.now() - clock.as_utc(message.created_at) > STUCK_AFTER


def reply_target(session: Session, ticket: Ticket) -> str | None:
    """The address a public reply on this ticket can be mailed to, when a mailbox can send it."""
    if mailbox_for_ticket(session, ticket) is None:
        return None
    return reply_address(session, ticket)


def attachment(session: Session, ticket_id: int, attachment_id: int) -> MailAttachment | None:
    """An attachment of one of this ticket's messages (None for any other)."""
    return session.scalar(
        select(MailAttachment)
        .join(MailMessage, MailMessage.id == MailAttachment.message_id)
        .where(MailAttachment.id == attachment_id, MailMessage.ticket_id == ticket_id)
    )


def resend(session: Session, ticket_id: int, mail_id: int) -> MailMessage | None:
    """A failed (or stuck) reply of this ticket, queued to be sent again (None if there is no such reply)."""
    message = session.scalar(
        select(MailMessage).where(
            MailMessage.id == mail_id,
            MailMessage.ticket_id == ticket_id,
            MailMessage.direction == "out",
            MailMessage.status.in_((MailStatus.FAILED.value, MailStatus.QUEUED.value)),
        )
    )
    if message is None or (message.status == MailStatus.QUEUED.value and not _stuck(message)):
        return None
    message.status = MailStatus.QUEUED.value
    return message
