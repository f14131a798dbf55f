"""Checks that a loaded flow is safe to put callers through, and a registry that enforces them.

Every problem names its node and carries a `code` for its class, so an editor can jump to the
node and a test can assert on the class rather than the wording:

    unknown-type          node type this version cannot run
    missing-target        start, options, next, rules, ... point at a node that does not exist
    unreachable           node no path from `start` leads to (dead config, usually a wiring slip)
    no-timeout-handling   menu/collect without `timeout` or `on_timeout` (silent callers stuck)
    no-invalid-handling   menu/collect without `on_invalid` (callers pressing wrong keys stuck)
    no-exit-loop          nodes that only lead to each other: a caller can never leave
    unknown-queue         queue name the ACD does not have (only when known queues are given)
    bad-pattern           collect `pattern` that is not a regular expression
    undeclared-language   language option (error) or prompt text (warning) for a language
                          the flow does not declare
    missing-translation   prompt without text for a declared language (warning)
    unknown-field         field the node type does not use, often a typo (warning)

The registry refuses a flow with any error and keeps serving the last valid version, so a bad
edit can never take the IVR down.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from contactcenter.ivr.flow import TOP_LEVEL_FIELDS, Flow, load_flow
from contactcenter.ivr.flow_nodes import (
    NODE_TYPES,
    CallbackNode,
    CollectNode,
    LanguageNode,
    MenuNode,
    Node,
    QueueNode,
    UnknownNode,
    VoicemailNode,
    field_names,
)
from contactcenter.ivr.flow_rules import FlowError, FlowProblem, pattern_problem

__all__ = ["FlowError", "FlowProblem", "FlowRegistry", "LoadResult", "ValidFlow", "ensure_valid", "validate"]

QueueSource = Iterable[str] | Callable[[], Iterable[str]] | None
"""Known queue names, or a callable returning them (queues live in the database and change)."""


def validate(flow: Flow, known_queues: set[str] | None = None) -> list[FlowProblem]:
    """All problems in `flow`, errors first; the flow is valid when none is an error."""
    problems = [
        *_unknown_types(flow),
        *_missing_targets(flow),
        *_unreachable(flow),
        *_missing_handlers(flow),
        *_no_exit_loops(flow),
        *_unknown_queues(flow, known_queues),
        *_bad_patterns(flow),
        *_languages(flow),
        *_unknown_fields(flow),
    ]
    return sorted(problems, key=lambda p: not p.is_error)


@dataclass(frozen=True)
class ValidFlow:
    """A flow that passed validation (warnings may remain); only these are served to callers."""

    flow: Flow
    warnings: tuple[FlowProblem, ...] = ()


def ensure_valid(flow: Flow, known_queues: set[str] | None = None) -> ValidFlow:
    """`flow` wrapped as ValidFlow, or FlowError listing every problem when any is an error."""
    problems = validate(flow, known_queues)
    if any(p.is_error for p in problems):
        raise FlowError(problems)
    return ValidFlow(flow, tuple(problems))


# ----------------------------------------------------------------------------- checks


def _unknown_types(flow: Flow) -> Iterator[FlowProblem]:
    known = ", ".join(sorted(NODE_TYPES))
    for node in flow.nodes.values():
        if isinstance(node, UnknownNode):
            yield FlowProblem(
                node.id, f"unknown node type {node.type_name!r} (known types: {known})", code="unknown-type"
            )


def _missing_targets(flow: Flow) -> Iterator[FlowProblem]:
    if flow.start not in flow.nodes:
        yield FlowProblem(None, f"start node {flow.start!r} does not exist", code="missing-target")
    for node in flow.nodes.values():
        if isinstance(node, UnknownNode):
            continue  # its edges are guesses
        for edge in node.edges():
            if edge.target not in flow.nodes:
                what = f"{edge.field} {edge.label!r}" if edge.field in ("options", "speech") else edge.field
                yield FlowProblem(
                    node.id, f"{what} goes to {edge.target!r}, which is not a node", code="missing-target"
                )


def _successors(flow: Flow, node: Node) -> list[str]:
    return [e.target for e in node.edges() if e.target in flow.nodes]


def _reachable(flow: Flow) -> set[str]:
    seen: set[str] = set()
    todo = [flow.start] if flow.start in flow.nodes else []
    while todo:
        node_id = todo.pop()
        if node_id not in seen:
            seen.add(node_id)
            todo.extend(_successors(flow, flow.nodes[node_id]))
    return seen


def _unreachable(flow: Flow) -> Iterator[FlowProblem]:
    if flow.start not in flow.nodes:
        return  # everything would be reported; the missing start says it all
    reachable = _reachable(flow)
    for node_id in flow.nodes:
        if node_id not in reachable:
            yield FlowProblem(node_id, f"cannot be reached from start node {flow.start!r}", code="unreachable")


def _missing_handlers(flow: Flow) -> Iterator[FlowProblem]:
    for node in flow.nodes.values():
        if not isinstance(node, (MenuNode, CollectNode)):
            continue
        if node.timeout is None:
            yield FlowProblem(
                node.id,
                f"{node.type} has no 'timeout': set how many seconds to wait for input",
                code="no-timeout-handling",
            )
        if node.on_timeout is None:
            yield FlowProblem(
                node.id,
                f"{node.type} has no 'on_timeout': say where callers who stay silent go after the retries",
                code="no-timeout-handling",
            )
        if node.on_invalid is None:
            yield FlowProblem(
                node.id,
                f"{node.type} has no 'on_invalid': say where callers go after the retries on invalid input",
                code="no-invalid-handling",
            )


def _no_exit_loops(flow: Flow) -> Iterator[FlowProblem]:
    """Strongly connected sets of nodes from which no node that ends the call can be reached."""
    exits = {n.id for n in flow.nodes.values() if n.ends_call() or isinstance(n, UnknownNode)}
    predecessors: dict[str, list[str]] = {node_id: [] for node_id in flow.nodes}
    for node in flow.nodes.values():
        for target in _successors(flow, node):
            predecessors[target].append(node.id)
    can_exit = set(exits)
    todo = list(exits)
    while todo:
        for pred in predecessors[todo.pop()]:
            if pred not in can_exit:
                can_exit.add(pred)
                todo.append(pred)
    stuck = [node_id for node_id in flow.nodes if node_id not in can_exit]
    for component in _strong_components(flow, stuck):
        first = component[0]
        is_cycle = len(component) > 1 or first in _successors(flow, flow.nodes[first])
        if is_cycle:
            members = ", ".join(component)
            yield FlowProblem(
                first,
                f"loop with no exit: {members} only lead to each other, never to a queue, transfer or hangup",
                code="no-exit-loop",
            )


def _strong_components(flow: Flow, node_ids: list[str]) -> list[list[str]]:
    """Kosaraju's algorithm on the subgraph `node_ids`, iterative (flows may be long chains)."""
    inside = set(node_ids)
    succ = {n: [t for t in _successors(flow, flow.nodes[n]) if t in inside] for n in node_ids}
    pred: dict[str, list[str]] = {n: [] for n in node_ids}
    for n, targets in succ.items():
        for t in targets:
            pred[t].append(n)
    order: list[str] = []
    visited: set[str] = set()
    for root in node_ids:
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(succ[root]))]
        while stack:
            node, it = stack[-1]
            nxt = next((t for t in it if t not in visited), None)
            if nxt is None:
                stack.pop()
                order.append(node)
            else:
                visited.add(nxt)
                stack.append((nxt, iter(succ[nxt])))
    components: list[list[str]] = []
    assigned: set[str] = set()
    position = {n: i for i, n in enumerate(node_ids)}
    for root in reversed(order):
        if root in assigned:
            continue
        component, todo = [], [root]
        assigned.add(root)
        while todo:
            node = todo.pop()
            component.append(node)
            for p in pred[node]:
                if p not in assigned:
                    assigned.add(p)
                    todo.append(p)
        components.append(sorted(component, key=position.__getitem__))
    return sorted(components, key=lambda c: position[c[0]])


