"""Plain data, limits, errors and the scoring rule of quality management.

`parse_form` turns the form builder's fields (plain strings, as a browser or an API sends them)
into a `FormDraft`, refusing with one message per field so the builder can show each beside its
input. `score` is the one place the scoring rule lives:

* a yes/no question earns its weight for "yes", nothing for "no";
* a 0–N scale question earns weight × answer ÷ N;
* "N/A" takes the question out of the total;
* the score is earned ÷ applicable weight, as a percentage;
* an auto-fail question answered "no" (or 0 on a scale) makes the score 0, and says which.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from contactcenter.errors import DomainError

MAX_NAME = 120
MAX_DESCRIPTION = 2000
MAX_QUESTION = 500
MAX_SECTION = 120
MAX_QUESTIONS = 60
MAX_WEIGHT = 100
MAX_SCALE = 10
MAX_COMMENT = 2000
MAX_REPORT_DAYS = 366
ROW = re.compile(r"^q(\d{1,3})_(section|text|weight|type|scale|auto_fail)$")
YES_NO_VALUES = ("yes", "no", "na")


class QualityError(DomainError):
    """A quality request refused; the raise site sets the kind (not_found, forbidden, conflict...)."""

    code = "quality_refused"


class InvalidScorecard(DomainError, ValueError):
    """A form builder's fields that do not make a form: `errors` maps a field name to its message."""

    kind = "unprocessable"
    code = "invalid_scorecard"

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


class InvalidEvaluation(DomainError, ValueError):
    """Answers that cannot be scored: `errors` maps a field name to its message."""

    kind = "unprocessable"
    code = "invalid_evaluation"

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class QuestionDraft:
    section: str
    text: str
    weight: int
    answer_type: str = "yes_no"
    scale_max: int | None = None
    auto_fail: bool = False


@dataclass(frozen=True)
class FormDraft:
    name: str
    description: str = ""
    active: bool = True
    questions: Sequence[QuestionDraft] = ()

    def sections(self) -> list[tuple[str, list[QuestionDraft]]]:
        """The questions grouped by section, sections in the order they first appear."""
        grouped: dict[str, list[QuestionDraft]] = {}
        for q in self.questions:
            grouped.setdefault(q.section, []).append(q)
        return list(grouped.items())


def _clean(value: str) -> str:
    return "".join(ch for ch in value if ch.isprintable() or ch in "\n\t").strip()


def validate_form(draft: FormDraft) -> None:
    """Refuse a draft that cannot be a form (raised as `InvalidScorecard`)."""
    errors: dict[str, str] = {}
    if not draft.name.strip():
        errors["name"] = "A form needs a name."
    elif len(draft.name) > MAX_NAME:
        errors["name"] = f"The name is longer than {MAX_NAME} characters."
    if len(draft.description) > MAX_DESCRIPTION:
        errors["description"] = f"The description is longer than {MAX_DESCRIPTION} characters."
    if not draft.questions:
        errors["questions"] = "A form needs at least one question."
    elif len(draft.questions) > MAX_QUESTIONS:
        errors["questions"] = f"A form holds at most {MAX_QUESTIONS} questions."
    for i, q in enumerate(draft.questions[:MAX_QUESTIONS]):
        if not q.text.strip() or len(q.text) > MAX_QUESTION:
            errors[f"q{i}_text"] = f"A question is 1 to {MAX_QUESTION} characters."
        if not q.section.strip() or len(q.section) > MAX_SECTION:
            errors[f"q{i}_section"] = f"A section name is 1 to {MAX_SECTION} characters."
        if not 0 < q.weight <= MAX_WEIGHT:
            errors[f"q{i}_weight"] = f"The weight is a whole number from 1 to {MAX_WEIGHT}."
        if q.answer_type not in ("yes_no", "scale"):
            errors[f"q{i}_type"] = "The answer is yes/no/N-A or a scale."
        elif q.answer_type == "scale" and (q.scale_max is None or not 1 <= q.scale_max <= MAX_SCALE):
            errors[f"q{i}_scale"] = f"A scale runs from 0 to a top of 1 to {MAX_SCALE}."
    if errors:
        raise InvalidScorecard(errors)


