"""Churn risk and next-best offers: stock and eligibility on products, offer responses on calls

Revision ID: 0033_churn_offers
Revises: 0032_segment_history
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033_churn_offers"
down_revision = "0032_segment_history"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("in_stock", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("offer_eligible", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "offer_responses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("interaction_id", sa.Integer, sa.ForeignKey("interactions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
        sa.Column("response", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("model_version", sa.String(32)),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint(
            "response IN ('offered','accepted','declined')", name=op.f("ck_offer_responses_response_known")
        ),
    )
    op.create_index("ix_offer_responses_interaction_product", "offer_responses", ["interaction_id", "product_id"])
    op.create_index("ix_offer_responses_customer_id", "offer_responses", ["customer_id"])
    op.create_index("ix_offer_responses_product_id", "offer_responses", ["product_id"])
    op.create_index("ix_offer_responses_agent_id", "offer_responses", ["agent_id"])
    op.create_index("ix_offer_responses_created_at", "offer_responses", ["created_at"])


def downgrade() -> None:
    op.drop_table("offer_responses")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("offer_eligible")
        batch.drop_column("in_stock")
