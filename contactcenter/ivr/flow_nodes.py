"""The typed nodes of a flow: one frozen dataclass per node type, with the edges it leads along.

The engine, validation and the graph tools read these types, never the raw YAML, so each
node's fields and ways out are declared once, here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple

from contactcenter.calendars import BusinessCalendar
from contactcenter.ivr.flow_rules import DAYS, NODE_ID_RE, Prompt, as_text


class Edge(NamedTuple):
    """A way out of a node: `label` is the key or condition, `field` the YAML field it came from."""

    label: str
    target: str
    field: str


@dataclass(frozen=True, kw_only=True)
class Node:
    """Base of all node types. `raw` keeps the parsed YAML mapping for the engine and tools."""

    id: str
    description: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    type: ClassVar[str] = ""
    terminal: ClassVar[bool] = False
    """True when reaching this node ends the IVR (the call is queued, transferred or hung up)."""
    PROMPT_FIELDS: ClassVar[tuple[str, ...]] = ()
    URL_FIELDS: ClassVar[tuple[str, ...]] = ()

    def edges(self) -> tuple[Edge, ...]:
        return ()

    def ends_call(self) -> bool:
        return self.terminal


def _edges(*items: tuple[str, str | None, str]) -> tuple[Edge, ...]:
    return tuple(Edge(label, target, name) for label, target, name in items if target)


@dataclass(frozen=True, kw_only=True)
class MenuNode(Node):
    """Play `prompt`, read one key (or a spoken phrase), go where `options` say.

    Bad keys and silence are retried `retries` more times (with `invalid_prompt` before the
    repeat); after that the caller goes to `on_invalid` / `on_timeout`, so nobody is stuck.
    `repeat_key` replays the prompt without counting as a retry.
    """

    prompt: Prompt
    options: Mapping[str, str]
    timeout: int | None = None
    retries: int = 2
    invalid_prompt: Prompt | None = None
    repeat_key: str | None = None
    on_invalid: str | None = None
    on_timeout: str | None = None
    input: str = "dtmf"
    speech: Mapping[str, str] = field(default_factory=dict)

    type: ClassVar[str] = "menu"
    PROMPT_FIELDS: ClassVar[tuple[str, ...]] = ("prompt", "invalid_prompt")

    def edges(self) -> tuple[Edge, ...]:
        keyed = [Edge(key, target, "options") for key, target in self.options.items()]
        spoken = [Edge(f"say {phrase}", target, "speech") for phrase, target in self.speech.items()]
        repeat = _edges((f"{self.repeat_key} repeat", self.id if self.repeat_key else None, "repeat_key"))
        return (
            *keyed,
            *spoken,
            *repeat,
            *_edges(("invalid", self.on_invalid, "on_invalid"), ("timeout", self.on_timeout, "on_timeout")),
        )


@dataclass(frozen=True, kw_only=True)
class SayNode(Node):
    """Speak `prompt` (may use {variable} placeholders filled by the engine), then go to `next`."""

    prompt: Prompt
    next: str

    type: ClassVar[str] = "say"
    PROMPT_FIELDS: ClassVar[tuple[str, ...]] = ("prompt",)

    def edges(self) -> tuple[Edge, ...]:
        return _edges(("", self.next, "next"))


@dataclass(frozen=True, kw_only=True)
class PlayNode(Node):
    """Play the audio at `url` (one URL, or language -> URL), then go to `next`."""

    url: Prompt
    next: str

    type: ClassVar[str] = "play"
    URL_FIELDS: ClassVar[tuple[str, ...]] = ("url",)

    def edges(self) -> tuple[Edge, ...]:
        return _edges(("", self.next, "next"))


@dataclass(frozen=True, kw_only=True)
class CollectNode(Node):
    """Read a string of digits into `variable` (order number, PIN, date of birth).

    The entry ends at `finish_on_key` or after `max_length` digits; it must be between
    `min_length` and `max_length` long and match `pattern` (a full-match regex) if given.
    `sensitive` entries are masked in recordings, logs and the call's IVR path.
    """

    prompt: Prompt
    variable: str
    min_length: int = 1
    max_length: int | None = None
    pattern: str | None = None
    finish_on_key: str | None = "#"
    sensitive: bool = False
    timeout: int | None = None
    retries: int = 2
    invalid_prompt: Prompt | None = None
    next: str
    on_invalid: str | None = None
    on_timeout: str | None = None

    type: ClassVar[str] = "collect"
    PROMPT_FIELDS: ClassVar[tuple[str, ...]] = ("prompt", "invalid_prompt")

    def edges(self) -> tuple[Edge, ...]:
        return _edges(
            ("ok", self.next, "next"),
            ("invalid", self.on_invalid, "on_invalid"),
            ("timeout", self.on_timeout, "on_timeout"),
        )

    def accepts(self, digits: str) -> bool:
        """Whether an entry (without the finish key) is acceptable."""
        if len(digits) < self.min_length or (self.max_length is not None and len(digits) > self.max_length):
            return False
        return self.pattern is None or re.fullmatch(self.pattern, digits) is not None


@dataclass(frozen=True, kw_only=True)
class LookupNode(Node):
    """Ask the CRM something about the caller and store the answer in `result`.

    `kind` is one of ticket_status (needs the ticket number variable in `input`; answers only
    about tickets of the caller's own customer record, so another customer's ticket is "not
    found" like an unknown number), open_tickets or account_summary (default to the caller's
    customer record). Not found and
    back-end failures both go to `on_not_found`, so an outage never strands a caller.
    """

    kind: str
    input: tuple[str, ...] = ()
    result: str
    next: str
    on_not_found: str

    type: ClassVar[str] = "lookup"

    def edges(self) -> tuple[Edge, ...]:
        return _edges(("found", self.next, "next"), ("not found", self.on_not_found, "on_not_found"))


@dataclass(frozen=True)
class Condition:
    """All present parts must hold: segment, language, variable values, weekday and time of day."""

    segment: frozenset[str] | None = None
    language: frozenset[str] | None = None
    variables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    days: frozenset[int] | None = None
    after: int | None = None
    """Minutes since midnight (inclusive) in the branch's time zone."""
    before: int | None = None
    """Minutes since midnight (exclusive) in the branch's time zone."""

    @property
    def uses_time(self) -> bool:
        return self.days is not None or self.after is not None or self.before is not None

    def matches(
        self,
        *,
        segment: str | None,
        language: str | None,
        variables: Mapping[str, Any],
        local_now: datetime | None = None,
    ) -> bool:
        if self.segment is not None and segment not in self.segment:
            return False
        if self.language is not None and language not in self.language:
            return False
        for name, allowed in self.variables.items():
            if name not in variables or as_text(variables[name]) not in allowed:
                return False
        if self.uses_time:
            if local_now is None:
                return False
            minute = local_now.hour * 60 + local_now.minute
            if self.days is not None and local_now.weekday() not in self.days:
                return False
            if self.after is not None and minute < self.after:
                return False
            if self.before is not None and minute >= self.before:
                return False
        return True

    def describe(self) -> str:
        parts = []
        if self.segment is not None:
            parts.append("segment=" + "/".join(sorted(self.segment)))
        if self.language is not None:
            parts.append("language=" + "/".join(sorted(self.language)))
        parts += [f"{k}=" + "/".join(v) for k, v in self.variables.items()]
        if self.days is not None:
            parts.append("/".join(DAYS[d] for d in sorted(self.days)))
        if self.after is not None:
            parts.append(f"after {_hhmm(self.after)}")
        if self.before is not None:
            parts.append(f"before {_hhmm(self.before)}")
        return " and ".join(parts) or "always"


