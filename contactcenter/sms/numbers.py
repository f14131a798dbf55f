"""Our numbers that take texts: which queue their conversations go to and what HELP answers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import phones
from contactcenter.acd.models import Queue
from contactcenter.errors import DomainError, Kind
from contactcenter.sms.models import SmsNumber

MAX_HELP = 320  # two SMS segments
DEFAULT_HELP = "Reply STOP to stop receiving messages, START to receive them again."


class SmsNumberError(DomainError, ValueError):
    kind: Kind = "unprocessable"
    code = "sms_number_refused"


def add_number(
    session: Session, number: str, *, queue: str | None = None, help_text: str = "", default_region: str = "US"
) -> SmsNumber:
    try:
        e164 = phones.normalize(number, default_region)
    except phones.InvalidPhoneNumber as exc:
        raise SmsNumberError(f"{exc}") from exc
    if len(help_text) > MAX_HELP:
        raise SmsNumberError(f"the HELP answer holds at most {MAX_HELP} characters")
    queue_id = None
    if queue:
        queue_id = session.scalar(select(Queue.id).where(Queue.name == queue))
        if queue_id is None:
            raise SmsNumberError(f"there is no queue named {queue[:64]!r}")
    existing = session.scalar(select(SmsNumber).where(SmsNumber.number == e164))
    if existing is not None:
        raise SmsNumberError(f"{e164} already takes texts")
    found = SmsNumber(number=e164, queue_id=queue_id, help_text=help_text.strip())
    session.add(found)
    session.flush()
    return found


def remove_number(session: Session, number: str, default_region: str = "US") -> bool:
    e164 = phones.try_normalize(number, default_region)
    found = session.scalar(select(SmsNumber).where(SmsNumber.number == e164)) if e164 else None
    if found is None:
        return False
    session.delete(found)
    session.flush()
    return True


def list_numbers(session: Session) -> list[tuple[SmsNumber, str | None]]:
    rows = session.execute(
        select(SmsNumber, Queue.name).outerjoin(Queue, Queue.id == SmsNumber.queue_id).order_by(SmsNumber.number)
    )
    return [(number, queue) for number, queue in rows]


def number_for(session: Session, raw: str, default_region: str = "US") -> SmsNumber | None:
    e164 = phones.try_normalize(raw, default_region)
    return session.scalar(select(SmsNumber).where(SmsNumber.number == e164)) if e164 else None


def help_answer(number: SmsNumber) -> str:
    return number.help_text or DEFAULT_HELP
