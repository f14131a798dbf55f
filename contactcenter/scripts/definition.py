"""A call script's definition: its shape, a safe YAML reader, and validation.

Admins write scripts in YAML (JSON is YAML too)::

    start: greet
    steps:
      greet:
        say: "Hello {customer.first_name}, thank you for calling."
        kind: choice                 # choice | text | info | end
        question: "Is this about an existing order?"
        options:
          - {value: "yes", label: "Yes", next: order}
          - {value: "no", label: "No", next: general}
      order:
        say: "I can look that up."
        kind: text                   # a free answer, then `next`
        question: "What is the order number?"
        next: close
      general: {say: "How can I help?", kind: info, next: close}
      close: {say: "Thank you, {customer.first_name}!", kind: end}

A `choice` branches: the answer picks the option, the option names the next step. `text` and
`info` steps go on to `next`; `end` finishes the script.

`validate` lists every problem, each with its step and a `code`, so the admin page can show them
all at once and tests can assert on the class of problem:

    not-a-mapping      the text is not a mapping with `start` and `steps`
    bad-yaml           not readable (syntax, tags, alias bomb, too large)
    bad-step-id        step id is not a short identifier
    missing-start      `start` names no step
    unknown-kind       kind is not choice, text, info or end
    missing-field      a field the kind needs is absent or empty
    bad-field          a field has the wrong type, is too long, or is not used by the kind
    dangling           `next` or an option points at a step that does not exist
    unreachable        no path from `start` leads to the step
    loop               the step leads back to one before it (answers are kept once per step)
    duplicate-option   two options of one step share a value
    unknown-variable   a placeholder outside the whitelist (see `variables`)
    too-many           more steps or options than a script may have
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from contactcenter.errors import DomainError
from contactcenter.scripts.variables import unknown_variables

MAX_DEFINITION_BYTES = 64 * 1024
MAX_YAML_VALUES = 5000
MAX_STEPS = 100
MAX_OPTIONS = 20
MAX_TEXT = 2000
MAX_LABEL = 120
STEP_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
KINDS = ("choice", "text", "info", "end")
FIELDS = {
    "choice": {"say", "kind", "question", "options"},
    "text": {"say", "kind", "question", "next"},
    "info": {"say", "kind", "next"},
    "end": {"say", "kind"},
}


@dataclass(frozen=True)
class ScriptProblem:
    code: str
    message: str
    step: str | None = None

    def __str__(self) -> str:
        return f"{self.step}: {self.message}" if self.step else self.message


class ScriptInvalid(DomainError, ValueError):
    """A definition that cannot be saved; `problems` lists every reason."""

    def __init__(self, problems: Iterable[ScriptProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def parse_yaml(text: str) -> Any:
    """`yaml.safe_load` with a size cap and an expanded-value cap (defuses alias bombs)."""
    if not isinstance(text, str):
        raise ScriptInvalid([ScriptProblem("bad-yaml", "the definition must be text")])
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DEFINITION_BYTES:
        raise ScriptInvalid([ScriptProblem("bad-yaml", f"the definition is larger than {MAX_DEFINITION_BYTES} bytes")])
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _count_values(root)
        return loader.construct_document(root)
    except ScriptInvalid:
        raise
    except yaml.MarkedYAMLError as exc:
        where = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark else ""
        raise ScriptInvalid(
            [ScriptProblem("bad-yaml", f"not valid YAML: {exc.problem or exc.context}{where}")]
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        raise ScriptInvalid([ScriptProblem("bad-yaml", f"not valid YAML: {type(exc).__name__}")]) from None
    finally:
        loader.dispose()


def _count_values(root: yaml.Node) -> None:
    """Count nodes with aliases expanded, memoised per node; refuse cycles and huge expansions."""
    sizes: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if done:
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[id(node)] > MAX_YAML_VALUES:
                raise ScriptInvalid([ScriptProblem("bad-yaml", "the definition expands to too many values")])
            continue
        if id(node) in sizes:
            continue
        if id(node) in entered:
            raise ScriptInvalid([ScriptProblem("bad-yaml", "the definition contains a recursive alias")])
        entered.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children)


def targets(step: dict[str, Any]) -> list[str]:
    """The step ids a (normalised) step can lead to."""
    if step["kind"] == "choice":
        return [o["next"] for o in step["options"]]
    return [step["next"]] if step.get("next") else []


def validate(data: Any) -> tuple[dict[str, Any], list[ScriptProblem]]:
    """(normalised definition, problems); the definition may be saved only when problems is empty.

    Normalising keeps only the fields each kind uses, as strings, so what is stored is exactly
    what the desktop and the chooser understand.
    """
    problems: list[ScriptProblem] = []
    if not isinstance(data, dict) or not isinstance(data.get("steps"), dict) or not data["steps"]:
        return {}, [
            ScriptProblem("not-a-mapping", "a script is a mapping with `start` and a non-empty `steps` mapping")
        ]
    extra = set(map(str, data)) - {"start", "steps"}
    if extra:
        problems.append(ScriptProblem("bad-field", f"unknown top-level field(s): {', '.join(sorted(extra))}"))
    raw_steps: dict[Any, Any] = data["steps"]
    if len(raw_steps) > MAX_STEPS:
        return {}, [ScriptProblem("too-many", f"a script has at most {MAX_STEPS} steps")]
    steps: dict[str, dict[str, Any]] = {}
    for raw_id, raw in raw_steps.items():
        step_id = str(raw_id)
        if not isinstance(raw_id, str) or not STEP_ID.match(raw_id):
            problems.append(
                ScriptProblem(
                    "bad-step-id",
                    "a step id starts with a letter and has at most 64 letters, digits, '_' or '-'",
                    step_id[:64],
                )
            )
            continue
        step, step_problems = _step(step_id, raw)
        problems += step_problems
        if step is not None:
            steps[step_id] = step
    start = data.get("start")
    if not isinstance(start, str) or start not in raw_steps:
        problems.append(ScriptProblem("missing-start", "`start` must name one of the steps"))
    for step_id, step in steps.items():
        for target in targets(step):
            if target not in raw_steps:
                problems.append(ScriptProblem("dangling", f"leads to step '{target}', which does not exist", step_id))
    if isinstance(start, str) and start in steps:
        reached = _reachable(start, steps)
        for step_id in steps:
            if step_id not in reached:
                problems.append(ScriptProblem("unreachable", "no path from the start leads here", step_id))
        looping = _first_loop(start, steps)
        if looping is not None:
            problems.append(
                ScriptProblem(
                    "loop",
                    "leads back to an earlier step; a script only moves forward (answers are kept once per step)",
                    looping,
                )
            )
    return {"start": start if isinstance(start, str) else "", "steps": steps}, problems


def _reachable(start: str, steps: dict[str, dict[str, Any]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        step = steps.get(todo.pop())
        for target in targets(step) if step is not None else []:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _first_loop(start: str, steps: dict[str, dict[str, Any]]) -> str | None:
    """A step whose target leads back to a step on the path to it (iterative DFS), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[tuple[str, int]] = [(start, 0)]
    state[start] = 1
    while stack:
        step_id, index = stack.pop()
        outs = [t for t in targets(steps[step_id]) if t in steps]
        if index < len(outs):
            stack.append((step_id, index + 1))
            target = outs[index]
            if state.get(target) == 1:
                return step_id
            if target not in state:
                state[target] = 1
                stack.append((target, 0))
        else:
            state[step_id] = 2
    return None


