"""SQL records of quality management: scorecard forms in versions, their sections and
questions, and the evaluations scored against one version with an answer per question.

A form's versions share a `key`. Editing a form that already has evaluations adds a new
version (the old one stays, so its evaluations still read as they were scored); editing one
that has none changes it in place. Only the newest version (`is_current`) can be used to score.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter import clock
from contactcenter.db import Base

ANSWER_TYPES = ("yes_no", "scale")  # yes / no / N/A, or 0..scale_max (or N/A)
EVALUATION_STATUSES = ("submitted", "acknowledged", "disputed")


class ScorecardForm(Base):
    """One version of a scorecard form."""

    __tablename__ = "scorecard_forms"
    __table_args__ = (UniqueConstraint("key", "version"), Index("ix_scorecard_forms_current", "is_current"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    is_current: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    sections: Mapped[list[ScorecardSection]] = relationship(
        order_by="ScorecardSection.position", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def questions(self) -> list[ScorecardQuestion]:
        return [q for s in self.sections for q in s.questions]


class ScorecardSection(Base):
    __tablename__ = "scorecard_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("scorecard_forms.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(120))

    questions: Mapped[list[ScorecardQuestion]] = relationship(
        order_by="ScorecardQuestion.position", cascade="all, delete-orphan", lazy="selectin"
    )


class ScorecardQuestion(Base):
    """A question worth `weight` points. An auto-fail question answered "no" (or 0 on a scale)
    makes the whole evaluation score 0."""

    __tablename__ = "scorecard_questions"
    __table_args__ = (
        CheckConstraint("answer_type IN ('yes_no','scale')", name="answer_type_known"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("scorecard_sections.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(String(500))
    weight: Mapped[int] = mapped_column()
    answer_type: Mapped[str] = mapped_column(String(16), default="yes_no")
    scale_max: Mapped[int | None] = mapped_column()
    auto_fail: Mapped[bool] = mapped_column(default=False)


class Evaluation(Base):
    """A scored call: who took it (the agent) in which queue, who scored it against which form
    version, the score (0–100, None only while none is applicable) and what the agent said."""

    __tablename__ = "evaluations"
    __table_args__ = (
        CheckConstraint("status IN ('submitted','acknowledged','disputed')", name="status_known"),
        Index("ix_evaluations_agent_submitted", "agent_id", "submitted_at"),
        Index("ix_evaluations_submitted", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("scorecard_forms.id", ondelete="RESTRICT"), index=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    evaluator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    score: Mapped[float] = mapped_column()
    auto_failed: Mapped[bool] = mapped_column(default=False)
    auto_fail_reason: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime] = mapped_column(default=clock.now)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    agent_comment: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column()

    form: Mapped[ScorecardForm] = relationship(lazy="joined")
    answers: Mapped[list[EvaluationAnswer]] = relationship(
        order_by="EvaluationAnswer.id", cascade="all, delete-orphan", lazy="selectin"
    )
    agent: Mapped[User] = relationship(foreign_keys=[agent_id], lazy="joined")
    evaluator: Mapped[User | None] = relationship(foreign_keys=[evaluator_id], lazy="joined")
    queue: Mapped[Queue | None] = relationship(lazy="joined")


class EvaluationAnswer(Base):
    """One question's answer: "yes", "no", "na", or a whole number on the question's scale."""

    __tablename__ = "evaluation_answers"
    __table_args__ = (UniqueConstraint("evaluation_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("scorecard_questions.id", ondelete="RESTRICT"))
    value: Mapped[str] = mapped_column(String(8))
    points: Mapped[float | None] = mapped_column()  # None: not applicable
    comment: Mapped[str] = mapped_column(Text, default="")

    question: Mapped[ScorecardQuestion] = relationship(lazy="joined")


from contactcenter.accounts.models import User  # noqa: E402  (for the relationships' annotations)
from contactcenter.acd.models import Queue  # noqa: E402
