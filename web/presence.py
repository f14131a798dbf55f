"""Socket.IO presence: an agent's desktop sockets, kept in Redis so the heartbeat can tell when
one is gone for good (`contactcenter.app.presence`).

python-socketio keeps one handler per event, so these wrap the handlers `web.sockets` defines
(authentication and rooms on connect, the board's bookkeeping on disconnect) and add presence
after them. This module is imported by `web.app` before any Socket.IO server exists, so the
wrapping handlers are the ones every app registers.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app, request
from flask_login import current_user

from contactcenter.app import presence
from contactcenter.app.runtime import Runtime
from web import database, sockets
from web.extensions import socketio

_authenticate = sockets.on_connect
_previous_disconnect = getattr(sockets, "on_disconnect", None)
# Which agent each of this process's sockets belongs to: a socket ended because its user's
# sessions ended has no signed-in user any more when it disconnects, yet its presence must go.
_agent_of_sid: dict[str, int] = {}
_sids_lock = threading.Lock()


def _is_agent() -> bool:
    return bool(current_user.is_authenticated and current_user.role == "agent")


def init_app(app: Flask, runtime: Runtime) -> None:
    """One lease per app (a process): started by its first agent socket."""
    app.extensions["contactcenter.app.presence"] = presence.ProcessLease(
        runtime.redis, runtime.settings.presence_lease_s
    )


def _lease() -> presence.ProcessLease:
    return current_app.extensions["contactcenter.app.presence"]


@socketio.on("connect")
def on_connect(auth: Any = None) -> bool:
    if _authenticate(auth) is False:
        return False
    if _is_agent():
        lease = _lease()
        lease.ensure_started()
        with _sids_lock:
            _agent_of_sid[request.sid] = current_user.id  # type: ignore[attr-defined]
        presence.connected(
            database.runtime().redis,
            current_user.id,
            request.sid,  # type: ignore[attr-defined]
            lease.process_id,
        )
    return True


@socketio.on("disconnect")
def on_disconnect(*args: Any) -> None:
    if _previous_disconnect is not None:
        _previous_disconnect(*args)
    with _sids_lock:
        agent_id = _agent_of_sid.pop(request.sid, None)  # type: ignore[attr-defined]
    if agent_id is not None:
        rt = database.runtime()
        presence.disconnected(
            rt.redis,
            agent_id,
            request.sid,  # type: ignore[attr-defined]
            rt.settings.presence_grace_s,
            _lease().process_id,
        )
