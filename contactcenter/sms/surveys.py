"""The satisfaction question texted when an SMS ticket is solved, and the customer's 1–5 answer.

The question goes to the conversation's number from the number the customer texted; a text that
is only a digit from 1 to 5, from that customer to that number within a week of the question,
answers it (and is thanked) instead of opening a new ticket. A customer who texted STOP is not
asked.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.sms.models import Direction, SmsMessage
from contactcenter.sms.optout import opted_out
from contactcenter.sms.outbound import mark_for_sending, reply_target
from contactcenter.tickets import surveys
from contactcenter.tickets.models import Ticket, TicketSurvey

SURVEY_NOTE = "satisfaction survey"
ANSWER_WINDOW = timedelta(days=7)
SCORE = re.compile(r"^\s*([1-5])\s*[.!]?\s*$")
THANKS = "Thank you for your answer!"
QUESTION = "How did we do with your request #{ticket_id}? Reply with a number from 1 (very unhappy) to 5 (very happy)."


def text_survey(session: Session, ticket: Ticket) -> SmsMessage | None:
    """Queue the question for a solved SMS ticket (once per ticket); None when not asked."""
    if ticket.channel != "sms" or surveys.existing(session, ticket.id) is not None:
        return None
    target = reply_target(session, ticket)
    if target is None or opted_out(session, target[0]):
        return None
    surveys.create(session, ticket, "sms")
    message = SmsMessage(
        direction=Direction.OUT.value,
        status="queued",
        our_number=target[1],
        customer_number=target[0],
        ticket_id=ticket.id,
        body=QUESTION.format(ticket_id=ticket.id),
        note=SURVEY_NOTE,
    )
    session.add(message)
    session.flush()
    mark_for_sending(session, message)
    return message


def answer_by_text(session: Session, customer_number: str, our_number: str, body: str) -> TicketSurvey | None:
    """Record `body` as the answer to the last question asked on this conversation, if it is one."""
    found = SCORE.match(body)
    if found is None:
        return None
    asked = session.scalars(
        select(TicketSurvey)
        .join(SmsMessage, SmsMessage.ticket_id == TicketSurvey.ticket_id)
        .where(
            SmsMessage.customer_number == customer_number,
            SmsMessage.our_number == our_number,
            TicketSurvey.channel == "sms",
        )
        .order_by(TicketSurvey.sent_at.desc(), TicketSurvey.id.desc())
        .limit(1)
    ).first()
    if asked is None or clock.as_utc(asked.sent_at) < clock.now() - ANSWER_WINDOW:
        return None
    return surveys.answer(session, asked, found.group(1), "")
