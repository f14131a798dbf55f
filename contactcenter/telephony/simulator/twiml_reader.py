"""Read a TwiML response into verb objects, the way the carrier reads what the app sent back.

The reader is strict where Twilio is strict (root must be <Response>, verb names are
case-sensitive, numeric attributes must be numbers, attributes a verb does not have and values
outside a verb's range are refused with Twilio's error code) and refuses what a carrier must never
expand (DOCTYPE and entity declarations, oversized documents), so an app bug surfaces in tests as
an application error instead of passing silently. Relative URLs are resolved against the URL of the
document that contained them, as Twilio does; actions left out default to that document's URL
where Twilio does the same (<Gather>, <Record>).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

MAX_TWIML_BYTES = 256 * 1024
INFINITE_LOOP = 1000  # Twilio plays a loop="0" <Say>/<Play> this many times


# Twilio's error codes for TwiML it refuses.
PARSE_FAILURE = 12100  # not a TwiML document at all
SCHEMA_VALIDATION = 12200  # a verb, noun, attribute or value the TwiML schema does not have
SAY_INVALID_TEXT = 13520  # <Say> with nothing to say
DIAL_INVALID_TIMEOUT = 13212  # <Dial timeout> not a whole number of seconds in 1..600
CONFERENCE_INVALID_BEEP = 13235  # <Conference beep> not true, false, onEnter or onExit

MAX_DIAL_TIMEOUT = 600
MAX_CONFERENCE_PARTICIPANTS = 250
CONFERENCE_EVENTS = frozenset({"start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement"})
CALL_PROGRESS_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})
RECORDING_EVENTS = frozenset({"in-progress", "completed", "absent"})
BEEP_VALUES = frozenset({"true", "false", "onEnter", "onExit"})
RECORD_TRIM_VALUES = frozenset({"trim-silence", "do-not-trim"})


class TwimlError(ValueError):
    """The document is not TwiML the carrier can execute; `code` is the error Twilio reports.

    12100 for a document that cannot be read, 12200 for schema violations (unknown verbs,
    nouns, attributes or values), or a verb's own code (13520 empty <Say>, 13212 <Dial timeout>,
    13235 <Conference beep>). The carrier ends the call down its application-error path and
    reports the code, as Twilio does to its debugger and to a fallback URL.
    """

    def __init__(self, message: str, code: int = SCHEMA_VALIDATION) -> None:
        super().__init__(message)
        self.code = code


# ----------------------------------------------------------------------------- verbs


@dataclass(frozen=True)
class Say:
    text: str
    voice: str | None = None
    language: str | None = None
    loop: int = 1


@dataclass(frozen=True)
class Play:
    url: str
    loop: int = 1
    digits: str | None = None


@dataclass(frozen=True)
class Pause:
    length: int = 1


Prompt = Say | Play | Pause


@dataclass(frozen=True)
class Gather:
    action: str
    method: str = "POST"
    timeout: int = 5
    finish_on_key: str = "#"
    num_digits: int | None = None
    input: frozenset[str] = frozenset({"dtmf"})
    action_on_empty_result: bool = False
    language: str | None = None
    prompts: tuple[Prompt, ...] = ()


@dataclass(frozen=True)
class Redirect:
    url: str
    method: str = "POST"


@dataclass(frozen=True)
class Enqueue:
    name: str
    action: str | None = None
    method: str = "POST"
    wait_url: str | None = None
    wait_url_method: str = "POST"


@dataclass(frozen=True)
class Leave:
    pass


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Reject:
    reason: str = "rejected"


@dataclass(frozen=True)
class ConferenceNoun:
    name: str
    wait_url: str | None = None  # None: Twilio's default hold music; "": silence
    wait_method: str = "POST"
    start_on_enter: bool = True
    end_on_exit: bool = False
    muted: bool = False
    beep: str = "true"
    status_callback: str | None = None
    status_callback_events: frozenset[str] = frozenset({"start", "end"})
    status_callback_method: str = "POST"
    coach: str | None = None
    max_participants: int = 250


@dataclass(frozen=True)
class NumberNoun:
    number: str
    url: str | None = None
    send_digits: str | None = None


@dataclass(frozen=True)
class ClientNoun:
    identity: str
    url: str | None = None

    @property
    def address(self) -> str:
        return f"client:{self.identity}"


@dataclass(frozen=True)
class QueueNoun:
    name: str
    url: str | None = None


@dataclass(frozen=True)
class SipNoun:
    uri: str


DialTarget = ConferenceNoun | NumberNoun | ClientNoun | QueueNoun | SipNoun


@dataclass(frozen=True)
class Dial:
    targets: tuple[DialTarget, ...]
    action: str | None = None
    method: str = "POST"
    timeout: int = 30
    caller_id: str | None = None
    time_limit: int = 14400
    hangup_on_star: bool = False
    record: str = "do-not-record"

    @property
    def conference(self) -> ConferenceNoun | None:
        for target in self.targets:
            if isinstance(target, ConferenceNoun):
                return target
        return None


@dataclass(frozen=True)
class Record:
    action: str
    method: str = "POST"
    timeout: int = 5
    max_length: int = 3600
    finish_on_key: str = "1234567890*#"
    play_beep: bool = True
    trim: str = "trim-silence"
    recording_status_callback: str | None = None
    recording_status_callback_method: str = "POST"


Verb = Say | Play | Pause | Gather | Redirect | Enqueue | Leave | Hangup | Reject | Dial | Record


@dataclass(frozen=True)
class TwimlDocument:
    url: str
    verbs: tuple[Verb, ...] = field(default_factory=tuple)


# ----------------------------------------------------------------------------- attribute helpers


class _Attrs:
    """Typed access to one element's attributes, with errors that name the verb and attribute."""

    def __init__(self, element: ET.Element, base_url: str) -> None:
        self._el = element
        self._base = base_url

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self._el.get(name)
        return default if value is None else value

    def url(self, name: str, default: str | None = None) -> str | None:
        value = self._el.get(name)
        if value is None:
            return default
        value = value.strip()
        return resolve_url(self._base, value) if value else ""

    def method(self, name: str, default: str = "POST") -> str:
        value = (self._el.get(name) or default).strip().upper()
        if value not in ("GET", "POST"):
            raise TwimlError(f"<{self._el.tag}> {name} must be GET or POST, not {value!r}")
        return value

    def integer(self, name: str, default: int, minimum: int = 0) -> int:
        raw = self._el.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise TwimlError(f"<{self._el.tag}> {name} must be a whole number, not {raw!r}") from None
        if value < minimum:
            raise TwimlError(f"<{self._el.tag}> {name} must be at least {minimum}, not {value}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self._el.get(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in ("true", "1", "yes"):
            return True
        if value in ("false", "0", "no"):
            return False
        raise TwimlError(f"<{self._el.tag}> {name} must be true or false, not {raw!r}")


_STATUS = ("statusCallback", "statusCallbackEvent", "statusCallbackMethod")
_RECORDING_STATUS = ("recordingStatusCallback", "recordingStatusCallbackEvent", "recordingStatusCallbackMethod")
_AMD = (
    "machineDetection",
    "machineDetectionTimeout",
    "machineDetectionSpeechThreshold",
    "machineDetectionSpeechEndThreshold",
    "machineDetectionSilenceTimeout",
    "amdStatusCallback",
    "amdStatusCallbackMethod",
)

# Attributes each verb and noun has in Twilio's TwiML; any other is a schema error (12200).
ATTRIBUTES: dict[str, frozenset[str]] = {
    "Say": frozenset({"voice", "language", "loop"}),
    "Play": frozenset({"loop", "digits"}),
    "Pause": frozenset({"length"}),
    "Gather": frozenset(
        {
            "action",
            "method",
            "timeout",
            "finishOnKey",
            "numDigits",
            "input",
            "actionOnEmptyResult",
            "language",
            "hints",
            "speechTimeout",
            "speechModel",
            "maxSpeechTime",
            "profanityFilter",
            "enhanced",
            "bargeIn",
            "debug",
            "partialResultCallback",
            "partialResultCallbackMethod",
        }
    ),
    "Redirect": frozenset({"method"}),
    "Enqueue": frozenset({"action", "method", "waitUrl", "waitUrlMethod", "workflowSid", "maxQueueSize"}),
    "Leave": frozenset(),
    "Hangup": frozenset(),
    "Reject": frozenset({"reason"}),
    "Dial": frozenset(
        {
            "action",
            "method",
            "timeout",
            "callerId",
            "timeLimit",
            "hangupOnStar",
            "record",
            "trim",
            "answerOnBridge",
            "ringTone",
            "recordingTrack",
            "sequential",
            "referUrl",
            "referMethod",
            "callReason",
            "events",
            *_RECORDING_STATUS,
        }
    ),
    "Record": frozenset(
        {
            "action",
            "method",
            "timeout",
            "maxLength",
            "finishOnKey",
            "playBeep",
            "trim",
            "transcribe",
            "transcribeCallback",
            "storageUrl",
            "storageUrlMethod",
            *_RECORDING_STATUS,
        }
    ),
    "Conference": frozenset(
        {
            "muted",
            "beep",
            "startConferenceOnEnter",
            "endConferenceOnExit",
            "waitUrl",
            "waitMethod",
            "maxParticipants",
            "record",
            "region",
            "coach",
            "callSidToCoach",
            "trim",
            "participantLabel",
            "jitterBufferSize",
            "eventCallbackUrl",
            *_STATUS,
            *_RECORDING_STATUS,
        }
    ),
    "Number": frozenset({"sendDigits", "url", "method", "byoc", *_STATUS, *_AMD}),
    "Client": frozenset({"url", "method", *_STATUS}),
    "Queue": frozenset({"url", "method", "reservationSid", "postWorkActivitySid"}),
    "Sip": frozenset({"username", "password", "url", "method", *_STATUS, *_AMD}),
}


def _check_attributes(element: ET.Element) -> None:
    """Refuse attributes the verb or noun does not have (names are case-sensitive, as in Twilio)."""
    allowed = ATTRIBUTES.get(element.tag)
    if allowed is None:
        return
    unknown = sorted(name for name in element.attrib if name not in allowed)
    if unknown:
        raise TwimlError(f"<{element.tag}> has no attribute {unknown[0]!r}", SCHEMA_VALIDATION)


def _events(element: ET.Element, name: str, allowed: frozenset[str], default: str) -> frozenset[str]:
    """A space-separated event list; an event Twilio does not send is a schema error."""
    raw = element.get(name)
    events = (default if raw is None else raw).split()
    unknown = [event for event in events if event not in allowed]
    if unknown or (raw is not None and not events):
        raise TwimlError(
            f"<{element.tag}> {name} has an unknown event {unknown[0] if unknown else raw!r} "
            f"(known: {', '.join(sorted(allowed))})",
            SCHEMA_VALIDATION,
        )
    return frozenset(events)


def resolve_url(base_url: str, url: str) -> str:
    """A URL as Twilio would request it: relative ones against the containing document's URL."""
    return urljoin(base_url, url) if base_url else url


def _body(element: ET.Element) -> str:
    return (element.text or "").strip()


def _no_children(element: ET.Element) -> None:
    if len(element):
        raise TwimlError(f"<{element.tag}> cannot contain <{element[0].tag}>", SCHEMA_VALIDATION)


# ----------------------------------------------------------------------------- verb readers


def _say(el: ET.Element, base: str) -> Say:
    a = _Attrs(el, base)
    # <Say> may hold SSML children; what the caller hears is all of the text.
    text = " ".join(" ".join(el.itertext()).split())
    if not text:
        raise TwimlError("<Say> has no text to say", SAY_INVALID_TEXT)
    return Say(text=text, voice=a.text("voice"), language=a.text("language"), loop=a.integer("loop", 1))


def _play(el: ET.Element, base: str) -> Play:
    _no_children(el)
    a = _Attrs(el, base)
    body = _body(el)
    digits = a.text("digits")
    if not body and not digits:
        raise TwimlError("<Play> needs a URL (or digits)")
    return Play(url=resolve_url(base, body) if body else "", loop=a.integer("loop", 1), digits=digits)


def _pause(el: ET.Element, base: str) -> Pause:
    _no_children(el)
    return Pause(length=_Attrs(el, base).integer("length", 1, minimum=1))


_PROMPT_READERS: dict[str, Callable[[ET.Element, str], Prompt]] = {"Say": _say, "Play": _play, "Pause": _pause}


def _gather(el: ET.Element, base: str) -> Gather:
    a = _Attrs(el, base)
    prompts: list[Prompt] = []
    for child in el:
        reader = _PROMPT_READERS.get(child.tag)
        if reader is None:
            raise TwimlError(f"<Gather> cannot contain <{child.tag}> (only Say, Play, Pause)")
        _check_attributes(child)
        prompts.append(reader(child, base))
    kinds = frozenset((a.text("input") or "dtmf").lower().split())
    if not kinds or not kinds <= {"dtmf", "speech"}:
        raise TwimlError(f"<Gather> input must be dtmf, speech or both, not {a.text('input')!r}")
    num_digits = a.integer("numDigits", 0, minimum=1) or None
    finish = a.text("finishOnKey", "#") or ""
    if len(finish) > 1 or (finish and finish not in "0123456789*#"):
        raise TwimlError(f"<Gather> finishOnKey must be one key, not {finish!r}")
    return Gather(
        action=a.url("action") or base,
        method=a.method("method"),
        timeout=a.integer("timeout", 5, minimum=1),
        finish_on_key=finish,
        num_digits=num_digits,
        input=kinds,
        action_on_empty_result=a.boolean("actionOnEmptyResult", False),
        language=a.text("language"),
        prompts=tuple(prompts),
    )


def _redirect(el: ET.Element, base: str) -> Redirect:
    _no_children(el)
    body = _body(el)
    if not body:
        raise TwimlError("<Redirect> needs a URL")
    return Redirect(url=resolve_url(base, body), method=_Attrs(el, base).method("method"))


def _enqueue(el: ET.Element, base: str) -> Enqueue:
    a = _Attrs(el, base)
    name = _body(el)
    if not name:
        raise TwimlError("<Enqueue> needs a queue name")
    if len(name) > 64:
        raise TwimlError("<Enqueue> queue names are at most 64 characters")
    return Enqueue(
        name=name,
        action=a.url("action") or None,
        method=a.method("method"),
        wait_url=a.url("waitUrl") or None,
        wait_url_method=a.method("waitUrlMethod"),
    )


def _conference(el: ET.Element, base: str) -> ConferenceNoun:
    a = _Attrs(el, base)
    name = _body(el)
    if not name:
        raise TwimlError("<Conference> needs a name")
    events = _events(el, "statusCallbackEvent", CONFERENCE_EVENTS, "start end")
    _events(el, "recordingStatusCallbackEvent", RECORDING_EVENTS, "completed")
    beep = a.text("beep", "true") or ""
    if beep not in BEEP_VALUES and beep.lower() not in ("true", "false"):
        raise TwimlError(
            f"<Conference> beep must be true, false, onEnter or onExit, not {beep!r}", CONFERENCE_INVALID_BEEP
        )
    max_participants = a.integer("maxParticipants", MAX_CONFERENCE_PARTICIPANTS, minimum=2)
    if max_participants > MAX_CONFERENCE_PARTICIPANTS:
        raise TwimlError(
            f"<Conference> maxParticipants is at most {MAX_CONFERENCE_PARTICIPANTS}, not {max_participants}",
            SCHEMA_VALIDATION,
        )
    return ConferenceNoun(
        name=name,
        wait_url=a.url("waitUrl"),
        wait_method=a.method("waitMethod"),
        start_on_enter=a.boolean("startConferenceOnEnter", True),
        end_on_exit=a.boolean("endConferenceOnExit", False),
        muted=a.boolean("muted", False),
        beep=beep.lower(),
        status_callback=a.url("statusCallback") or None,
        status_callback_events=events,
        status_callback_method=a.method("statusCallbackMethod"),
        coach=a.text("coach"),
        max_participants=max_participants,
    )


def _dial(el: ET.Element, base: str) -> Dial:
    a = _Attrs(el, base)
    targets: list[DialTarget] = []
    bare = _body(el)
    if bare:
        targets.append(NumberNoun(number=bare))
    for child in el:
        ca = _Attrs(child, base)
        _check_attributes(child)
        if child.tag in ("Number", "Client", "Sip"):
            _events(child, "statusCallbackEvent", CALL_PROGRESS_EVENTS, "completed")
        if child.tag == "Conference":
            targets.append(_conference(child, base))
        elif child.tag == "Number":
            targets.append(
                NumberNoun(number=_body(child), url=ca.url("url") or None, send_digits=ca.text("sendDigits"))
            )
        elif child.tag == "Client":
            identity = _body(child)
            for sub in child:
                if sub.tag == "Identity":
                    identity = _body(sub)
            targets.append(ClientNoun(identity=identity, url=ca.url("url") or None))
        elif child.tag == "Queue":
            targets.append(QueueNoun(name=_body(child), url=ca.url("url") or None))
        elif child.tag == "Sip":
            targets.append(SipNoun(uri=_body(child)))
        else:
            raise TwimlError(f"<Dial> cannot contain <{child.tag}>")
        if child.tail and child.tail.strip():
            targets.append(NumberNoun(number=child.tail.strip()))
    if not targets:
        raise TwimlError("<Dial> needs a number, client, conference or queue")
    if any(isinstance(t, ConferenceNoun) for t in targets) and len(targets) > 1:
        raise TwimlError("<Dial> with a <Conference> cannot dial anything else")
    _events(el, "recordingStatusCallbackEvent", RECORDING_EVENTS, "completed")
    return Dial(
        targets=tuple(targets),
        action=a.url("action") or None,
        method=a.method("method"),
        timeout=_dial_timeout(el),
        caller_id=a.text("callerId"),
        time_limit=a.integer("timeLimit", 14400, minimum=1),
        hangup_on_star=a.boolean("hangupOnStar", False),
        record=a.text("record", "do-not-record") or "do-not-record",
    )


def _dial_timeout(el: ET.Element) -> int:
    raw = (el.get("timeout") or "").strip()
    if not raw:
        return 30
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DIAL_TIMEOUT:
        raise TwimlError(
            f"<Dial> timeout must be a whole number of seconds from 1 to {MAX_DIAL_TIMEOUT}, not {raw[:32]!r}",
            DIAL_INVALID_TIMEOUT,
        )
    return int(raw)


def _record(el: ET.Element, base: str) -> Record:
    _no_children(el)
    a = _Attrs(el, base)
    trim = a.text("trim", "trim-silence")
    if trim not in RECORD_TRIM_VALUES:
        raise TwimlError(f"<Record> trim must be trim-silence or do-not-trim, not {trim!r}", SCHEMA_VALIDATION)
    _events(el, "recordingStatusCallbackEvent", RECORDING_EVENTS, "completed")
    return Record(
        action=a.url("action") or base,
        method=a.method("method"),
        timeout=a.integer("timeout", 5),
        max_length=a.integer("maxLength", 3600, minimum=1),
        finish_on_key=a.text("finishOnKey", "1234567890*#") or "",
        play_beep=a.boolean("playBeep", True),
        trim=trim or "trim-silence",
        recording_status_callback=a.url("recordingStatusCallback") or None,
        recording_status_callback_method=a.method("recordingStatusCallbackMethod"),
    )


def _simple(verb: Verb) -> Callable[[ET.Element, str], Verb]:
    def read(el: ET.Element, base: str) -> Verb:
        _no_children(el)
        return verb

    return read


def _reject(el: ET.Element, base: str) -> Reject:
    _no_children(el)
    return Reject(reason=_Attrs(el, base).text("reason", "rejected") or "rejected")


_VERB_READERS: dict[str, Callable[[ET.Element, str], Verb]] = {
    "Say": _say,
    "Play": _play,
    "Pause": _pause,
    "Gather": _gather,
    "Redirect": _redirect,
    "Enqueue": _enqueue,
    "Leave": _simple(Leave()),
    "Hangup": _simple(Hangup()),
    "Reject": _reject,
    "Dial": _dial,
    "Record": _record,
}


# ----------------------------------------------------------------------------- entry point


def parse_twiml(text: str | bytes, url: str = "") -> TwimlDocument:
    """Parse a webhook response body into a `TwimlDocument`; `url` is where it came from."""
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if len(raw) > MAX_TWIML_BYTES:
        raise TwimlError(f"TwiML document is {len(raw)} bytes, over the {MAX_TWIML_BYTES} byte limit", PARSE_FAILURE)
    lowered = raw.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise TwimlError("TwiML must not contain DOCTYPE or entity declarations", PARSE_FAILURE)
    if not raw.strip():
        raise TwimlError("empty response where TwiML was expected", PARSE_FAILURE)
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise TwimlError(f"response is not well-formed XML: {exc}", PARSE_FAILURE) from None
    if root.tag != "Response":
        raise TwimlError(f"TwiML root element must be <Response>, not <{root.tag}>", PARSE_FAILURE)
    verbs: list[Verb] = []
    for element in root:
        reader = _VERB_READERS.get(element.tag)
        if reader is None:
            raise TwimlError(f"unknown or unsupported TwiML verb <{element.tag}>", SCHEMA_VALIDATION)
        _check_attributes(element)
        verbs.append(reader(element, url))
    return TwimlDocument(url=url, verbs=tuple(verbs))
