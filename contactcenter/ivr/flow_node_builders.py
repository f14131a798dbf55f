"""One builder per node type: a node's YAML mapping, read through `_Fields`, becomes its typed node.

Node types this version does not know become `UnknownNode` so validation can name them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from types import MappingProxyType
from typing import Any

from contactcenter.calendars import END_OF_DAY, BusinessCalendar
from contactcenter.ivr.flow_fields import _Fields
from contactcenter.ivr.flow_nodes import (
    BranchNode,
    CallbackNode,
    CollectNode,
    Condition,
    HangupNode,
    HoursNode,
    LanguageNode,
    LookupNode,
    MenuNode,
    Node,
    PlayNode,
    QueueNode,
    Rule,
    SayNode,
    SurveyNode,
    TransferNode,
    UnknownNode,
    VoicemailNode,
)
from contactcenter.ivr.flow_rules import (
    DAYS,
    E164_RE,
    LANGUAGE_RE,
    LOOKUP_KINDS,
    MAX_PATTERN_LENGTH,
    MENU_INPUTS,
    NODE_ID_RE,
    VARIABLE_RE,
    FlowProblem,
    as_text,
    pattern_problem,
)

Common = dict[str, Any]


def _build_node(node_id: Any, raw: Any, problems: list[FlowProblem]) -> Node | None:
    if not isinstance(node_id, str) or not NODE_ID_RE.fullmatch(node_id):
        problems.append(
            FlowProblem(
                str(node_id), "node id must start with a letter and use only letters, digits, '_' and '-' (at most 64)"
            )
        )
        return None
    if not isinstance(raw, dict):
        problems.append(FlowProblem(node_id, "node must be a mapping with a 'type'"))
        return None
    type_name = raw.get("type")
    if not isinstance(type_name, str) or not type_name:
        problems.append(FlowProblem(node_id, "node has no 'type'"))
        return None
    f = _Fields(node_id, raw, problems)
    common: Common = {"id": node_id, "raw": MappingProxyType(raw), "description": f.text("description")}
    builder = _BUILDERS.get(type_name)
    if builder is None:
        return UnknownNode(type_name=type_name, **common)
    return builder(f, common)


def _menu(f: _Fields, common: Common) -> Node:
    options = f.keyed_targets("options", required=True)
    speech = f.keyed_targets("speech", keys="phrase")
    input_mode = f.choice("input", MENU_INPUTS, default="dtmf") or "dtmf"
    if speech and "speech" not in input_mode:
        f.problem("'speech' options need input: dtmf speech")
    repeat_key = f.key("repeat_key")
    if repeat_key is not None and repeat_key in options:
        f.problem(f"repeat_key {repeat_key!r} is also an option")
    return MenuNode(
        prompt=f.required_prompt(),
        options=MappingProxyType(options),
        timeout=f.integer("timeout", low=1, high=60),
        retries=f.count("retries", 2, 0, 10),
        invalid_prompt=f.prompt("invalid_prompt"),
        repeat_key=repeat_key,
        on_invalid=f.target("on_invalid"),
        on_timeout=f.target("on_timeout"),
        input=input_mode,
        speech=MappingProxyType(speech),
        **common,
    )


def _say(f: _Fields, common: Common) -> Node:
    return SayNode(prompt=f.required_prompt(), next=f.required_target(), **common)


def _play(f: _Fields, common: Common) -> Node:
    return PlayNode(url=f.required_prompt("url"), next=f.required_target(), **common)


def _collect(f: _Fields, common: Common) -> Node:
    min_length = f.count("min_length", 1, 1, 64)
    max_length = f.integer("max_length", low=1, high=64)
    if max_length is not None and max_length < min_length:
        f.problem(f"max_length {max_length} is less than min_length {min_length}")
    pattern = f.text("pattern", max_length=10 * MAX_PATTERN_LENGTH)
    if pattern is not None and (why := pattern_problem(pattern)):
        f.problems.append(FlowProblem(f.node_id, why, code="bad-pattern"))
    finish = f.key("finish_on_key") if "finish_on_key" in f.raw else "#"
    if finish is None and max_length is None:
        f.problem("give max_length or finish_on_key, or the entry never ends")
    return CollectNode(
        prompt=f.required_prompt(),
        variable=f.variable("variable", required=True) or "",
        min_length=min_length,
        max_length=max_length,
        pattern=pattern,
        finish_on_key=finish,
        sensitive=f.boolean("sensitive"),
        timeout=f.integer("timeout", low=1, high=60),
        retries=f.count("retries", 2, 0, 10),
        invalid_prompt=f.prompt("invalid_prompt"),
        next=f.required_target(),
        on_invalid=f.target("on_invalid"),
        on_timeout=f.target("on_timeout"),
        **common,
    )


def _lookup(f: _Fields, common: Common) -> Node:
    kind = f.choice("kind", LOOKUP_KINDS) or ""
    inputs = f.text_list("input", VARIABLE_RE, "variable names")
    if kind == "ticket_status" and not inputs:
        f.problem("ticket_status lookups need 'input': the variable holding the ticket number")
    return LookupNode(
        kind=kind,
        input=tuple(inputs),
        result=f.variable("result", required=True) or "",
        next=f.required_target(),
        on_not_found=f.required_target("on_not_found"),
        **common,
    )


def _minutes(f: _Fields, value: Any, what: str, *, allow_24: bool = False) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        f.problem(f'{what}: quote times, e.g. "20:00" (YAML reads 20:00 as the number {value})')
        return None
    match = re.fullmatch(r"([01][0-9]|2[0-4]):([0-5][0-9])", value) if isinstance(value, str) else None
    minutes = int(match.group(1)) * 60 + int(match.group(2)) if match else None
    if minutes is None or minutes > (1440 if allow_24 else 1439):
        f.problem(f"{what}: {value!r} is not a time like 08:00")
        return None
    return minutes


def _days(f: _Fields, value: Any, what: str) -> frozenset[int] | None:
    """Days from "mon", "mon-fri" or a list of those."""
    items = value if isinstance(value, list) else [value]
    days: set[int] = set()
    for item in items:
        parts = item.lower().split("-") if isinstance(item, str) else []
        if not parts or len(parts) > 2 or not all(p in DAYS for p in parts):
            f.problem(f"{what}: {item!r} is not a day (mon..sun) or a day range like mon-fri")
            return None
        first, last = DAYS.index(parts[0]), DAYS.index(parts[-1])
        days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
    return frozenset(days)


_CONDITION_KEYS = frozenset({"segment", "language", "variables", "days", "after", "before"})


def _condition(f: _Fields, raw: Any, where: str) -> Condition:
    if not isinstance(raw, dict) or not raw:
        f.problem(f"{where}: 'when' must be a non-empty mapping")
        return Condition()
    unknown = set(map(str, raw)) - _CONDITION_KEYS
    if unknown:
        f.problem(f"{where}: unknown condition {', '.join(sorted(unknown))} (use {', '.join(sorted(_CONDITION_KEYS))})")

    def texts(key: str) -> frozenset[str] | None:
        value = raw.get(key)
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        return frozenset(as_text(v) for v in items)

    variables: dict[str, tuple[str, ...]] = {}
    raw_vars = raw.get("variables", {})
    if not isinstance(raw_vars, dict):
        f.problem(f"{where}: 'variables' must map variable names to values")
    else:
        for name, value in raw_vars.items():
            if not isinstance(name, str) or not VARIABLE_RE.fullmatch(name):
                f.problem(f"{where}: {name!r} is not a variable name")
                continue
            items = value if isinstance(value, list) else [value]
            variables[name] = tuple(as_text(v) for v in items)
    days = _days(f, raw["days"], f"{where} days") if "days" in raw else None
    after = _minutes(f, raw["after"], f"{where} after") if "after" in raw else None
    before = _minutes(f, raw["before"], f"{where} before", allow_24=True) if "before" in raw else None
    return Condition(
        segment=texts("segment"),
        language=texts("language"),
        variables=MappingProxyType(variables),
        days=days,
        after=after,
        before=before,
    )


def _branch(f: _Fields, common: Common) -> Node:
    raw_rules = f.raw.get("rules")
    rules: list[Rule] = []
    if not isinstance(raw_rules, list) or not raw_rules:
        f.problem("'rules' must be a non-empty list of {when: ..., goto: node}")
        raw_rules = []
    for i, raw_rule in enumerate(raw_rules):
        where = f"rules[{i}]"
        if not isinstance(raw_rule, dict) or not isinstance(raw_rule.get("goto"), str):
            f.problem(f"{where} must be a mapping with 'when' and 'goto' (a node id)")
            continue
        extra = set(map(str, raw_rule)) - {"when", "goto"}
        if extra:
            f.problem(f"{where} has unknown fields {', '.join(sorted(extra))}")
        rules.append(Rule(_condition(f, raw_rule.get("when"), where), raw_rule["goto"]))
    time_zone = f.time_zone("time_zone")
    if time_zone is None and "time_zone" not in f.raw and any(r.when.uses_time for r in rules):
        f.problem("rules use days/after/before, so 'time_zone' is required")
    return BranchNode(rules=tuple(rules), default=f.required_target("default"), time_zone=time_zone, **common)


def _clock_time(minutes: int) -> time:
    return END_OF_DAY if minutes >= 1440 else time(minutes // 60, minutes % 60)


def _calendar(f: _Fields) -> BusinessCalendar:
    """The node's hours as the project's one business calendar; a bad part is a flow problem."""
    cal = f.sub("calendar")
    if cal is None:
        return BusinessCalendar("UTC")
    time_zone = cal.time_zone("time_zone", required=True) or "UTC"
    weekly: dict[int, list[tuple[int, int]]] = {}
    raw_weekly = cal.raw.get("weekly")
    if not isinstance(raw_weekly, dict) or not raw_weekly:
        cal.problem("calendar 'weekly' must map days (mon, mon-fri, ...) to hours like \"08:00-20:00\"")
        raw_weekly = {}
    for day_key, spans in raw_weekly.items():
        days = _days(cal, day_key, "calendar weekly") or frozenset()
        for span in spans if isinstance(spans, list) else [spans]:
            parts = span.split("-") if isinstance(span, str) else []
            if len(parts) != 2:
                cal.problem(f'calendar weekly {day_key}: {span!r} is not hours like "08:00-20:00"')
                continue
            start = _minutes(cal, parts[0].strip(), f"calendar weekly {day_key}")
            end = _minutes(cal, parts[1].strip(), f"calendar weekly {day_key}", allow_24=True)
            if start is not None and end is not None and end <= start:
                cal.problem(f"calendar weekly {day_key}: {span!r} ends before it starts")
            elif start is not None and end is not None:
                for day in days:
                    weekly.setdefault(day, []).append((start, end))
    holidays: dict[date, str] = {}
    raw_holidays = cal.raw.get("holidays") or []
    for item in raw_holidays if isinstance(raw_holidays, list) else [raw_holidays]:
        when: Any = item.get("date") if isinstance(item, dict) else item
        name = str(item.get("name") or "holiday") if isinstance(item, dict) else "holiday"
        if isinstance(when, str):
            try:
                when = date.fromisoformat(when)
            except ValueError:
                pass
        if not isinstance(when, date) or isinstance(when, datetime):
            cal.problem(f"calendar holiday {when!r} is not a date like 2026-12-25")
        else:
            holidays[when] = name
    spans = {
        day: tuple((_clock_time(a), _clock_time(b)) for a, b in sorted(day_spans)) for day, day_spans in weekly.items()
    }
    try:
        return BusinessCalendar(time_zone, spans, frozenset(holidays))
    except ValueError as exc:
        cal.problem(f"calendar: {exc}")
        return BusinessCalendar("UTC")


def _hours(f: _Fields, common: Common) -> Node:
    return HoursNode(
        calendar=_calendar(f),
        open=f.required_target("open"),
        closed=f.required_target("closed"),
        holiday=f.target("holiday"),
        **common,
    )


def _queue_name(f: _Fields, *, required: bool) -> str | None:
    return f.text("queue", required=required, max_length=64)


def _queue(f: _Fields, common: Common) -> Node:
    skills: dict[str, int] = {}
    raw_skills = f.raw.get("skills") or {}
    if not isinstance(raw_skills, dict):
        f.problem("'skills' must map skill names to minimum levels 1-10")
        raw_skills = {}
    for skill, level in raw_skills.items():
        level_ok = isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 10
        if not isinstance(skill, str) or not level_ok:
            f.problem(f"skill {skill!r} needs a minimum level 1-10, got {level!r}")
        else:
            skills[skill] = level
    return QueueNode(
        queue=_queue_name(f, required=True) or "",
        skills=MappingProxyType(skills),
        priority=f.count("priority", 0, -1000, 1000),
        intent=f.text("intent", max_length=100),
        prompt=f.prompt("prompt"),
        **common,
    )


def _callback(f: _Fields, common: Common) -> Node:
    return CallbackNode(
        prompt=f.required_prompt(),
        queue=_queue_name(f, required=True) or "",
        priority=f.count("priority", 0, -1000, 1000),
        next=f.required_target(),
        **common,
    )


def _voicemail(f: _Fields, common: Common) -> Node:
    return VoicemailNode(
        prompt=f.required_prompt(),
        max_length=f.count("max_length", 120, 5, 3600),
        queue=_queue_name(f, required=False),
        subject=f.text("subject", max_length=200),
        next=f.target("next"),
        **common,
    )


def _transfer(f: _Fields, common: Common) -> Node:
    number = f.text("number", required=True, max_length=16)
    if number is not None and not E164_RE.fullmatch(number):
        hint = " (quote it: YAML reads an unquoted +1... as a number)" if isinstance(f.raw["number"], int) else ""
        f.problem(f"'number' {number!r} is not in E.164 form like \"+14155550100\"{hint}")
    return TransferNode(number=number or "", prompt=f.prompt("prompt"), on_failure=f.target("on_failure"), **common)


def _survey(f: _Fields, common: Common) -> Node:
    return SurveyNode(
        prompt=f.required_prompt(),
        variable=f.variable("variable", required=True) or "",
        scale=f.count("scale", 5, 2, 9),
        timeout=f.count("timeout", 5, 1, 60),
        next=f.required_target(),
        **common,
    )


def _language(f: _Fields, common: Common) -> Node:
    options = f.keyed_targets("options", required=True)
    for key, code in options.items():
        if not LANGUAGE_RE.fullmatch(code):
            f.problem(f"option {key!r} must be a language code like es-ES, got {code!r}")
    return LanguageNode(
        prompt=f.required_prompt(),
        options=MappingProxyType(options),
        timeout=f.count("timeout", 5, 1, 60),
        next=f.required_target(),
        **common,
    )


def _hangup(f: _Fields, common: Common) -> Node:
    return HangupNode(prompt=f.prompt("prompt"), **common)


_BUILDERS: Mapping[str, Callable[[_Fields, Common], Node]] = MappingProxyType(
    {
        "menu": _menu,
        "say": _say,
        "play": _play,
        "collect": _collect,
        "lookup": _lookup,
        "branch": _branch,
        "hours": _hours,
        "queue": _queue,
        "callback": _callback,
        "voicemail": _voicemail,
        "transfer": _transfer,
        "survey": _survey,
        "language": _language,
        "hangup": _hangup,
    }
)
