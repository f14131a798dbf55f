"""ticket workspace: saved view filters and admin-defined macros

Revision ID: 0016_ticket_macros_filters
Revises: 0015_sla_unanswered
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import contactcenter.db

revision = "0016_ticket_macros_filters"
down_revision = "0015_sla_unanswered"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    stamp = contactcenter.db.UTCDateTime(timezone=True)
    op.create_table(
        "ticket_saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("filters", JSON, nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_ticket_saved_filters_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_saved_filters")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_ticket_saved_filters_owner_id")),
    )
    op.create_index("ix_ticket_saved_filters_owner_id", "ticket_saved_filters", ["owner_id"])
    op.create_table(
        "ticket_macros",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("assignee", sa.String(length=16), nullable=True),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("add_tags", JSON, nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("comment_public", sa.Boolean(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
        sa.CheckConstraint(
            "status IS NULL OR status IN ('new','open','pending','on_hold','solved','closed')",
            name=op.f("ck_ticket_macros_status_known"),
        ),
        sa.CheckConstraint(
            "priority IS NULL OR priority IN ('low','normal','high','urgent')",
            name=op.f("ck_ticket_macros_priority_known"),
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_ticket_macros_queue_id_queues"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_macros")),
        sa.UniqueConstraint("name", name=op.f("uq_ticket_macros_name")),
    )


def downgrade() -> None:
    op.drop_table("ticket_macros")
    op.drop_index("ix_ticket_saved_filters_owner_id", table_name="ticket_saved_filters")
    op.drop_table("ticket_saved_filters")
