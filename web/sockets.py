"""Socket.IO: who may connect, which rooms they join, snapshots, and the Redis → client relay.

A socket is authenticated by the Flask-Login session cookie of the page that opened it; without
one the connection is refused. Agents join their own room, supervisors and admins the board's.
A client that (re)connects asks for a snapshot instead of replaying what it missed.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, current_app
from flask_login import current_user
from flask_socketio import join_room

from contactcenter import events
from contactcenter.runtime import Runtime
from web.extensions import socketio

log = logging.getLogger("contactcenter.sockets")


def _is_supervisor() -> bool:
    return current_user.role in ("supervisor", "admin")


@socketio.on("connect")
def on_connect(auth: Any = None) -> bool:
    if not current_user.is_authenticated:
        return False  # refused: no session, no socket
    if current_user.role == "agent":
        join_room(events.agent_room(current_user.id))
    if _is_supervisor():
        join_room(events.SUPERVISORS_ROOM)
    return True


@socketio.on("snapshot.request")
def on_snapshot(_data: Any = None) -> dict[str, Any]:
    """The true state now, for a client that just connected or woke up."""
    from web.desktop import snapshot_for

    return snapshot_for(current_user)


class EventRelay:
    """Listens on Redis pub/sub and emits each event to its Socket.IO rooms (one per process)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()

    def start(self) -> "EventRelay":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="event-relay", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            pubsub = self.runtime.redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(*events.CHANNELS)
                self.ready.set()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if message is None or message.get("type") != "message":
                        continue
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    event = events.decode(message["data"])
                    if event is None:
                        continue
                    for room in events.rooms_for(event, channel):
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
    if relay:
        app.extensions["contactcenter.relay"] = EventRelay(runtime).start()


def relay_of(app: Flask | None = None) -> EventRelay | None:
    return (app or current_app).extensions.get("contactcenter.relay")
