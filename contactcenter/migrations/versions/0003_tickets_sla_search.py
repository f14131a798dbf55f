"""tickets lifecycle, SLA policies and clocks, API tokens, full-text search

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:40:00

Search objects differ by database and live outside the models (see
`contactcenter.tickets.search.include_name`, which schema comparisons use to skip them):

* SQLite: FTS5 tables over tickets, ticket comments and customers (external content), kept in
  step by triggers. A later migration that rebuilds one of those tables in batch mode
  (copy-and-move) drops its triggers with it and must create them again (`_sqlite_search_up`).
* PostgreSQL: GIN indexes on the tsvector expressions the search queries use.

`tickets` only gains indexes here: on SQLite a batch rebuild of `tickets` would, with foreign
keys enforced, cascade the implicit DELETE of the old table into `ticket_events`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import contactcenter.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = contactcenter.db.UTCDateTime(timezone=True)

# (FTS table, content table, indexed columns) for SQLite; keep in step with tickets/search.py.
SQLITE_FTS = (
    ("tickets_fts", "tickets", ("subject", "description")),
    ("ticket_comments_fts", "ticket_comments", ("body",)),
    ("customers_fts", "customers", ("name", "email")),
)
# (index, table, tsvector expression) for PostgreSQL; the queries use the same expressions.
POSTGRES_FTS = (
    ("ix_tickets_fts", "tickets", "to_tsvector('simple'::regconfig, subject || ' ' || description)"),
    ("ix_ticket_comments_fts", "ticket_comments", "to_tsvector('simple'::regconfig, body)"),
    (
        "ix_customers_fts",
        "customers",
        "to_tsvector('simple'::regconfig, name || ' ' || translate(coalesce(email, ''), '@.', '  '))",
    ),
)


def upgrade() -> None:
    op.create_table(
        "business_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_calendars")),
        sa.UniqueConstraint("name", name=op.f("uq_business_calendars_name")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=True),
        sa.Column("last_used_at", UTC, nullable=True),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("priorities", JSON, nullable=False),
        sa.Column("queue_ids", JSON, nullable=False),
        sa.Column("segments", JSON, nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=True),
        sa.Column("targets", JSON, nullable=False),
        sa.Column("warn_before_s", sa.Integer(), nullable=False),
        sa.Column("on_breach_raise_priority", sa.Boolean(), nullable=False),
        sa.Column("on_breach_assignee_id", sa.Integer(), nullable=True),
        sa.Column("on_breach_queue_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint("warn_before_s >= 0", name=op.f("ck_sla_policies_warn_before_not_negative")),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["business_calendars.id"],
            name=op.f("fk_sla_policies_calendar_id_business_calendars"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["on_breach_assignee_id"],
            ["users.id"],
            name=op.f("fk_sla_policies_on_breach_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["on_breach_queue_id"],
            ["queues.id"],
            name=op.f("fk_sla_policies_on_breach_queue_id_queues"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_policies_name")),
    )
    op.create_table(
        "ticket_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_kind", sa.String(length=16), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint(
            "author_kind IN ('agent','customer','system')", name=op.f("ck_ticket_comments_author_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_ticket_comments_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_comments_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_comments")),
    )
    with op.batch_alter_table("ticket_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_comments_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "ticket_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("linked_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("ticket_id < linked_id", name=op.f("ck_ticket_links_ordered_pair")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_ticket_links_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["linked_id"], ["tickets.id"], name=op.f("fk_ticket_links_linked_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_links_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_links")),
        sa.UniqueConstraint("ticket_id", "linked_id", name=op.f("uq_ticket_links_ticket_id")),
    )
    with op.batch_alter_table("ticket_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_links_linked_id"), ["linked_id"], unique=False)

    op.create_table(
        "ticket_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("merged_at", UTC, nullable=False),
        sa.CheckConstraint("source_id <> target_id", name=op.f("ck_ticket_merges_not_itself")),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_ticket_merges_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["tickets.id"], name=op.f("fk_ticket_merges_source_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["tickets.id"], name=op.f("fk_ticket_merges_target_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_merges")),
        sa.UniqueConstraint("source_id", name=op.f("uq_ticket_merges_source_id")),
    )
    with op.batch_alter_table("ticket_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_merges_target_id"), ["target_id"], unique=False)

    op.create_table(
        "ticket_slas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("target_s", sa.Integer(), nullable=False),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("stopped_at", UTC, nullable=True),
        sa.Column("elapsed_s", sa.Double(), nullable=False),
        sa.Column("deadline_at", UTC, nullable=True),
        sa.Column("warn_at", UTC, nullable=True),
        sa.Column("warned_for", UTC, nullable=True),
        sa.Column("escalated_at", UTC, nullable=True),
        sa.Column("computed_at", UTC, nullable=False),
        sa.CheckConstraint(
            "metric IN ('first_response','next_reply','resolution')", name=op.f("ck_ticket_slas_metric_known")
        ),
        sa.CheckConstraint("state IN ('running','paused','stopped')", name=op.f("ck_ticket_slas_state_known")),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["sla_policies.id"], name=op.f("fk_ticket_slas_policy_id_sla_policies"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_slas_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_slas")),
        sa.UniqueConstraint("ticket_id", "metric", "cycle", name=op.f("uq_ticket_slas_ticket_id")),
    )
    with op.batch_alter_table("ticket_slas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_slas_deadline_at"), ["deadline_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_slas_policy_id"), ["policy_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_slas_warn_at"), ["warn_at"], unique=False)

    # Plain CREATE INDEX on both databases (no table rebuild, see the module notes).
    op.create_index(op.f("ix_tickets_queue_id"), "tickets", ["queue_id"], unique=False)
    op.create_index(op.f("ix_tickets_updated_at"), "tickets", ["updated_at"], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_search_up()
    elif dialect == "postgresql":
        for index, table, expression in POSTGRES_FTS:
            op.execute(f"CREATE INDEX {index} ON {table} USING gin (({expression}))")


def _sqlite_search_up() -> None:
    for fts, table, columns in SQLITE_FTS:
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for fts, _table, _columns in SQLITE_FTS:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    elif dialect == "postgresql":
        for index, _table, _expression in POSTGRES_FTS:
            op.execute(f"DROP INDEX IF EXISTS {index}")

    op.drop_index(op.f("ix_tickets_updated_at"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_queue_id"), table_name="tickets")

    with op.batch_alter_table("ticket_slas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_slas_warn_at"))
        batch_op.drop_index(batch_op.f("ix_ticket_slas_policy_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_slas_deadline_at"))
    op.drop_table("ticket_slas")
    with op.batch_alter_table("ticket_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_merges_target_id"))
    op.drop_table("ticket_merges")
    with op.batch_alter_table("ticket_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_links_linked_id"))
    op.drop_table("ticket_links")
    with op.batch_alter_table("ticket_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_comments_ticket_id"))
    op.drop_table("ticket_comments")
    op.drop_table("sla_policies")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
    op.drop_table("api_tokens")
    op.drop_table("business_calendars")
