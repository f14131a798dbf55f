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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from contactcenter.ivr.flow_fields import _Fields
from contactcenter.ivr.flow_node_builders import _build_node
from contactcenter.ivr.flow_nodes import Node
from contactcenter.ivr.flow_rules import (
    LANGUAGE_RE,
    MAX_FLOW_BYTES,
    MAX_FLOW_NODES,
    MAX_YAML_NODES,
    FlowError,
    FlowProblem,
)


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


TOP_LEVEL_FIELDS = frozenset({"flow", "version", "start", "nodes", "languages", "default_language", "description"})


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
    nodes_map = (
        next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "nodes"), None)
        if isinstance(root, yaml.MappingNode)
        else None
    )
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
                raise FlowError(
                    [FlowProblem(None, f"YAML expands to more than {limit} values (alias bomb?); refusing to load")]
                )
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
    return Flow(
        name=name,
        version=version,
        start=start,
        nodes=MappingProxyType(nodes),
        languages=languages,
        default_language=default_language,
        source=source,
        raw=MappingProxyType(data),
    )
