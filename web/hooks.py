"""Carrier webhooks: verify the signature, parse, hand to the domain, answer TwiML.

Order matters: body size first (413), then signature (403) before we look at a single value,
then shape (400), then the domain (404 for calls we never saw). Only a request that passes all
of them may write.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from flask import Blueprint, Response, abort, current_app, g, request
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, TimeoutError as PoolTimeout

from contactcenter import phones
from contactcenter.acd.services import CALLBACK_TASK
from contactcenter.app import outbox
from contactcenter.calls import agent_legs
from contactcenter.calls.services import CallService
from contactcenter.contacts.interactions import UnknownCall
from contactcenter.telephony.interfaces import TelephonyError
from contactcenter.telephony.signatures import SignatureChecker, called_url
from contactcenter.telephony.twiml import render
from contactcenter.telephony.webhooks import (
    CALL_SID,
    MAX_HELD,
    MalformedWebhook,
    fallback_instructions,
    parse_call_event,
)
from web import database
from web.services import acd_service, services

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
log = logging.getLogger("contactcenter.hooks")
FORM = "application/x-www-form-urlencoded"


def _plain(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def _params() -> dict[str, str]:
    settings = database.runtime().settings
    request.max_content_length = settings.max_webhook_bytes
    if request.mimetype != FORM:
        abort(_plain("webhooks must be form-encoded", 415))
    form = request.form  # raises 413 past max_content_length
    params: dict[str, str] = {}
    for key in form:
        values = form.getlist(key)
        if len(values) != 1:
            abort(_plain(f"parameter {key[:64]!r} given more than once", 400))
        params[key] = values[0]
    return params


def _event(kind: str):  # type: ignore[no-untyped-def]
    settings = database.runtime().settings
    params = _params()
    url = _called_url()
    checker: SignatureChecker = current_app.extensions["contactcenter.signatures"]
    if not checker.is_valid(url, params, request.headers.get("X-Twilio-Signature")):
        log.warning("webhook refused: bad signature", extra={"path": request.path})
        abort(_plain("signature check failed", 403))
    try:
        event = parse_call_event(kind, params)
    except MalformedWebhook as exc:
        abort(_plain(f"malformed webhook: {exc}", 400))
    if event.account_sid != settings.twilio_account_sid:
        abort(_plain("webhook is for another account", 403))
    g.webhook = (kind, params)  # verified: the fallback below may keep it for the outbox
    return event


def _called_url() -> str:
    """This request's URL as the carrier signed it: the raw query string, never a re-encoded one."""
    return called_url(
        request.scheme,
        request.host,
        request.root_path + request.path,
        request.environ.get("QUERY_STRING", ""),
        database.runtime().settings.public_base_url,
    )


def _service() -> CallService:
    # The flow first: its first load in a process reads the queue names in a session of its own,
    # which on SQLite would wait for this request's write lock once the ACD service has begun it.
    flow = database.runtime().ivr_flow()
    return services().calls(flow)


def _step() -> int:
    raw = request.args.get("step", "")
    if not raw.isdigit() or len(raw) > 6:
        abort(_plain("malformed webhook: step must be a whole number", 400))
    return int(raw)


def _small_int(params_value: str | None, name: str) -> int | None:
    if params_value in (None, ""):
        return None
    if not params_value.isdigit() or len(params_value) > 6:
        abort(_plain(f"malformed webhook: {name} must be a whole number", 400))
    return int(params_value)


def _ivr(kind: str) -> Response:
    event = _event("voice")
    step = _step()
    dial_status = event.params.get("DialCallStatus")
    if dial_status is not None and dial_status not in (
        "completed",
        "answered",
        "busy",
        "no-answer",
        "failed",
        "canceled",
    ):
        abort(_plain("malformed webhook: DialCallStatus is not a known status", 400))
    duration = _small_int(event.params.get("RecordingDuration"), "RecordingDuration")
    try:
        instructions = _service().ivr_input(event, step, kind, dial_status=dial_status, recording_duration=duration)
    except UnknownCall:
        abort(_plain("unknown call", 404))
    db = database.session()
    if db.in_transaction() or db.new or db.dirty or db.deleted:  # a menu answer from Redis wrote nothing
        db.commit()
    return _twiml(render(instructions))


@bp.post("/ivr")
def ivr_gather() -> Response:
    return _ivr("gather")


@bp.post("/ivr/recording")
def ivr_recording() -> Response:
    return _ivr("recording")


@bp.post("/ivr/dial")
def ivr_dial() -> Response:
    return _ivr("dial")


def _twiml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


@bp.post("/voice")
def voice() -> Response:
    event = _event("voice")
    instructions = _service().answer(event)
    database.session().commit()
    log.info("call answered", extra={"call_sid": event.call_sid, "from": phones.mask(event.from_number)})
    return _twiml(render(instructions))


@bp.post("/wait")
def wait() -> Response:
    event = _event("wait")
    try:
        instructions = _service().hold(event)
    except UnknownCall:
        abort(_plain("unknown call", 404))
    return _twiml(render(instructions))


@bp.post("/status")
def status() -> Response:
    event = _event("status")
    try:
        recorded = _service().status(event)
    except UnknownCall:
        abort(_plain("unknown call", 404))
    database.session().commit()
    if not recorded.duplicate:
        log.info("call status", extra={"call_sid": event.call_sid, "status": event.call_status})
    return Response(status=204)


