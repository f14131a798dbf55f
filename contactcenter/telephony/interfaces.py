"""Plain data crossing the telephony boundary, and the port every carrier adapter implements."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from contactcenter.errors import DomainError, Kind

# ----------------------------------------------------------------------------- instructions
# What the domain wants done on a call leg; `render` turns a list of them into TwiML.


@dataclass(frozen=True)
class Say:
    text: str
    language: str = "en-US"
    voice: str | None = None
    loop: int = 1


@dataclass(frozen=True)
class Play:
    url: str
    loop: int = 1


@dataclass(frozen=True)
class Pause:
    seconds: int = 1


@dataclass(frozen=True)
class Gather:
    """Collect DTMF (or speech); the carrier posts `Digits`/`SpeechResult` to `action`."""

    action: str
    prompts: tuple[Say | Play | Pause, ...] = ()
    num_digits: int | None = None
    timeout: int = 5
    finish_on_key: str = "#"
    input: str = "dtmf"
    language: str = "en-US"
    speech_hints: str | None = None
    action_on_empty_result: bool = True


@dataclass(frozen=True)
class Redirect:
    url: str


@dataclass(frozen=True)
class Enqueue:
    queue_name: str
    wait_url: str | None = None
    action: str | None = None


@dataclass(frozen=True)
class Conference:
    """Join the leg to a named conference (the Flex model: every call lives in one)."""

    name: str
    wait_url: str | None = None
    start_on_enter: bool = True
    end_on_exit: bool = False
    muted: bool = False
    beep: bool = False
    status_callback: str | None = None
    action: str | None = None


@dataclass(frozen=True)
class Dial:
    """Bridge to an external number or client identity."""

    number: str
    caller_id: str | None = None
    timeout: int = 30
    action: str | None = None


@dataclass(frozen=True)
class Record:
    action: str
    max_length: int = 120
    finish_on_key: str = "#"
    play_beep: bool = True
    recording_status_callback: str | None = None


@dataclass(frozen=True)
class Hangup:
    pass


Instruction = Say | Play | Pause | Gather | Redirect | Enqueue | Conference | Dial | Record | Hangup


# ----------------------------------------------------------------------------- events

TERMINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
CALL_STATUSES = frozenset({"queued", "initiated", "ringing", "in-progress"}) | TERMINAL_STATUSES


@dataclass(frozen=True)
class CallEvent:
    """A carrier webhook, validated and typed. `kind` is "voice" (what next?) or "status"."""

    kind: str
    call_sid: str
    account_sid: str
    from_number: str
    to_number: str
    call_status: str
    direction: str
    digits: str | None = None
    speech_result: str | None = None
    parent_call_sid: str | None = None
    duration_s: int | None = None
    sequence_number: int | None = None
    timestamp: datetime | None = None
    answered_by: str | None = None
    recording_url: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_terminal(self) -> bool:
        return self.call_status in TERMINAL_STATUSES

    @property
    def is_inbound(self) -> bool:
        return self.direction == "inbound"


@dataclass(frozen=True)
class PlacedCall:
    call_sid: str
    status: str


@dataclass(frozen=True)
class CallInfo:
    call_sid: str
    status: str
    from_number: str
    to_number: str
    direction: str
    duration_s: int | None
    start_time: datetime | None
    end_time: datetime | None


@dataclass(frozen=True)
class Participant:
    call_sid: str
    conference_sid: str
    hold: bool
    muted: bool
    coaching: bool
    status: str
    # The name given when the participant was added; Twilio (and the simulator) accept it in
    # place of the call SID to fetch, update or remove the participant.
    label: str | None = None


RECORDING_EVENTS = ("in-progress", "completed", "absent")


@dataclass(frozen=True)
class RecordingInfo:
    """A recording the carrier holds (the Recordings REST resource)."""

    recording_sid: str
    call_sid: str
    status: str  # in-progress, paused, stopped, processing, completed, absent, failed
    channels: int
    duration_s: int | None = None


class Telephony(Protocol):
    """What the domain may ask of a carrier. Both adapters pass the same contract tests."""

    account_sid: str

    def render(self, instructions: Sequence[Instruction]) -> str: ...

    def validate_signature(self, url: str, params: Mapping[str, str], signature: str | None) -> bool: ...

    def place_call(
        self,
        to: str,
        from_: str,
        url: str,
        status_callback: str | None = None,
        machine_detection: str | None = None,
        timeout_s: int = 30,
    ) -> PlacedCall: ...

    def fetch_call(self, call_sid: str) -> CallInfo: ...

    def redirect(self, call_sid: str, url: str) -> None: ...

    def hangup(self, call_sid: str) -> None: ...

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
    ) -> Participant: ...

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
    ) -> Participant: ...

    def remove_participant(self, conference_name: str, call_sid: str) -> None: ...

    def update_call_twiml(self, call_sid: str, instructions: Sequence[Instruction]) -> None:
        """Give a live call new instructions at once (e.g. leave the conference for a queue)."""
        ...

    def list_participants(self, conference_name: str) -> list[Participant]: ...

    def start_recording(self, call_sid: str, status_callback: str, *, dual_channel: bool = True) -> RecordingInfo:
        """Record the call (both parties, one per channel when `dual_channel`); the carrier posts
        `in-progress`, `completed` and `absent` to `status_callback`."""
        ...

    def update_recording(self, call_sid: str, recording_sid: str, status: str) -> RecordingInfo:
        """`paused` (silence in the file while paused) or `in-progress` (resume) or `stopped`."""
        ...

    def delete_recording(self, recording_sid: str) -> None: ...

    def recording_audio(self, recording_sid: str) -> bytes:
        """The recording's WAV file, fetched with the account's credentials (never a public URL)."""
        ...


class TelephonyError(DomainError, RuntimeError):
    """The carrier refused or failed a request; `status` is the carrier's own HTTP status when
    known (a fact about its answer, not the status this application gives its clients)."""

    kind: Kind = "dependency_failed"
    code = "carrier_failed"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


CarrierSource = Telephony | Callable[[], Telephony] | None
"""A service's carrier: the carrier itself, or a callable that gives it when first needed (so
building a service never builds a carrier client that refusing a request would not need), or None
where none is configured (tests, simulations)."""


class CarrierRef:
    """The one way services reach their carrier (see `CarrierSource`)."""

    def __init__(self, source: CarrierSource, *, each_use: bool = False) -> None:
        self._source = source
        self._each_use = each_use  # look the carrier up at every use (a long-lived service)

    @staticmethod
    def _is_carrier(source: object) -> bool:
        return hasattr(source, "place_call")

    def get(self) -> Telephony | None:
        """The carrier, built or looked up on first use; None when there is none."""
        if self._source is None or self._is_carrier(self._source):
            return self._source  # type: ignore[return-value]
        carrier = self._source()  # type: ignore[operator]
        if not self._each_use:
            self._source = carrier
        return carrier

    def require(self) -> Telephony:
        carrier = self.get()
        if carrier is None:
            raise TelephonyError("no carrier is configured for this service")
        return carrier


# ----------------------------------------------------------------------------- browser softphone


@dataclass(frozen=True)
class DeviceCall:
    """A call that rang a browser device: `status` is the carrier's call status (ringing,
    in-progress, completed, busy, no-answer, …); `muted` is the page's own microphone switch."""

    call_sid: str
    from_number: str
    status: str
    muted: bool = False
    end_reason: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)  # the ring's custom parameters


@dataclass(frozen=True)
class DeviceState:
    identity: str
    calls: tuple[DeviceCall, ...] = ()


DEVICE_ACTIONS = ("answer", "reject", "hangup", "mute", "unmute")


class BrowserDevices(Protocol):
    """A softphone the app drives on a person's behalf: the simulated carrier's stand-in for the
    Voice SDK `Device` (with Twilio the SDK runs in the browser itself and this port is absent)."""

    def register(self, identity: str) -> DeviceState: ...

    def unregister(self, identity: str) -> None: ...

    def state(self, identity: str) -> DeviceState: ...

    def act(self, identity: str, call_sid: str, action: str) -> DeviceState:
        """`action` is one of DEVICE_ACTIONS."""
        ...


class DeviceError(DomainError):
    """The device is not registered, or the call is not one it can act on now."""

    kind: Kind = "conflict"
    code = "device_refused"
