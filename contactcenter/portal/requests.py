"""Requests customers send from the portal, and their replies on the requests they can see.

A request from the web is a ticket on the "web" channel for the customer with that e-mail address
(found, or created with the name they gave), with their message as its first public comment.
What a customer sees of a ticket is what was said to them: public comments only, never internal
notes, assignees or SLA clocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.contacts.customers import CustomerError, check_email, create_customer
from contactcenter.contacts.models import Customer
from contactcenter.errors import DomainError, Kind
from contactcenter.portal.models import PortalUpload
from contactcenter.portal.uploads import Upload
from contactcenter.tickets import services as tickets
from contactcenter.tickets.models import CommentAuthor, Ticket, TicketComment

MAX_NAME = 120
MAX_SUBJECT = 200
MAX_MESSAGE = 10_000
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


class RequestError(DomainError, ValueError):
    kind: Kind = "unprocessable"
    code = "request_refused"


@dataclass(frozen=True)
class PublicEntry:
    by_customer: bool
    body: str
    at: datetime
    uploads: list[tuple[int, str, int]]


def normal_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    if not EMAIL.match(email):
        raise RequestError("enter the e-mail address we can answer you at")
    try:
        check_email(email)
    except CustomerError as exc:
        raise RequestError(str(exc)) from exc
    return email


def field_text(label: str, raw: str, limit: int) -> str:
    value = (raw or "").strip()
    if not value:
        raise RequestError(f"{label} is missing")
    if len(value) > limit:
        raise RequestError(f"{label} holds at most {limit:,} characters; this one has {len(value):,}")
    if CONTROL.search(value):
        raise RequestError(f"{label} has characters that cannot be stored")
    return value


def customer_for(session: Session, email: str, name: str) -> Customer:
    found = session.scalars(
        select(Customer).where(func.lower(Customer.email) == email).order_by(Customer.id).limit(1)
    ).first()
    return found or create_customer(session, name, email=email)


def submit(
    session: Session,
    *,
    name: str,
    email: str,
    subject: str,
    message: str,
    upload: Upload | None = None,
    queue_id: int | None = None,
) -> Ticket:
    name = field_text("Your name", name, MAX_NAME)
    address = normal_email(email)
    subject = field_text("The subject", subject, MAX_SUBJECT)
    body = field_text("Your message", message, MAX_MESSAGE)
    customer = customer_for(session, address, name)
    ticket = tickets.open_ticket(
        session, subject, description=body, customer_id=customer.id, queue_id=queue_id, channel="web"
    )
    comment = tickets.add_comment(session, ticket, body, public=True, author_kind=CommentAuthor.CUSTOMER.value)
    _keep(session, ticket, comment, upload)
    return ticket


def tickets_of(session: Session, email: str) -> list[Ticket]:
    """The requests of every customer record with this address, newest activity first."""
    owners = select(Customer.id).where(func.lower(Customer.email) == email)
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.customer_id.in_(owners), Ticket.status != "merged")
            .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
            .limit(200)
        )
    )


def ticket_of(session: Session, email: str, ticket_id: int) -> Ticket | None:
    """The ticket if it belongs to this address (None otherwise: not theirs looks like not there)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.customer_id is None or ticket.status == "merged":
        return None
    owner = session.scalar(select(func.lower(Customer.email)).where(Customer.id == ticket.customer_id))
    return ticket if owner == email else None


def public_entries(session: Session, ticket: Ticket) -> list[PublicEntry]:
    files = uploads_by_comment(session, ticket.id)
    comments = session.scalars(
        select(TicketComment)
        .where(TicketComment.ticket_id == ticket.id, TicketComment.public.is_(True))
        .order_by(TicketComment.id)
    )
    return [
        PublicEntry(c.author_kind == CommentAuthor.CUSTOMER.value, c.body, c.created_at, files.get(c.id, []))
        for c in comments
    ]


def reply(session: Session, ticket: Ticket, message: str, upload: Upload | None = None) -> TicketComment:
    if ticket.status in tickets.FINAL:
        raise RequestError("this request is closed; send a new one and we will link them")
    body = field_text("Your reply", message, MAX_MESSAGE)
    comment = tickets.add_comment(session, ticket, body, public=True, author_kind=CommentAuthor.CUSTOMER.value)
    _keep(session, ticket, comment, upload)
    return comment


def upload_of(session: Session, ticket_id: int, upload_id: int) -> PortalUpload | None:
    found = session.get(PortalUpload, upload_id)
    return found if found is not None and found.ticket_id == ticket_id else None


def uploads_by_comment(session: Session, ticket_id: int) -> dict[int, list[tuple[int, str, int]]]:
    rows = session.execute(
        select(PortalUpload.id, PortalUpload.comment_id, PortalUpload.filename, PortalUpload.size)
        .where(PortalUpload.ticket_id == ticket_id, PortalUpload.comment_id.is_not(None))
        .order_by(PortalUpload.id)
    )
    found: dict[int, list[tuple[int, str, int]]] = {}
    for upload_id, comment_id, filename, size in rows:
        if comment_id is not None:
            found.setdefault(comment_id, []).append((upload_id, filename, size))
    return found


def _keep(session: Session, ticket: Ticket, comment: TicketComment, upload: Upload | None) -> None:
    if upload is None:
        return
    session.add(
        PortalUpload(
            ticket_id=ticket.id,
            comment_id=comment.id,
            filename=upload.filename,
            content_type=upload.content_type,
            size=len(upload.data),
            data=upload.data,
        )
    )
    session.flush()