@bp.post("/queue/key")
def queue_key() -> Response:
    event = _event("voice")
    try:
        instructions = _service().queue_key(event)
    except UnknownCall:
        abort(_plain("unknown call", 404))
    database.session().commit()
    return _twiml(render(instructions))


def _call_param() -> str:
    sid = request.args.get("call", "")
    if not CALL_SID.match(sid):
        abort(_plain("malformed webhook: call must be a call id", 400))
    return sid


def _task_param() -> str | None:
    """The router's task an agent's leg serves when it is not the call itself (a callback)."""
    task = request.args.get("task")
    if task is None:
        return None
    if not CALLBACK_TASK.match(task):
        abort(_plain("malformed webhook: task must be a callback id", 400))
    return task


@bp.post("/connect")
def connect() -> Response:
    _event("voice")
    call_sid = _call_param()
    try:
        instructions = _service().connect(call_sid)
    except UnknownCall:
        abort(_plain("unknown call", 404))
    # The consent announcement (and the recording, where the rules say so) before the agent.
    instructions = [*services().recordings().on_connect(call_sid), *instructions]
    database.session().commit()
    return _twiml(render(instructions))


@bp.post("/hold")
def hold() -> Response:
    event = _event("wait")
    return _twiml(render(_service().conference_hold(event)))


@bp.post("/agent-leg")
def agent_leg() -> Response:
    """Status of an agent's audio leg: when it ends, the agent's conversation is over."""
    event = _event("status")
    call_sid = _call_param()
    agent = request.args.get("agent", "")
    if not agent.isdigit() or len(agent) > 12:
        abort(_plain("malformed webhook: agent must be an id", 400))
    if event.call_status == "in-progress":  # answered: is anyone still there to talk to?
        if not acd_service().agent_leg_answered(call_sid, event.call_sid):
            agent_legs.record_answered(database.runtime().redis, int(agent), call_sid, event.call_sid)
    elif event.is_terminal:
        service = acd_service()
        outcome = service.agent_leg_ended(call_sid, int(agent), task=_task_param())
        if outcome.ok:
            call = service.interaction(call_sid)
            if call is not None and not call.is_ended and service.telephony is not None:
                try:
                    service.telephony.hangup(call_sid)  # the agent left: do not strand the caller
                except TelephonyError:
                    pass
        database.session().commit()
    return Response(status=204)


@bp.post("/callback-answer")
def callback_answer() -> Response:
    """The customer we call back answered: into the conference where their agent waits."""
    event = _event("voice")
    raw = request.args.get("request", "")
    if not raw.isdigit() or len(raw) > 12:
        abort(_plain("malformed webhook: request must be an id", 400))
    instructions = _service().callback_answered(event, int(raw))
    database.session().commit()
    return _twiml(render(instructions))


@bp.post("/overflow")
def overflow() -> Response:
    """A caller taken out of the line after waiting too long: the queue's overflow action."""
    _event("voice")
    reason = request.args.get("reason", "max-wait")
    if reason not in ("max-wait", "closed", "full"):
        abort(_plain("malformed webhook: unknown overflow reason", 400))
    try:
        instructions = _service().overflow_now(_call_param(), reason)
    except UnknownCall:
        abort(_plain("unknown call", 404))
    database.session().commit()
    return _twiml(render(instructions))


@bp.post("/overflow/recording")
def overflow_recording() -> Response:
    event = _event("voice")
    call_sid = _call_param()
    if call_sid != event.call_sid:
        abort(_plain("malformed webhook: call does not match CallSid", 400))
    duration = _small_int(event.params.get("RecordingDuration"), "RecordingDuration")
    try:
        instructions = _service().overflow_recording(event, call_sid, duration)
    except UnknownCall:
        abort(_plain("unknown call", 404))
    database.session().commit()
    return _twiml(render(instructions))


# -- the store or Redis unreachable ---------------------------------------------------------------

STORE_AWAY = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeout,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def store_unreachable(exc: Exception) -> Response:
    """The database (or Redis) did not answer: the caller hears "please hold", never an error.

    Only a webhook that passed every check gets here with `g.webhook`; its facts (a call
    arriving or ending) go to the outbox when Redis is up, to be written once the store returns,
    and the carrier is sent back to the same webhook to carry on.
    """
    database.discard_session()
    webhook = g.get("webhook")
    if webhook is None:
        return _plain("temporarily unavailable", 503)
    kind, params = webhook
    endpoint = (request.endpoint or "").rpartition(".")[2]
    held = request.args.get("held", "0")
    rounds = int(held) if held.isdigit() and len(held) < 6 else 0
    kept = False
    # A caller held in the redirect loop comes back every few seconds: their arrival is kept once.
    if not isinstance(exc, redis.exceptions.RedisError) and rounds == 0:
        try:
            kept = outbox.write(database.runtime().redis, endpoint, kind, params, request.args.to_dict())
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
    instructions = fallback_instructions(endpoint, _retry_url(min(rounds + 1, MAX_HELD)), rounds)
    if instructions is None:
        return Response(status=204) if kept else _plain("temporarily unavailable", 503)
    return _twiml(render(instructions))


def _retry_url(held: int) -> str:
    """This webhook's public URL again, counting the rounds the caller has been held."""
    parts = urlsplit(_called_url())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "held"]
    query.append(("held", str(held)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


for _error in STORE_AWAY:
    bp.register_error_handler(_error, store_unreachable)
