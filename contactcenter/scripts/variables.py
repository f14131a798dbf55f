"""The variables a script may use, and how they are filled in for one call.

Scripts are written by admins but read aloud by agents with a live customer on the line, and the
values come from callers (their name, what they keyed in the IVR). So substitution is a lookup in
a fixed whitelist, never attribute access on a model: a template names `customer.first_name`,
not a Python path, and cannot reach anything the whitelist does not list. The result is plain
text; whatever shows it escapes it (Jinja autoescape, `textContent` in the desktop).

A placeholder is `{group.name}`. Names outside the whitelist are refused when a script is saved
(`unknown-variable`) and, should one slip through (a campaign's free-text script), render as
`[unknown: group.name]` so the agent sees the gap instead of a silent blank.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,63}(?:\.[A-Za-z_][A-Za-z0-9_]{0,63})?)\}")
IVR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_VALUE_LENGTH = 200

KNOWN_VARIABLES: tuple[str, ...] = (
    "customer.first_name",
    "customer.last_name",
    "customer.name",
    "customer.segment",
    "agent.first_name",
    "agent.name",
    "campaign.name",
    "call.intent",
    "call.queue",
)
"""Every variable besides `ivr.<name>` (any IVR variable the flow collected)."""


def is_known(name: str) -> bool:
    if name in KNOWN_VARIABLES:
        return True
    group, _, rest = name.partition(".")
    return group == "ivr" and bool(IVR_NAME.match(rest))


def placeholders(text: str) -> list[str]:
    """The variable names `text` uses, in order of appearance."""
    return PLACEHOLDER.findall(text)


def unknown_variables(text: str) -> list[str]:
    return [name for name in placeholders(text) if not is_known(name)]


@dataclass(frozen=True)
class ScriptContext:
    """The values of one call, already reduced to whitelisted strings."""

    values: Mapping[str, str] = field(default_factory=dict)
    ivr: Mapping[str, str] = field(default_factory=dict)

    def lookup(self, name: str) -> str:
        if not is_known(name):
            return f"[unknown: {name}]"
        group, _, rest = name.partition(".")
        value = self.ivr.get(rest) if group == "ivr" else self.values.get(name)
        return value if value else f"[not given: {name}]"


def render_text(text: str, context: ScriptContext) -> str:
    """`text` with every placeholder replaced by its value (plain text, for escaping on output)."""
    return PLACEHOLDER.sub(lambda m: context.lookup(m.group(1)), text)


def _clean(value: Any) -> str:
    if value is None or isinstance(value, (dict, list, tuple, set)):
        return ""
    return " ".join(str(value).split())[:MAX_VALUE_LENGTH]


def split_name(name: str) -> tuple[str, str]:
    """First word and the rest: "Grace Brewster Hopper" -> ("Grace", "Brewster Hopper")."""
    words = _clean(name).split(" ", 1)
    return words[0], words[1] if len(words) > 1 else ""


def build_context(
    *,
    customer_name: str | None = None,
    customer_segment: str | None = None,
    customer_attributes: Mapping[str, Any] | None = None,
    agent_name: str | None = None,
    campaign_name: str | None = None,
    intent: str | None = None,
    queue_name: str | None = None,
    ivr_variables: Mapping[str, Any] | None = None,
) -> ScriptContext:
    """A context from plain values; explicit first/last names in the customer's attributes win."""
    first, last = split_name(customer_name or "")
    attributes = customer_attributes or {}
    first = _clean(attributes.get("first_name")) or first
    last = _clean(attributes.get("last_name")) or last
    agent_first, _ = split_name(agent_name or "")
    values = {
        "customer.first_name": first,
        "customer.last_name": last,
        "customer.name": _clean(customer_name),
        "customer.segment": _clean(customer_segment),
        "agent.first_name": agent_first,
        "agent.name": _clean(agent_name),
        "campaign.name": _clean(campaign_name),
        "call.intent": _clean(intent),
        "call.queue": _clean(queue_name),
    }
    ivr = {str(k): _clean(v) for k, v in (ivr_variables or {}).items() if isinstance(k, str) and IVR_NAME.match(k)}
    return ScriptContext(values={k: v for k, v in values.items() if v}, ivr={k: v for k, v in ivr.items() if v})
