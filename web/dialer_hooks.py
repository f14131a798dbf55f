"""Carrier webhooks of campaign calls: `/hooks/dialer/answer|hold|status?attempt=ID&campaign=ID`.

Signed and checked exactly like the inbound hooks (`web.hooks`); the domain side lives in
`contactcenter.dialer.connect`. Pacer events are published only after the commit.
"""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, Response, abort, g, request

from contactcenter.app import outbox
from contactcenter.contacts.interactions import UnknownCall
from contactcenter.dialer.connect import OutboundCalls, UnknownAttempt
from contactcenter.dialer.outage import safe_harbor_while_store_away
from contactcenter.dialer.pacer_worker import publish_event
from contactcenter.telephony.interfaces import Conference
from contactcenter.telephony.twiml import render
from web import database
from web.hooks import STORE_AWAY, _event, _plain, _twiml
from web.services import services

bp = Blueprint("dialer_hooks", __name__, url_prefix="/hooks/dialer")
log = logging.getLogger("contactcenter.hooks.dialer")


def _attempt() -> int:
    raw = request.args.get("attempt", "")
    if not raw.isdigit() or len(raw) > 12:
        abort(_plain("malformed webhook: attempt must be an id", 400))
    return int(raw)


def _calls() -> OutboundCalls:
    return services().outbound_calls()


def _finish(calls: OutboundCalls) -> None:
    database.session().commit()
    redis = database.runtime().redis
    for event in calls.events:
        try:
            publish_event(redis, **event.as_dict())
        except Exception:  # the pacer reconciles with the records; the call goes on
            log.warning("could not publish a pacer event", exc_info=True)


def _screened() -> bool:
    """False only for `amd=off`: a call the pacer sent without answering-machine detection."""
    return request.args.get("amd", "") != "off"


def _run(kind: str, method: str) -> Response:
    event = _event(kind)
    attempt_id = _attempt()
    calls = _calls()
    options = {} if method == "hold" else {"screened": _screened()}
    try:
        result = getattr(calls, method)(event, attempt_id, **options)
    except (UnknownAttempt, UnknownCall):
        abort(_plain("unknown call", 404))
    if method == "answer" and any(isinstance(i, Conference) for i in result):
        # The campaign's (or region's) consent announcement and recording, before the agent.
        result = [*services().recordings().on_connect(event.call_sid), *result]
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


def store_unreachable(exc: Exception) -> Response:
    """The database (or Redis) did not answer a campaign call's webhook.

    A person on the line cannot be held in a retry loop as an inbound caller is: past 2 s without
    an agent the call is abandoned and the law wants the safe-harbor message. So they hear it now,
    and the answer (or the wait), like a status callback, is kept in the outbox to be written
    when the store returns.
    """
    database.discard_session()
    webhook = g.get("webhook")
    if webhook is None:
        return _plain("temporarily unavailable", 503)
    kind, params = webhook
    endpoint = "dialer_" + (request.endpoint or "").rpartition(".")[2]
    client = database.runtime().redis
    kept = False
    if not isinstance(exc, redis.exceptions.RedisError):
        try:
            kept = outbox.write(client, endpoint, kind, params, request.args.to_dict())
        except redis.exceptions.RedisError:
            log.error(
                "webhook %s lost: neither the database nor Redis answered",
                endpoint,
                extra={"call_sid": params.get("CallSid")},
            )
    log.warning(
        "store unreachable (%s): %s answered with the fallback%s",
        type(exc).__name__,
        endpoint,
        ", event kept in the outbox" if kept else "",
        extra={"call_sid": params.get("CallSid")},
    )
    if endpoint == "dialer_status":
        return Response(status=204) if kept else _plain("temporarily unavailable", 503)
    raw = request.args.get("campaign", "")
    campaign_id = int(raw) if raw.isdigit() and len(raw) <= 12 else None
    return _twiml(render(safe_harbor_while_store_away(client, campaign_id)))


for _error in STORE_AWAY:
    bp.register_error_handler(_error, store_unreachable)
