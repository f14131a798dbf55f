"""Typed, fault-collecting access to one YAML mapping of a flow file.

A flow file is untrusted input: every field is type-checked here and a bad one is recorded as a
`FlowProblem` (with a default returned) rather than raised, so loading reports every problem at
once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contactcenter.ivr.flow_rules import (
    DTMF_KEYS,
    LANGUAGE_RE,
    MAX_TEXT_LENGTH,
    VARIABLE_RE,
    FlowProblem,
    Prompt,
    as_text,
)


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

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        default: int | None = None,
        low: int | None = None,
        high: int | None = None,
    ) -> int | None:
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

    def sub(self, name: str) -> _Fields | None:
        value = self.raw.get(name)
        if not isinstance(value, dict):
            self.problem(f"'{name}' must be a mapping")
            return None
        return _Fields(self.node_id, value, self.problems)
