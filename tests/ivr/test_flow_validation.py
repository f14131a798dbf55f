"""IVR flow loading, validation, the flow registry and `contactcenter ivr validate`."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

import pytest
from click.testing import CliRunner

from contactcenter.app.commands.ivr import ivr
from contactcenter.ivr.flow import Flow, load_flow, parse_flow
from contactcenter.ivr.flow_nodes import CollectNode, HoursNode, MenuNode, UnknownNode
from contactcenter.ivr.flow_rules import MAX_FLOW_BYTES, FlowError, FlowProblem
from contactcenter.ivr.validation import FlowRegistry, ValidFlow, ensure_valid, validate

FLOWS = Path(__file__).parent / "flows"
DEMO = Path(__file__).parents[2] / "contactcenter" / "ivr" / "flows" / "demo.yaml"
QUEUES = {"support", "billing", "technical", "sales"}


def errors(problems: list[FlowProblem]) -> list[FlowProblem]:
    return [p for p in problems if p.is_error]


def load_error(source: str | Path) -> FlowError:
    with pytest.raises(FlowError) as info:
        load_flow(source)
    return info.value


# ----------------------------------------------------------------------------- the demo flow


def test_demo_flow_is_clean() -> None:
    flow = load_flow(DEMO)
    assert validate(flow, QUEUES) == []
    assert flow.name == "acme-support" and flow.languages == ("en-US", "es-ES")


def test_demo_flow_uses_every_node_type_and_all_queues() -> None:
    from contactcenter.ivr.flow_nodes import NODE_TYPES

    flow = load_flow(DEMO)
    assert {n.type for n in flow.nodes.values()} == set(NODE_TYPES)
    assert {getattr(n, "queue", None) for n in flow.nodes.values()} - {None} == QUEUES


def test_demo_hours_follow_new_york_time_and_holidays() -> None:
    hours = load_flow(DEMO).node("check_hours")
    assert isinstance(hours, HoursNode)
    cal = hours.calendar
    utc = UTC
    assert cal.is_open(datetime(2026, 3, 2, 13, 0, tzinfo=utc))  # Mon 08:00 EST
    assert not cal.is_open(datetime(2026, 3, 2, 12, 59, tzinfo=utc))  # Mon 07:59 EST
    assert cal.is_open(datetime(2026, 7, 1, 23, 59, tzinfo=utc))  # Wed 19:59 EDT
    assert not cal.is_open(datetime(2026, 7, 2, 0, 0, tzinfo=utc))  # Wed 20:00 EDT
    assert not cal.is_open(datetime(2026, 3, 7, 15, 0, tzinfo=utc))  # Saturday
    christmas = datetime(2026, 12, 25, 15, 0, tzinfo=utc)  # a Friday, 10:00 in New York
    assert cal.is_holiday(christmas) and not cal.is_open(christmas)


def test_branch_conditions_match_segment() -> None:
    branch = load_flow(DEMO).node("billing_segment")
    rule = branch.rules[0]  # type: ignore[attr-defined]
    assert rule.when.matches(segment="vip", language="en-US", variables={})
    assert not rule.when.matches(segment="standard", language="en-US", variables={})


def test_raw_fields_stay_available_for_the_engine() -> None:
    flow = load_flow(DEMO)
    menu = flow.node("main_menu")
    assert isinstance(menu, MenuNode)
    assert menu.raw["repeat_key"] == "9" and flow.raw["default_language"] == "en-US"
    with pytest.raises(dataclasses.FrozenInstanceError):
        menu.timeout = 1  # type: ignore[misc]


# ----------------------------------------------------------------------------- one test per defect class


def only_errors_of(problems: list[FlowProblem], code: str) -> list[FlowProblem]:
    """The fixture's errors, after checking they are all of the class it was written for."""
    found = errors(problems)
    assert found and {p.code for p in found} == {code}, [str(p) for p in problems]
    return found


def test_unknown_node_type() -> None:
    flow = load_flow(FLOWS / "unknown_type.yaml")
    assert isinstance(flow.node("chat"), UnknownNode)
    [problem] = only_errors_of(validate(flow), "unknown-type")
    assert problem.node_id == "chat" and "'webchat'" in problem.message


def test_missing_target() -> None:
    [problem] = only_errors_of(validate(load_flow(FLOWS / "missing_target.yaml")), "missing-target")
    assert problem.node_id == "menu"
    assert problem.message == "options '2' goes to 'billing', which is not a node"


def test_missing_start_node() -> None:
    text = (FLOWS / "minimal.yaml").read_text().replace("start: menu", "start: welcome")
    problems = validate(parse_flow(text))
    assert [(p.node_id, p.code) for p in errors(problems)] == [(None, "missing-target")]
    assert "start node 'welcome' does not exist" in problems[0].message


