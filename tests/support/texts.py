"""Texts as the carrier posts them, and the numbers that take them."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.config import SIMULATOR_ACCOUNT_SID
from contactcenter.sms.models import SmsMessage, SmsNumber
from contactcenter.sms.numbers import add_number
from tests.support.factories import post_signed

TEXT_NUMBER = "+18005550123"
CUSTOMER_MOBILE = "+14155550100"


def message_sid() -> str:
    return "SM" + secrets.token_hex(16)


def gen_text_number(session: Session, number: str = TEXT_NUMBER, **kw: Any) -> SmsNumber:
    return add_number(session, number, **kw)


def text_params(
    body: str, *, from_: str = CUSTOMER_MOBILE, to: str = TEXT_NUMBER, sid: str | None = None
) -> dict[str, str]:
    """What Twilio posts when a customer texts one of our numbers."""
    sid = sid or message_sid()
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": SIMULATOR_ACCOUNT_SID,
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }


def status_params(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {"MessageSid": sid, "AccountSid": SIMULATOR_ACCOUNT_SID, "MessageStatus": status, **extra}


def text_in(client: Any, body: str, **kw: Any) -> Any:
    """A customer texts us, through the signed webhook."""
    return post_signed(client, "/hooks/sms", text_params(body, **kw))


def texts(session: Session, **where: Any) -> list[SmsMessage]:
    session.expire_all()
    query = select(SmsMessage).order_by(SmsMessage.id)
    for name, value in where.items():
        query = query.where(getattr(SmsMessage, name) == value)
    return list(session.scalars(query))
