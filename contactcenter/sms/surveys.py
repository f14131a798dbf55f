"""The satisfaction question texted after a contact, and the customer's 1–5 answer.

Two contacts ask it by text: a solved SMS ticket (to the conversation's number, from the number
the customer texted) and a call an agent answered, where the queue asks for that (to the caller,
from the text number of the number they called, else the queue's text number). A text that starts
with a digit from 1 to 5 from that customer to that number answers the latest question asked there
(and is thanked) instead of opening a new ticket: a digit alone within a week of the question, a
digit followed by a comment ("4 - quick and kind") only while that question is unanswered and at
most a day old — later, "3 items are missing" is a request and opens a ticket. A customer who texted STOP is not asked.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock, phones
from contactcenter.acd.models import Queue
from contactcenter.contacts.models import Interaction
from contactcenter.sms.models import Direction, SmsMessage, SmsNumber
from contactcenter.sms.optout import opted_out
from contactcenter.sms.outbound import mark_for_sending, reply_target
from contactcenter.tickets import surveys
from contactcenter.tickets.models import Ticket, TicketSurvey

log = logging.getLogger(__name__)

SURVEY_NOTE = "satisfaction survey"
ANSWER_WINDOW = timedelta(days=7)
# A score with words after it answers only a question not yet answered, asked within a day.
WORDS_WINDOW = timedelta(days=1)
# A score alone, or a score then a comment after a space or a mark ("5", "4!", "2 - kept waiting").
SCORE = re.compile(r"^\s*([1-5])(?:\s*[.!]?\s*$|(?=[\s.!,:;)/-])\s*[.!,:;)/-]?\s*(\S.*))", re.DOTALL)
THANKS = "Thank you for your answer!"
QUESTION = "How did we do with your request #{ticket_id}? Reply with a number from 1 (very unhappy) to 5 (very happy)."
CALL_QUESTION = (
    "Thank you for calling {queue}. How did we do? Reply with a number from 1 (very unhappy) to "
    "5 (very happy), and a few words if you like."
)


def text_survey(session: Session, ticket: Ticket) -> SmsMessage | None:
    """Queue the question for a solved SMS ticket (once per ticket); None when not asked."""
    if ticket.channel != "sms" or surveys.existing(session, ticket.id) is not None:
        return None
    target = reply_target(session, ticket)
    if target is None or opted_out(session, target[0]):
        return None
    survey = surveys.create(session, ticket, "sms")
    return _ask(session, survey, target[0], target[1], QUESTION.format(ticket_id=ticket.id), ticket_id=ticket.id)


def text_call_survey(session: Session, call: Interaction) -> SmsMessage | None:
    """Queue the question after a call an agent answered, where its queue asks for it (once per
    call); None when not asked — and why is logged, since nobody is waiting for it."""
    if call.answered_at is None or call.agent_id is None or call.queue_id is None:
        return None
    queue = session.get(Queue, call.queue_id)
    if queue is None or not queue.survey_after_call:
        return None
    if call.direction == "inbound":
        caller, dialled = call.from_number, call.to_number
    else:
        caller, dialled = call.to_number, call.from_number
    customer_number = phones.try_normalize(caller)
    if customer_number is None or surveys.existing_for_call(session, call.id) is not None:
        return None
    sender = _text_number_for(session, dialled, queue.id)
    if sender is None:
        log.info("no survey after call %s: queue %s has no text number", call.call_sid, queue.name)
        return None
    if opted_out(session, customer_number):
        return None
    survey = surveys.create_for_call(session, call, "sms")
    return _ask(session, survey, customer_number, sender, CALL_QUESTION.format(queue=queue.display_name))


def _text_number_for(session: Session, dialled: str, queue_id: int) -> str | None:
    """Our text number for a survey: the number the customer called if it takes texts, else the
    queue's (the lowest id, so the choice is stable)."""
    own = session.scalar(select(SmsNumber.number).where(SmsNumber.number == dialled))
    if own is not None:
        return own
    return session.scalar(select(SmsNumber.number).where(SmsNumber.queue_id == queue_id).order_by(SmsNumber.id))


def _ask(
    session: Session,
    survey: TicketSurvey,
    customer_number: str,
    our_number: str,
    body: str,
    *,
    ticket_id: int | None = None,
) -> SmsMessage:
    message = SmsMessage(
        direction=Direction.OUT.value,
        status="queued",
        our_number=our_number,
        customer_number=customer_number,
        ticket_id=ticket_id,
        survey_id=survey.id,
        body=body,
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
        .join(SmsMessage, SmsMessage.survey_id == TicketSurvey.id)
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
    if found.group(2) and (asked.score is not None or clock.as_utc(asked.sent_at) < clock.now() - WORDS_WINDOW):
        # "3 items are missing" a day later is a request, not a rating: it opens a ticket.
        return None
    comment = (found.group(2) or "").strip()[: surveys.MAX_COMMENT].replace("\x00", "")
    return surveys.answer(session, asked, found.group(1), comment)
