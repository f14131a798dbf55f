"""The Twilio adapter: REST through `twilio.rest.Client`, TwiML through `VoiceResponse`.

The same class serves the local carrier simulator: only the Client's HTTP layer differs
(see `simulator.http_layer`), so every request takes the real library code path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.rest import Client

from contactcenter.telephony import twiml
from contactcenter.telephony.interfaces import (
    RECORDING_EVENTS,
    BrowserDevices,
    CallInfo,
    Instruction,
    Participant,
    PlacedCall,
    RecordingInfo,
    TelephonyError,
)
from contactcenter.telephony.messaging import SentMessage
from contactcenter.telephony.signatures import SignatureChecker

STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
# An agent's leg in a conference: the app acts when it answers and when it ends, nothing else;
# asking for "initiated" and "ringing" too would cost two webhooks per answered call for nothing.
PARTICIPANT_STATUS_EVENTS = ["answered", "completed"]


def _as_utc(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


class TwilioTelephony:
    def __init__(self, account_sid: str, auth_token: str, http_client: HttpClient | None = None) -> None:
        self.account_sid = account_sid
        self._auth = (account_sid, auth_token)
        self._http_client = http_client
        self._client = Client(account_sid, auth_token, http_client=http_client)
        self._signatures = SignatureChecker(auth_token)

    def browser_devices(self) -> BrowserDevices | None:
        """The simulated browser devices when this client talks to the carrier simulator; None
        with Twilio, where the Voice SDK in the browser is the device."""
        from contactcenter.telephony.simulator.http_layer import SimulatorHttpClient
        from contactcenter.telephony.softphone import SimulatedDeviceClient

        if isinstance(self._http_client, SimulatorHttpClient):
            return SimulatedDeviceClient(self._http_client, *self._auth)
        return None

    # -- TwiML and signatures --------------------------------------------------------------
    def render(self, instructions: Sequence[Instruction]) -> str:
        return twiml.render(instructions)

    def validate_signature(self, url: str, params: Mapping[str, str], signature: str | None) -> bool:
        return self._signatures.is_valid(url, params, signature)

    # -- REST ------------------------------------------------------------------------------
    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TwilioRestException as exc:
            raise TelephonyError(f"carrier refused: {exc.msg}", status=exc.status) from exc
        except TwilioException as exc:
            raise TelephonyError(f"carrier request failed: {exc}") from exc

    def place_call(
        self,
        to: str,
        from_: str,
        url: str,
        status_callback: str | None = None,
        machine_detection: str | None = None,
        timeout_s: int = 30,
    ) -> PlacedCall:
        kwargs: dict[str, Any] = {"to": to, "from_": from_, "url": url, "method": "POST", "timeout": timeout_s}
        if status_callback:
            kwargs.update(
                status_callback=status_callback,
                status_callback_method="POST",
                status_callback_event=STATUS_EVENTS,
            )
        if machine_detection:
            kwargs["machine_detection"] = machine_detection
        call = self._call(self._client.calls.create, **kwargs)
        return PlacedCall(call_sid=call.sid, status=call.status)

    def fetch_call(self, call_sid: str) -> CallInfo:
        call = self._call(self._client.calls(call_sid).fetch)
        duration = int(call.duration) if call.duration not in (None, "") else None
        return CallInfo(
            call_sid=call.sid,
            status=call.status,
            from_number=call._from or "",
            to_number=call.to or "",
            direction=call.direction or "",
            duration_s=duration,
            start_time=_as_utc(call.start_time),
            end_time=_as_utc(call.end_time),
        )

    def redirect(self, call_sid: str, url: str) -> None:
        self._call(self._client.calls(call_sid).update, url=url, method="POST")

    def hangup(self, call_sid: str) -> None:
        self._call(self._client.calls(call_sid).update, status="completed")

    def send_message(self, to: str, from_: str, body: str, status_callback: str | None = None) -> SentMessage:
        """One text through the Messages resource; the carrier's status callbacks follow."""
        kwargs: dict[str, Any] = {"to": to, "from_": from_, "body": body}
        if status_callback:
            kwargs["status_callback"] = status_callback
        message = self._call(self._client.messages.create, **kwargs)
        return SentMessage(sid=message.sid, status=message.status or "queued")

    def update_call_twiml(self, call_sid: str, instructions: Sequence[Instruction]) -> None:
        self._call(self._client.calls(call_sid).update, twiml=self.render(instructions))

    def _participant(self, p: Any) -> Participant:
        return Participant(
            call_sid=p.call_sid,
            conference_sid=p.conference_sid,
            hold=bool(p.hold),
            muted=bool(p.muted),
            coaching=bool(p.coaching),
            status=p.status or "",
            label=getattr(p, "label", None) or None,
        )

    def add_participant(
        self,
        conference_name: str,
        to: str,
        from_: str,
        *,
        muted: bool = False,
        coach_call_sid: str | None = None,
        status_callback: str | None = None,
        early_media: bool = True,
        label: str | None = None,
    ) -> Participant:
        # Twilio accepts the conference's friendly name in place of its SID when adding a participant.
        kwargs: dict[str, Any] = {
            "from_": from_,
            "to": to,
            "muted": muted,
            "early_media": early_media,
            "end_conference_on_exit": False,
        }
        if coach_call_sid:
            kwargs.update(coaching=True, call_sid_to_coach=coach_call_sid)
        if label:
            kwargs["label"] = label
        if status_callback:
            kwargs.update(
                status_callback=status_callback,
                status_callback_method="POST",
                status_callback_event=PARTICIPANT_STATUS_EVENTS,
            )
        p = self._call(self._client.conferences(conference_name).participants.create, **kwargs)
        return self._participant(p)

    def _conference_sid(self, conference_name: str) -> str:
        if conference_name.startswith("CF") and len(conference_name) == 34:
            return conference_name
        # A caller waiting alone is in a conference that is still "init"; both it and an
        # "in-progress" one are live, a "completed" one is history.
        found = self._call(self._client.conferences.list, friendly_name=conference_name, limit=20)
        live = [c for c in found if c.status in ("init", "in-progress")]
        if not live:
            raise TelephonyError(f"no live conference named {conference_name!r}", status=404)
        return live[0].sid

    def update_participant(
        self,
        conference_name: str,
        call_sid: str,
        *,
        hold: bool | None = None,
        muted: bool | None = None,
        hold_url: str | None = None,
        coaching: bool | None = None,
        coach_call_sid: str | None = None,
    ) -> Participant:
        sid = self._conference_sid(conference_name)
        kwargs: dict[str, Any] = {}
        if hold is not None:
            kwargs["hold"] = hold
        if muted is not None:
            kwargs["muted"] = muted
        if hold_url:
            kwargs.update(hold_url=hold_url, hold_method="POST")
        if coach_call_sid:
            kwargs["call_sid_to_coach"] = coach_call_sid
        if coaching is not None:
            kwargs["coaching"] = coaching
        p = self._call(self._client.conferences(sid).participants(call_sid).update, **kwargs)
        return self._participant(p)

    def remove_participant(self, conference_name: str, call_sid: str) -> None:
        sid = self._conference_sid(conference_name)
        self._call(self._client.conferences(sid).participants(call_sid).delete)

    def list_participants(self, conference_name: str) -> list[Participant]:
        """Everyone in the conference now (Twilio lists only participants still connecting or connected)."""
        sid = self._conference_sid(conference_name)
        return [self._participant(p) for p in self._call(self._client.conferences(sid).participants.list, limit=250)]

    # -- recordings ------------------------------------------------------------------------
    def _recording(self, r: Any) -> RecordingInfo:
        duration = r.duration
        return RecordingInfo(
            recording_sid=r.sid,
            call_sid=r.call_sid or "",
            status=r.status or "",
            channels=int(r.channels or 1),
            duration_s=int(duration) if duration not in (None, "", "-1") else None,
        )

    def start_recording(self, call_sid: str, status_callback: str, *, dual_channel: bool = True) -> RecordingInfo:
        r = self._call(
            self._client.calls(call_sid).recordings.create,
            recording_status_callback=status_callback,
            recording_status_callback_method="POST",
            recording_status_callback_event=list(RECORDING_EVENTS),
            recording_channels="dual" if dual_channel else "mono",
        )
        return self._recording(r)

    def update_recording(self, call_sid: str, recording_sid: str, status: str) -> RecordingInfo:
        kwargs: dict[str, Any] = {"status": status}
        if status == "paused":
            kwargs["pause_behavior"] = "silence"  # the file keeps its timeline: a gap, not a cut
        r = self._call(self._client.calls(call_sid).recordings(recording_sid).update, **kwargs)
        return self._recording(r)

    def delete_recording(self, recording_sid: str) -> None:
        self._call(self._client.recordings(recording_sid).delete)

    def recording_audio(self, recording_sid: str) -> bytes:
        path = f"/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}.wav"
        fetch = getattr(self._http_client, "fetch_bytes", None)  # the simulator's transport
        try:
            if fetch is not None:
                status, body = fetch(path, self._auth)
            else:
                reply = requests.get("https://api.twilio.com" + path, auth=self._auth, timeout=60)
                status, body = reply.status_code, reply.content
        except requests.RequestException as exc:
            raise TelephonyError(f"carrier request failed: {exc}") from exc
        if status != 200:
            raise TelephonyError(f"carrier refused the recording's audio ({status})", status=status)
        return bytes(body)
