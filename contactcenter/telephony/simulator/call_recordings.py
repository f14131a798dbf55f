"""Call recordings as Twilio makes them: started, paused and resumed through the REST API, a
WAV file when the call ends, and recording status callbacks (`in-progress`, `completed`,
`absent`) signed like every other webhook.

The audio is real: 8 kHz 16-bit PCM made with the standard `wave` module, the caller on the
left channel (a 440 Hz tone) and the other party on the right (660 Hz) when dual channel, with
silence wherever the recording was paused (Twilio's default `PauseBehavior=silence`).
"""

from __future__ import annotations

import array
import io
import math
import sys
import wave
from collections.abc import Iterable

from contactcenter.telephony.simulator.engine_core import API_VERSION, EngineCore
from contactcenter.telephony.simulator.model import SimCall, SimRecording, rfc2822

SAMPLE_RATE = 8000
MAX_AUDIO_S = 3600  # an hour of simulated audio (115 MB in two channels) at most
RECORDING_EVENTS = frozenset({"in-progress", "completed", "absent"})
UPDATABLE = ("paused", "in-progress", "stopped")
TONES_HZ = (440.0, 660.0)
AMPLITUDE = 6000


def _silent(t: float, pauses: Iterable[tuple[float, float]]) -> bool:
    return any(start <= t < end for start, end in pauses)


def render_wav(seconds: float, channels: int, pauses: list[tuple[float, float]]) -> bytes:
    """`seconds` of audio: one tone per channel, silence in `pauses` (offsets from the start,
    to the second)."""
    frames = int(min(max(seconds, 0.0), MAX_AUDIO_S) * SAMPLE_RATE)
    tones = TONES_HZ[:channels]
    # One second of the tones, interleaved by channel (each tone completes whole cycles in a second).
    samples = array.array("h")
    for n in range(SAMPLE_RATE):
        samples.extend(int(AMPLITUDE * math.sin(2 * math.pi * hz * n / SAMPLE_RATE)) for hz in tones)
    if sys.byteorder != "little":
        samples.byteswap()
    loud = samples.tobytes()
    quiet = bytes(len(loud))
    frame_size = 2 * channels
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        for first in range(0, frames, SAMPLE_RATE):
            second = quiet if _silent(first / SAMPLE_RATE, pauses) else loud
            wav.writeframesraw(second[: min(SAMPLE_RATE, frames - first) * frame_size])
    return out.getvalue()


