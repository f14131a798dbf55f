"""Carrier Messaging webhooks: a text comes in, a text we sent moves on.

The same order as the call webhooks (web.hooks): body size, then signature, then shape, then the
domain. A text to a number that does not take texts, or a status for a message we never sent,
is a 404 with a log line, so a misconfigured number shows up in the carrier's debugger too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TypeVar

from flask import Blueprint, Response, abort, current_app, request

from contactcenter import phones
from contactcenter.sms import inbound, outbound
from contactcenter.telephony.messaging import (
    MalformedWebhook,
    parse_inbound_message,
    parse_message_status,
    reply_document,
)
from contactcenter.telephony.signatures import SignatureChecker
from web import database
from web.hooks import _called_url, _params, _plain

bp = Blueprint("sms_hooks", __name__, url_prefix="/hooks/sms")
log = logging.getLogger("contactcenter.sms")
T = TypeVar("T")


def _verified() -> dict[str, str]:
    params = _params()
    checker: SignatureChecker = current_app.extensions["contactcenter.signatures"]
    if not checker.is_valid(_called_url(), params, request.headers.get("X-Twilio-Signature")):
        log.warning("text webhook refused: bad signature", extra={"path": request.path})
        abort(_plain("signature check failed", 403))
    return params


def _account(account_sid: str) -> None:
    if account_sid != database.runtime().settings.twilio_account_sid:
        abort(_plain("webhook is for another account", 403))


def _parsed(parse: Callable[[Mapping[str, str]], T]) -> T:
    """The verified webhook's values, for our account; 403 or 400 with the reason otherwise."""
    params = _verified()
    try:
        value = parse(params)
    except MalformedWebhook as exc:
        log.warning("text webhook refused: %s", exc)
        abort(_plain(f"malformed webhook: {exc}", 400))
    _account(value.account_sid)  # type: ignore[attr-defined]
    return value


@bp.post("")
def incoming() -> Response:
    text = _parsed(parse_inbound_message)
    session = database.session()
    try:
        receipt = inbound.receive(session, text, default_region=database.runtime().settings.default_region)
    except inbound.UnknownSmsNumber:
        log.warning("text to a number that takes no texts", extra={"to": phones.mask(text.to), "sid": text.sid})
        abort(_plain("this number does not take texts here", 404))
    session.commit()
    if not receipt.duplicate:
        log.info(
            "text received",
            extra={"sid": text.sid, "ticket_id": receipt.ticket.id if receipt.ticket else None},
        )
    return Response(reply_document(receipt.reply), mimetype="text/xml")


@bp.post("/status")
def status() -> Response:
    report = _parsed(parse_message_status)
    session = database.session()
    try:
        outbound.record_status(session, report)
    except outbound.UnknownMessage:
        log.warning("status for a text we never sent", extra={"sid": report.sid})
        abort(_plain("unknown message", 404))
    session.commit()
    return Response(status=204)
