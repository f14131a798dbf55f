"""Satisfaction surveys after a ticket is solved: one per ticket, answered once or changed later.

The link a customer gets carries a signed token (the survey's id and a random nonce, signed with
the app's secret key): it needs no login, cannot be guessed or pointed at another survey, and
expires. Opening the link only shows the form — mail scanners open links on their own — and the
answer is recorded when the customer sends it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.contacts.models import Interaction
from contactcenter.errors import DomainError, Kind
from contactcenter.tickets.models import Ticket, TicketSurvey

MAX_COMMENT = 2000
VALID_FOR = timedelta(days=30)
SALT = "ticket-survey"


class SurveyError(DomainError, ValueError):
    kind: Kind = "invalid"
    code = "survey_invalid"


class SurveyLinkError(DomainError, LookupError):
    """The link is not one we made, was replaced, or has expired."""

    kind: Kind = "not_found"
    code = "survey_link_invalid"


def existing(session: Session, ticket_id: int) -> TicketSurvey | None:
    return session.scalar(select(TicketSurvey).where(TicketSurvey.ticket_id == ticket_id))


def existing_for_call(session: Session, interaction_id: int) -> TicketSurvey | None:
    return session.scalar(select(TicketSurvey).where(TicketSurvey.interaction_id == interaction_id))


def create(session: Session, ticket: Ticket, channel: str) -> TicketSurvey:
    """The ticket's survey: a new one, or the one already sent (a ticket solved twice is asked once)."""
    return existing(session, ticket.id) or _new(session, channel, ticket_id=ticket.id)


def create_for_call(session: Session, call: Interaction, channel: str) -> TicketSurvey:
    """The call's survey: a new one, or the one already asked (a call is asked once)."""
    return existing_for_call(session, call.id) or _new(session, channel, interaction_id=call.id)


def _new(session: Session, channel: str, **contact: int) -> TicketSurvey:
    survey = TicketSurvey(channel=channel, nonce=secrets.token_hex(8), **contact)
    session.add(survey)
    session.flush()
    return survey


def token(survey: TicketSurvey, secret_key: str) -> str:
    return str(URLSafeTimedSerializer(secret_key, salt=SALT).dumps([survey.id, survey.nonce]))


def from_token(session: Session, raw: str, secret_key: str) -> TicketSurvey:
    if not isinstance(raw, str) or len(raw) > 200:
        raise SurveyLinkError("this survey link is not valid")
    try:
        survey_id, nonce = URLSafeTimedSerializer(secret_key, salt=SALT).loads(
            raw, max_age=int(VALID_FOR.total_seconds())
        )
    except SignatureExpired as exc:
        raise SurveyLinkError("this survey link has expired") from exc
    except (BadSignature, TypeError, ValueError) as exc:
        raise SurveyLinkError("this survey link is not valid") from exc
    survey = session.get(TicketSurvey, survey_id) if isinstance(survey_id, int) else None
    if survey is None or not secrets.compare_digest(survey.nonce, str(nonce)):
        raise SurveyLinkError("this survey link is not valid")
    return survey


def answer(session: Session, survey: TicketSurvey, score: object, comment: object) -> TicketSurvey:
    """Record (or change) the customer's answer."""
    if isinstance(score, str) and score.strip().isdigit() and len(score.strip()) == 1:
        score = int(score.strip())
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise SurveyError("choose a score from 1 (very unhappy) to 5 (very happy)")
    text = comment.strip() if isinstance(comment, str) else ""
    if len(text) > MAX_COMMENT or "\x00" in text:
        raise SurveyError(f"the comment is at most {MAX_COMMENT} characters")
    survey.score, survey.comment, survey.answered_at = score, text or None, clock.now()
    session.flush()
    return survey


@dataclass(frozen=True)
class SurveyAnswer:
    answered_at: datetime
    channel: str
    score: int


def answers_between(session: Session, lower: datetime, upper: datetime) -> list[SurveyAnswer]:
    """Answers given in [lower, upper), for the daily report's CSAT."""
    rows = session.execute(
        select(TicketSurvey.answered_at, TicketSurvey.channel, TicketSurvey.score).where(
            TicketSurvey.score.is_not(None),
            and_(TicketSurvey.answered_at >= lower, TicketSurvey.answered_at < upper),
        )
    )
    return [SurveyAnswer(clock.as_utc(at), channel, score) for at, channel, score in rows if at and score]