def _unknown_queues(flow: Flow, known_queues: set[str] | None) -> Iterator[FlowProblem]:
    if known_queues is None:
        return
    for node in flow.nodes.values():
        if isinstance(node, (QueueNode, CallbackNode, VoicemailNode)) and node.queue:
            if node.queue not in known_queues:
                known = ", ".join(sorted(known_queues)) or "none"
                yield FlowProblem(
                    node.id, f"queue {node.queue!r} does not exist (known queues: {known})", code="unknown-queue"
                )


def _bad_patterns(flow: Flow) -> Iterator[FlowProblem]:
    for node in flow.nodes.values():
        if isinstance(node, CollectNode) and node.pattern is not None:
            why = pattern_problem(node.pattern)
            if why:
                yield FlowProblem(node.id, why, code="bad-pattern")


def _languages(flow: Flow) -> Iterator[FlowProblem]:
    declared = set(flow.languages)
    listed = ", ".join(flow.languages) or "none"
    for node in flow.nodes.values():
        if isinstance(node, LanguageNode):
            for key, code in node.options.items():
                if code not in declared:
                    yield FlowProblem(
                        node.id,
                        f"option {key!r} picks {code!r}, which is not in the flow's languages ({listed})",
                        code="undeclared-language",
                    )
        for name in node.PROMPT_FIELDS + node.URL_FIELDS:
            value = getattr(node, name)
            if value is None:
                continue
            if isinstance(value, str):
                if len(declared) > 1 and name in node.PROMPT_FIELDS:
                    yield FlowProblem(
                        node.id,
                        f"'{name}' is plain text but the flow declares {listed}; give the text for each language",
                        "warning",
                        "missing-translation",
                    )
                continue
            for missing in (lang for lang in flow.languages if lang not in value):
                yield FlowProblem(
                    node.id, f"'{name}' has no text for declared language {missing}", "warning", "missing-translation"
                )
            for extra in (lang for lang in value if lang not in declared):
                yield FlowProblem(
                    node.id,
                    f"'{name}' has text for {extra}, which is not in the flow's languages ({listed})",
                    "warning",
                    "undeclared-language",
                )


