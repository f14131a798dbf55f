"""customers: company and time zone, merges of duplicates, CSV imports with their reports

Revision ID: 0018_customer_company_merge
Revises: 0015_sla_unanswered

Plain ADD COLUMNs on `customers` (no batch rebuild: on SQLite a rebuild with foreign keys
enforced would cascade-delete phone numbers). An index on lower(email) serves the case-blind
e-mail matching of imports. `customer_merges` remembers merged-away customers so their old links
redirect; `customer_imports` / `customer_import_rows` hold uploaded files and their reports.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import contactcenter.db

revision = "0018_customer_company_merge"
down_revision = "0016_ticket_macros_filters"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = contactcenter.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("customers", sa.Column("company", sa.String(length=200), nullable=True))
    op.add_column("customers", sa.Column("time_zone", sa.String(length=64), nullable=True))
    op.create_index("ix_customers_email_lower", "customers", [sa.text("lower(email)")], unique=False)

    op.create_table(
        "customer_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_name", sa.String(length=200), nullable=False),
        sa.Column("snapshot", JSON, nullable=False),
        sa.Column("moved", JSON, nullable=False),
        sa.Column("merged_by_id", sa.Integer(), nullable=True),
        sa.Column("merged_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["survivor_id"], ["customers.id"], name=op.f("fk_customer_merges_survivor_id_customers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_merges")),
    )
    op.create_index(op.f("ix_customer_merges_survivor_id"), "customer_merges", ["survivor_id"], unique=False)
    op.create_index(op.f("ix_customer_merges_merged_id"), "customer_merges", ["merged_id"], unique=False)

    op.create_table(
        "customer_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("on_duplicate", sa.String(length=16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("encoding", sa.String(length=16), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("finished_at", UTC, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued','running','done','failed')", name=op.f("ck_customer_imports_status_known")
        ),
        sa.CheckConstraint("on_duplicate IN ('update','reject')", name=op.f("ck_customer_imports_on_duplicate_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_imports")),
    )

    op.create_table(
        "customer_import_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.String(length=255), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('accepted','updated','rejected')", name=op.f("ck_customer_import_rows_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["customer_imports.id"],
            name=op.f("fk_customer_import_rows_import_id_customer_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_import_rows_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_import_rows")),
    )
    op.create_index(
        "ix_customer_import_rows_import_outcome", "customer_import_rows", ["import_id", "outcome", "line"], unique=False
    )
    op.create_index(op.f("ix_customer_import_rows_customer_id"), "customer_import_rows", ["customer_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_customer_import_rows_customer_id"), table_name="customer_import_rows")
    op.drop_index("ix_customer_import_rows_import_outcome", table_name="customer_import_rows")
    op.drop_table("customer_import_rows")
    op.drop_table("customer_imports")
    op.drop_index(op.f("ix_customer_merges_merged_id"), table_name="customer_merges")
    op.drop_index(op.f("ix_customer_merges_survivor_id"), table_name="customer_merges")
    op.drop_table("customer_merges")
    op.drop_index("ix_customers_email_lower", table_name="customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("time_zone")
        batch.drop_column("company")
