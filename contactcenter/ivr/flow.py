"""IVR flows: typed, immutable node dataclasses and a safe YAML loader.

A flow file is written by operations staff and edited while the center is live, so loading
treats it as untrusted input: `yaml.safe_load` semantics only (no Python tags), a size cap,
an expanded-node cap against alias bombs, duplicate-key detection (YAML silently keeps the
last of two equal keys, which would drop a node without a word), and per-field type checks.

Loading answers "can this file be turned into typed nodes?". Anything that cannot is a
structural problem and `load_flow` raises `FlowError` listing every such problem with the node
it belongs to. Questions about how nodes relate to each other (dangling targets, unreachable
nodes, loops with no exit, unknown queues, missing translations) belong to `validation`.
Node types this version does not know become `UnknownNode` so validation can name them.

File shape::

    flow: acme-support          # name the registry serves it under
    version: 3                  # integer, bumped on every edit
    start: welcome              # id of the first node
    languages: [en-US, es-ES]   # optional; prompts may then map language -> text
    default_language: en-US     # optional; defaults to the first language
    nodes:
      welcome: {type: menu, ...}

Node ids start with a letter and use letters, digits, `_` and `-` (they appear in webhook URLs).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, ClassVar, Iterable, Literal, Mapping, NamedTuple, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from contactcenter.calendars import END_OF_DAY, BusinessCalendar
from contactcenter.errors import DomainError

MAX_FLOW_BYTES = 1024 * 1024
"""Flow files above 1 MB are refused before parsing: real flows are a few kilobytes."""
MAX_YAML_NODES = 200_000
"""Cap on YAML nodes counted with aliases expanded, which is what defuses alias bombs."""
MAX_FLOW_NODES = 1000
MAX_TEXT_LENGTH = 4000
"""Longest prompt text; the carrier's text-to-speech refuses longer input."""
MAX_PATTERN_LENGTH = 200

NODE_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
VARIABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
DTMF_KEYS = frozenset("0123456789*#")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOOKUP_KINDS = ("ticket_status", "open_tickets", "account_summary")
MENU_INPUTS = ("dtmf", "dtmf speech")

Severity = Literal["error", "warning"]
Prompt = Union[str, Mapping[str, str]]
"""Text to speak: one string, or a mapping language code -> text for multilingual flows."""


@dataclass(frozen=True)
class FlowProblem:
    """One thing wrong with a flow, tied to the node it concerns (None: the flow as a whole).

    `code` names the class of problem (e.g. "missing-target") so tools can filter on it;
    errors make a flow invalid, warnings are reported but do not block loading.
    """

    node_id: str | None
    message: str
    severity: Severity = "error"
    code: str = "structure"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = "flow" if self.node_id is None else f"node '{self.node_id}'"
        return one_line(f"{self.severity.upper()} {where}: {self.message}")

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, "node": self.node_id, "message": self.message}