def _unknown_fields(flow: Flow) -> Iterator[FlowProblem]:
    for key in flow.raw:
        if key not in TOP_LEVEL_FIELDS:
            yield FlowProblem(None, f"unknown top-level field {key!r}", "warning", "unknown-field")
    for node in flow.nodes.values():
        if isinstance(node, UnknownNode):
            continue
        allowed = field_names(type(node))
        for key in node.raw:
            if key not in allowed:
                yield FlowProblem(
                    node.id,
                    f"{node.type} has no field {key!r} (it uses: {', '.join(sorted(allowed - {'type'}))})",
                    "warning",
                    "unknown-field",
                )


# ----------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class LoadResult:
    """What `FlowRegistry.load` did: `accepted` says whether the file is now served; `flow` is
    the version served under the flow's name afterwards (the previous one when refused)."""

    path: str
    accepted: bool
    flow: Flow | None
    problems: tuple[FlowProblem, ...]


class FlowRegistry:
    """The last valid version of each flow, by name. Invalid files never replace a served flow.

    Parsing and validation run outside the lock, so calls being answered are never blocked by
    a reload; only the swap itself is locked.
    """

    def __init__(self, known_queues: QueueSource = None) -> None:
        self._known_queues = known_queues
        self._lock = threading.Lock()
        self._flows: dict[str, ValidFlow] = {}
        self._name_by_path: dict[str, str] = {}
        self._rejected: dict[str, tuple[FlowProblem, ...]] = {}

    def _queues(self) -> set[str] | None:
        source = self._known_queues
        if source is None:
            return None
        return set(source() if callable(source) else source)

    def load(self, path: str | os.PathLike[str]) -> LoadResult:
        key = str(Path(path))
        try:
            flow = load_flow(Path(path))
            valid = ensure_valid(flow, self._queues())
        except FlowError as exc:
            with self._lock:
                self._rejected[key] = exc.problems
                name = self._name_by_path.get(key)
                served = self._flows.get(name) if name else None
            return LoadResult(key, False, served.flow if served else None, exc.problems)
        with self._lock:
            self._flows[flow.name] = valid
            self._name_by_path[key] = flow.name
            self._rejected.pop(key, None)
        return LoadResult(key, True, flow, valid.warnings)

    def get(self, name: str) -> Flow:
        """The flow served under `name`; KeyError when no valid version was ever loaded."""
        with self._lock:
            return self._flows[name].flow

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._flows)

    def path_of(self, name: str) -> str | None:
        """The file the served version of flow `name` came from (a publish replaces that file)."""
        with self._lock:
            return next((path for path, flow_name in self._name_by_path.items() if flow_name == name), None)

    def rejected(self) -> Mapping[str, tuple[FlowProblem, ...]]:
        """Problems of files whose latest load was refused, by path (for an admin page)."""
        with self._lock:
            return dict(self._rejected)
