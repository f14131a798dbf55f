"""Call recordings on the web: the carrier's recording status callbacks, pause/resume from the
call (JSON, for the desktop), the audio streamed through the app with access checks and Range
requests (never the carrier's URL), and the recordings listed under a call or a ticket's call.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_login import current_user, login_required
from sqlalchemy import select

from contactcenter.app.tasks.recordings import fetch_recording_audio
from contactcenter.contacts.models import Interaction
from contactcenter.recordings.interfaces import MalformedRecordingCallback, RecordingError, parse_callback
from contactcenter.recordings.models import CallRecording
from contactcenter.recordings.services import Listener
from contactcenter.telephony.signatures import SignatureChecker
from web import database
from web.hooks import _called_url, _params, _plain
from web.services import services

hooks_bp = Blueprint("recording_hooks", __name__, url_prefix="/hooks")
bp = Blueprint("recordings", __name__)
log = logging.getLogger("contactcenter.recordings.web")
CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
MAX_ID = 2**31 - 1


def _listener() -> Listener:
    return Listener(current_user.id, current_user.role)


# -- the carrier ----------------------------------------------------------------------------------
@hooks_bp.post("/recording-status")
def recording_status() -> Response:
    """`in-progress`, `completed` or `absent` for one RecordingSid; the same callback twice
    changes nothing twice. A completed recording's audio is fetched by a job, not here."""
    params = _params()  # 415 / 413 / 400 for repeated keys
    checker: SignatureChecker = current_app.extensions["contactcenter.signatures"]
    if not checker.is_valid(_called_url(), params, request.headers.get("X-Twilio-Signature")):
        log.warning("recording callback refused: bad signature")
        return _plain("signature check failed", 403)
    try:
        callback = parse_callback(params)
    except MalformedRecordingCallback as exc:
        return _plain(f"malformed webhook: {exc.message}", 400)
    if callback.account_sid != database.runtime().settings.twilio_account_sid:
        return _plain("webhook is for another account", 403)
    try:
        outcome = services().recordings().on_callback(callback)
    except RecordingError as exc:
        database.session().rollback()
        return _plain(exc.message, 404)
    database.session().commit()
    if outcome.fetch_audio:
        fetch_recording_audio.enqueue(outcome.recording_sid, _connection=database.runtime().redis)  # type: ignore[attr-defined]
    if not outcome.duplicate:
        log.info("recording %s", outcome.status, extra={"call_sid": callback.call_sid})
    return Response(status=204)


# -- from the call ---------------------------------------------------------------------------------
def _pause(call_sid: str, paused: bool) -> Response:
    if not CALL_SID.match(call_sid):
        abort(404)
    outcome = services().recordings().set_paused(call_sid, _listener(), paused)
    database.session().commit()
    return jsonify(
        recording_sid=outcome.recording_sid,
        status=outcome.status,
        by=current_user.username,
        at=outcome.at.isoformat(),
    )


@bp.post("/recordings/calls/<call_sid>/pause")
@login_required
def pause(call_sid: str) -> Response:
    """Pause the call's recording (e.g. while the caller reads out card details)."""
    return _pause(call_sid, True)


@bp.post("/recordings/calls/<call_sid>/resume")
@login_required
def resume(call_sid: str) -> Response:
    return _pause(call_sid, False)


@bp.get("/recordings/calls/<call_sid>")
@login_required
def call_state(call_sid: str) -> Response:
    """Whether the call is being recorded now, for the desktop's control."""
    if not CALL_SID.match(call_sid):
        abort(404)
    session = database.session()
    call = session.scalar(select(Interaction).where(Interaction.call_sid == call_sid))
    who = _listener()
    if call is None or not services().recordings().may_listen(call, who):
        abort(404)
    live = [r for r in services().recordings().of_call(call.id) if r.is_live]
    return jsonify(recording=bool(live), status=live[-1].status if live else None)


# -- listening -------------------------------------------------------------------------------------
@bp.get("/recordings/<int:recording_id>/audio")
@login_required
def audio(recording_id: int) -> Response:
    """The audio, for its agent, supervisors and admins (anyone else: 404); Range requests work,
    so the player can seek."""
    if not 0 < recording_id <= MAX_ID:
        abort(404)
    try:
        found = services().recordings().audio(recording_id, _listener())
    except RecordingError:
        abort(404)
    response = Response(found.content, mimetype=found.content_type, direct_passthrough=False)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="{found.recording_sid}.wav"'
    response.set_etag(found.recording_sid)
    response.make_conditional(request, accept_ranges=True, complete_length=len(found.content))
    return response


def call_recordings(interaction_id: Any) -> list[CallRecording]:
    """The recordings of a call the signed-in person may listen to (for the page templates)."""
    if not isinstance(interaction_id, int) or not current_user.is_authenticated:
        return []
    session = database.session()
    call = session.get(Interaction, interaction_id)
    service = services().recordings()
    if call is None or not service.may_listen(call, _listener()):
        return []
    return list(service.of_call(interaction_id))


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"call_recordings": call_recordings}
