"""ivr path and callbacks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:27:36.091909
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import contactcenter.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("place_at", contactcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_at", contactcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", contactcenter.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("intent", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending','dialing','connected','done','failed','canceled')",
            name=op.f("ck_callback_requests_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_callback_requests_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_callback_requests_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_callback_requests_queue_id_queues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_requests")),
        sa.UniqueConstraint("interaction_id", name=op.f("uq_callback_requests_interaction_id")),
    )
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_requests_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_callback_requests_queue_id"), ["queue_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_callback_requests_status"), ["status"], unique=False)

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ivr_flow", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ivr_flow_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ivr_exit", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column(
                "ivr_variables",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default=sa.text("'{}'"),
            )
        )
        batch_op.add_column(sa.Column("intent", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default=sa.text("0")))
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("csat", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("csat")
        batch_op.drop_column("language")
        batch_op.drop_column("priority")
        batch_op.drop_column("intent")
        batch_op.drop_column("ivr_variables")
        batch_op.drop_column("ivr_exit")
        batch_op.drop_column("ivr_flow_version")
        batch_op.drop_column("ivr_flow")

    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_requests_status"))
        batch_op.drop_index(batch_op.f("ix_callback_requests_queue_id"))
        batch_op.drop_index(batch_op.f("ix_callback_requests_customer_id"))

    op.drop_table("callback_requests")
