"""Web chat over HTTP and Socket.IO: the visitor's widget (on another site) and the agent's desktop.

The visitor has no login: starting a chat returns a signed chat token that the widget keeps in
sessionStorage and shows on every request (`X-Chat-Token`) or socket event. Requests come from
the sites named in CHAT_ALLOWED_ORIGINS (and our own pages); any other Origin is refused, and
answers carry CORS headers for the allowed one only (no cookies are used or allowed). Rate
limits count per client address and per chat, in Redis, so all web processes share them.

What changes in a chat is announced on Redis (`events.CHAT_CHANNEL`) after the commit; every web
process relays it to its own sockets: the visitor's `/chat` namespace room and the agent's room.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, send_from_directory
from flask_login import current_user, login_required
from flask_socketio import join_room
from sqlalchemy import select

from contactcenter import events
from contactcenter.acd.services import chat_id_of
from contactcenter.calls.screen_pop import customer_view
from contactcenter.chat import routing, services as chats
from contactcenter.chat.models import Chat, ChatAuthor, ChatMessage, ChatStatus
from contactcenter.contacts.models import Customer
from contactcenter.errors import DomainError
from web import database
from web.extensions import socketio
from web.ratelimit import Limit, client_address, too_many
from web.services import acd_service

log = logging.getLogger("contactcenter.chat")
bp = Blueprint("chat", __name__, url_prefix="/chat")
agent_bp = Blueprint("desktop_chat", __name__, url_prefix="/desktop/chats")

NAMESPACE = "/chat"
TOKEN_HEADER = "X-Chat-Token"
MAX_BODY = 16 * 1024  # a pre-chat form or one message with room to spare
TYPING_TTL_S = 6
STARTS_PER_ADDRESS = Limit("chat-start", 10, 600)
REQUESTS_PER_ADDRESS = Limit("chat-ip", 1500, 60)  # many visitors can share one address (an office)
MESSAGES_PER_CHAT = Limit("chat-messages", 30, 60)
TRANSCRIPTS_PER_CHAT = Limit("chat-transcripts", 3, 3600)


def room(chat_id: int) -> str:
    return f"chat:{chat_id}"


# -- origins -------------------------------------------------------------------------------------
def own_origin() -> str:
    base = database.runtime().settings.public_base_url or request.host_url
    return base.rstrip("/").lower()


def origin_allowed(origin: str | None) -> bool:
    """No Origin (a same-origin GET, a script tag, a non-browser client) or one we allow."""
    if origin is None:
        return True
    origin = origin.rstrip("/").lower()
    return origin == own_origin() or origin in database.runtime().settings.chat_allowed_origins


@bp.before_request
def _check_origin_and_size() -> Response | tuple[Response, int] | None:
    if not origin_allowed(request.headers.get("Origin")):
        log.warning("chat: request from an origin not allowed")
        return _error("origin_not_allowed", "this site may not use the chat", 403)
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _error("too_large", f"at most {MAX_BODY} bytes per request", 413)
    limited = _limited(REQUESTS_PER_ADDRESS, client_address(), "chat requests")
    return limited


@bp.after_request
def _cors(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin is not None and origin_allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = f"Content-Type, {TOKEN_HEADER}"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Max-Age"] = "600"
    response.headers.add("Vary", "Origin")
    if response.mimetype == "application/json":
        response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
        response.headers["Cache-Control"] = "no-store"
    return response


# -- helpers -------------------------------------------------------------------------------------
def _error(code: str, message: str, status: int) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


def _limited(limit: Limit, who: str, what: str) -> Response | None:
    limiter = current_app.extensions.get("contactcenter.ratelimit")
    if limiter is None:
        return None
    verdict = limiter.hit(limit, who)
    return None if verdict.allowed else too_many(verdict, what)


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        refusal = jsonify(error={"code": "bad_request", "message": "send a JSON object"})
        refusal.status_code = 400
        abort(refusal)
    return data


def _visitor_chat(raw: object = None) -> Chat:
    token = raw if raw is not None else request.headers.get(TOKEN_HEADER)
    return chats.from_token(database.session(), token, database.runtime().settings.secret_key)


def _name_of(session: Any, message: ChatMessage, chat: Chat) -> str:
    if message.author == ChatAuthor.VISITOR.value:
        return chat.visitor_name
    if message.author == ChatAuthor.AGENT.value:
        return chats.agent_name(session, message.author_id) or "Agent"
    return ""


def message_view(session: Any, message: ChatMessage, chat: Chat) -> dict[str, Any]:
    """A message as widget and desktop show it: the body is text, never markup."""
    return {
        "seq": message.seq,
        "author": message.author,
        "name": _name_of(session, message, chat),
        "body": message.body,
        "client_id": message.client_id,
        "at": message.created_at.isoformat(),
    }


def _typing_key(chat_id: int, who: str) -> str:
    return f"chat:typing:{chat_id}:{who}"


def set_typing(chat: Chat, who: str, typing: bool) -> None:
    redis = database.runtime().redis
    if typing:
        redis.set(_typing_key(chat.id, who), "1", ex=TYPING_TTL_S)
    else:
        redis.delete(_typing_key(chat.id, who))
    announce(chat, "chat.typing", who=who, typing=typing)


def is_typing(chat: Chat, who: str) -> bool:
    return bool(database.runtime().redis.exists(_typing_key(chat.id, who)))


def announce(chat: Chat, kind: str, **data: Any) -> None:
    """Tell the chat's widget and agent (on whichever web process their sockets are)."""
    event = {"type": kind, "chat_id": chat.id, "agent_id": chat.agent_id, **data}
    try:
        events.publish(database.runtime().redis, event, channel=events.CHAT_CHANNEL)
    except Exception:  # noqa: BLE001 - the widget and desktop also poll; a lost nudge is not lost data
        log.warning("chat: could not announce %s", kind)


