"""The browser softphone's HTTP side: Voice SDK tokens, the simulated device, the contact choice.

With Twilio the page's Voice SDK is the device and only needs an access token from here. With the
simulated carrier the page drives a simulated device through these routes, which call the
telephony port (`Runtime.browser_devices`); nothing here knows how the simulator works.
Everyone acts only as themselves: the identity is always the signed-in user's username.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from contactcenter.accounts import services as accounts
from contactcenter.accounts.models import User
from contactcenter.errors import DomainError, Kind
from contactcenter.telephony.interfaces import DEVICE_ACTIONS, BrowserDevices, DeviceState
from web import database
from web.audit import audit

bp = Blueprint("softphone", __name__, url_prefix="/desktop")
CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
# Agents take their calls; supervisors and admins (both see the board) listen in, whisper and barge.
SOFTPHONE_ROLES = ("agent", "supervisor", "admin")
MAX_BODY = 4096


class SoftphoneUnavailable(DomainError):
    """No simulated device to drive: with Twilio the SDK in the page is the device."""

    kind: Kind = "unavailable"
    code = "no_simulated_device"


def _softphone_user() -> None:
    if current_user.role not in SOFTPHONE_ROLES:
        abort(403, "only agents, supervisors and admins take calls in the browser")


def _identity() -> str:
    return str(current_user.username)


def softphone_config(user: User) -> dict[str, Any]:
    """What the page's softphone needs to start: which backend, the identity, and whether this
    person's calls ring the browser at all (their contact is `client:<username>`)."""
    settings = database.runtime().settings
    kind, value = accounts.contact_choice(user.contact_uri, user.username)
    return {
        "mode": "twilio" if settings.carrier == "twilio" else "simulator",
        "identity": user.username,
        "rings_browser": kind == "browser",
        "contact_kind": kind,
        "contact_value": value,
    }


def _devices() -> BrowserDevices:
    devices = database.runtime().browser_devices()
    if devices is None:
        raise SoftphoneUnavailable("this carrier has no simulated browser device: use the Voice SDK")
    return devices


def _state_json(state: DeviceState) -> dict[str, Any]:
    return {
        "identity": state.identity,
        "calls": [
            {
                "call_sid": c.call_sid,
                "from": c.from_number,
                "status": c.status,
                "muted": c.muted,
                "end_reason": c.end_reason,
                "parameters": dict(c.parameters),
            }
            for c in state.calls
        ],
    }


@bp.post("/voice-token")
@login_required
def voice_token() -> Response:
    """A Voice SDK access token for the signed-in agent, supervisor or admin (the page renews it
    on the SDK's tokenWillExpire)."""
    _softphone_user()
    rt = database.runtime()
    token = rt.voice_token(_identity())
    return jsonify({"token": token, "identity": _identity(), "ttl_s": rt.settings.voice_token_ttl_s})


def me() -> User:
    """The signed-in person's row (the login keeps only their id, name and role)."""
    user = database.session().get(User, current_user.id)
    if user is None:
        abort(403)
    return user


@bp.get("/softphone")
@login_required
def config() -> Response:
    _softphone_user()
    return jsonify(softphone_config(me()))


@bp.post("/device")
@login_required
def register() -> tuple[Response, int]:
    """The page's simulated device registers `client:<username>`: calls to it now ring the page."""
    _softphone_user()
    return jsonify(_state_json(_devices().register(_identity()))), 201


@bp.get("/device")
@login_required
def state() -> Response:
    _softphone_user()
    return jsonify(_state_json(_devices().state(_identity())))


@bp.post("/device/unregister")
@login_required
def unregister() -> Response:
    _softphone_user()
    _devices().unregister(_identity())
    return jsonify({"ok": True})


@bp.post("/device/calls/<call_sid>/<action>")
@login_required
def act(call_sid: str, action: str) -> Response:
    """Answer, reject, hang up, mute or unmute a call that rang this person's device."""
    _softphone_user()
    if not CALL_SID.match(call_sid):
        abort(400, "not a call id")
    if action not in DEVICE_ACTIONS:
        abort(404)
    return jsonify(_state_json(_devices().act(_identity(), call_sid, action)))


@bp.post("/contact")
@login_required
def set_contact() -> Response:
    """Where my calls ring: this browser, a phone number or a SIP address (validated)."""
    _softphone_user()
    if request.content_length and request.content_length > MAX_BODY:
        abort(413, "the contact choice is a few characters, not kilobytes")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "send a JSON object")
    kind, value = data.get("kind"), data.get("value", "")
    if not isinstance(kind, str) or not isinstance(value, str):
        return _refused("kind and value must be text")
    session = database.session()
    user = me()
    settings = database.runtime().settings
    try:
        uri = accounts.contact_from_choice(kind, value, user.username, settings.default_region)
    except accounts.AccountError as exc:
        return _refused(str(exc))
    before = user.contact_uri
    accounts.update_user(session, user, contact_uri=uri)
    audit("user.contact", object_type="user", object_id=user.id, details={"from": before, "to": uri})
    session.commit()
    return jsonify(softphone_config(user))


def _refused(message: str) -> Response:
    response = jsonify({"error": {"code": "invalid_contact", "message": message}})
    response.status_code = 400
    return response
