"""Call recordings on the web: the carrier's recording status callbacks, pause/resume from the
call (JSON, for the desktop), the audio streamed through the app with access checks and Range
requests (never the carrier's URL), and the recordings listed under a call or a ticket's call.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from contactcenter.acd.models import Queue
from contactcenter.app.tasks.recordings import fetch_recording_audio
from contactcenter.contacts.models import Interaction
from contactcenter.dialer.models import Campaign
from contactcenter.recordings.interfaces import (
    MAX_ANNOUNCEMENT,
    InvalidRecordingRule,
    MalformedRecordingCallback,
    RecordingError,
    parse_callback,
)
from contactcenter.recordings.models import MODES, SCOPES, CallRecording
from contactcenter.telephony.signatures import SignatureChecker
from contactcenter.tickets.access import Viewer
from web import database
from web.admin_content import admin_only
from web.audit import audit as audit_change
from web.hooks import STORE_AWAY, _called_url, _params, _plain, store_unreachable
from web.services import services

hooks_bp = Blueprint("recording_hooks", __name__, url_prefix="/hooks")
bp = Blueprint("recordings", __name__)
log = logging.getLogger("contactcenter.recordings.web")
CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
MAX_ID = 2**31 - 1


def _listener() -> Viewer:
    return Viewer(current_user.id, current_user.role)


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


for _error in STORE_AWAY:  # the store away: 503, so the carrier's word is not taken as refused
    hooks_bp.register_error_handler(_error, store_unreachable)


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


# -- consent rules (admins) ----------------------------------------------------------------------
RULE_FIELDS = ("scope", "queue", "campaign", "region", "mode", "announcement", "retention_days")
MODE_LABELS = {
    "record": "announce and record",
    "announce": "announce only",
    "off": "neither announce nor record",
}


def _rules_page(error: str | None = None, form: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    session = database.session()
    queues = list(session.scalars(select(Queue).order_by(Queue.name)))
    campaigns = list(session.scalars(select(Campaign).order_by(Campaign.name)))
    names = {
        "queue": {str(q.id): q.display_name or q.name for q in queues},
        "campaign": {str(c.id): c.name for c in campaigns},
    }
    return render_template(
        "recordings/rules.html",
        rules=services().recordings().rules(),
        queues=queues,
        campaigns=campaigns,
        names=names,
        scopes=SCOPES,
        modes=MODES,
        mode_labels=MODE_LABELS,
        max_announcement=MAX_ANNOUNCEMENT,
        error=error,
        form=form or {"scope": "queue", "mode": "record"},
    ), status


@bp.get("/admin/recordings")
@login_required
@admin_only
def rules() -> tuple[str, int]:
    return _rules_page()


@bp.post("/admin/recordings")
@login_required
@admin_only
def rule_set() -> BaseResponse | tuple[str, int]:
    """Add or replace the rule of one queue, campaign or caller region."""
    form = {name: request.form.get(name, "") for name in RULE_FIELDS}
    if any(len(v) > MAX_ANNOUNCEMENT + 100 or "\x00" in v for v in form.values()):
        return _rules_page("A field is far too long or holds a character that cannot be stored.", form, 400)
    scope = form["scope"]
    target = form.get(scope, "") if scope in SCOPES else ""
    retention_text = form["retention_days"].strip()
    if retention_text and (not retention_text.isdigit() or len(retention_text) > 5):
        return _rules_page("Retention is a whole number of days (empty: kept).", form, 400)
    try:
        rule = (
            services()
            .recordings()
            .set_rule(
                scope,
                target,
                form["mode"],
                announcement=form["announcement"],
                retention_days=int(retention_text) if retention_text else None,
            )
        )
    except InvalidRecordingRule as exc:
        database.session().rollback()
        return _rules_page(exc.message[:1].upper() + exc.message[1:] + ".", form, 400)
    audit_change(
        "recording.rule",
        object_type="recording_rule",
        object_id=rule.id,
        details={"scope": rule.scope, "target": rule.target, "mode": rule.mode, "retention_days": rule.retention_days},
    )
    database.session().commit()
    flash("Recording rule saved.", "ok")
    return redirect(url_for("recordings.rules"), code=303)


@bp.post("/admin/recordings/<int:rule_id>/delete")
@login_required
@admin_only
def rule_delete(rule_id: int) -> BaseResponse:
    try:
        scope, target = services().recordings().delete_rule(rule_id)
    except RecordingError:
        abort(404)
    audit_change(
        "recording.rule_remove",
        object_type="recording_rule",
        object_id=rule_id,
        details={"scope": scope, "target": target},
    )
    database.session().commit()
    flash("Recording rule removed.", "ok")
    return redirect(url_for("recordings.rules"), code=303)
