"""Quality scorecards: versioned forms with sections and weighted questions, evaluations of
recorded calls with an answer per question

Revision ID: 0028_quality_scorecards
Revises: 0026_faq_language
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028_quality_scorecards"
down_revision = "0026_faq_language"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "scorecard_forms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_scorecard_forms_key")),
    )
    op.create_index("ix_scorecard_forms_key", "scorecard_forms", ["key"])
    op.create_index("ix_scorecard_forms_current", "scorecard_forms", ["is_current"])
    op.create_table(
        "scorecard_sections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("form_id", sa.Integer, sa.ForeignKey("scorecard_forms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
    )
    op.create_index("ix_scorecard_sections_form_id", "scorecard_sections", ["form_id"])
    op.create_table(
        "scorecard_questions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("section_id", sa.Integer, sa.ForeignKey("scorecard_sections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("weight", sa.Integer, nullable=False),
        sa.Column("answer_type", sa.String(16), nullable=False),
        sa.Column("scale_max", sa.Integer),
        sa.Column("auto_fail", sa.Boolean, nullable=False),
        sa.CheckConstraint("answer_type IN ('yes_no','scale')", name=op.f("ck_scorecard_questions_answer_type_known")),
        sa.CheckConstraint("weight > 0", name=op.f("ck_scorecard_questions_weight_positive")),
    )
    op.create_index("ix_scorecard_questions_section_id", "scorecard_questions", ["section_id"])
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("form_id", sa.Integer, sa.ForeignKey("scorecard_forms.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("interaction_id", sa.Integer, sa.ForeignKey("interactions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("queue_id", sa.Integer, sa.ForeignKey("queues.id", ondelete="SET NULL")),
        sa.Column("evaluator_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("auto_failed", sa.Boolean, nullable=False),
        sa.Column("auto_fail_reason", sa.Text),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("started_at", WHEN),
        sa.Column("submitted_at", WHEN, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("agent_comment", sa.Text),
        sa.Column("responded_at", WHEN),
        sa.CheckConstraint(
            "status IN ('submitted','acknowledged','disputed')", name=op.f("ck_evaluations_status_known")
        ),
    )
    op.create_index("ix_evaluations_form_id", "evaluations", ["form_id"])
    op.create_index("ix_evaluations_interaction_id", "evaluations", ["interaction_id"])
    op.create_index("ix_evaluations_agent_submitted", "evaluations", ["agent_id", "submitted_at"])
    op.create_index("ix_evaluations_submitted", "evaluations", ["submitted_at"])
    op.create_table(
        "evaluation_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "question_id", sa.Integer, sa.ForeignKey("scorecard_questions.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("value", sa.String(8), nullable=False),
        sa.Column("points", sa.Float),
        sa.Column("comment", sa.Text, nullable=False),
        sa.UniqueConstraint("evaluation_id", "question_id", name=op.f("uq_evaluation_answers_evaluation_id")),
    )
    op.create_index("ix_evaluation_answers_evaluation_id", "evaluation_answers", ["evaluation_id"])


def downgrade() -> None:
    op.drop_table("evaluation_answers")
    op.drop_table("evaluations")
    op.drop_table("scorecard_questions")
    op.drop_table("scorecard_sections")
    op.drop_table("scorecard_forms")
