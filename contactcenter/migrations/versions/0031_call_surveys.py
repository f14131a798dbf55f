"""Satisfaction surveys after answered calls, texted to the caller

A survey belongs to a ticket (after a solved e-mail, SMS or chat ticket) or to a call (texted
after an agent answered it, where the queue asks for that). The question text records which
survey it asks, so the caller's answer finds its survey by conversation.

Revision ID: 0031_call_surveys
Revises: 0030_analytics
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031_call_surveys"
down_revision = "0030_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queues") as batch:
        batch.add_column(sa.Column("survey_after_call", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("ticket_surveys") as batch:
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("interaction_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_ticket_surveys_interaction_id_interactions",
            "interactions",
            ["interaction_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index("ix_ticket_surveys_interaction_id", ["interaction_id"], unique=True)
    with op.batch_alter_table("sms_messages") as batch:
        batch.add_column(sa.Column("survey_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_sms_messages_survey_id_ticket_surveys", "ticket_surveys", ["survey_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_sms_messages_survey_id", ["survey_id"])
    # Questions texted before this change asked the survey of their ticket.
    op.execute(
        "UPDATE sms_messages SET survey_id = (SELECT s.id FROM ticket_surveys s WHERE s.ticket_id = "
        "sms_messages.ticket_id) WHERE note = 'satisfaction survey' AND ticket_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("sms_messages") as batch:
        batch.drop_index("ix_sms_messages_survey_id")
        batch.drop_constraint("fk_sms_messages_survey_id_ticket_surveys", type_="foreignkey")
        batch.drop_column("survey_id")
    op.execute("DELETE FROM ticket_surveys WHERE ticket_id IS NULL")
    with op.batch_alter_table("ticket_surveys") as batch:
        batch.drop_index("ix_ticket_surveys_interaction_id")
        batch.drop_constraint("fk_ticket_surveys_interaction_id_interactions", type_="foreignkey")
        batch.drop_column("interaction_id")
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("queues") as batch:
        batch.drop_column("survey_after_call")
