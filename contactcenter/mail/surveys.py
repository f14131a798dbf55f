"""The satisfaction survey mailed when an e-mail ticket is solved.

The mail names the ticket and offers the five scores as links to the survey page (the page
records nothing until the customer sends it, so a mail scanner opening links answers nothing).
It is sent like a reply — from the ticket's mailbox, threaded under the conversation — so it lands
where the customer reads the rest.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from contactcenter.mail.models import MailMessage
from contactcenter.mail.outbound import (
    latest_message,
    mailbox_for_ticket,
    new_message_id,
    queue_message,
    reply_address,
    reply_subject,
    thread_headers,
)
from contactcenter.tickets import surveys
from contactcenter.tickets.models import Ticket

SCORES = (
    (5, "Very happy"),
    (4, "Happy"),
    (3, "Neither"),
    (2, "Unhappy"),
    (1, "Very unhappy"),
)


def survey_url(base_url: str, token: str, score: int | None = None) -> str:
    url = f"{base_url.rstrip('/')}/survey/{token}"
    return f"{url}?score={score}" if score else url


def mail_survey(session: Session, ticket: Ticket, *, base_url: str, secret_key: str) -> MailMessage | None:
    """Queue the survey mail for a solved e-mail ticket (once per ticket); None when the ticket
    did not come by e-mail, has nobody to ask, or was asked already."""
    if ticket.channel != "email" or surveys.existing(session, ticket.id) is not None:
        return None
    to = reply_address(session, ticket)
    mailbox = mailbox_for_ticket(session, ticket)
    if not to or mailbox is None:
        return None
    survey = surveys.create(session, ticket, "email")
    token = surveys.token(survey, secret_key)
    lines = [
        f"Your request #{ticket.id} ({ticket.subject}) is solved. How did we do?",
        "",
        *(f"{label} ({score}/5): {survey_url(base_url, token, score)}" for score, label in SCORES),
        "",
        "One click opens a page where you can add a comment before sending your answer.",
    ]
    if mailbox.signature.strip():
        lines += ["", "-- ", mailbox.signature.strip()]
    in_reply_to, references = thread_headers(latest_message(session, ticket.id))
    return queue_message(
        session,
        mailbox,
        to,
        reply_subject(f"How did we do? {ticket.subject}", ticket.id),
        "\n".join(lines),
        message_id=new_message_id(ticket, mailbox),
        ticket_id=ticket.id,
        in_reply_to=in_reply_to,
        references=references,
        note="satisfaction survey",
    )
