"""Segment history and value-ordered dialing

A dated snapshot of each customer's RFM segment at every recompute (the migration and revenue
reports read it), and two campaign settings: take leads by expected value × contact probability,
and the value of a lead that matches no scored customer.

Revision ID: 0032_segment_history
Revises: 0031_call_surveys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032_segment_history"
down_revision = "0031_call_surveys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segment_snapshots",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey("customers.id", name="fk_segment_snapshots_customer_id_customers", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("segment", sa.String(64), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "uq_segment_snapshots_taken_on_customer", "segment_snapshots", ["taken_on", "customer_id"], unique=True
    )
    op.create_index("ix_segment_snapshots_customer_taken_on", "segment_snapshots", ["customer_id", "taken_on"])
    with op.batch_alter_table("dialer_campaigns") as batch:
        batch.add_column(sa.Column("order_by_value", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("default_lead_value", sa.Float(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("dialer_campaigns") as batch:
        batch.drop_column("default_lead_value")
        batch.drop_column("order_by_value")
    op.drop_index("ix_segment_snapshots_customer_taken_on", table_name="segment_snapshots")
    op.drop_index("uq_segment_snapshots_taken_on_customer", table_name="segment_snapshots")
    op.drop_table("segment_snapshots")
