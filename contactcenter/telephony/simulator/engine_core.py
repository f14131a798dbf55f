"""The simulated carrier's shared state: constants, records, identifiers and the scheduler helpers.

`CarrierEngine` is assembled from parts (webhook sending, TwiML following, bridging, call legs);
this is the base they all stand on, so each part sees the same state and helpers.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from contactcenter.clock import Clock
from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN
from contactcenter.telephony.signatures import SignatureChecker
from contactcenter.telephony.simulator import twiml_reader as tw
from contactcenter.telephony.simulator.callers import Callee
from contactcenter.telephony.simulator.model import (
    OwnedNumber,
    Program,
    SimCall,
    SimConference,
    SimParticipant,
    SimQueue,
    SimRecording,
)
from contactcenter.telephony.simulator.scheduler import EventScheduler
from contactcenter.telephony.simulator.transport import WebhookTransport
from contactcenter.telephony.softphone import split_client_address

API_VERSION = "2010-04-01"
APP_ERROR_MESSAGE = "We are sorry, an application error has occurred. Goodbye."
PLAY_SECONDS = 5.0  # a <Play> of unknown length
MAX_HEARD_LOOPS = 20  # transcript entries for one looping <Say>
MAX_FETCHES_PER_INSTANT = 50  # documents fetched with no time passing: a redirect loop
AUDIO_SUFFIXES = (".mp3", ".wav", ".aif", ".aiff", ".gsm", ".ulaw", ".ogg")
AMD_SECONDS = {"human": 2.0, "machine": 4.0, "unknown": 5.0}
SPEECH_CONFIDENCE = "0.92"
CONFERENCE_EVENT_NAMES = {
    "conference-start": "start",
    "conference-end": "end",
    "participant-join": "join",
    "participant-leave": "leave",
    "participant-mute": "mute",
    "participant-unmute": "mute",
    "participant-hold": "hold",
    "participant-unhold": "hold",
    "participant-modify": "modify",
}

Guard = Callable[[], bool]


class EngineCore:
    """The carrier's state and the helpers every part of the engine shares; every method runs
    under `self.lock`.

    The parts of `CarrierEngine` call on one another (a webhook's reply can end a call, an ended
    call sends a status callback); the methods they share are declared below for the type
    checker only, so each part type-checks on its own and runtime lookup still finds the one
    implementation in its part.
    """

    def __init__(
        self,
        transport: WebhookTransport,
        *,
        account_sid: str = SIMULATOR_ACCOUNT_SID,
        auth_token: str = SIMULATOR_AUTH_TOKEN,
        clock: Clock | None = None,
        seed: int = 0,
        duplicate_status_callbacks: bool = False,
        default_callee: Callee | None = None,
    ) -> None:
        """`transport` delivers webhooks to the app. `account_sid`/`auth_token` sign webhooks
        and guard the REST API (the simulator defaults match `contactcenter.config`). `clock`: a
        ManualClock for virtual time, None for the process clock (real time). `seed` makes SIDs
        repeatable. `duplicate_status_callbacks` delivers every status callback twice, as a
        carrier retry would, to prove the app is idempotent. `default_callee` answers numbers
        that `set_callee` did not configure.
        """
        self.transport = transport
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.scheduler = EventScheduler(clock)
        self.lock = threading.RLock()
        self.duplicate_status_callbacks = duplicate_status_callbacks
        self.default_callee = default_callee or Callee()
        self._signer = SignatureChecker(auth_token)
        self._rng = random.Random(seed)
        self._tokens = random.Random(f"idempotency-{seed}")
        self._numbers: dict[str, OwnedNumber] = {}
        self._callees: dict[str, Callee] = {}
        self._calls: dict[str, SimCall] = {}
        self._queues: dict[str, SimQueue] = {}
        self._conferences: dict[str, SimConference] = {}
        self._active_conferences: dict[str, SimConference] = {}  # by friendly name
        self._recordings: dict[str, SimRecording] = {}
        # Browser devices (browser_devices): registered Voice SDK identities, by identity.
        self._devices: dict[str, Any] = {}
        # Where RecordingUrl points in recording callbacks (the REST API's base, as Twilio's does).
        self.recording_url_base = "https://api.twilio.com"
        self.webhook_count = 0
        # Texts (text_messages): our SMS numbers and their URLs, every message, handsets that
        # cannot take texts, and (customer, our number) pairs that texted STOP.
        self._sms_numbers: dict[str, tuple[str, str]] = {}
        self._messages: dict[str, Any] = {}
        self._unreachable: set[str] = set()
        self._opted_out: set[tuple[str, str]] = set()

    # ================================================================ identifiers and records
    def _sid(self, prefix: str) -> str:
        return f"{prefix}{self._rng.getrandbits(128):032x}"

    def _new_call(self, from_: str, to: str, direction: str, *, status: str = "queued") -> SimCall:
        call = SimCall(
            sid=self._sid("CA"),
            account_sid=self.account_sid,
            from_=from_,
            to=to,
            direction=direction,
            created_at=self.scheduler.now(),
            status=status,
        )
        self._calls[call.sid] = call
        return call

    def _callee(self, address: str) -> Callee:
        plain, _ = split_client_address(address)  # `client:alice?task=…` is alice's rule
        return self._callees.get(address, self._callees.get(plain, self.default_callee))

    # ================================================================ scheduling helpers
    def _now(self) -> float:
        return self.scheduler.now()

    def _later(self, at: float, guard: Guard | None, action: Callable[[], None]) -> None:
        def run() -> None:
            with self.lock:
                if guard is None or guard():
                    action()

        self.scheduler.call_at(at, run)

    def _live(self, call: SimCall, prog: Program) -> Guard:
        return lambda: not call.ended and (call.program is prog or call.music is prog)

    if TYPE_CHECKING:

        def _call_params(self, call: SimCall) -> dict[str, str]: ...
        def _token(self) -> str: ...
        def _webhook(
            self,
            call: SimCall | None,
            url: str,
            method: str,
            extra: Mapping[str, str],
            *,
            guard: Guard | None,
            on_reply: Callable[[int, str], None] | None,
            kind: str = "webhook",
            params: Callable[[], dict[str, str]] | None = None,
            token: str | None = None,
        ) -> None: ...
        def _fire_and_forget(self, call: SimCall, url: str, method: str, extra: Mapping[str, str]) -> None: ...
        def _status_callback(self, call: SimCall, event: str) -> None: ...
        def _fetch(
            self,
            call: SimCall,
            url: str,
            method: str,
            extra: Mapping[str, str],
            context: str,
            *,
            first: bool = False,
            loop_url: str | None = None,
            loop_method: str = "POST",
            extra_params: Callable[[], dict[str, str]] | None = None,
        ) -> None: ...
        def _app_error(self, call: SimCall, detail: str) -> None: ...
        def _answer(self, call: SimCall) -> None: ...
        def _step(self, call: SimCall, prog: Program) -> None: ...
        def _recording_params(
            self, call: SimCall, verb: tw.Record, seconds: float, *, hangup: bool = False
        ) -> dict[str, str]: ...
        def _arm_caller(self, call: SimCall) -> None: ...
        def _park(self, call: SimCall) -> None: ...
        def _music_params(self, call: SimCall, context: str) -> Callable[[], dict[str, str]] | None: ...
        def _enqueue(self, call: SimCall, verb: tw.Enqueue) -> None: ...
        def _leave_queue(self, call: SimCall, why: str) -> tuple[tw.Enqueue, float, SimQueue] | None: ...
        def _leave_queue_verb(self, call: SimCall) -> None: ...
        def _dial(self, call: SimCall, verb: tw.Dial) -> None: ...
        def _bridge(self, leg: SimCall) -> None: ...
        def _leg_ended(self, leg: SimCall) -> None: ...
        def _dial_params(self, call: SimCall, outcome: str) -> dict[str, str]: ...
        def _join(self, participant: SimParticipant) -> None: ...
        def _leave_conference(self, call: SimCall, why: str) -> SimParticipant | None: ...
        def _ring(self, call: SimCall) -> None: ...
        def _answered(self, call: SimCall, callee: Callee) -> None: ...
        def _device_for(self, address: str) -> Any: ...
        def _ring_device(self, call: SimCall, device: Any) -> None: ...
        def _finish(self, call: SimCall, reason: str, *, status: str | None = None) -> None: ...
        def _end_recordings(self, call: SimCall) -> None: ...