class FlowError(DomainError, ValueError):
    """A flow that cannot be loaded or served; `problems` lists every reason found."""

    def __init__(self, problems: Iterable[FlowProblem]) -> None:
        self.problems: tuple[FlowProblem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid flow")


def one_line(text: str) -> str:
    """`text` with control characters escaped, so one problem is always one output line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class Edge(NamedTuple):
    """A way out of a node: `label` is the key or condition, `field` the YAML field it came from."""

    label: str
    target: str
    field: str


# ----------------------------------------------------------------------------- nodes


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
        return (*keyed, *spoken, *repeat, *_edges(("invalid", self.on_invalid, "on_invalid"),
                                         ("timeout", self.on_timeout, "on_timeout")))


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
        return _edges(("ok", self.next, "next"), ("invalid", self.on_invalid, "on_invalid"),
                      ("timeout", self.on_timeout, "on_timeout"))

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

    def matches(self, *, segment: str | None, language: str | None,
                variables: Mapping[str, Any], local_now: datetime | None = None) -> bool:
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
        return _edges(("open", self.open, "open"), ("closed", self.closed, "closed"),
                      ("holiday", self.holiday, "holiday"))


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
                found += [Edge(str(k), v, str(key)) for k, v in value.items()
                          if isinstance(v, str) and NODE_ID_RE.fullmatch(v)]
        return tuple(found)


NODE_TYPES: Mapping[str, type[Node]] = MappingProxyType({
    cls.type: cls for cls in (MenuNode, SayNode, PlayNode, CollectNode, LookupNode, BranchNode,
                              HoursNode, QueueNode, CallbackNode, VoicemailNode, TransferNode,
                              SurveyNode, LanguageNode, HangupNode)
})


def field_names(cls: type[Node]) -> frozenset[str]:
    """YAML field names a node type accepts (besides `type`)."""
    return frozenset(f.name for f in fields(cls) if f.name not in ("id", "raw")) | {"type"}


@dataclass(frozen=True)
class Flow:
    """A parsed flow. `nodes` keeps file order; `raw` is the parsed top-level mapping."""

    name: str
    version: int
    start: str
    nodes: Mapping[str, Node]
    languages: tuple[str, ...] = ()
    default_language: str | None = None
    source: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]


TOP_LEVEL_FIELDS = frozenset({"flow", "version", "start", "nodes", "languages", "default_language",
                              "description"})


def prompt_text(prompt: Prompt | None, language: str | None = None) -> str | None:
    """The text of `prompt` in `language`, falling back to the first text given."""
    if prompt is None or isinstance(prompt, str):
        return prompt
    if language is not None and language in prompt:
        return prompt[language]
    return next(iter(prompt.values()), None)


def as_text(value: Any) -> str:
    """How variable values compare in branch rules: YAML true/1 and runtime True/"1" agree."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_NESTED_REPEAT = re.compile(r"\([^()]*(?:[+*]|\{\d*,\})[^()]*\)(?:[+*]|\{\d+(?:,\d*)?\})")
"""A group with an unbounded repeat, itself repeated: `(\\d+)+` backtracks exponentially."""


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is not a usable collect pattern, or None when it is. Patterns run on every
    caller's entry inside a webhook, so ones that can backtrack for seconds are refused too."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"pattern is longer than {MAX_PATTERN_LENGTH} characters"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"pattern {pattern!r} is not a valid regular expression: {exc}"
    if _NESTED_REPEAT.search(pattern):
        return f"pattern {pattern!r} repeats a repeated group, which can take exponential time"
    return None


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# ----------------------------------------------------------------------------- loading


def load_flow(source: str | os.PathLike[str], *, max_bytes: int = MAX_FLOW_BYTES) -> Flow:
    """Load a flow from a file path, or from YAML text when `source` is a str with a newline.

    Raises FlowError with every structural problem found; never executes YAML tags.
    """
    if isinstance(source, str) and "\n" in source:
        return parse_flow(source, max_bytes=max_bytes)
    path = Path(source)
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise FlowError([FlowProblem(None, f"cannot read {path}: {exc.strerror or exc}")]) from exc
    if len(data) > max_bytes:
        raise FlowError([FlowProblem(None, f"file is larger than {max_bytes} bytes (1 MB limit)")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FlowError([FlowProblem(None, f"file is not UTF-8 text: {exc.reason}")]) from exc
    return parse_flow(text, source=str(path), max_bytes=max_bytes)


def parse_flow(text: str, *, source: str | None = None, max_bytes: int = MAX_FLOW_BYTES) -> Flow:
    """Parse flow YAML text; see `load_flow`."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise FlowError([FlowProblem(None, f"flow text is larger than {max_bytes} bytes (1 MB limit)")])
    data = _safe_yaml(text)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise FlowError([FlowProblem(None, f"flow file must be a YAML mapping, got {kind}")])
    return _build_flow(data, source)


def _safe_yaml(text: str) -> Any:
    """yaml.safe_load, after checking the composed document for alias bombs and duplicate keys."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _check_yaml_graph(root)
        return loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        where = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark else ""
        what = exc.problem or exc.context or "syntax error"
        raise FlowError([FlowProblem(None, f"not valid flow YAML: {what}{where}")]) from None
    except yaml.YAMLError as exc:
        raise FlowError([FlowProblem(None, f"not valid flow YAML: {exc}")]) from None
    except RecursionError:
        raise FlowError([FlowProblem(None, "YAML is nested too deeply")]) from None
    finally:
        loader.dispose()


def _check_yaml_graph(root: yaml.Node, limit: int = MAX_YAML_NODES) -> None:
    """Count nodes with aliases expanded (iteratively, memoised) and refuse cycles and duplicates."""
    nodes_map = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "nodes"),
                     None) if isinstance(root, yaml.MappingNode) else None
    sizes: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _yaml_children(node)
        if done:
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > limit:
                raise FlowError([FlowProblem(None, f"YAML expands to more than {limit} values "
                                                   "(alias bomb?); refusing to load")])
            continue
        if key in sizes:
            continue
        if key in entered:
            raise FlowError([FlowProblem(None, "YAML contains a recursive alias; refusing to load")])
        entered.add(key)
        if isinstance(node, yaml.MappingNode):
            _check_duplicate_keys(node, "node" if node is nodes_map else "key")
        stack.append((node, True))
        stack.extend((c, False) for c in children)


def _yaml_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_duplicate_keys(node: yaml.MappingNode, what: str) -> None:
    seen: set[str] = set()
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
            if key.value in seen:
                line = key.start_mark.line + 1
                if what == "node":
                    problem = FlowProblem(key.value, f"node id defined twice (again on line {line})")
                else:
                    problem = FlowProblem(None, f"duplicate key {key.value!r} (line {line})")
                raise FlowError([problem])
            seen.add(key.value)


def _build_flow(data: dict[Any, Any], source: str | None) -> Flow:
    problems: list[FlowProblem] = []
    top = _Fields(None, data, problems)
    name = top.text("flow", required=True, max_length=100) or ""
    version = top.integer("version", required=True, low=1) or 0
    start = top.text("start", required=True) or ""
    languages = tuple(top.text_list("languages", LANGUAGE_RE, "a language code like en-US"))
    default_language = top.text("default_language")
    if default_language is not None and default_language not in languages:
        top.problem(f"default_language {default_language!r} is not one of languages")
    if default_language is None and languages:
        default_language = languages[0]
    raw_nodes = data.get("nodes")
    nodes: dict[str, Node] = {}
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        top.problem("'nodes' must be a non-empty mapping of node id -> node")
    elif len(raw_nodes) > MAX_FLOW_NODES:
        top.problem(f"flow has {len(raw_nodes)} nodes; the limit is {MAX_FLOW_NODES}")
    else:
        for node_id, raw in raw_nodes.items():
            node = _build_node(node_id, raw, problems)
            if node is not None:
                nodes[node.id] = node
    if problems:
        raise FlowError(problems)
    return Flow(name=name, version=version, start=start, nodes=MappingProxyType(nodes),
                languages=languages, default_language=default_language, source=source,
                raw=MappingProxyType(data))


def _build_node(node_id: Any, raw: Any, problems: list[FlowProblem]) -> Node | None:
    if not isinstance(node_id, str) or not NODE_ID_RE.fullmatch(node_id):
        problems.append(FlowProblem(str(node_id), "node id must start with a letter and use only "
                                                   "letters, digits, '_' and '-' (at most 64)"))
        return None
    if not isinstance(raw, dict):
        problems.append(FlowProblem(node_id, "node must be a mapping with a 'type'"))
        return None
    type_name = raw.get("type")
    if not isinstance(type_name, str) or not type_name:
        problems.append(FlowProblem(node_id, "node has no 'type'"))
        return None
    f = _Fields(node_id, raw, problems)
    common: Common = {"id": node_id, "raw": MappingProxyType(raw), "description": f.text("description")}
    builder = _BUILDERS.get(type_name)
    if builder is None:
        return UnknownNode(type_name=type_name, **common)
    return builder(f, common)


class _Fields:
    """Typed access to one YAML mapping, recording a problem (and returning a default) per bad field."""

    def __init__(self, node_id: str | None, raw: Mapping[Any, Any], problems: list[FlowProblem]) -> None:
        self.node_id = node_id
        self.raw = raw
        self.problems = problems

    def problem(self, message: str) -> None:
        self.problems.append(FlowProblem(self.node_id, message))

    def _get(self, name: str, required: bool) -> Any:
        value = self.raw.get(name)
        if value is None and required:
            self.problem(f"'{name}' is required")
        return value

    def text(self, name: str, *, required: bool = False, max_length: int = MAX_TEXT_LENGTH) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and name != "description":
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.problem(f"'{name}' must be non-empty text")
            return None
        if len(value) > max_length:
            self.problem(f"'{name}' is longer than {max_length} characters")
            return None
        return value

    def target(self, name: str, *, required: bool = False) -> str | None:
        value = self._get(name, required)
        if value is not None and not isinstance(value, str):
            self.problem(f"'{name}' must be a node id, got {value!r}")
            return None
        return value

    def integer(self, name: str, *, required: bool = False, default: int | None = None,
                low: int | None = None, high: int | None = None) -> int | None:
        value = self._get(name, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(f"'{name}' must be a whole number, got {value!r}")
            return default
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"{low if low is not None else '...'}..{high if high is not None else '...'}"
            self.problem(f"'{name}' must be in {span}, got {value}")
            return default
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.raw.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(f"'{name}' must be true or false")
            return default
        return value

    def choice(self, name: str, allowed: Iterable[str], *, default: str | None = None) -> str | None:
        allowed = tuple(allowed)
        value = self.raw.get(name, default)
        if value is None and default is None:
            self.problem(f"'{name}' is required (one of {', '.join(allowed)})")
            return None
        if value not in allowed:
            self.problem(f"'{name}' must be one of {', '.join(allowed)}, got {value!r}")
            return default
        return str(value)

    def prompt(self, name: str, *, required: bool = False) -> Prompt | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, dict):
            if not value:
                self.problem(f"'{name}' must map language codes to text")
                return None
            out: dict[str, str] = {}
            for lang, text in value.items():
                if not isinstance(lang, str) or not LANGUAGE_RE.fullmatch(lang):
                    self.problem(f"'{name}' has {lang!r}, which is not a language code like en-US")
                elif not isinstance(text, str) or not text.strip():
                    self.problem(f"'{name}' for {lang} must be non-empty text")
                elif len(text) > MAX_TEXT_LENGTH:
                    self.problem(f"'{name}' for {lang} is longer than {MAX_TEXT_LENGTH} characters")
                else:
                    out[lang] = text
            return MappingProxyType(out)
        return self.text(name)

    def keyed_targets(self, name: str, *, required: bool = False, keys: str = "dtmf") -> dict[str, str]:
        """A mapping key -> node id; `keys` is "dtmf" (single keypad keys) or "phrase"."""
        value = self._get(name, required)
        if value is None:
            return {}
        if not isinstance(value, dict) or not value:
            self.problem(f"'{name}' must be a non-empty mapping")
            return {}
        out: dict[str, str] = {}
        for key, target in value.items():
            key_text = as_text(key)
            if keys == "dtmf" and key_text not in DTMF_KEYS:
                self.problem(f"'{name}' key {key_text!r} is not a keypad key (0-9, *, #)")
            elif keys == "phrase" and not key_text.strip():
                self.problem(f"'{name}' has an empty phrase")
            elif not isinstance(target, str):
                self.problem(f"'{name}' {key_text!r} must name a node or value, got {target!r}")
            else:
                out[key_text] = target
        return out

    def variable(self, name: str, *, required: bool = False) -> str | None:
        value = self._get(name, required)
        if value is not None and (not isinstance(value, str) or not VARIABLE_RE.fullmatch(value)):
            self.problem(f"'{name}' must be a variable name (letters, digits, '_'), got {value!r}")
            return None
        return value

    def text_list(self, name: str, regex: re.Pattern[str], what: str) -> list[str]:
        value = self.raw.get(name)
        if value is None:
            return []
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) and regex.fullmatch(v) for v in items):
            self.problem(f"'{name}' must be a list of {what}")
            return []
        if len(set(items)) != len(items):
            self.problem(f"'{name}' lists the same value twice")
        return list(items)

    def key(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return None
        text = as_text(value)
        if text not in DTMF_KEYS:
            self.problem(f"'{name}' must be one keypad key (0-9, *, #), got {text!r}")
            return None
        return text

    def time_zone(self, name: str, *, required: bool = False) -> str | None:
        value = self.text(name, required=required, max_length=64)
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(f"'{name}' {value!r} is not an IANA time zone like America/New_York")
            return None
        return value

    def required_prompt(self, name: str = "prompt") -> Prompt:
        """The prompt, or "" after recording that it is missing (the flow is refused anyway)."""
        return self.prompt(name, required=True) or ""

    def required_target(self, name: str = "next") -> str:
        return self.target(name, required=True) or ""

    def count(self, name: str, default: int, low: int, high: int) -> int:
        value = self.integer(name, default=default, low=low, high=high)
        return default if value is None else value

    def sub(self, name: str) -> "_Fields | None":
        value = self.raw.get(name)
        if not isinstance(value, dict):
            self.problem(f"'{name}' must be a mapping")
            return None
        return _Fields(self.node_id, value, self.problems)


# ------------------------------------------------------------------------ per-type builders

Common = dict[str, Any]


def _menu(f: _Fields, common: Common) -> Node:
    options = f.keyed_targets("options", required=True)
    speech = f.keyed_targets("speech", keys="phrase")
    input_mode = f.choice("input", MENU_INPUTS, default="dtmf") or "dtmf"
    if speech and "speech" not in input_mode:
        f.problem("'speech' options need input: dtmf speech")
    repeat_key = f.key("repeat_key")
    if repeat_key is not None and repeat_key in options:
        f.problem(f"repeat_key {repeat_key!r} is also an option")
    return MenuNode(prompt=f.required_prompt(), options=MappingProxyType(options),
                    timeout=f.integer("timeout", low=1, high=60), retries=f.count("retries", 2, 0, 10),
                    invalid_prompt=f.prompt("invalid_prompt"), repeat_key=repeat_key,
                    on_invalid=f.target("on_invalid"), on_timeout=f.target("on_timeout"),
                    input=input_mode, speech=MappingProxyType(speech), **common)


def _say(f: _Fields, common: Common) -> Node:
    return SayNode(prompt=f.required_prompt(), next=f.required_target(), **common)


def _play(f: _Fields, common: Common) -> Node:
    return PlayNode(url=f.required_prompt("url"), next=f.required_target(), **common)


def _collect(f: _Fields, common: Common) -> Node:
    min_length = f.count("min_length", 1, 1, 64)
    max_length = f.integer("max_length", low=1, high=64)
    if max_length is not None and max_length < min_length:
        f.problem(f"max_length {max_length} is less than min_length {min_length}")
    pattern = f.text("pattern", max_length=10 * MAX_PATTERN_LENGTH)
    if pattern is not None and (why := pattern_problem(pattern)):
        f.problems.append(FlowProblem(f.node_id, why, code="bad-pattern"))
    finish = f.key("finish_on_key") if "finish_on_key" in f.raw else "#"
    if finish is None and max_length is None:
        f.problem("give max_length or finish_on_key, or the entry never ends")
    return CollectNode(prompt=f.required_prompt(), variable=f.variable("variable", required=True) or "",
                       min_length=min_length, max_length=max_length, pattern=pattern, finish_on_key=finish,
                       sensitive=f.boolean("sensitive"), timeout=f.integer("timeout", low=1, high=60),
                       retries=f.count("retries", 2, 0, 10),
                       invalid_prompt=f.prompt("invalid_prompt"), next=f.required_target(),
                       on_invalid=f.target("on_invalid"), on_timeout=f.target("on_timeout"), **common)


def _lookup(f: _Fields, common: Common) -> Node:
    kind = f.choice("kind", LOOKUP_KINDS) or ""
    inputs = f.text_list("input", VARIABLE_RE, "variable names")
    if kind == "ticket_status" and not inputs:
        f.problem("ticket_status lookups need 'input': the variable holding the ticket number")
    return LookupNode(kind=kind, input=tuple(inputs), result=f.variable("result", required=True) or "",
                      next=f.required_target(),
                      on_not_found=f.required_target("on_not_found"), **common)


def _minutes(f: _Fields, value: Any, what: str, *, allow_24: bool = False) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        f.problem(f"{what}: quote times, e.g. \"20:00\" (YAML reads 20:00 as the number {value})")
        return None
    match = re.fullmatch(r"([01][0-9]|2[0-4]):([0-5][0-9])", value) if isinstance(value, str) else None
    minutes = int(match.group(1)) * 60 + int(match.group(2)) if match else None
    if minutes is None or minutes > (1440 if allow_24 else 1439):
        f.problem(f"{what}: {value!r} is not a time like 08:00")
        return None
    return minutes


def _days(f: _Fields, value: Any, what: str) -> frozenset[int] | None:
    """Days from "mon", "mon-fri" or a list of those."""
    items = value if isinstance(value, list) else [value]
    days: set[int] = set()
    for item in items:
        parts = item.lower().split("-") if isinstance(item, str) else []
        if not parts or len(parts) > 2 or not all(p in DAYS for p in parts):
            f.problem(f"{what}: {item!r} is not a day (mon..sun) or a day range like mon-fri")
            return None
        first, last = DAYS.index(parts[0]), DAYS.index(parts[-1])
        days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
    return frozenset(days)


_CONDITION_KEYS = frozenset({"segment", "language", "variables", "days", "after", "before"})


def _condition(f: _Fields, raw: Any, where: str) -> Condition:
    if not isinstance(raw, dict) or not raw:
        f.problem(f"{where}: 'when' must be a non-empty mapping")
        return Condition()
    unknown = set(map(str, raw)) - _CONDITION_KEYS
    if unknown:
        f.problem(f"{where}: unknown condition {', '.join(sorted(unknown))} "
                  f"(use {', '.join(sorted(_CONDITION_KEYS))})")

    def texts(key: str) -> frozenset[str] | None:
        value = raw.get(key)
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        return frozenset(as_text(v) for v in items)

    variables: dict[str, tuple[str, ...]] = {}
    raw_vars = raw.get("variables", {})
    if not isinstance(raw_vars, dict):
        f.problem(f"{where}: 'variables' must map variable names to values")
    else:
        for name, value in raw_vars.items():
            if not isinstance(name, str) or not VARIABLE_RE.fullmatch(name):
                f.problem(f"{where}: {name!r} is not a variable name")
                continue
            items = value if isinstance(value, list) else [value]
            variables[name] = tuple(as_text(v) for v in items)
    days = _days(f, raw["days"], f"{where} days") if "days" in raw else None
    after = _minutes(f, raw["after"], f"{where} after") if "after" in raw else None
    before = _minutes(f, raw["before"], f"{where} before", allow_24=True) if "before" in raw else None
    return Condition(segment=texts("segment"), language=texts("language"),
                     variables=MappingProxyType(variables), days=days, after=after, before=before)


def _branch(f: _Fields, common: Common) -> Node:
    raw_rules = f.raw.get("rules")
    rules: list[Rule] = []
    if not isinstance(raw_rules, list) or not raw_rules:
        f.problem("'rules' must be a non-empty list of {when: ..., goto: node}")
        raw_rules = []
    for i, raw_rule in enumerate(raw_rules):
        where = f"rules[{i}]"
        if not isinstance(raw_rule, dict) or not isinstance(raw_rule.get("goto"), str):
            f.problem(f"{where} must be a mapping with 'when' and 'goto' (a node id)")
            continue
        extra = set(map(str, raw_rule)) - {"when", "goto"}
        if extra:
            f.problem(f"{where} has unknown fields {', '.join(sorted(extra))}")
        rules.append(Rule(_condition(f, raw_rule.get("when"), where), raw_rule["goto"]))
    time_zone = f.time_zone("time_zone")
    if time_zone is None and "time_zone" not in f.raw and any(r.when.uses_time for r in rules):
        f.problem("rules use days/after/before, so 'time_zone' is required")
    return BranchNode(rules=tuple(rules), default=f.required_target("default"),
                      time_zone=time_zone, **common)


def _clock_time(minutes: int) -> time:
    return END_OF_DAY if minutes >= 1440 else time(minutes // 60, minutes % 60)


def _calendar(f: _Fields) -> BusinessCalendar:
    """The node's hours as the project's one business calendar; a bad part is a flow problem."""
    cal = f.sub("calendar")
    if cal is None:
        return BusinessCalendar("UTC")
    time_zone = cal.time_zone("time_zone", required=True) or "UTC"
    weekly: dict[int, list[tuple[int, int]]] = {}
    raw_weekly = cal.raw.get("weekly")
    if not isinstance(raw_weekly, dict) or not raw_weekly:
        cal.problem("calendar 'weekly' must map days (mon, mon-fri, ...) to hours like \"08:00-20:00\"")
        raw_weekly = {}
    for day_key, spans in raw_weekly.items():
        days = _days(cal, day_key, "calendar weekly") or frozenset()
        for span in spans if isinstance(spans, list) else [spans]:
            parts = span.split("-") if isinstance(span, str) else []
            if len(parts) != 2:
                cal.problem(f"calendar weekly {day_key}: {span!r} is not hours like \"08:00-20:00\"")
                continue
            start = _minutes(cal, parts[0].strip(), f"calendar weekly {day_key}")
            end = _minutes(cal, parts[1].strip(), f"calendar weekly {day_key}", allow_24=True)
            if start is not None and end is not None and end <= start:
                cal.problem(f"calendar weekly {day_key}: {span!r} ends before it starts")
            elif start is not None and end is not None:
                for day in days:
                    weekly.setdefault(day, []).append((start, end))
    holidays: dict[date, str] = {}
    raw_holidays = cal.raw.get("holidays") or []
    for item in raw_holidays if isinstance(raw_holidays, list) else [raw_holidays]:
        when: Any = item.get("date") if isinstance(item, dict) else item
        name = str(item.get("name") or "holiday") if isinstance(item, dict) else "holiday"
        if isinstance(when, str):
            try:
                when = date.fromisoformat(when)
            except ValueError:
                pass
        if not isinstance(when, date) or isinstance(when, datetime):
            cal.problem(f"calendar holiday {when!r} is not a date like 2026-12-25")
        else:
            holidays[when] = name
    spans = {day: tuple((_clock_time(a), _clock_time(b)) for a, b in sorted(day_spans)) for day, day_spans in weekly.items()}
    try:
        return BusinessCalendar(time_zone, spans, frozenset(holidays))
    except ValueError as exc:
        cal.problem(f"calendar: {exc}")
        return BusinessCalendar("UTC")


def _hours(f: _Fields, common: Common) -> Node:
    return HoursNode(calendar=_calendar(f), open=f.required_target("open"),
                     closed=f.required_target("closed"), holiday=f.target("holiday"), **common)


def _queue_name(f: _Fields, *, required: bool) -> str | None:
    return f.text("queue", required=required, max_length=64)


def _queue(f: _Fields, common: Common) -> Node:
    skills: dict[str, int] = {}
    raw_skills = f.raw.get("skills") or {}
    if not isinstance(raw_skills, dict):
        f.problem("'skills' must map skill names to minimum levels 1-10")
        raw_skills = {}
    for skill, level in raw_skills.items():
        level_ok = isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 10
        if not isinstance(skill, str) or not level_ok:
            f.problem(f"skill {skill!r} needs a minimum level 1-10, got {level!r}")
        else:
            skills[skill] = level
    return QueueNode(queue=_queue_name(f, required=True) or "", skills=MappingProxyType(skills),
                     priority=f.count("priority", 0, -1000, 1000),
                     intent=f.text("intent", max_length=100), prompt=f.prompt("prompt"), **common)


def _callback(f: _Fields, common: Common) -> Node:
    return CallbackNode(prompt=f.required_prompt(), queue=_queue_name(f, required=True) or "",
                        priority=f.count("priority", 0, -1000, 1000),
                        next=f.required_target(), **common)


def _voicemail(f: _Fields, common: Common) -> Node:
    return VoicemailNode(prompt=f.required_prompt(),
                         max_length=f.count("max_length", 120, 5, 3600),
                         queue=_queue_name(f, required=False), subject=f.text("subject", max_length=200),
                         next=f.target("next"), **common)


def _transfer(f: _Fields, common: Common) -> Node:
    number = f.text("number", required=True, max_length=16)
    if number is not None and not E164_RE.fullmatch(number):
        hint = " (quote it: YAML reads an unquoted +1... as a number)" if isinstance(f.raw["number"], int) else ""
        f.problem(f"'number' {number!r} is not in E.164 form like \"+14155550100\"{hint}")
    return TransferNode(number=number or "", prompt=f.prompt("prompt"), on_failure=f.target("on_failure"),
                        **common)


def _survey(f: _Fields, common: Common) -> Node:
    return SurveyNode(prompt=f.required_prompt(), variable=f.variable("variable", required=True) or "",
                      scale=f.count("scale", 5, 2, 9),
                      timeout=f.count("timeout", 5, 1, 60),
                      next=f.required_target(), **common)


def _language(f: _Fields, common: Common) -> Node:
    options = f.keyed_targets("options", required=True)
    for key, code in options.items():
        if not LANGUAGE_RE.fullmatch(code):
            f.problem(f"option {key!r} must be a language code like es-ES, got {code!r}")
    return LanguageNode(prompt=f.required_prompt(), options=MappingProxyType(options),
                        timeout=f.count("timeout", 5, 1, 60),
                        next=f.required_target(), **common)


def _hangup(f: _Fields, common: Common) -> Node:
    return HangupNode(prompt=f.prompt("prompt"), **common)


_BUILDERS: Mapping[str, Callable[[_Fields, Common], Node]] = MappingProxyType({
    "menu": _menu, "say": _say, "play": _play, "collect": _collect, "lookup": _lookup,
    "branch": _branch, "hours": _hours, "queue": _queue, "callback": _callback,
    "voicemail": _voicemail, "transfer": _transfer, "survey": _survey, "language": _language,
    "hangup": _hangup,
})
