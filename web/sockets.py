"""Socket.IO: who may connect, which rooms they join, snapshots, and the Redis → client relay.

A socket is authenticated by the Flask-Login session cookie of the page that opened it; without
one the connection is refused. Agents join their own room, supervisors and admins the board's.
A client that (re)connects asks for a snapshot instead of replaying what it missed. Every
socket also joins its user's own room, so that when that user's sessions end (logout, password
reset, role change, deactivation) each process can disconnect its own sockets of that user: the
relay hears `accounts.sessions.SESSIONS_ENDED_CHANNEL` and calls `end_sockets_of`.

Agents get their events one by one (there are few per agent). Supervisors do not: everything the
relay hears for the board goes to the process's `BoardFeed`, which coalesces it into at most a
few `board.update` messages a second, however busy the center (`contactcenter.board.feed`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, current_app, has_app_context, request
from flask_login import current_user
from flask_socketio import join_room
from sqlalchemy.engine import Engine

from contactcenter import events
from contactcenter.accounts.sessions import SESSIONS_ENDED_CHANNEL, decode_ended
from contactcenter.app import wiring
from contactcenter.app.runtime import Runtime
from contactcenter.board.feed import BoardFeed, BoardSource
from contactcenter.tickets import views as ticket_views
from web.extensions import socketio

log = logging.getLogger("contactcenter.sockets")


def _is_supervisor() -> bool:
    return current_user.role in ("supervisor", "admin")


class Board:
    """This process's board: where its figures come from, its feed, and who is watching."""

    def __init__(self, runtime: Runtime) -> None:
        self.source = BoardSource(runtime.session_factory, runtime.acd)
        self.feed: BoardFeed | None = None
        self._watchers: set[str] = set()
        self._lock = threading.Lock()

    def watching(self) -> int:
        with self._lock:
            return len(self._watchers)

    def watch(self, sid: str) -> None:
        with self._lock:
            self._watchers.add(sid)

    def leave(self, sid: str) -> None:
        with self._lock:
            self._watchers.discard(sid)

    def start_feed(self, runtime: Runtime) -> BoardFeed:
        # A session factory bound to one connection (the tests' rolled-back transaction) must not
        # be shared with a thread: then today's figures are read only when a snapshot is asked for.
        bind = runtime.session_factory.kw.get("bind")
        self.feed = BoardFeed(
            self.source,
            lambda name, data: socketio.emit(name, data, to=events.SUPERVISORS_ROOM),
            listeners=self.watching,
            sql_in_background=isinstance(bind, Engine),
        ).start()
        return self.feed


def board_of(app: Flask | None = None) -> Board:
    return (app or current_app).extensions["contactcenter.board"]


def user_room(user_id: object) -> str:
    """Every socket of one user in this process (whatever their role)."""
    return f"user:{user_id}"


def end_sockets_of(user_id: int) -> int:
    """Disconnect this process's sockets of the user; how many there were."""
    sids = [sid for sid, _eio in socketio.server.manager.get_participants("/", user_room(user_id))]
    for sid in sids:
        socketio.server.disconnect(sid, namespace="/")
    if sids:
        log.info("ended %d socket(s) of user %s", len(sids), user_id)
    return len(sids)


def _from_our_pages() -> bool:
    """Staff sockets come from our own pages only: the engine lets the chat widget's sites in
    (CHAT_ALLOWED_ORIGINS), and those must never reach a desktop's or the board's events."""
    from web.chat import own_origin

    origin = request.headers.get("Origin")
    return origin is None or origin.rstrip("/").lower() == own_origin()


@socketio.on("connect")
def on_connect(auth: Any = None) -> bool:
    if not current_user.is_authenticated or not _from_our_pages():
        return False  # refused: no session (or another site's page), no socket
    join_room(user_room(current_user.id))
    if current_user.role == "agent":
        join_room(events.agent_room(current_user.id))
    if _is_supervisor():
        join_room(events.SUPERVISORS_ROOM)
        board_of().watch(request.sid)  # type: ignore[attr-defined]
    return True


@socketio.on("disconnect")
def on_disconnect(*_args: Any) -> None:
    board_of().leave(request.sid)  # type: ignore[attr-defined]


@socketio.on("snapshot.request")
def on_snapshot(_data: Any = None) -> dict[str, Any]:
    """The true state now, for a client that just connected or woke up."""
    if not current_user.is_authenticated:
        return {"error": "not signed in"}
    if _is_supervisor():
        from web import database
        from web.hooks import acd_service

        acd_service()  # configures the router on first use in this process
        return board_of().source.snapshot(database.session())
    from web.desktop import snapshot_for

    return snapshot_for(current_user)


