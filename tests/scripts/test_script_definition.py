"""Validating script definitions: every problem named, with its step and class."""

from __future__ import annotations

import pytest

from contactcenter.scripts.definition import ScriptInvalid, parse_yaml, validate
from tests.support.scripts import ORDER_SCRIPT, definition


def codes(data: object) -> set[tuple[str, str | None]]:
    return {(p.code, p.step) for p in validate(data)[1]}


def test_the_sample_script_is_valid():
    assert validate(ORDER_SCRIPT)[1] == []


def test_a_dangling_target_is_named_with_its_step():
    data = definition(general={"say": "Hi", "kind": "info", "next": "nowhere"})
    assert ("dangling", "general") in codes(data)


def test_an_option_pointing_nowhere_is_dangling():
    data = definition(
        greet={
            "say": "Hi",
            "kind": "choice",
            "question": "?",
            "options": [{"value": "a", "next": "order"}, {"value": "b", "next": "gone"}],
        }
    )
    assert ("dangling", "greet") in codes(data)


def test_an_unreachable_step_is_reported():
    data = definition(orphan={"say": "Nobody comes here", "kind": "end"})
    assert ("unreachable", "orphan") in codes(data)


def test_an_unknown_variable_is_refused():
    data = definition(close={"say": "Bye {customer.password_hash}", "kind": "end"})
    assert ("unknown-variable", "close") in codes(data)


def test_a_dunder_path_is_an_unknown_variable():
    data = definition(close={"say": "{customer.__class__}", "kind": "end"})
    assert ("unknown-variable", "close") in codes(data)


def test_any_ivr_variable_is_allowed():
    data = definition(close={"say": "Ref {ivr.reference_code}", "kind": "end"})
    assert codes(data) == set()


def test_start_must_name_a_step():
    data = definition()
    data["start"] = "missing"
    assert ("missing-start", None) in codes(data)


def test_an_unknown_kind_is_reported():
    assert ("unknown-kind", "close") in codes(definition(close={"say": "x", "kind": "teleport"}))


def test_a_choice_needs_two_options():
    data = definition(
        greet={"say": "", "kind": "choice", "question": "?", "options": [{"value": "a", "next": "close"}]}
    )
    assert ("missing-field", "greet") in codes(data)


def test_duplicate_option_values_are_refused():
    data = definition(
        greet={
            "say": "",
            "kind": "choice",
            "question": "?",
            "options": [{"value": "a", "next": "order"}, {"value": "a", "next": "general"}],
        }
    )
    assert ("duplicate-option", "greet") in codes(data)


def test_a_field_the_kind_does_not_use_is_refused():
    assert ("bad-field", "close") in codes(definition(close={"say": "x", "kind": "end", "next": "greet"}))


def test_a_bad_step_id_is_refused():
    data = definition(**{"bad id!": {"say": "x", "kind": "end"}})
    assert "bad-step-id" in {code for code, _ in codes(data)}


def test_a_list_is_not_a_script():
    assert codes(["start", "steps"]) == {("not-a-mapping", None)}


def test_yaml_with_python_tags_is_refused():
    with pytest.raises(ScriptInvalid) as err:
        parse_yaml("start: !!python/object/apply:os.system ['true']\nsteps: {}\n")
    assert err.value.problems[0].code == "bad-yaml"


def test_a_yaml_alias_bomb_is_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    )
    with pytest.raises(ScriptInvalid) as err:
        parse_yaml(bomb)
    assert "too many values" in err.value.problems[0].message


def test_oversized_yaml_is_refused_before_parsing():
    with pytest.raises(ScriptInvalid):
        parse_yaml("x: " + "y" * 70_000)


def test_yes_and_no_option_values_survive_yaml():
    data = parse_yaml(
        "start: q\nsteps:\n  q: {kind: choice, question: '?', options: "
        "[{value: yes, next: e}, {value: no, next: e}]}\n  e: {kind: end, say: bye}\n"
    )
    normalised, problems = validate(data)
    assert problems == []
    assert [o["value"] for o in normalised["steps"]["q"]["options"]] == ["yes", "no"]


def test_a_step_leading_back_is_a_loop():
    data = definition(general={"say": "Again?", "kind": "info", "next": "greet"})
    assert ("loop", "general") in codes(data)


def test_two_branches_meeting_again_are_not_a_loop():
    assert [p for p in validate(ORDER_SCRIPT)[1] if p.code == "loop"] == []
