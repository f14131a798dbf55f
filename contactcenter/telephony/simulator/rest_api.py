"""The Twilio REST subset the app uses, served from a `SimulatedCarrier`.

Same paths, form fields, JSON shapes (snake_case, RFC 2822 dates, list envelopes with paging
fields) and error bodies as api.twilio.com, so the unmodified `twilio` library talks to it and
raises `TwilioRestException` exactly where it would in production.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, request

from contactcenter.telephony.simulator.carrier import API_VERSION, CarrierError, SimulatedCarrier
from contactcenter.telephony.simulator.messages_rest import add_message_routes
from contactcenter.telephony.simulator.model import SimCall, SimConference, SimParticipant, SimRecording, rfc2822

ACCOUNT = f"/{API_VERSION}/Accounts/<account_sid>"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def _error(status: int, code: int, message: str, **extra: Any) -> Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    return response


def _bool(name: str) -> bool | None:
    raw = request.values.get(name)
    if raw is None or raw == "":
        return None
    value = raw.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise CarrierError(400, 21218, f"{name} must be true or false, not {raw!r}")


def _number(name: str, default: float) -> float:
    raw = request.values.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise CarrierError(400, 21218, f"{name} must be a number, not {raw!r}") from None


def create_rest_app(carrier: SimulatedCarrier) -> Flask:
    """A Flask app answering Twilio's 2010-04-01 API for the calls and conferences of `carrier`."""
    app = Flask("contactcenter.telephony.simulator.rest_api")
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]

    def when(t: float | None) -> str | None:
        return None if t is None else rfc2822(carrier.scheduler.datetime_at(t))

    def call_json(call: SimCall) -> dict[str, Any]:
        base = f"/{API_VERSION}/Accounts/{call.account_sid}/Calls/{call.sid}"
        duration = call.duration_s()
        return {
            "sid": call.sid,
            "date_created": when(call.created_at),
            "date_updated": when(call.ended_at if call.ended_at is not None else call.answered_at or call.created_at),
            "parent_call_sid": call.parent_call_sid,
            "account_sid": call.account_sid,
            "to": call.to,
            "to_formatted": call.to,
            "from": call.from_,
            "from_formatted": call.from_,
            "phone_number_sid": None,
            "status": call.status,
            "start_time": when(call.answered_at if call.direction != "inbound" else call.created_at),
            "end_time": when(call.ended_at),
            "duration": None if duration is None else str(duration),
            "price": None,
            "price_unit": "USD",
            "direction": call.direction,
            "answered_by": call.answered_by,
            "api_version": API_VERSION,
            "forwarded_from": None,
            "group_sid": None,
            "caller_name": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": f"{base}.json",
            "subresource_uris": {
                "notifications": f"{base}/Notifications.json",
                "recordings": f"{base}/Recordings.json",
                "events": f"{base}/Events.json",
            },
        }

    def conference_json(conf: SimConference) -> dict[str, Any]:
        base = f"/{API_VERSION}/Accounts/{conf.account_sid}/Conferences/{conf.sid}"
        return {
            "account_sid": conf.account_sid,
            "date_created": when(conf.created_at),
            "date_updated": when(conf.updated_at),
            "api_version": API_VERSION,
            "friendly_name": conf.friendly_name,
            "region": "us1",
            "sid": conf.sid,
            "status": conf.status,
            "uri": f"{base}.json",
            "subresource_uris": {
                "participants": f"{base}/Participants.json",
                "recordings": f"{base}/Recordings.json",
            },
            "reason_conference_ended": conf.reason_ended,
            "call_sid_ending_conference": conf.call_sid_ending,
        }

    def participant_json(p: SimParticipant) -> dict[str, Any]:
        conf = p.conference
        return {
            "account_sid": conf.account_sid,
            "call_sid": p.call.sid,
            "label": p.label,
            "call_sid_to_coach": p.call_sid_to_coach,
            "coaching": p.coaching,
            "conference_sid": conf.sid,
            "date_created": when(p.created_at),
            "date_updated": when(p.updated_at),
            "end_conference_on_exit": p.end_on_exit,
            "muted": p.muted,
            "hold": p.hold,
            "start_conference_on_enter": p.start_on_enter,
            "status": p.status,
            "queue_time": None,
            "uri": f"/{API_VERSION}/Accounts/{conf.account_sid}/Conferences/{conf.sid}/Participants/{p.call.sid}.json",
        }

    def recording_json(rec: SimRecording) -> dict[str, Any]:
        call = rec.call
        base = f"/{API_VERSION}/Accounts/{call.account_sid}/Recordings/{rec.sid}"
        duration = rec.duration_s()
        return {
            "account_sid": call.account_sid,
            "api_version": API_VERSION,
            "call_sid": call.sid,
            "conference_sid": None,
            "date_created": when(rec.created_at),
            "date_updated": when(rec.updated_at),
            "start_time": when(rec.created_at),
            "duration": "-1" if duration is None else str(duration),
            "sid": rec.sid,
            "price": None,
            "price_unit": "USD",
            "status": rec.status,
            "channels": rec.channels,
            "source": "StartCallRecordingAPI",
            "error_code": None,
            "track": "both",
            "uri": f"{base}.json",
            "encryption_details": None,
            "subresource_uris": {},
        }

    def page(key: str, items: Sequence[Any], render: Callable[[Any], dict[str, Any]]) -> Response:
        size = int(_number("PageSize", DEFAULT_PAGE_SIZE))
        size = max(1, min(size, MAX_PAGE_SIZE))
        number = max(0, int(_number("Page", 0)))
        start = number * size
        chunk = items[start : start + size]
        filters = [(k, v) for k, v in request.args.items(multi=True) if k not in ("Page", "PageSize", "PageToken")]

        def uri(n: int) -> str:
            return f"{request.path}?{urlencode(filters + [('PageSize', size), ('Page', n)])}"

        more = start + size < len(items)
        return jsonify(
            {
                key: [render(item) for item in chunk],
                "end": start + len(chunk) - 1 if chunk else start,
                "first_page_uri": uri(0),
                "next_page_uri": (uri(number + 1) + f"&PageToken=PA{number + 1}") if more else None,
                "page": number,
                "page_size": size,
                "previous_page_uri": uri(number - 1) if number > 0 else None,
                "start": start,
                "uri": f"{request.path}?{urlencode(filters + [('PageSize', size), ('Page', number)])}",
            }
        )

    def events(name: str) -> list[str]:
        return request.values.getlist(name)

    # ------------------------------------------------------------------ auth and errors
    @app.before_request
    def authenticate() -> Response | None:
        header = request.headers.get("Authorization", "")
        user = password = ""
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                user = password = ""
        ok = hmac.compare_digest(user.encode(), carrier.account_sid.encode()) and hmac.compare_digest(
            password.encode(), carrier.auth_token.encode()
        )
        if not ok:
            response = _error(401, 20003, "Authenticate", detail="Your AccountSid or AuthToken was incorrect.")
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return response
        account = (request.view_args or {}).get("account_sid")
        if account is not None and account != carrier.account_sid:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        return None

    @app.errorhandler(CarrierError)
    def carrier_error(exc: CarrierError) -> Response:
        return _error(exc.status, exc.code, exc.message)

    @app.errorhandler(404)
    def not_found(_: Exception) -> Response:
        return _error(404, 20404, f"The requested resource {request.path} was not found")

    @app.errorhandler(405)
    def not_allowed(_: Exception) -> Response:
        return _error(405, 20004, "Method not allowed")

    # ------------------------------------------------------------------ calls
    @app.post(f"{ACCOUNT}/Calls.json")
    def create_call(account_sid: str) -> Response:
        form = request.form
        call = carrier.create_call(
            to=form.get("To", ""),
            from_=form.get("From", ""),
            url=form.get("Url") or None,
            method=form.get("Method") or "POST",
            twiml=form.get("Twiml") or None,
            status_callback=form.get("StatusCallback") or None,
            status_callback_method=form.get("StatusCallbackMethod") or "POST",
            status_callback_events=events("StatusCallbackEvent"),
            machine_detection=form.get("MachineDetection") or None,
            timeout_s=_number("Timeout", 60.0),
            fallback_url=form.get("FallbackUrl") or None,
        )
        with carrier.lock:
            response = jsonify(call_json(call))
        response.status_code = 201
        return response

    @app.get(f"{ACCOUNT}/Calls.json")
    def list_calls(account_sid: str) -> Response:
        calls = carrier.list_calls(
            to=request.args.get("To") or None,
            from_=request.args.get("From") or None,
            status=request.args.get("Status") or None,
        )
        with carrier.lock:
            return page("calls", calls, call_json)

    @app.get(f"{ACCOUNT}/Calls/<sid>.json")
    def fetch_call(account_sid: str, sid: str) -> Response:
        call = carrier.get_call(sid)
        with carrier.lock:
            return jsonify(call_json(call))

    @app.post(f"{ACCOUNT}/Calls/<sid>.json")
    def update_call(account_sid: str, sid: str) -> Response:
        form = request.form
        call = carrier.update_call(
            sid,
            url=form.get("Url") or None,
            method=form.get("Method") or "POST",
            twiml=form.get("Twiml") or None,
            status=form.get("Status") or None,
        )
        with carrier.lock:
            return jsonify(call_json(call))

    # ------------------------------------------------------------------ conferences
    @app.get(f"{ACCOUNT}/Conferences.json")
    def list_conferences(account_sid: str) -> Response:
        found = carrier.list_conferences(
            friendly_name=request.args.get("FriendlyName") or None, status=request.args.get("Status") or None
        )
        with carrier.lock:
            return page("conferences", found, conference_json)

    @app.get(f"{ACCOUNT}/Conferences/<ref>.json")
    def fetch_conference(account_sid: str, ref: str) -> Response:
        conf = carrier.get_conference(ref)
        with carrier.lock:
            return jsonify(conference_json(conf))

    @app.post(f"{ACCOUNT}/Conferences/<ref>.json")
    def update_conference(account_sid: str, ref: str) -> Response:
        status = request.form.get("Status")
        if status is not None and status != "completed":
            raise CarrierError(400, 21218, f"Invalid Status {status!r}: only completed is allowed")
        conf = carrier.end_conference(ref) if status == "completed" else carrier.get_conference(ref)
        with carrier.lock:
            return jsonify(conference_json(conf))

    @app.post(f"{ACCOUNT}/Conferences/<ref>/Participants.json")
    def create_participant(account_sid: str, ref: str) -> Response:
        form = request.form
        participant = carrier.add_participant(
            ref,
            to=form.get("To", ""),
            from_=form.get("From", ""),
            muted=bool(_bool("Muted")),
            hold=bool(_bool("Hold")),
            coaching=bool(_bool("Coaching")),
            call_sid_to_coach=form.get("CallSidToCoach") or None,
            start_on_enter=_bool("StartConferenceOnEnter") is not False,
            end_on_exit=bool(_bool("EndConferenceOnExit")),
            label=form.get("Label") or None,
            wait_url=form.get("WaitUrl"),
            wait_method=form.get("WaitMethod") or "POST",
            timeout_s=_number("Timeout", 60.0),
            status_callback=form.get("StatusCallback") or None,
            status_callback_method=form.get("StatusCallbackMethod") or "POST",
            status_callback_events=events("StatusCallbackEvent"),
            conference_status_callback=form.get("ConferenceStatusCallback") or None,
            conference_status_callback_method=form.get("ConferenceStatusCallbackMethod") or "POST",
            conference_status_callback_events=events("ConferenceStatusCallbackEvent"),
        )
        with carrier.lock:
            response = jsonify(participant_json(participant))
        response.status_code = 201
        return response

    @app.get(f"{ACCOUNT}/Conferences/<ref>/Participants.json")
    def list_participants(account_sid: str, ref: str) -> Response:
        found = carrier.list_participants(ref, muted=_bool("Muted"), hold=_bool("Hold"), coaching=_bool("Coaching"))
        with carrier.lock:
            return page("participants", found, participant_json)

    @app.get(f"{ACCOUNT}/Conferences/<ref>/Participants/<call_sid>.json")
    def fetch_participant(account_sid: str, ref: str, call_sid: str) -> Response:
        participant = carrier.get_participant(ref, call_sid)
        with carrier.lock:
            return jsonify(participant_json(participant))

    @app.post(f"{ACCOUNT}/Conferences/<ref>/Participants/<call_sid>.json")
    def update_participant(account_sid: str, ref: str, call_sid: str) -> Response:
        form = request.form
        participant = carrier.update_participant(
            ref,
            call_sid,
            hold=_bool("Hold"),
            hold_url=form.get("HoldUrl"),
            hold_method=form.get("HoldMethod") or None,
            muted=_bool("Muted"),
            coaching=_bool("Coaching"),
            call_sid_to_coach=form.get("CallSidToCoach"),
            end_on_exit=_bool("EndConferenceOnExit"),
            wait_url=form.get("WaitUrl"),
        )
        with carrier.lock:
            return jsonify(participant_json(participant))

    @app.delete(f"{ACCOUNT}/Conferences/<ref>/Participants/<call_sid>.json")
    def delete_participant(account_sid: str, ref: str, call_sid: str) -> Response:
        carrier.remove_participant(ref, call_sid)
        return Response(status=204)

    # ------------------------------------------------------------------ recordings
    @app.post(f"{ACCOUNT}/Calls/<call_sid>/Recordings.json")
    def create_call_recording(account_sid: str, call_sid: str) -> Response:
        form = request.form
        rec = carrier.start_call_recording(
            call_sid,
            status_callback=form.get("RecordingStatusCallback") or None,
            status_callback_method=form.get("RecordingStatusCallbackMethod") or "POST",
            status_callback_events=events("RecordingStatusCallbackEvent"),
            channels=form.get("RecordingChannels") or "mono",
        )
        with carrier.lock:
            response = jsonify(recording_json(rec))
        response.status_code = 201
        return response

    @app.get(f"{ACCOUNT}/Calls/<call_sid>/Recordings/<sid>.json")
    def fetch_call_recording(account_sid: str, call_sid: str, sid: str) -> Response:
        rec = carrier.get_recording(sid, call_sid)
        with carrier.lock:
            return jsonify(recording_json(rec))

    @app.post(f"{ACCOUNT}/Calls/<call_sid>/Recordings/<sid>.json")
    def update_call_recording(account_sid: str, call_sid: str, sid: str) -> Response:
        form = request.form
        rec = carrier.update_call_recording(call_sid, sid, form.get("Status", ""), form.get("PauseBehavior") or None)
        with carrier.lock:
            return jsonify(recording_json(rec))

    @app.get(f"{ACCOUNT}/Recordings/<sid>.json")
    def fetch_recording(account_sid: str, sid: str) -> Response:
        rec = carrier.get_recording(sid)
        with carrier.lock:
            return jsonify(recording_json(rec))

    @app.delete(f"{ACCOUNT}/Recordings/<sid>.json")
    def delete_recording(account_sid: str, sid: str) -> Response:
        carrier.delete_recording(sid)
        return Response(status=204)

    @app.get(f"{ACCOUNT}/Recordings/<sid>.wav")
    def recording_media(account_sid: str, sid: str) -> Response:
        return Response(carrier.recording_audio(sid), mimetype="audio/x-wav")

    # ------------------------------------------------------------------ browser devices
    # Not a Twilio resource: what the Voice SDK does between a browser and Twilio, offered to the
    # app so its desktop can drive a simulated device (see browser_devices).
    def device_json(identity: str) -> dict[str, Any]:
        device = carrier.device(identity)
        calls = carrier.device_calls(identity)
        with carrier.lock:
            return {
                "identity": device.identity,
                "calls": [
                    {
                        "call_sid": c.sid,
                        "from": c.from_,
                        "status": c.status,
                        "muted": c.sid in device.muted,
                        "end_reason": c.end_reason if c.ended else None,
                        "parameters": carrier.device_call_parameters(c),
                    }
                    for c in calls
                ],
            }

    @app.post(f"{ACCOUNT}/Devices/<identity>.json")
    def register_device(account_sid: str, identity: str) -> Response:
        carrier.register_device(identity)
        response = jsonify(device_json(identity))
        response.status_code = 201
        return response

    @app.get(f"{ACCOUNT}/Devices/<identity>.json")
    def fetch_device(account_sid: str, identity: str) -> Response:
        return jsonify(device_json(identity))

    @app.delete(f"{ACCOUNT}/Devices/<identity>.json")
    def unregister_device(account_sid: str, identity: str) -> Response:
        carrier.unregister_device(identity)
        return Response(status=204)

    @app.post(f"{ACCOUNT}/Devices/<identity>/Calls/<call_sid>.json")
    def device_call_action(account_sid: str, identity: str, call_sid: str) -> Response:
        carrier.device_act(identity, call_sid, request.form.get("Action", ""))
        return jsonify(device_json(identity))

    add_message_routes(app, carrier, when)
    return app
