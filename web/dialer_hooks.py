"""Carrier webhooks of campaign calls: `/hooks/dialer/answer|hold|status?attempt=ID`.

Signed and checked exactly like the inbound hooks (`web.hooks`); the domain side lives in
`contactcenter.dialer.connect`. Pacer events are published only after the commit.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request

from contactcenter.dialer.connect import DialerHookUrls, OutboundCalls, UnknownAttempt
from contactcenter.dialer.pacer import publish_event
from contactcenter.telephony.twiml import render
from contactcenter.tickets.interactions import UnknownCall
from web import database
from web.hooks import _event, _external, _plain, _twiml, acd_service

bp = Blueprint("dialer_hooks", __name__, url_prefix="/hooks/dialer")
log = logging.getLogger("contactcenter.hooks.dialer")


def _attempt() -> int:
    raw = request.args.get("attempt", "")
    if not raw.isdigit() or len(raw) > 12:
        abort(_plain("malformed webhook: attempt must be an id", 400))
    return int(raw)


def _calls() -> OutboundCalls:
    urls = DialerHookUrls(
        answer=_external("dialer_hooks.answer"),
        status=_external("dialer_hooks.status"),
        hold=_external("dialer_hooks.hold"),
    )
    return OutboundCalls(database.session(), acd_service(), urls,
                         default_region=database.runtime().settings.default_region)


def _finish(calls: OutboundCalls) -> None:
    database.session().commit()
    redis = database.runtime().redis
    for event in calls.events:
        try:
            publish_event(redis, **event.as_dict())
        except Exception:  # the pacer reconciles with the records; the call goes on
            log.warning("could not publish a pacer event", exc_info=True)


def _run(kind: str, method: str) -> Response:
    event = _event(kind)
    attempt_id = _attempt()
    calls = _calls()
    try:
        result = getattr(calls, method)(event, attempt_id)
    except (UnknownAttempt, UnknownCall):
        abort(_plain("unknown call", 404))
    _finish(calls)
    if method == "status":
        return Response(status=204)
    return _twiml(render(result))


@bp.post("/answer")
def answer() -> Response:
    return _run("voice", "answer")


@bp.post("/hold")
def hold() -> Response:
    return _run("voice", "hold")


@bp.post("/status")
def status() -> Response:
    return _run("status", "status")
