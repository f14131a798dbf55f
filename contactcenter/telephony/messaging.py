"""Text messages at the carrier: the Messaging webhooks' parameters, the reply document, the port.

Inbound messages and status callbacks arrive as signed, form-encoded webhooks like calls do; this
module turns their parameters into values the SMS domain can trust (or refuses them with
`MalformedWebhook`), and names the one operation the domain needs from the carrier: send a text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from twilio.twiml.messaging_response import MessagingResponse

from contactcenter.telephony.webhooks import ACCOUNT_SID, CONTROL_CHARS, MAX_PARAMS, MAX_VALUE, MalformedWebhook

MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
# A long text arrives as one message of up to 1,600 characters (ten concatenated segments).
MAX_BODY = 1600
MAX_ADDRESS = 64
# Every status a message can report (Twilio's Message resource), in the order a message moves.
MESSAGE_STATUSES = (
    "accepted",
    "scheduled",
    "queued",
    "sending",
    "sent",
    "receiving",
    "received",
    "delivered",
    "read",
    "undelivered",
    "failed",
    "canceled",
    "partially_delivered",
)
FINAL_STATUSES = frozenset({"delivered", "read", "undelivered", "failed", "canceled"})
LINE_BREAKS = re.compile(r"\r\n?")


@dataclass(frozen=True)
class InboundMessage:
    sid: str
    account_sid: str
    from_: str
    to: str
    body: str
    media_count: int


@dataclass(frozen=True)
class MessageStatus:
    sid: str
    account_sid: str
    status: str
    error_code: str | None


@dataclass(frozen=True)
class SentMessage:
    sid: str
    status: str


class Messaging(Protocol):
    """The carrier's side of a text: send one, with a URL for its status callbacks."""

    def send_message(self, to: str, from_: str, body: str, status_callback: str | None = None) -> SentMessage: ...


def _checked(params: Mapping[str, str]) -> None:
    if len(params) > MAX_PARAMS:
        raise MalformedWebhook("too many parameters")
    for key, value in params.items():
        if len(key) > 64 or len(value) > MAX_VALUE:
            raise MalformedWebhook("a parameter is too long")


def _field(params: Mapping[str, str], name: str, limit: int) -> str:
    value = params.get(name)
    if value is None:
        raise MalformedWebhook(f"missing parameter {name}")
    if len(value) > limit:
        raise MalformedWebhook(f"parameter {name} is too long")
    if CONTROL_CHARS.search(value):
        raise MalformedWebhook(f"parameter {name} has control characters")
    return value


def _ids(params: Mapping[str, str]) -> tuple[str, str]:
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if not MESSAGE_SID.match(sid):
        raise MalformedWebhook("MessageSid is not a message id")
    account_sid = params.get("AccountSid") or ""
    if not ACCOUNT_SID.match(account_sid):
        raise MalformedWebhook("AccountSid is not an account id")
    return sid, account_sid


def parse_inbound_message(params: Mapping[str, str]) -> InboundMessage:
    """An incoming text (the number's "A message comes in" webhook)."""
    _checked(params)
    sid, account_sid = _ids(params)
    body = LINE_BREAKS.sub("\n", params.get("Body", ""))
    if len(body) > MAX_BODY:
        raise MalformedWebhook(f"Body is longer than {MAX_BODY} characters")
    if CONTROL_CHARS.search(body):
        raise MalformedWebhook("Body has control characters")
    media = params.get("NumMedia", "0") or "0"
    if not media.isdigit() or int(media) > 10:
        raise MalformedWebhook("NumMedia must be a whole number up to 10")
    return InboundMessage(
        sid=sid,
        account_sid=account_sid,
        from_=_field(params, "From", MAX_ADDRESS),
        to=_field(params, "To", MAX_ADDRESS),
        body=body,
        media_count=int(media),
    )


def parse_message_status(params: Mapping[str, str]) -> MessageStatus:
    """A status callback of a message we sent."""
    _checked(params)
    sid, account_sid = _ids(params)
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    if status not in MESSAGE_STATUSES:
        raise MalformedWebhook("MessageStatus is not a known status")
    error = params.get("ErrorCode") or None
    if error is not None and (not error.isdigit() or len(error) > 6):
        raise MalformedWebhook("ErrorCode must be a number")
    return MessageStatus(sid=sid, account_sid=account_sid, status=status, error_code=error)


def reply_document(text: str | None) -> str:
    """The TwiML answering an incoming text: empty (nothing sent back), or one reply message."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)