class CallRecordings(EngineCore):
    """The Recordings REST resources of a call and the files they make (see the module docstring)."""

    def _recording_callback(self, rec: SimRecording, event: str) -> None:
        if not rec.status_callback or event not in rec.status_events:
            return
        call = rec.call
        params: dict[str, str] = {
            "AccountSid": call.account_sid,
            "CallSid": call.sid,
            "RecordingSid": rec.sid,
            "RecordingUrl": f"{self.recording_url_base}/{API_VERSION}/Accounts/{call.account_sid}/Recordings/{rec.sid}",
            "RecordingStatus": event,
            "RecordingChannels": str(rec.channels),
            "RecordingStartTime": rfc2822(self.scheduler.datetime_at(rec.created_at)),
            "RecordingSource": "StartCallRecordingAPI",
            "RecordingTrack": "both",
        }
        if event == "completed":
            params["RecordingDuration"] = str(rec.duration_s() or 0)
            params["ErrorCode"] = "0"
        elif event == "absent":
            params["RecordingDuration"] = "0"
            params["ErrorCode"] = "0"
        url, method = rec.status_callback, rec.status_callback_method
        token = self._token()
        for _ in range(2 if self.duplicate_status_callbacks else 1):
            self._webhook(
                call,
                url,
                method,
                {},
                guard=None,
                on_reply=None,
                kind="callback",
                params=lambda: dict(params),
                token=token,
            )

    # ---------------------------------------------------------------- REST
    def start_call_recording(
        self,
        call_sid: str,
        *,
        status_callback: str | None,
        status_callback_method: str,
        status_callback_events: Iterable[str],
        channels: str,
    ) -> SimRecording:
        from contactcenter.telephony.simulator.carrier import CarrierError

        if channels not in ("mono", "dual", ""):
            raise CarrierError(400, 21218, f"RecordingChannels must be mono or dual, not {channels!r}")
        events = frozenset(e for value in status_callback_events for e in value.replace(",", " ").split())
        if events - RECORDING_EVENTS:
            raise CarrierError(400, 21218, "RecordingStatusCallbackEvent may be in-progress, completed or absent")
        with self.lock:
            call = self._calls.get(call_sid)
            if call is None:
                raise CarrierError(404, 20404, f"The requested resource Calls/{call_sid}/Recordings.json was not found")
            if call.status != "in-progress":
                raise CarrierError(400, 21220, "Call is not in-progress. Cannot start a recording.")
            rec = SimRecording(
                sid=self._sid("RE"),
                call=call,
                created_at=self._now(),
                channels=2 if channels == "dual" else 1,
                status_callback=status_callback,
                status_callback_method=status_callback_method.upper(),
                status_events=events or frozenset({"completed"}),
                updated_at=self._now(),
            )
            self._recordings[rec.sid] = rec
            call.note(self._now(), "recording", f"started {rec.sid}")
            self._recording_callback(rec, "in-progress")
            return rec

    def get_recording(self, sid: str, call_sid: str | None = None) -> SimRecording:
        from contactcenter.telephony.simulator.carrier import CarrierError

        with self.lock:
            rec = self._recordings.get(sid)
            if rec is None or rec.status == "deleted" or (call_sid is not None and rec.call.sid != call_sid):
                raise CarrierError(404, 20404, f"The requested resource Recordings/{sid}.json was not found")
            return rec

    def update_call_recording(self, call_sid: str, sid: str, status: str, pause_behavior: str | None) -> SimRecording:
        from contactcenter.telephony.simulator.carrier import CarrierError

        if status not in UPDATABLE:
            raise CarrierError(400, 21218, f"Status must be paused, in-progress or stopped, not {status!r}")
        if pause_behavior not in (None, "", "skip", "silence"):
            raise CarrierError(400, 21218, "PauseBehavior must be skip or silence")
        with self.lock:
            rec = self.get_recording(sid, call_sid)
            if rec.status not in ("in-progress", "paused"):
                raise CarrierError(400, 21220, f"Recording is {rec.status}: it cannot be updated")
            now = self._now()
            if status == "paused" and rec.status == "in-progress":
                rec.paused_since = now
            elif status in ("in-progress", "stopped") and rec.paused_since is not None:
                rec.pauses.append((rec.paused_since - rec.created_at, now - rec.created_at))
                rec.paused_since = None
            rec.status = status
            rec.updated_at = now
            rec.call.note(now, "recording", f"{status} {rec.sid}")
            if status == "stopped":
                self._complete(rec)
            return rec

    def delete_recording(self, sid: str) -> None:
        with self.lock:
            rec = self.get_recording(sid)
            rec.status = "deleted"
            rec.audio = None
            rec.updated_at = self._now()

    def recording_audio(self, sid: str) -> bytes:
        from contactcenter.telephony.simulator.carrier import CarrierError

        with self.lock:
            rec = self.get_recording(sid)
            if rec.status != "completed" or rec.audio is None:
                raise CarrierError(404, 20404, f"The requested resource Recordings/{sid}.wav was not found")
            return rec.audio

    def recordings_of(self, call_sid: str) -> list[SimRecording]:
        with self.lock:
            return [r for r in self._recordings.values() if r.call.sid == call_sid]

    # ---------------------------------------------------------------- the end of a recording
    def _complete(self, rec: SimRecording) -> None:
        now = self._now()
        if rec.paused_since is not None:
            rec.pauses.append((rec.paused_since - rec.created_at, now - rec.created_at))
            rec.paused_since = None
        rec.ended_at = now
        rec.updated_at = now
        seconds = now - rec.created_at
        if seconds < 1:
            rec.status = "absent"
            self._recording_callback(rec, "absent")
            return
        rec.audio = render_wav(seconds, rec.channels, rec.pauses)
        rec.status = "completed"
        self._recording_callback(rec, "completed")

    def _end_recordings(self, call: SimCall) -> None:
        for rec in list(self._recordings.values()):
            if rec.call is call and rec.status in ("in-progress", "paused"):
                self._complete(rec)