@dataclass(frozen=True)
class Rule:
    when: Condition
    goto: str


@dataclass(frozen=True, kw_only=True)
class BranchNode(Node):
    """Route silently: the first rule whose `when` holds wins, else `default`.

    `when` keys: segment (customer tier or list), language, variables (name -> value or
    list), days (list of mon..sun), after / before ("HH:MM", in `time_zone`).
    """

    rules: tuple[Rule, ...]
    default: str
    time_zone: str | None = None

    type: ClassVar[str] = "branch"

    def edges(self) -> tuple[Edge, ...]:
        ruled = [Edge(rule.when.describe(), rule.goto, f"rules[{i}]") for i, rule in enumerate(self.rules)]
        return (*ruled, Edge("else", self.default, "default"))


@dataclass(frozen=True, kw_only=True)
class HoursNode(Node):
    """Go to `open` or `closed` by the calendar; `holiday` (optional) overrides `closed` on holidays."""

    calendar: BusinessCalendar
    open: str
    closed: str
    holiday: str | None = None

    type: ClassVar[str] = "hours"

    def edges(self) -> tuple[Edge, ...]:
        return _edges(
            ("open", self.open, "open"), ("closed", self.closed, "closed"), ("holiday", self.holiday, "holiday")
        )


@dataclass(frozen=True, kw_only=True)
class QueueNode(Node):
    """Hand the call to the ACD: `queue` name, `skills` (skill -> minimum level 1-10),
    `priority` (higher is answered first), `intent` (shown to the agent). Ends the IVR."""

    queue: str
    skills: Mapping[str, int] = field(default_factory=dict)
    priority: int = 0
    intent: str | None = None
    prompt: Prompt | None = None

    type: ClassVar[str] = "queue"
    terminal: ClassVar[bool] = True
    PROMPT_FIELDS: ClassVar[tuple[str, ...]] = ("prompt",)


