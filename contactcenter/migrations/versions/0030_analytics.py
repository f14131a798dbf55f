"""Analytical CRM: product categories, products, orders and their lines, order imports, and the
figures computed per customer (RFM, lifetime value) with the runs that computed them

Revision ID: 0030_analytics
Revises: 0029_web_chat
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0030_analytics"
down_revision = "0029_web_chat"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.create_table(
        "product_categories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sku", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category_id", sa.Integer, sa.ForeignKey("product_categories.id", ondelete="SET NULL")),
    )
    op.create_index("ix_products_category_id", "products", ["category_id"])
    op.create_table(
        "order_imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows_total", sa.Integer, nullable=False),
        sa.Column("orders_created", sa.Integer, nullable=False),
        sa.Column("orders_already_stored", sa.Integer, nullable=False),
        sa.Column("problems", JSON, nullable=False),
        sa.Column("problems_total", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_by_id", sa.Integer),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint("status IN ('done','rejected')", name=op.f("ck_order_imports_status_known")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("external_id", sa.String(64), nullable=False, unique=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ordered_at", WHEN, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("order_imports.id", ondelete="SET NULL")),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint("total >= 0", name=op.f("ck_orders_total_not_negative")),
    )
    op.create_index("ix_orders_customer_ordered", "orders", ["customer_id", "ordered_at"])
    op.create_index("ix_orders_ordered_at", "orders", ["ordered_at"])
    op.create_index("ix_orders_import_id", "orders", ["import_id"])
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id", ondelete="SET NULL")),
        sa.Column("category_id", sa.Integer, sa.ForeignKey("product_categories.id", ondelete="SET NULL")),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_order_lines_amount_not_negative")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
    )
    op.create_index("ix_order_lines_order_id", "order_lines", ["order_id"])
    op.create_index("ix_order_lines_product_id", "order_lines", ["product_id"])
    op.create_index("ix_order_lines_category_id", "order_lines", ["category_id"])
    op.create_table(
        "customer_model_scores",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("model", sa.String(32), nullable=False),
        sa.Column("model_version", sa.String(32), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("label", sa.String(64)),
        sa.Column("figures", JSON, nullable=False),
        sa.Column("computed_at", WHEN, nullable=False),
        sa.UniqueConstraint("customer_id", "model", name="uq_customer_model_scores_customer_model"),
    )
    op.create_table(
        "model_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("model", sa.String(32), nullable=False),
        sa.Column("model_version", sa.String(32), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("computed_at", WHEN, nullable=False),
    )
    op.create_index("ix_model_runs_model", "model_runs", ["model"])


def downgrade() -> None:
    op.drop_table("model_runs")
    op.drop_table("customer_model_scores")
    op.drop_table("order_lines")
    op.drop_table("orders")
    op.drop_table("order_imports")
    op.drop_table("products")
    op.drop_table("product_categories")
