"""Plain data and errors of call recording: consent decisions, recording status callbacks as the
carrier sends them (parsed and refused when malformed), what a pause or a playback returns."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from contactcenter import clock
from contactcenter.errors import DomainError

RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")
CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
CALLBACK_STATUSES = ("in-progress", "completed", "absent", "failed")
MAX_PARAMS = 40
MAX_VALUE = 1024
MAX_ANNOUNCEMENT = 500
MAX_RETENTION_DAYS = 3650
DEFAULT_ANNOUNCEMENT = "This call may be recorded for quality and training purposes."


class RecordingError(DomainError):
    """A recording request refused; the raise site sets the kind (not_found, conflict, ...)."""

    code = "recording_refused"


class MalformedRecordingCallback(DomainError, ValueError):
    """A recording status callback that cannot be a genuine carrier request (400)."""

    code = "malformed_callback"


class InvalidRecordingRule(DomainError, ValueError):
    code = "invalid_recording_rule"


@dataclass(frozen=True)
class RecordingUrls:
    """Where the carrier posts recording status callbacks (web.recordings)."""

    status: str = ""


@dataclass(frozen=True)
class Consent:
    """What a call gets: `mode` record / announce / off, the announcement the caller hears before
    the agent connects (None: nothing), the retention in days (None: kept), and which rule said so."""

    mode: str
    announcement: str | None
    retention_days: int | None
    decided_by: str  # "region:DE", "campaign:4", "queue:2" or "default"

    @property
    def records(self) -> bool:
        return self.mode == "record"


@dataclass(frozen=True)
class RecordingCallback:
    account_sid: str
    call_sid: str
    recording_sid: str
    status: str
    channels: int | None
    duration_s: int | None
    started_at: datetime | None


def _value(params: Mapping[str, str], name: str, *, required: bool = True, limit: int = 64) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise MalformedRecordingCallback(f"missing parameter {name}")
        return None
    if len(value) > limit:
        raise MalformedRecordingCallback(f"parameter {name} is too long")
    return value


def parse_callback(params: Mapping[str, str]) -> RecordingCallback:
    """A recording status callback's parameters → `RecordingCallback`; refuses anything odd."""
    if len(params) > MAX_PARAMS:
        raise MalformedRecordingCallback("too many parameters")
    for key, value in params.items():
        if len(key) > 64 or len(value) > MAX_VALUE:
            raise MalformedRecordingCallback("a parameter is too long")
    account = _value(params, "AccountSid") or ""
    if not ACCOUNT_SID.match(account):
        raise MalformedRecordingCallback("AccountSid is not an account id")
    call_sid = _value(params, "CallSid") or ""
    if not CALL_SID.match(call_sid):
        raise MalformedRecordingCallback("CallSid is not a call id")
    recording_sid = _value(params, "RecordingSid") or ""
    if not RECORDING_SID.match(recording_sid):
        raise MalformedRecordingCallback("RecordingSid is not a recording id")
    status = _value(params, "RecordingStatus") or ""
    if status not in CALLBACK_STATUSES:
        raise MalformedRecordingCallback("RecordingStatus is not a known recording status")
    channels_raw = _value(params, "RecordingChannels", required=False, limit=2)
    if channels_raw is not None and channels_raw not in ("1", "2"):
        raise MalformedRecordingCallback("RecordingChannels must be 1 or 2")
    duration_raw = _value(params, "RecordingDuration", required=False, limit=8)
    if duration_raw is not None and (not duration_raw.isdigit() or int(duration_raw) > 7 * 24 * 3600):
        raise MalformedRecordingCallback("RecordingDuration must be a whole number of seconds")
    started = None
    started_raw = _value(params, "RecordingStartTime", required=False)
    if started_raw:
        try:
            started = clock.as_utc(parsedate_to_datetime(started_raw))
        except (TypeError, ValueError, IndexError) as exc:
            raise MalformedRecordingCallback("RecordingStartTime is not an RFC 2822 date") from exc
    return RecordingCallback(
        account_sid=account,
        call_sid=call_sid,
        recording_sid=recording_sid,
        status=status,
        channels=int(channels_raw) if channels_raw else None,
        duration_s=int(duration_raw) if duration_raw else None,
        started_at=started,
    )


@dataclass(frozen=True)
class CallbackOutcome:
    recording_sid: str
    status: str
    duplicate: bool
    fetch_audio: bool  # completed just now: the audio is to be fetched from the carrier


@dataclass(frozen=True)
class PauseOutcome:
    recording_sid: str
    status: str  # paused | in-progress
    by: int
    at: datetime


@dataclass(frozen=True)
class Audio:
    content: bytes
    content_type: str
    recording_sid: str