@dataclass(frozen=True, kw_only=True)
class CallbackNode(Node):
    """Book a callback to the caller's number in `queue`, confirm with `prompt`, go to `next`."""

    prompt: Prompt
    queue: str
    priority: int = 0
    next: str

    type: ClassVar[str] = "callback"
    PROMPT_FIELDS: ClassVar[tuple[str, ...]] = ("prompt",)

    def edges(self) -> tuple[Edge, ...]:
        return _edges(("", self.next, "next"))


@dataclass(frozen=True, kw_only=True)
class VoicemailNode(Node):
    """Record up to `max_length` seconds after `prompt`; the recording opens a ticket with
    `subject` in `queue`. Without `next` the call hangs up after recording (terminal)."""

    prompt: Prompt
    max_length: int = 120
    queue: str | None = None
    subject: str | None = None
    next: str | None = None

    type: ClassVar[str] = "voicemail"
    PROMPT_FIELDS: ClassVar[tuple[str, ...]] = ("prompt",)

    def edges(self) -> tuple[Edge, ...]:
        return _edges(("", self.next, "next"))

    def ends_call(self) -> bool:
        return self.next is None


@dataclass(frozen=True, kw_only=True)
class TransferNode(Node):
    """Bridge the caller to an outside E.164 `number`; `on_failure` if it is busy or unanswered."""

    number: str
    prompt: Prompt | None = None
    on_failure: str | None = None

    type: ClassVar[str] = "transfer"
    terminal: ClassVar[bool] = True
    PROMPT_FIELDS: ClassVar[tuple[str, ...]] = ("prompt",)

    def edges(self) -> tuple[Edge, ...]:
        return _edges(("failed", self.on_failure, "on_failure"))


@dataclass(frozen=True, kw_only=True)
class SurveyNode(Node):
    """Ask for a score 1..`scale` stored in `variable`; silence skips the answer. Then `next`."""

    prompt: Prompt
    variable: str
    scale: int = 5
    timeout: int = 5
    next: str

    type: ClassVar[str] = "survey"
    PROMPT_FIELDS: ClassVar[tuple[str, ...]] = ("prompt",)

    def edges(self) -> tuple[Edge, ...]:
        return _edges(("", self.next, "next"))


@dataclass(frozen=True, kw_only=True)
class LanguageNode(Node):
    """Let the caller pick a language: `options` key -> language code. The prompt is played
    once per declared language (each in its own voice); silence keeps `default_language`."""

    prompt: Prompt
    options: Mapping[str, str]
    timeout: int = 5
    next: str

    type: ClassVar[str] = "language"
    PROMPT_FIELDS: ClassVar[tuple[str, ...]] = ("prompt",)

    def edges(self) -> tuple[Edge, ...]:
        return _edges(("", self.next, "next"))


@dataclass(frozen=True, kw_only=True)
class HangupNode(Node):
    """Say the optional goodbye `prompt` and end the call."""

    prompt: Prompt | None = None

    type: ClassVar[str] = "hangup"
    terminal: ClassVar[bool] = True
    PROMPT_FIELDS: ClassVar[tuple[str, ...]] = ("prompt",)


@dataclass(frozen=True, kw_only=True)
class UnknownNode(Node):
    """A node whose `type` this version does not know; kept so validation can name it."""

    type_name: str

    type: ClassVar[str] = "unknown"

    def edges(self) -> tuple[Edge, ...]:
        # Best guess so one unknown node does not make everything behind it look unreachable.
        found = []
        for key, value in self.raw.items():
            if isinstance(value, str) and NODE_ID_RE.fullmatch(value) and key != "type":
                found.append(Edge(str(key), value, str(key)))
            elif isinstance(value, Mapping):
                found += [
                    Edge(str(k), v, str(key))
                    for k, v in value.items()
                    if isinstance(v, str) and NODE_ID_RE.fullmatch(v)
                ]
        return tuple(found)


NODE_TYPES: Mapping[str, type[Node]] = MappingProxyType(
    {
        cls.type: cls
        for cls in (
            MenuNode,
            SayNode,
            PlayNode,
            CollectNode,
            LookupNode,
            BranchNode,
            HoursNode,
            QueueNode,
            CallbackNode,
            VoicemailNode,
            TransferNode,
            SurveyNode,
            LanguageNode,
            HangupNode,
        )
    }
)


def field_names(cls: type[Node]) -> frozenset[str]:
    """YAML field names a node type accepts (besides `type`)."""
    return frozenset(f.name for f in fields(cls) if f.name not in ("id", "raw")) | {"type"}


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