def test_missing_targets_in_branch_and_hours() -> None:
    text = """
flow: t
version: 1
start: route
nodes:
  route:
    type: branch
    rules: [{when: {segment: vip}, goto: vip_queue}]
    default: hours
  hours:
    type: hours
    calendar: {time_zone: UTC, weekly: {mon-fri: "09:00-17:00"}}
    open: bye
    closed: closed_msg
  bye: {type: hangup}
"""
    problems = only_errors_of(validate(parse_flow(text)), "missing-target")
    assert [(p.node_id, p.message) for p in problems] == [
        ("route", "rules[0] goes to 'vip_queue', which is not a node"),
        ("hours", "closed goes to 'closed_msg', which is not a node"),
    ]


def test_unreachable_node() -> None:
    [problem] = only_errors_of(validate(load_flow(FLOWS / "unreachable.yaml")), "unreachable")
    assert problem.node_id == "old_promo"
    assert "cannot be reached from start node 'menu'" in problem.message


def test_menu_without_timeout_handling() -> None:
    problems = only_errors_of(validate(load_flow(FLOWS / "menu_without_timeout.yaml")), "no-timeout-handling")
    assert {p.node_id for p in problems} == {"menu"}
    assert any("no 'timeout'" in p.message for p in problems)
    assert any("no 'on_timeout'" in p.message for p in problems)


def test_menu_without_invalid_handling() -> None:
    [problem] = only_errors_of(validate(load_flow(FLOWS / "menu_without_invalid.yaml")), "no-invalid-handling")
    assert problem.node_id == "menu" and "no 'on_invalid'" in problem.message


def test_collect_without_handlers() -> None:
    problems = errors(validate(load_flow(FLOWS / "collect_without_handlers.yaml")))
    assert {(p.node_id, p.code) for p in problems} == {
        ("account", "no-timeout-handling"),
        ("account", "no-invalid-handling"),
    }


def test_loop_with_no_exit() -> None:
    [problem] = only_errors_of(validate(load_flow(FLOWS / "loop_no_exit.yaml")), "no-exit-loop")
    assert problem.node_id == "main"
    assert "main, info, more" in problem.message


def test_loop_with_an_exit_is_fine() -> None:
    # minimal.yaml: the menu retries itself on bad input but its options lead to a queue.
    text = (FLOWS / "minimal.yaml").read_text().replace("on_invalid: support", "on_invalid: menu")
    assert validate(parse_flow(text)) == []


def test_self_loop_with_no_exit() -> None:
    text = """
flow: t
version: 1
start: again
nodes:
  again: {type: say, prompt: "Hello again.", next: again}
"""
    [problem] = only_errors_of(validate(parse_flow(text)), "no-exit-loop")
    assert problem.node_id == "again"


def test_unknown_queue() -> None:
    flow = load_flow(FLOWS / "minimal.yaml")
    assert validate(flow) == []  # queue names are not checked without a list
    [problem] = only_errors_of(validate(flow, {"billing", "sales"}), "unknown-queue")
    assert problem.node_id == "support"
    assert problem.message == "queue 'support' does not exist (known queues: billing, sales)"


def test_bad_pattern_is_refused_at_load() -> None:
    [problem] = load_error(FLOWS / "bad_pattern.yaml").problems
    assert (problem.node_id, problem.code) == ("account", "bad-pattern")
    assert "not a valid regular expression" in problem.message


def test_pattern_with_exponential_backtracking_is_refused() -> None:
    text = (FLOWS / "bad_pattern.yaml").read_text().replace('"([0-9]+"', '"([0-9]+)+"')
    [problem] = load_error(text).problems
    assert problem.code == "bad-pattern" and "exponential" in problem.message


def test_bad_pattern_in_a_flow_built_in_code() -> None:
    text = (FLOWS / "bad_pattern.yaml").read_text().replace('"([0-9]+"', '"[0-9]+"')
    flow = parse_flow(text)
    node = flow.node("account")
    assert isinstance(node, CollectNode) and node.accepts("1234") and not node.accepts("12a")
    broken = dataclasses.replace(node, pattern="([0-9]+")
    flow = dataclasses.replace(flow, nodes=MappingProxyType({**flow.nodes, "account": broken}))
    [problem] = only_errors_of(validate(flow), "bad-pattern")
    assert problem.node_id == "account"


def test_missing_translation_is_a_warning() -> None:
    problems = validate(load_flow(FLOWS / "missing_translation.yaml"))
    assert errors(problems) == []
    [problem] = problems
    assert (problem.node_id, problem.code, problem.severity) == ("menu", "missing-translation", "warning")
    assert "'invalid_prompt' has no text for declared language es-ES" in problem.message
    assert str(problem).startswith("WARNING node 'menu': ")