def parse_form(fields: Mapping[str, str]) -> FormDraft:
    """The builder's fields → a valid `FormDraft`. Question rows are `q<n>_text`, `q<n>_section`,
    `q<n>_weight`, `q<n>_type`, `q<n>_scale`, `q<n>_auto_fail`; a row with no text is left out.
    Error keys name the row as it was numbered in the fields."""
    errors: dict[str, str] = {}
    rows: dict[int, dict[str, str]] = {}
    for key, value in fields.items():
        found = ROW.match(key)
        if found:
            rows.setdefault(int(found.group(1)), {})[found.group(2)] = value
    questions: list[QuestionDraft] = []
    numbers: list[int] = []
    last_section = ""
    for n in sorted(rows):
        row = {k: _clean(v) for k, v in rows[n].items()}
        if not row.get("text"):
            if row.get("weight") and rows[n].get("section", "").strip():
                errors[f"q{n}_text"] = "A question with a weight needs its text."
            continue
        section = row.get("section") or last_section or "General"
        last_section = section
        weight_raw = row.get("weight", "")
        weight = int(weight_raw) if weight_raw.isdigit() and len(weight_raw) <= 6 else 0
        scale_raw = row.get("scale", "")
        scale = int(scale_raw) if scale_raw.isdigit() and len(scale_raw) <= 3 else None
        questions.append(
            QuestionDraft(
                section=section,
                text=row["text"],
                weight=weight,
                answer_type=row.get("type", "yes_no") or "yes_no",
                scale_max=scale if row.get("type") == "scale" else None,
                auto_fail=row.get("auto_fail", "") in ("on", "1", "true", "yes"),
            )
        )
        numbers.append(n)
    draft = FormDraft(
        name=_clean(fields.get("name", "")),
        description=_clean(fields.get("description", "")),
        active=fields.get("active", "") in ("on", "1", "true", "yes"),
        questions=questions,
    )
    try:
        validate_form(draft)
    except InvalidScorecard as exc:
        # validate_form numbers the kept questions 0, 1, ...; the page numbers its rows.
        for key, message in exc.errors.items():
            kept = re.match(r"^q(\d+)_(\w+)$", key)
            errors.setdefault(f"q{numbers[int(kept.group(1))]}_{kept.group(2)}" if kept else key, message)
    if errors:
        raise InvalidScorecard(errors)
    return draft


@dataclass(frozen=True)
class Question:
    """What scoring needs of a question."""

    id: int
    text: str
    weight: int
    answer_type: str
    scale_max: int | None
    auto_fail: bool


@dataclass(frozen=True)
class Scored:
    """The outcome of scoring: the percentage (0–100), the points per question (None: N/A), and
    why it failed when an auto-fail item failed."""

    score: float
    points: Mapping[int, float | None]
    auto_failed: bool = False
    reason: str | None = None


def check_answer(question: Question, value: str) -> str | None:
    """The refusal of `value` for `question`, or None when it is a valid answer."""
    if value == "na":
        return None
    if question.answer_type == "yes_no":
        return None if value in ("yes", "no") else "Answer yes, no or N/A."
    top = question.scale_max or 0
    if value.isdigit() and len(value) <= 3 and 0 <= int(value) <= top:
        return None
    return f"Answer from 0 to {top}, or N/A."


def score(questions: Sequence[Question], answers: Mapping[int, str]) -> Scored:
    """Score the answers (question id → value) of every question; see the module's rule."""
    errors: dict[str, str] = {}
    points: dict[int, float | None] = {}
    earned = applicable = 0.0
    failed: list[str] = []
    for q in questions:
        value = answers.get(q.id)
        if value is None:
            errors[f"answer_{q.id}"] = "Answer this question."
            continue
        problem = check_answer(q, value)
        if problem:
            errors[f"answer_{q.id}"] = problem
            continue
        if value == "na":
            points[q.id] = None
            continue
        if q.answer_type == "yes_no":
            got = float(q.weight) if value == "yes" else 0.0
            fails = value == "no"
        else:
            got = q.weight * int(value) / (q.scale_max or 1)
            fails = int(value) == 0
        points[q.id] = got
        earned += got
        applicable += q.weight
        if q.auto_fail and fails:
            failed.append(q.text)
    if errors:
        raise InvalidEvaluation(errors)
    if failed:
        return Scored(0.0, points, True, "Auto-fail: " + "; ".join(failed))
    if applicable == 0:
        raise InvalidEvaluation({"answers": "Every question is N/A: there is nothing to score."})
    return Scored(round(100 * earned / applicable, 1), points)


@dataclass(frozen=True)
class Answer:
    question_id: int
    value: str
    comment: str = ""


@dataclass(frozen=True)
class EvaluationDraft:
    form_id: int
    answers: Sequence[Answer]
    comment: str = ""
    started_at: datetime | None = None


@dataclass(frozen=True)
class WeekRow:
    """One group's (an agent or a queue) evaluations in one week (starting Monday in the
    report's time zone)."""

    week: date
    name: str
    evaluations: int
    average: float
    auto_fails: int


@dataclass(frozen=True)
class QualityReport:
    first: date
    last: date
    weeks: list[date]
    by_agent: list[WeekRow] = field(default_factory=list)
    by_queue: list[WeekRow] = field(default_factory=list)
    time_zone: str = "UTC"  # the zone whose local days and Monday-started weeks the report is cut in

    @property
    def evaluations(self) -> int:
        return sum(r.evaluations for r in self.by_agent)

    @property
    def auto_fails(self) -> int:
        return sum(r.auto_fails for r in self.by_agent)