# Open ticket views (/tickets) listen for a bare "tickets changed" nudge, then fetch their own
# counts; the relay sends at most one nudge per TICKETS_NUDGE_GAP_S however busy the center. They
# connect to a namespace of their own, so an agent's open views never count as a desktop socket
# (presence) nor receive the desktop's events.
TICKETS_NAMESPACE = "/tickets"
TICKETS_ROOM = "tickets"
TICKETS_NUDGE_GAP_S = 1.0


@socketio.on("connect", namespace=TICKETS_NAMESPACE)
def on_tickets_connect(auth: Any = None) -> bool:
    if not current_user.is_authenticated or not _from_our_pages():
        return False
    join_room(TICKETS_ROOM)
    return True


def _request_redis() -> Any:
    """The Redis client of the app serving this request, told of ticket changes its commits
    make (outside a request, the process's own announcer tells: see app.wiring)."""
    if not has_app_context():
        return None
    runtime = current_app.extensions.get("contactcenter.app.runtime")
    return runtime.redis if runtime is not None else None


class TicketNudge:
    """Coalesces the "tickets changed" announcements this process hears into spaced-out nudges."""

    def __init__(self, gap_s: float = TICKETS_NUDGE_GAP_S) -> None:
        self.gap_s = gap_s
        self.pending = False
        self.last = 0.0

    def heard(self) -> None:
        self.pending = True

    def due(self, now: float) -> bool:
        """True (once) when a nudge should go out now."""
        if not self.pending or now - self.last < self.gap_s:
            return False
        self.pending, self.last = False, now
        return True


class EventRelay:
    """Listens on Redis pub/sub and emits each event to its Socket.IO rooms (one per process)."""

    def __init__(self, runtime: Runtime, feed: BoardFeed | None = None) -> None:
        self.runtime = runtime
        self.feed = feed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()
        self.tickets = TicketNudge()

    def start(self) -> EventRelay:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="event-relay", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self.feed is not None:
            self.feed.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _nudge_ticket_views(self) -> None:
        socketio.emit("tickets.changed", {"type": "tickets.changed"}, to=TICKETS_ROOM, namespace=TICKETS_NAMESPACE)

    def _run(self) -> None:
        while not self._stop.is_set():
            pubsub = self.runtime.redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(
                    *events.CHANNELS,
                    SESSIONS_ENDED_CHANNEL,
                    ticket_views.TICKETS_CHANGED_CHANNEL,
                    events.CHAT_CHANNEL,
                )
                self.ready.set()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if self.tickets.due(time.monotonic()):
                        self._nudge_ticket_views()
                    if message is None or message.get("type") != "message":
                        continue
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    if channel == ticket_views.TICKETS_CHANGED_CHANNEL:
                        self.tickets.heard()
                        if self.tickets.due(time.monotonic()):
                            self._nudge_ticket_views()
                        continue
                    if channel == SESSIONS_ENDED_CHANNEL:
                        user_id = decode_ended(message["data"])
                        if user_id is not None:
                            end_sockets_of(user_id)
                        continue
                    event = events.decode(message["data"])
                    if event is None:
                        continue
                    if channel == events.CHAT_CHANNEL:
                        from web.chat import relay as relay_chat

                        relay_chat(event)
                        continue
                    for room in events.rooms_for(event, channel):
                        if room == events.SUPERVISORS_ROOM:
                            if self.feed is not None:
                                self.feed.notify(event)  # coalesced into board.update
                        else:
                            socketio.emit(event["type"], event, to=room)
            except Exception:  # noqa: BLE001 - Redis restarts must not kill the relay
                log.exception("event relay lost Redis; reconnecting")
                self._stop.wait(1.0)
            finally:
                try:
                    pubsub.close()
                except Exception:  # noqa: BLE001
                    pass


def init_app(app: Flask, runtime: Runtime, *, relay: bool = True) -> None:
    wiring.announce_ticket_changes_through(_request_redis)
    board = Board(runtime)
    app.extensions["contactcenter.board"] = board
    if relay:
        app.extensions["contactcenter.relay"] = EventRelay(runtime, board.start_feed(runtime)).start()


def relay_of(app: Flask | None = None) -> EventRelay | None:
    return (app or current_app).extensions.get("contactcenter.relay")