def test_plain_text_prompt_in_a_bilingual_flow_is_a_warning() -> None:
    text = (
        (FLOWS / "missing_translation.yaml")
        .read_text()
        .replace('    invalid_prompt:\n      en-US: "Sorry, that is not an option."\n', "")
    )
    text = text.replace(
        'prompt:\n      en-US: "Press 1 for support."\n      es-ES: "Oprima 1 para soporte."',
        'prompt: "Press 1 for support."',
    )
    [problem] = validate(parse_flow(text))
    assert problem.code == "missing-translation" and "plain text" in problem.message


def test_undeclared_language_option() -> None:
    [problem] = only_errors_of(validate(load_flow(FLOWS / "undeclared_language.yaml")), "undeclared-language")
    assert problem.node_id == "pick" and "'fr-FR'" in problem.message


def test_unknown_field_is_a_warning() -> None:
    [problem] = validate(load_flow(FLOWS / "unknown_field.yaml"))
    assert (problem.node_id, problem.code, problem.severity) == ("hello", "unknown-field", "warning")
    assert "'voice'" in problem.message


def test_structural_problems_name_their_nodes() -> None:
    problems = load_error(FLOWS / "bad_fields.yaml").problems
    by_node = {p.node_id: p.message for p in problems}
    assert set(by_node) == {"menu", "hours", "partner", "evening"}
    assert "not an IANA time zone" in by_node["hours"]
    assert "E.164" in by_node["partner"]
    assert 'quote times, e.g. "20:00"' in by_node["evening"]
    assert any("'timeout' must be a whole number" in p.message for p in problems)
    assert any("key 'x' is not a keypad key" in p.message for p in problems)


def test_duplicate_node_id_is_refused() -> None:
    [problem] = load_error(FLOWS / "duplicate_node.yaml").problems
    assert problem.node_id == "hello" and "defined twice" in problem.message


def test_ensure_valid() -> None:
    valid = ensure_valid(load_flow(FLOWS / "missing_translation.yaml"))
    assert isinstance(valid, ValidFlow) and [p.code for p in valid.warnings] == ["missing-translation"]
    with pytest.raises(FlowError) as info:
        ensure_valid(load_flow(FLOWS / "minimal.yaml"), {"billing"})
    assert [p.code for p in info.value.problems] == ["unknown-queue"]
    assert str(info.value) == "ERROR node 'support': queue 'support' does not exist (known queues: billing)"


# ----------------------------------------------------------------------------- hostile input


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text((FLOWS / "minimal.yaml").read_text() + "#" * MAX_FLOW_BYTES)
    [problem] = load_error(path).problems
    assert problem.node_id is None and "larger than" in problem.message and "1 MB" in problem.message


