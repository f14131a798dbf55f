"""What every flow file must respect, and how a problem with one is reported.

Size caps, the patterns ids, variables and languages follow, prompt and value semantics and the
check that refuses slow collect patterns: shared by loading (`flow`), node types and validation,
so each of them applies the same limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

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
Prompt = str | Mapping[str, str]
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
