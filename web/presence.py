"""Socket.IO presence: an agent's desktop sockets, kept in Redis so the heartbeat can tell when
one is gone for good (`contactcenter.presence`).

python-socketio keeps one handler per event, so these wrap the handlers `web.sockets` defines
(authentication and rooms on connect, the board's bookkeeping on disconnect) and add presence
after them. This module is imported by `web.app` before any Socket.IO server exists, so the
wrapping handlers are the ones every app registers.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user

from contactcenter import presence
from web import database, sockets
from web.extensions import socketio

_authenticate = sockets.on_connect
_previous_disconnect = getattr(sockets, "on_disconnect", None)


def _is_agent() -> bool:
    return bool(current_user.is_authenticated and current_user.role == "agent")


@socketio.on("connect")
def on_connect(auth: Any = None) -> bool:
    if _authenticate(auth) is False:
        return False
    if _is_agent():
        presence.connected(database.runtime().redis, current_user.id, request.sid)  # type: ignore[attr-defined]
    return True


@socketio.on("disconnect")
def on_disconnect(*args: Any) -> None:
    if _previous_disconnect is not None:
        _previous_disconnect(*args)
    if _is_agent():
        rt = database.runtime()
        presence.disconnected(rt.redis, current_user.id, request.sid, rt.settings.presence_grace_s)  # type: ignore[attr-defined]