def _text(
    step_id: str, raw: dict[str, Any], name: str, limit: int, problems: list[ScriptProblem], *, required: bool
) -> str:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            problems.append(ScriptProblem("missing-field", f"`{name}` is required", step_id))
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        problems.append(ScriptProblem("bad-field", f"`{name}` must be text", step_id))
        return ""
    text = str(value)
    if len(text) > limit:
        problems.append(ScriptProblem("bad-field", f"`{name}` is longer than {limit} characters", step_id))
    for unknown in unknown_variables(text):
        problems.append(ScriptProblem("unknown-variable", f"`{name}` uses unknown variable {{{unknown}}}", step_id))
    return text


def _step(step_id: str, raw: Any) -> tuple[dict[str, Any] | None, list[ScriptProblem]]:
    problems: list[ScriptProblem] = []
    if not isinstance(raw, dict):
        return None, [ScriptProblem("not-a-mapping", "a step is a mapping with `say` and `kind`", step_id)]
    kind = raw.get("kind")
    if kind not in KINDS:
        return None, [ScriptProblem("unknown-kind", f"kind must be one of {', '.join(KINDS)}", step_id)]
    extra = set(map(str, raw)) - FIELDS[kind]
    if extra:
        problems.append(ScriptProblem("bad-field", f"{kind} steps do not use {', '.join(sorted(extra))}", step_id))
    step: dict[str, Any] = {
        "kind": kind,
        "say": _text(step_id, raw, "say", MAX_TEXT, problems, required=kind != "choice"),
    }
    if kind in ("choice", "text"):
        step["question"] = _text(step_id, raw, "question", MAX_TEXT, problems, required=True)
    if kind in ("text", "info"):
        step["next"] = _target(step_id, raw.get("next"), problems)
    if kind == "choice":
        step["options"] = _options(step_id, raw.get("options"), problems)
    return step, problems


def _target(step_id: str, value: Any, problems: list[ScriptProblem]) -> str:
    if value is None or value == "":
        problems.append(ScriptProblem("missing-field", "`next` is required", step_id))
        return ""
    if not isinstance(value, str) or len(value) > 64:
        problems.append(ScriptProblem("bad-field", "`next` must be a step id", step_id))
        return ""
    return value


def _options(step_id: str, raw: Any, problems: list[ScriptProblem]) -> list[dict[str, str]]:
    if not isinstance(raw, list) or len(raw) < 2:
        problems.append(ScriptProblem("missing-field", "a choice needs a list of at least two `options`", step_id))
        return []
    if len(raw) > MAX_OPTIONS:
        problems.append(ScriptProblem("too-many", f"a choice has at most {MAX_OPTIONS} options", step_id))
        return []
    options: list[dict[str, str]] = []
    for index, item in enumerate(raw, 1):
        if not isinstance(item, dict) or set(map(str, item)) - {"value", "label", "next"}:
            problems.append(ScriptProblem("bad-field", f"option {index} must have only value, label and next", step_id))
            continue
        value = item.get("value")
        if isinstance(value, bool):
            value = "yes" if value else "no"  # YAML reads a bare yes/no as a boolean
        if not isinstance(value, (str, int)) or not str(value).strip() or len(str(value)) > MAX_LABEL:
            problems.append(ScriptProblem("bad-field", f"option {index} needs a short `value`", step_id))
            continue
        label = item.get("label", value)
        if isinstance(label, bool) or not isinstance(label, (str, int)) or len(str(label)) > MAX_LABEL:
            problems.append(ScriptProblem("bad-field", f"option {index} `label` must be short text", step_id))
            continue
        for unknown in unknown_variables(str(label)):
            problems.append(
                ScriptProblem("unknown-variable", f"option {index} uses unknown variable {{{unknown}}}", step_id)
            )
        if any(o["value"] == str(value) for o in options):
            problems.append(ScriptProblem("duplicate-option", f"two options have the value '{value}'", step_id))
            continue
        options.append({"value": str(value), "label": str(label), "next": _target(step_id, item.get("next"), problems)})
    return options