def state_view(chat: Chat) -> dict[str, Any]:
    session = database.session()
    wait = routing.waiting(acd_service(), chat)
    survey = chats.existing_rating(session, chat)
    return {
        "status": chat.status,
        "agent": chats.agent_name(session, chat.agent_id) if chat.agent_id else None,
        "position": wait.position if wait is not None else None,
        "agent_typing": chat.status == ChatStatus.ACTIVE.value and is_typing(chat, "agent"),
        "last_seq": chat.last_seq,
        "rated": survey is not None and survey.answered_at is not None,
    }


def _domain_error(exc: DomainError) -> tuple[Response, int]:
    status = {"invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409}.get(exc.kind, 422)
    return _error(exc.code, str(exc), status)


# -- the widget and the demo page ------------------------------------------------------------------
@bp.get("/widget.js")
def widget() -> Response:
    response = send_from_directory(current_app.static_folder or "static", "chat/widget.js", max_age=300)
    response.headers["Access-Control-Allow-Origin"] = "*"  # a script anyone may load; it carries no data
    return response


@bp.get("/widget.css")
def widget_css() -> Response:
    response = send_from_directory(current_app.static_folder or "static", "chat/widget.css", max_age=300)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/demo")
def demo() -> Response:
    """A stand-in company site carrying the widget, so the chat can be tried."""
    queue = request.args.get("queue", "chat")[:64]
    response = Response(render_template("chat/demo.html", queue=queue))
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return response


# -- the visitor's HTTP side -------------------------------------------------------------------------
@bp.post("/start")
def start() -> Response | tuple[Response, int]:
    limited = _limited(STARTS_PER_ADDRESS, client_address(), "new chats")
    if limited is not None:
        return limited
    data = _body()
    session = database.session()
    try:
        chat = chats.start(
            session,
            name=data.get("name"),
            email=data.get("email"),
            question=data.get("question"),
            queue=data.get("queue"),
            origin=(request.headers.get("Origin") or "")[:200],
        )
        routing.enqueue(session, acd_service(), chat)
    except DomainError as exc:
        session.rollback()
        return _domain_error(exc)
    session.commit()
    token = chats.token(chat, database.runtime().settings.secret_key)
    messages = chats.after(session, chat, 0)
    return jsonify(
        token=token,
        chat_id=chat.id,
        name=chat.visitor_name,
        messages=[message_view(session, m, chat) for m in messages],
        **state_view(chat),
    ), 201


@bp.get("/poll")
def poll() -> Response | tuple[Response, int]:
    """What happened after `after` (the widget's last seen sequence number) and where it stands."""
    session = database.session()
    try:
        chat = _visitor_chat()
        messages = chats.after(session, chat, request.args.get("after", "0"))
    except DomainError as exc:
        return _domain_error(exc)
    return jsonify(messages=[message_view(session, m, chat) for m in messages], **state_view(chat))


def visitor_says(chat: Chat, body: object, client_id: object) -> dict[str, Any]:
    """Store the visitor's message once (resends are answered with the stored one)."""
    session = database.session()
    posted = chats.post(session, chat, ChatAuthor.VISITOR, body, client_id=client_id)
    view = message_view(session, posted.message, chat)
    session.commit()
    if posted.created:
        database.runtime().redis.delete(_typing_key(chat.id, "visitor"))
        announce(chat, "chat.message", message=view)
    return {"message": view, "duplicate": not posted.created}


@bp.post("/messages")
def send() -> Response | tuple[Response, int]:
    data = _body()
    try:
        chat = _visitor_chat()
    except DomainError as exc:
        return _domain_error(exc)
    limited = _limited(MESSAGES_PER_CHAT, str(chat.id), "messages in this chat")
    if limited is not None:
        return limited
    try:
        return jsonify(visitor_says(chat, data.get("body"), data.get("client_id")))
    except DomainError as exc:
        database.session().rollback()
        return _domain_error(exc)


@bp.post("/typing")
def visitor_typing() -> Response | tuple[Response, int]:
    data = _body()
    try:
        chat = _visitor_chat()
    except DomainError as exc:
        return _domain_error(exc)
    if chat.status != ChatStatus.ENDED.value:
        set_typing(chat, "visitor", data.get("typing") is True)
    return jsonify(ok=True)


@bp.post("/end")
def visitor_end() -> Response | tuple[Response, int]:
    session = database.session()
    try:
        chat = _visitor_chat()
        ended = routing.end(session, acd_service(), chat, by="visitor")
    except DomainError as exc:
        session.rollback()
        return _domain_error(exc)
    session.commit()
    if ended:
        announce(chat, "chat.ended", by="visitor")
    return jsonify(ok=True, **state_view(chat))


@bp.post("/rating")
def rating() -> Response | tuple[Response, int]:
    data = _body()
    session = database.session()
    try:
        chat = _visitor_chat()
        chats.rate(session, chat, data.get("score"), data.get("comment"))
    except DomainError as exc:
        session.rollback()
        return _domain_error(exc)
    session.commit()
    return jsonify(ok=True)


@bp.post("/transcript")
def transcript() -> Response | tuple[Response, int]:
    session = database.session()
    try:
        chat = _visitor_chat()
    except DomainError as exc:
        return _domain_error(exc)
    limited = _limited(TRANSCRIPTS_PER_CHAT, str(chat.id), "transcripts for this chat")
    if limited is not None:
        return limited
    queued = chats.mail_transcript(session, chat)
    if queued is None:
        return _error("no_mailbox", "transcripts cannot be mailed here: no mailbox is set up", 409)
    session.commit()
    return jsonify(ok=True, to=chat.visitor_email)


# -- the visitor's socket ------------------------------------------------------------------------------
def _socket_chat(data: Any) -> Chat | None:
    token = data.get("token") if isinstance(data, dict) else None
    try:
        return _visitor_chat(token)
    except DomainError:
        return None


@socketio.on("connect", namespace=NAMESPACE)
def on_chat_connect(auth: Any = None) -> bool:
    """Only a widget on an allowed site, holding a token we signed, joins its chat's room."""
    if not origin_allowed(request.headers.get("Origin")):
        return False
    chat = _socket_chat(auth)
    if chat is None:
        return False
    join_room(room(chat.id))
    return True


@socketio.on("chat.resume", namespace=NAMESPACE)
def on_chat_resume(data: Any = None) -> dict[str, Any]:
    """After a reconnect: the messages after the widget's last seen sequence number."""
    chat = _socket_chat(data)
    if chat is None:
        return {"error": "chat_token_invalid"}
    session = database.session()
    try:
        messages = chats.after(session, chat, data.get("after", 0))
    except DomainError as exc:
        return {"error": exc.code}
    return {"messages": [message_view(session, m, chat) for m in messages], **state_view(chat)}


@socketio.on("chat.send", namespace=NAMESPACE)
def on_chat_send(data: Any = None) -> dict[str, Any]:
    chat = _socket_chat(data)
    if chat is None:
        return {"error": "chat_token_invalid"}
    limiter = current_app.extensions.get("contactcenter.ratelimit")
    if limiter is not None and not limiter.hit(MESSAGES_PER_CHAT, str(chat.id)).allowed:
        return {"error": "too_many_messages"}
    try:
        return visitor_says(chat, data.get("body"), data.get("client_id"))
    except DomainError as exc:
        database.session().rollback()
        return {"error": exc.code, "message": str(exc)}


@socketio.on("chat.typing", namespace=NAMESPACE)
def on_chat_typing(data: Any = None) -> dict[str, Any]:
    chat = _socket_chat(data)
    if chat is None:
        return {"error": "chat_token_invalid"}
    if chat.status != ChatStatus.ENDED.value:
        set_typing(chat, "visitor", data.get("typing") is True)
    return {"ok": True}


def relay(event: dict[str, Any]) -> None:
    """Called by the event relay for each chat event this process hears."""
    chat_id = event.get("chat_id")
    if isinstance(chat_id, int):
        socketio.emit(event["type"], event, to=room(chat_id), namespace=NAMESPACE)
    agent = event.get("agent_id")
    if agent not in (None, ""):
        socketio.emit(event["type"], event, to=events.agent_room(agent))


# -- the agent's side ------------------------------------------------------------------------------------
def _agent_chat(chat_id: int, *, offered_ok: bool = False) -> Chat:
    """The chat the logged-in agent is on (or, for viewing, is being offered)."""
    if current_user.role != "agent":
        abort(403, "only agents take chats")
    chat = database.session().get(Chat, chat_id)
    if chat is None:
        abort(404)
    if chat.agent_id == current_user.id:
        return chat
    if offered_ok:
        offers = database.runtime().acd.pending_offers()
        if any(chat_id_of(o.call_sid) == chat.id and o.agent_id == str(current_user.id) for o in offers):
            return chat
    abort(403, "not your chat")


def desktop_view(chat: Chat) -> dict[str, Any]:
    """The chat as the desktop's canvas shows it: conversation, customer 360, canned answers."""
    session = database.session()
    customer = session.get(Customer, chat.customer_id) if chat.customer_id else None
    pop = customer_view(session, customer) if customer is not None else None
    messages = session.scalars(select(ChatMessage).where(ChatMessage.chat_id == chat.id).order_by(ChatMessage.seq))
    return {
        "id": chat.id,
        "status": chat.status,
        "visitor": chat.visitor_name,
        "email": chat.visitor_email,
        "ticket_id": chat.ticket_id,
        "origin": chat.origin,
        "messages": [message_view(session, m, chat) for m in messages],
        "visitor_typing": chat.status == ChatStatus.ACTIVE.value and is_typing(chat, "visitor"),
        "pop": pop,
        "canned": [{"id": c.id, "name": c.name, "text": c.text} for c in chats.canned_responses(session)],
    }


def offer_summary(task_id: str | None) -> dict[str, Any] | None:
    """For the desktop snapshot: the chat an offer or current task names (None: a call)."""
    return _summary(routing.agent_chat(database.session(), task_id))


def wrap_up_summary(agent_id: int, since: float) -> dict[str, Any] | None:
    """For the desktop snapshot of an agent in wrap-up: the chat they are wrapping up, if any."""
    return _summary(routing.wrapping_up(database.session(), agent_id, datetime.fromtimestamp(since - 5, UTC)))


def _summary(chat: Chat | None) -> dict[str, Any] | None:
    if chat is None:
        return None
    return {"id": chat.id, "visitor": chat.visitor_name, "email": chat.visitor_email, "status": chat.status}


@agent_bp.get("/<int:chat_id>")
@login_required
def agent_view(chat_id: int) -> Response:
    return jsonify(desktop_view(_agent_chat(chat_id, offered_ok=True)))


@agent_bp.post("/<int:chat_id>/messages")
@login_required
def agent_send(chat_id: int) -> Response | tuple[Response, int]:
    chat = _agent_chat(chat_id)
    data = _body()
    session = database.session()
    try:
        posted = chats.post(session, chat, ChatAuthor.AGENT, data.get("body"), author_id=current_user.id)
    except DomainError as exc:
        session.rollback()
        return _domain_error(exc)
    view = message_view(session, posted.message, chat)
    session.commit()
    database.runtime().redis.delete(_typing_key(chat.id, "agent"))
    announce(chat, "chat.message", message=view)
    return jsonify(message=view)


@agent_bp.post("/<int:chat_id>/typing")
@login_required
def agent_typing(chat_id: int) -> Response:
    chat = _agent_chat(chat_id)
    data = _body()
    if chat.status == ChatStatus.ACTIVE.value:
        set_typing(chat, "agent", data.get("typing") is True)
    return jsonify(ok=True)


@agent_bp.post("/<int:chat_id>/end")
@login_required
def agent_end(chat_id: int) -> Response:
    chat = _agent_chat(chat_id)
    session = database.session()
    ended = routing.end(session, acd_service(), chat, by="agent", agent_id=current_user.id)
    session.commit()
    if ended:
        announce(chat, "chat.ended", by="agent")
    return jsonify(ok=True, status=chat.status)


@agent_bp.post("/<int:chat_id>/wrapup")
@login_required
def agent_wrapup(chat_id: int) -> Response | tuple[Response, int]:
    """The chat's wrap-up: the agent's notes go on the ticket as an internal note, and the
    agent leaves wrap-up (as submitting a call's wrap-up does)."""
    chat = _agent_chat(chat_id)
    if chat.status != ChatStatus.ENDED.value:
        return _error("chat_not_ended", "end the chat before its wrap-up", 409)
    data = _body()
    session = database.session()
    try:
        chats.wrap_up(session, chat, data.get("notes"), agent_id=current_user.id)
    except DomainError as exc:
        session.rollback()
        return _domain_error(exc)
    acd_service().end_wrap_up(current_user.id, force=True)  # submitting ends it early, as for calls
    session.commit()
    return jsonify(ok=True)