def test_oversized_text_is_refused() -> None:
    [problem] = load_error("flow: x\n" + "# padding\n" * (MAX_FLOW_BYTES // 10 + 1)).problems
    assert "1 MB" in problem.message


@pytest.mark.parametrize(
    "text, kind",
    [
        ("- a\n- b\n", "a list"),
        ("just a string\n", "a str"),
        ("# only a comment\n", "empty"),
    ],
)
def test_non_mapping_yaml_is_refused(text: str, kind: str) -> None:
    [problem] = load_error(text).problems
    assert problem.message == f"flow file must be a YAML mapping, got {kind}"


def test_not_mapping_file_is_refused() -> None:
    [problem] = load_error(FLOWS / "not_mapping.yaml").problems
    assert "must be a YAML mapping, got a list" in problem.message


def test_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = Path("/tmp/ivr-flow-pwned")
    marker.unlink(missing_ok=True)
    [problem] = load_error(FLOWS / "python_tag.yaml").problems
    assert "could not determine a constructor" in problem.message
    assert "python/object/apply" in problem.message
    assert not marker.exists()


def test_alias_bomb_is_refused() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = "\n".join(lines) + "\nflow: bomb\nversion: 1\nstart: x\nnodes: {x: {type: hangup, prompt: *a9}}\n"
    [problem] = load_error(text).problems
    assert "alias bomb" in problem.message


def test_recursive_alias_is_refused() -> None:
    [problem] = load_error("flow: &a [*a]\nversion: 1\n").problems
    assert "recursive alias" in problem.message


def test_deep_nesting_is_refused() -> None:
    problems = load_error("flow: " + "[" * 50_000 + "]" * 50_000 + "\n").problems
    assert len(problems) == 1 and problems[0].node_id is None


def test_yaml_syntax_error_names_the_line() -> None:
    [problem] = load_error("flow: x\nversion: 1\nnodes: {a: [\n").problems
    assert problem.message.startswith("not valid flow YAML") and "line" in problem.message


def test_problem_lines_never_span_lines() -> None:
    problem = FlowProblem("x", "target 'a\nERROR node fake: injected'")
    assert "\n" not in str(problem)


# ----------------------------------------------------------------------------- registry


def write_flow(path: Path, fixture: str, version: int = 1) -> Path:
    text = (FLOWS / fixture).read_text()
    path.write_text(text.replace("version: 1", f"version: {version}"))
    return path


def test_registry_keeps_last_valid_version(tmp_path: Path) -> None:
    registry = FlowRegistry(known_queues=QUEUES)
    path = write_flow(tmp_path / "flow.yaml", "minimal.yaml", version=1)
    first = registry.load(path)
    assert first.accepted and first.problems == () and registry.get("minimal").version == 1

    # Version 2 points option 1 at a node that does not exist: refused, v1 keeps serving.
    text = path.read_text().replace("version: 1", "version: 2").replace('"1": support', '"1": nowhere')
    path.write_text(text)
    second = registry.load(path)
    assert not second.accepted
    assert [p.code for p in second.problems] == ["missing-target"]
    assert second.flow is not None and second.flow.version == 1
    assert registry.get("minimal").version == 1
    assert registry.rejected() == {str(path): second.problems}

    # A file that no longer parses at all is refused the same way.
    path.write_text("- not\n- a flow\n")
    assert not registry.load(path).accepted
    assert registry.get("minimal").version == 1

    # A fixed version 3 replaces it and clears the rejection.
    write_flow(path, "minimal.yaml", version=3)
    assert registry.load(path).accepted
    assert registry.get("minimal").version == 3 and registry.rejected() == {}


def test_registry_refuses_unknown_queues_from_a_live_source(tmp_path: Path) -> None:
    queues: set[str] = {"billing"}
    registry = FlowRegistry(known_queues=lambda: queues)
    path = write_flow(tmp_path / "flow.yaml", "minimal.yaml")
    result = registry.load(path)
    assert not result.accepted and result.flow is None
    assert [p.code for p in result.problems] == ["unknown-queue"]
    with pytest.raises(KeyError):
        registry.get("minimal")
    queues.add("support")
    assert registry.load(path).accepted and registry.names() == ["minimal"]


def test_registry_serves_a_valid_flow_during_concurrent_reloads(tmp_path: Path) -> None:
    registry = FlowRegistry()
    good, bad = write_flow(tmp_path / "good.yaml", "minimal.yaml"), tmp_path / "bad.yaml"
    bad.write_text((FLOWS / "minimal.yaml").read_text().replace("on_timeout: bye", "on_timeout: gone"))
    registry.load(good)
    seen: list[Flow] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.append(registry.get("minimal"))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(30):
            assert registry.load(bad).accepted is False
            assert registry.load(good).accepted is True
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert seen and all(validate(flow) == [] for flow in {id(f): f for f in seen}.values())


# ----------------------------------------------------------------------------- CLI


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(ivr, list(args))
    return result.exit_code, result.output


def test_cli_validate_ok() -> None:
    code, out = run("validate", str(DEMO), "--queues", "support,billing,technical,sales")
    assert (code, out) == (0, "OK: acme-support v2: 22 nodes\n")


def test_cli_validate_reports_errors() -> None:
    code, out = run("validate", str(FLOWS / "minimal.yaml"), "--queues", "billing, sales,")
    assert code == 1
    assert out.splitlines() == ["ERROR node 'support': queue 'support' does not exist (known queues: billing, sales)"]


def test_cli_validate_one_line_per_problem() -> None:
    code, out = run("validate", str(FLOWS / "collect_without_handlers.yaml"))
    lines = out.splitlines()
    assert code == 1 and len(lines) == 3
    assert all(line.startswith("ERROR node 'account': collect has no '") for line in lines)


def test_cli_validate_warnings_still_pass() -> None:
    code, out = run("validate", str(FLOWS / "unknown_field.yaml"))
    assert code == 0
    assert out.splitlines()[0].startswith("WARNING node 'hello': say has no field 'voice'")
    assert out.splitlines()[-1] == "OK: unknown-field v1: 2 nodes"


def test_cli_validate_unloadable_file() -> None:
    code, out = run("validate", str(FLOWS / "not_mapping.yaml"))
    assert (code, out) == (1, "ERROR flow: flow file must be a YAML mapping, got a list\n")


def test_cli_validate_json() -> None:
    code, out = run("validate", str(FLOWS / "loop_no_exit.yaml"), "--json")
    report = json.loads(out)
    assert code == 1 and report["valid"] is False and report["flow"] == "loop-no-exit"
    assert [(p["code"], p["node"], p["severity"]) for p in report["problems"]] == [("no-exit-loop", "main", "error")]
    code, out = run("validate", str(DEMO), "--json")
    assert code == 0 and json.loads(out)["valid"] is True and json.loads(out)["nodes"] == 22


def test_cli_validate_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _ = run("validate", str(tmp_path / "nope.yaml"))
    assert code == 2
