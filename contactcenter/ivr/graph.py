"""Diagrams of a flow, for review before an edit goes live: Mermaid (docs, web UI) and DOT.

Prompt text is written by staff and may contain anything, so every label is escaped rather than
trusted: Mermaid labels are always quoted with every character outside a small safe set
replaced by an entity code (`#quot;`, `#60;`), and ids are generated, never taken from the file
verbatim. That keeps the diagram valid and stops prompt text from injecting Mermaid syntax or
HTML into a page that renders it. Targets that do not exist are drawn as "missing" nodes so a
broken flow can still be looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from contactcenter.ivr.flow import Flow
from contactcenter.ivr.flow_nodes import (
    BranchNode,
    CallbackNode,
    CollectNode,
    HoursNode,
    LookupNode,
    Node,
    PlayNode,
    QueueNode,
    TransferNode,
    UnknownNode,
    VoicemailNode,
)
from contactcenter.ivr.flow_rules import prompt_text

LABEL_TEXT_LENGTH = 48
_MERMAID_SAFE_PUNCTUATION = frozenset(" .,:!?'-_/()+=@")
_DOT_SHAPES = {
    "branch": "diamond",
    "hours": "diamond",
    "queue": "house",
    "transfer": "house",
    "hangup": "doublecircle",
    "menu": "box",
    "collect": "parallelogram",
}


def summary(node: Node, flow: Flow) -> str:
    """A short description of what the node does, for a diagram label."""
    if isinstance(node, QueueNode):
        skills = ", ".join(f"{k}>={v}" for k, v in node.skills.items())
        return f"{node.queue} p{node.priority}" + (f" [{skills}]" if skills else "")
    if isinstance(node, TransferNode):
        return node.number
    if isinstance(node, LookupNode):
        return f"{node.kind} -> {node.result}"
    if isinstance(node, BranchNode):
        return f"{len(node.rules)} rule(s)"
    if isinstance(node, HoursNode):
        return node.calendar.time_zone
    if isinstance(node, CollectNode):
        return f"{node.variable}: " + (prompt_text(node.prompt, flow.default_language) or "")
    if isinstance(node, (CallbackNode, VoicemailNode)) and node.queue:
        return f"{node.queue}: " + (prompt_text(node.prompt, flow.default_language) or "")
    if isinstance(node, PlayNode):
        return prompt_text(node.url, flow.default_language) or ""
    if isinstance(node, UnknownNode):
        return f"unknown type {node.type_name}"
    return prompt_text(getattr(node, "prompt", None), flow.default_language) or ""


def shorten(text: str, limit: int = LABEL_TEXT_LENGTH) -> str:
    """One line of at most `limit` characters (whitespace, including newlines, collapsed)."""
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _node_type(node: Node) -> str:
    return node.type_name if isinstance(node, UnknownNode) else node.type


class _Ids:
    """Diagram ids derived from node ids: prefixed (so "end" or "o" never read as syntax),
    restricted to [A-Za-z0-9_], and made unique."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], str] = {}
        self._used: set[str] = set()

    def get(self, node_id: str, prefix: str = "n") -> str:
        key = (prefix, node_id)
        if key not in self._ids:
            base = f"{prefix}_" + re.sub(r"[^A-Za-z0-9_]", "_", node_id)[:64]
            candidate, n = base, 2
            while candidate in self._used:
                candidate, n = f"{base}_{n}", n + 1
            self._used.add(candidate)
            self._ids[key] = candidate
        return self._ids[key]


class _Box(NamedTuple):
    id: str
    title: str
    text: str
    node_type: str | None
    """None for a target that does not exist."""


class _Arrow(NamedTuple):
    source: str
    target: str
    label: str


def _walk(flow: Flow) -> Iterator[_Box | _Arrow]:
    """Boxes for every node, then arrows (with a box for each missing target), in file order."""
    ids = _Ids()
    missing: set[str] = set()
    for node in flow.nodes.values():
        yield _Box(ids.get(node.id), f"{_node_type(node)}: {node.id}", summary(node, flow), _node_type(node))
    for node in flow.nodes.values():
        for edge in node.edges():
            if edge.target in flow.nodes:
                target = ids.get(edge.target)
            else:
                target = ids.get(edge.target, "missing")
                if edge.target not in missing:
                    missing.add(edge.target)
                    yield _Box(target, f"missing: {edge.target}", "no such node", None)
            yield _Arrow(ids.get(node.id), target, edge.label)


# ----------------------------------------------------------------------------- Mermaid


def mermaid_escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label: letters, digits and a few marks pass, the rest
    becomes an entity code (`"` -> `#quot;`, `<` -> `#60;`)."""
    out = []
    for char in text:
        if char == '"':
            out.append("#quot;")
        elif char.isalnum() or char in _MERMAID_SAFE_PUNCTUATION:
            out.append(char)
        elif not char.isprintable():
            out.append(" ")
        else:
            out.append(f"#{ord(char)};")
    return "".join(out)


def to_mermaid(flow: Flow) -> str:
    """A `flowchart TD` with one box per node (type, id, short prompt) and labelled edges."""
    lines = ["flowchart TD"]
    for item in _walk(flow):
        if isinstance(item, _Box):
            label = mermaid_escape(shorten(item.title))
            if item.text:
                label += "<br/>" + mermaid_escape(shorten(item.text))
            lines.append(f'    {item.id}["{label}"]')
        else:
            arrow = f'-->|"{mermaid_escape(shorten(item.label))}"|' if item.label else "-->"
            lines.append(f"    {item.source} {arrow} {item.target}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- Graphviz


def _dot_inner(text: str) -> str:
    text = "".join(c if c.isprintable() else " " for c in text)
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    # Graphviz's lexer reads backslash + quote as an escaped quote even after another
    # backslash, so a text ending in a backslash would swallow the closing quote.
    return text + " " if text.endswith("\\") else text


def dot_quote(text: str) -> str:
    """A DOT double-quoted string; backslashes are doubled so prompt text cannot form `\\N`-style
    escapes, and control characters become spaces."""
    return f'"{_dot_inner(text)}"'


def to_dot(flow: Flow) -> str:
    """A Graphviz `digraph`; render with `dot -Tsvg`."""
    lines = [
        f"digraph {dot_quote(f'{flow.name} v{flow.version}')} {{",
        "    graph [rankdir=TB];",
        '    node [shape=box, fontname="Helvetica"];',
    ]
    for item in _walk(flow):
        if isinstance(item, _Box):
            label = _dot_inner(shorten(item.title)) + ("\\n" + _dot_inner(shorten(item.text)) if item.text else "")
            shape = "octagon" if item.node_type is None else _DOT_SHAPES.get(item.node_type, "box")
            lines.append(f'    {dot_quote(item.id)} [label="{label}", shape={shape}];')
        else:
            attrs = f" [label={dot_quote(shorten(item.label))}]" if item.label else ""
            lines.append(f"    {dot_quote(item.source)} -> {dot_quote(item.target)}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"
