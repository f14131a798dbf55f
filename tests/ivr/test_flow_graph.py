"""Mermaid and DOT diagrams of IVR flows stay well-formed whatever the prompt text says."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path
from types import MappingProxyType

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings, strategies as st

from contactcenter.app.commands.ivr import ivr
from contactcenter.ivr.flow import Flow, load_flow
from contactcenter.ivr.flow_nodes import MenuNode
from contactcenter.ivr.graph import dot_quote, mermaid_escape, to_dot, to_mermaid

FLOWS = Path(__file__).parent / "flows"
DEMO = Path(__file__).parents[2] / "contactcenter" / "ivr" / "flows" / "demo.yaml"

# ----------------------------------------------------------------------------- Mermaid checker

MERMAID_ID = r"[A-Za-z_][A-Za-z0-9_]*"
MERMAID_NODE = re.compile(rf'^ {{4}}(?P<id>{MERMAID_ID})\["(?P<label>[^"]*)"\]$')
MERMAID_EDGE = re.compile(rf'^ {{4}}(?P<a>{MERMAID_ID}) -->(?:\|"(?P<label>[^"]*)"\|)? (?P<b>{MERMAID_ID})$')
ENTITY = re.compile(r"#(?:quot|[0-9]+);")


def check_label(label: str) -> None:
    """Nothing in a label that Mermaid (or a browser showing it) would read as syntax."""
    bare = ENTITY.sub("", label.replace("<br/>", " "))
    for char in '"[]{}|<>#;`&\n\r':
        assert char not in bare, f"raw {char!r} in label {label!r}"


def check_mermaid(text: str) -> tuple[set[str], int]:
    """Structural check: header, `id["label"]` nodes, `a -->|"label"| b` edges between defined ids."""
    lines = text.splitlines()
    assert text.endswith("\n") and lines[0] == "flowchart TD"
    defined: set[str] = set()
    edges = 0
    for line in lines[1:]:
        if node := MERMAID_NODE.match(line):
            assert node["id"] not in defined, f"defined twice: {line!r}"
            assert node["id"].lower() != "end"
            check_label(node["label"])
            defined.add(node["id"])
        elif edge := MERMAID_EDGE.match(line):
            assert edge["a"] in defined and edge["b"] in defined, f"undefined endpoint in {line!r}"
            if edge["label"] is not None:
                check_label(edge["label"])
            edges += 1
        else:
            raise AssertionError(f"not a Mermaid node or edge: {line!r}")
    return defined, edges


# ----------------------------------------------------------------------------- DOT checker


def dot_tokens(line: str) -> list[str]:
    """Tokens the way Graphviz's lexer sees them: in a quoted string a backslash escapes a quote
    (even right after another backslash) and is otherwise an ordinary character."""
    tokens, i = [], 0
    while i < len(line):
        char = line[i]
        if char == " ":
            i += 1
        elif char == '"':
            j = i + 1
            while True:
                assert j < len(line), f"unterminated string in {line!r}"
                if line[j] == "\\" and j + 1 < len(line) and line[j + 1] == '"':
                    j += 2
                elif line[j] == '"':
                    break
                else:
                    j += 1
            tokens.append(line[i : j + 1])
            i = j + 1
        elif line.startswith("->", i):
            tokens.append("->")
            i += 2
        elif char in "[]{};,=":
            tokens.append(char)
            i += 1
        else:
            word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", line[i:])
            assert word, f"unexpected {char!r} in {line!r}"
            tokens.append(word.group())
            i += len(word.group())
    return tokens


def is_string(token: str) -> bool:
    return token.startswith('"')


def check_dot(text: str) -> tuple[set[str], int]:
    lines = text.splitlines()
    head = dot_tokens(lines[0])
    assert head[0] == "digraph" and is_string(head[1]) and head[2:] == ["{"] and lines[-1] == "}"
    defined: set[str] = set()
    edges = 0
    for line in lines[1:-1]:
        tokens = dot_tokens(line)
        if tokens[0] in ("graph", "node"):
            assert tokens[1] == "[" and tokens[-2:] == ["]", ";"]
        elif len(tokens) >= 3 and tokens[1] == "->":
            assert is_string(tokens[0]) and is_string(tokens[2])
            assert tokens[0] in defined and tokens[2] in defined, f"undefined endpoint in {line!r}"
            rest = tokens[3:]
            assert rest == [";"] or (
                rest[:3] == ["[", "label", "="] and is_string(rest[3]) and rest[4:] == ["]", ";"]
            ), line
            edges += 1
        else:
            assert is_string(tokens[0]) and tokens[1:4] == ["[", "label", "="] and is_string(tokens[4])
            assert tokens[5:8] == [",", "shape", "="] and tokens[8].isalpha() and tokens[9:] == ["]", ";"], line
            defined.add(tokens[0])
    return defined, edges


def flow_with_prompt(prompt: str) -> Flow:
    """minimal.yaml with `prompt` set on the parsed menu, so even text YAML cannot hold is tried."""
    flow = load_flow(FLOWS / "minimal.yaml")
    menu = flow.node("menu")
    assert isinstance(menu, MenuNode)
    menu = dataclasses.replace(menu, prompt=prompt)
    return dataclasses.replace(flow, nodes=MappingProxyType({**flow.nodes, "menu": menu}))


# ----------------------------------------------------------------------------- tests


def test_demo_mermaid_is_well_formed() -> None:
    flow = load_flow(DEMO)
    text = to_mermaid(flow)
    defined, edges = check_mermaid(text)
    assert len(defined) == len(flow.nodes) == 22
    assert edges == sum(len(n.edges()) for n in flow.nodes.values())
    assert '    n_main_menu -->|"1"| n_order_number' in text.splitlines()
    assert '    n_main_menu -->|"9 repeat"| n_main_menu' in text.splitlines()
    assert '    n_billing_segment -->|"segment=vip"| n_billing_priority' in text.splitlines()


def test_demo_dot_is_well_formed() -> None:
    flow = load_flow(DEMO)
    defined, edges = check_dot(to_dot(flow))
    assert len(defined) == 22 and edges == sum(len(n.edges()) for n in flow.nodes.values())


def test_hostile_prompts_stay_inside_mermaid_labels() -> None:
    flow = load_flow(FLOWS / "hostile_prompts.yaml")
    text = to_mermaid(flow)
    defined, _ = check_mermaid(text)
    # Node "end" is prefixed, "say-it" is made a plain id, the missing target is drawn.
    assert {"n_end", "n_say_it", "missing_missing_node"} <= defined
    assert "<script>" not in text and "#60;script#62;" in text
    assert "#quot;now#quot;#93; --#62; evil" in text


def test_hostile_prompts_stay_inside_dot_labels() -> None:
    text = to_dot(load_flow(FLOWS / "hostile_prompts.yaml"))
    check_dot(text)
    assert '"hostile \\"flow\\" {name} v1"' in text.splitlines()[0]
    assert "C:\\\\New\\\\Folder" in text  # backslashes doubled: no \N escape for Graphviz


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
@example("ends in a backslash \\")
@example('"] --> x["')
def test_any_prompt_text_yields_valid_diagrams(prompt: str) -> None:
    flow = flow_with_prompt(prompt or "x")
    check_mermaid(to_mermaid(flow))
    check_dot(to_dot(flow))


@given(st.text(max_size=40))
@example("\\")
def test_escapes_leave_no_syntax(text: str) -> None:
    check_label(mermaid_escape(text))
    [token] = dot_tokens(dot_quote(text))
    assert token.startswith('"') and token.endswith('"')


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_renders_the_dot_output() -> None:
    for path in (DEMO, FLOWS / "hostile_prompts.yaml"):
        done = subprocess.run(
            ["dot", "-Tsvg"], input=to_dot(load_flow(path)), capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0 and not done.stderr, done.stderr
        assert done.stdout.count('class="node"') == len(load_flow(path).nodes) + (path != DEMO)


def test_cli_graph_prints_mermaid_and_dot() -> None:
    runner = CliRunner()
    mermaid = runner.invoke(ivr, ["graph", str(DEMO)])
    assert mermaid.exit_code == 0 and mermaid.output.startswith("flowchart TD\n")
    check_mermaid(mermaid.output)
    dot = runner.invoke(ivr, ["graph", str(DEMO), "--dot"])
    assert dot.exit_code == 0 and dot.output.startswith('digraph "acme-support v2" {')
    check_dot(dot.output)


def test_cli_graph_refuses_unloadable_file() -> None:
    result = CliRunner().invoke(ivr, ["graph", str(FLOWS / "python_tag.yaml")])
    assert result.exit_code == 1 and "ERROR flow: not valid flow YAML" in result.output
