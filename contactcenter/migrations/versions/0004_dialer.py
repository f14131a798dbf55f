"""dialer: campaigns, leads, do-not-call lists, imports, dial attempts and decisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 14:00:00

New tables only (nothing existing is altered), so the upgrade is the same plain DDL on SQLite and
PostgreSQL and no table is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import contactcenter.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = contactcenter.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dialer_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dial_mode", sa.String(length=16), nullable=False),
        sa.Column("rule_set", sa.String(length=8), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("script", sa.Text(), nullable=False),
        sa.Column("dispositions", JSON, nullable=False),
        sa.Column("abandon_cap", sa.Double(), nullable=False),
        sa.Column("ring_timeout_s", sa.Integer(), nullable=False),
        sa.Column("caller_id", sa.String(length=20), nullable=False),
        sa.Column("company_name", sa.String(length=120), nullable=False),
        sa.Column("callback_number", sa.String(length=20), nullable=False),
        sa.Column("safe_harbor_message", sa.Text(), nullable=True),
        sa.Column("calling_window", JSON, nullable=False),
        sa.Column("allowed_regions", JSON, nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("amd_enabled", sa.Boolean(), nullable=False),
        sa.Column("amd_action", sa.String(length=16), nullable=False),
        sa.Column("amd_message", sa.Text(), nullable=True),
        sa.Column("amd_false_positive_share", sa.Double(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("retry_delays", JSON, nullable=False),
        sa.Column("lead_order", sa.String(length=16), nullable=False),
        sa.Column("max_dial_ratio", sa.Double(), nullable=False),
        sa.Column("pacing", JSON, nullable=False),
        sa.Column("default_region", sa.String(length=2), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("paused_at", UTC, nullable=True),
        sa.Column("stopped_at", UTC, nullable=True),
        sa.CheckConstraint("amd_action IN ('hangup','message')", name=op.f("ck_dialer_campaigns_amd_action_known")),
        sa.CheckConstraint(
            "dial_mode IN ('preview','progressive','predictive')", name=op.f("ck_dialer_campaigns_dial_mode_known")
        ),
        sa.CheckConstraint(
            "lead_order IN ('fifo','lifo','priority','fewest_attempts')",
            name=op.f("ck_dialer_campaigns_lead_order_known"),
        ),
        sa.CheckConstraint("rule_set IN ('US','UK')", name=op.f("ck_dialer_campaigns_rule_set_known")),
        sa.CheckConstraint(
            "status IN ('draft','running','paused','stopped')", name=op.f("ck_dialer_campaigns_status_known")
        ),
        sa.CheckConstraint(
            "abandon_cap >= 0 AND abandon_cap <= 0.03", name=op.f("ck_dialer_campaigns_abandon_cap_range")
        ),
        sa.CheckConstraint("max_attempts >= 1", name=op.f("ck_dialer_campaigns_max_attempts_positive")),
        sa.CheckConstraint("max_dial_ratio >= 1", name=op.f("ck_dialer_campaigns_max_dial_ratio_at_least_one")),
        sa.CheckConstraint(
            "ring_timeout_s >= 15 AND ring_timeout_s <= 120", name=op.f("ck_dialer_campaigns_ring_timeout_range")
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_dialer_campaigns_queue_id_queues"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialer_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_dialer_campaigns_name")),
    )
    op.create_index(op.f("ix_dialer_campaigns_queue_id"), "dialer_campaigns", ["queue_id"], unique=False)
    op.create_index(op.f("ix_dialer_campaigns_status"), "dialer_campaigns", ["status"], unique=False)

    op.create_table(
        "dialer_campaign_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["dialer_campaigns.id"],
            name=op.f("fk_dialer_campaign_agents_campaign_id_dialer_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_dialer_campaign_agents_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialer_campaign_agents")),
        sa.UniqueConstraint("campaign_id", "user_id", name=op.f("uq_dialer_campaign_agents_campaign_id")),
    )
    op.create_index(
        op.f("ix_dialer_campaign_agents_campaign_id"), "dialer_campaign_agents", ["campaign_id"], unique=False
    )
    op.create_index(op.f("ix_dialer_campaign_agents_user_id"), "dialer_campaign_agents", ["user_id"], unique=False)

    op.create_table(
        "dialer_dnc_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_dialer_dnc_entries_added_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["dialer_campaigns.id"],
            name=op.f("fk_dialer_dnc_entries_campaign_id_dialer_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialer_dnc_entries")),
        sa.UniqueConstraint("phone", "campaign_id", name=op.f("uq_dialer_dnc_entries_phone")),
    )
    op.create_index(op.f("ix_dialer_dnc_entries_campaign_id"), "dialer_dnc_entries", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_dialer_dnc_entries_phone"), "dialer_dnc_entries", ["phone"], unique=False)

    op.create_table(
        "dialer_lead_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["dialer_campaigns.id"],
            name=op.f("fk_dialer_lead_imports_campaign_id_dialer_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialer_lead_imports")),
    )
    op.create_index(op.f("ix_dialer_lead_imports_campaign_id"), "dialer_lead_imports", ["campaign_id"], unique=False)

    op.create_table(
        "dialer_lead_import_rejections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("raw_truncated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["dialer_lead_imports.id"],
            name=op.f("fk_dialer_lead_import_rejections_import_id_dialer_lead_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialer_lead_import_rejections")),
    )
    op.create_index(
        op.f("ix_dialer_lead_import_rejections_import_id"), "dialer_lead_import_rejections", ["import_id"], unique=False
    )

    op.create_table(
        "dialer_leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("time_zones", JSON, nullable=False),
        sa.Column("time_zone_source", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("attributes", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=True),
        sa.Column("last_attempt_at", UTC, nullable=True),
        sa.Column("last_outcome", sa.String(length=32), nullable=True),
        sa.Column("last_abandoned_at", UTC, nullable=True),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("held_by_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "status IN ('ready','dialing','done','dnc','exhausted','invalid')",
            name=op.f("ck_dialer_leads_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["dialer_campaigns.id"],
            name=op.f("fk_dialer_leads_campaign_id_dialer_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_dialer_leads_customer_id_customers"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["held_by_id"], ["users.id"], name=op.f("fk_dialer_leads_held_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["dialer_lead_imports.id"],
            name=op.f("fk_dialer_leads_import_id_dialer_lead_imports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialer_leads")),
        sa.UniqueConstraint("campaign_id", "phone", name=op.f("uq_dialer_leads_campaign_id")),
    )
    op.create_index(op.f("ix_dialer_leads_customer_id"), "dialer_leads", ["customer_id"], unique=False)
    op.create_index("ix_dialer_leads_due", "dialer_leads", ["campaign_id", "status", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_dialer_leads_import_id"), "dialer_leads", ["import_id"], unique=False)
    op.create_index(op.f("ix_dialer_leads_phone"), "dialer_leads", ["phone"], unique=False)

    op.create_table(
        "dialer_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("caller_id", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("answered_by", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", UTC, nullable=False),
        sa.Column("placed_at", UTC, nullable=True),
        sa.Column("answered_at", UTC, nullable=True),
        sa.Column("connected_at", UTC, nullable=True),
        sa.Column("ended_at", UTC, nullable=True),
        sa.Column("abandoned", sa.Boolean(), nullable=False),
        sa.Column("safe_harbor_played", sa.Boolean(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("ring_timeout_s", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.String(length=255), nullable=False),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_dialer_attempts_agent_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["dialer_campaigns.id"],
            name=op.f("fk_dialer_attempts_campaign_id_dialer_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_dialer_attempts_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["dialer_leads.id"], name=op.f("fk_dialer_attempts_lead_id_dialer_leads"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialer_attempts")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_dialer_attempts_call_sid")),
    )
    op.create_index(op.f("ix_dialer_attempts_agent_id"), "dialer_attempts", ["agent_id"], unique=False)
    op.create_index(
        "ix_dialer_attempts_campaign_answered", "dialer_attempts", ["campaign_id", "answered_at"], unique=False
    )
    op.create_index("ix_dialer_attempts_campaign_placed", "dialer_attempts", ["campaign_id", "placed_at"], unique=False)
    op.create_index(op.f("ix_dialer_attempts_lead_id"), "dialer_attempts", ["lead_id"], unique=False)

    op.create_table(
        "dialer_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("decided_at", UTC, nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("retry_at", UTC, nullable=True),
        sa.CheckConstraint("action IN ('skip','defer')", name=op.f("ck_dialer_decisions_action_known")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["dialer_campaigns.id"],
            name=op.f("fk_dialer_decisions_campaign_id_dialer_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["dialer_leads.id"], name=op.f("fk_dialer_decisions_lead_id_dialer_leads"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialer_decisions")),
    )
    op.create_index("ix_dialer_decisions_campaign_at", "dialer_decisions", ["campaign_id", "decided_at"], unique=False)
    op.create_index(op.f("ix_dialer_decisions_lead_id"), "dialer_decisions", ["lead_id"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f("ix_dialer_decisions_lead_id"), table_name="dialer_decisions")
    op.drop_index("ix_dialer_decisions_campaign_at", table_name="dialer_decisions")

    op.drop_table("dialer_decisions")
    op.drop_index(op.f("ix_dialer_attempts_lead_id"), table_name="dialer_attempts")
    op.drop_index("ix_dialer_attempts_campaign_placed", table_name="dialer_attempts")
    op.drop_index("ix_dialer_attempts_campaign_answered", table_name="dialer_attempts")
    op.drop_index(op.f("ix_dialer_attempts_agent_id"), table_name="dialer_attempts")

    op.drop_table("dialer_attempts")
    op.drop_index(op.f("ix_dialer_leads_phone"), table_name="dialer_leads")
    op.drop_index(op.f("ix_dialer_leads_import_id"), table_name="dialer_leads")
    op.drop_index("ix_dialer_leads_due", table_name="dialer_leads")
    op.drop_index(op.f("ix_dialer_leads_customer_id"), table_name="dialer_leads")

    op.drop_table("dialer_leads")
    op.drop_index(op.f("ix_dialer_lead_import_rejections_import_id"), table_name="dialer_lead_import_rejections")

    op.drop_table("dialer_lead_import_rejections")
    op.drop_index(op.f("ix_dialer_lead_imports_campaign_id"), table_name="dialer_lead_imports")

    op.drop_table("dialer_lead_imports")
    op.drop_index(op.f("ix_dialer_dnc_entries_phone"), table_name="dialer_dnc_entries")
    op.drop_index(op.f("ix_dialer_dnc_entries_campaign_id"), table_name="dialer_dnc_entries")

    op.drop_table("dialer_dnc_entries")
    op.drop_index(op.f("ix_dialer_campaign_agents_user_id"), table_name="dialer_campaign_agents")
    op.drop_index(op.f("ix_dialer_campaign_agents_campaign_id"), table_name="dialer_campaign_agents")

    op.drop_table("dialer_campaign_agents")
    op.drop_index(op.f("ix_dialer_campaigns_status"), table_name="dialer_campaigns")
    op.drop_index(op.f("ix_dialer_campaigns_queue_id"), table_name="dialer_campaigns")

    op.drop_table("dialer_campaigns")
    # ### end Alembic commands ###
