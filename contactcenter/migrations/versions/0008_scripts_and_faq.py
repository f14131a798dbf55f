"""scripts and faq

Revision ID: 0008
Revises: 0007

Call scripts (their steps as one JSON definition), the script answers on each interaction, and
full-text search over FAQ articles. The search objects live outside the models, as in 0003 (see
`contactcenter.tickets.search.include_name`):

* SQLite: an FTS5 table over the articles' title, body and tags (external content), kept in step
  by triggers; `contactcenter.scripts.faq` ranks with bm25 and column weights.
* PostgreSQL: a GIN index on the weighted tsvector expression the FAQ queries use.

`interactions` only gains a column through a plain ALTER TABLE: a batch rebuild would, with
foreign keys enforced, cascade the implicit DELETE of the old table into `carrier_events`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import contactcenter.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = contactcenter.db.UTCDateTime(timezone=True)

# Keep in step with contactcenter/scripts/faq.py.
SQLITE_FAQ_FTS = ("faq_articles_fts", "faq_articles", ("title", "body", "tags"))
POSTGRES_FAQ_INDEX = "ix_faq_articles_fts"
POSTGRES_FAQ_TSVECTOR = (
    "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, tags::text), 'A')"
)


def upgrade() -> None:
    op.create_table(
        "call_scripts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("intents", JSON, nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["dialer_campaigns.id"],
            name=op.f("fk_call_scripts_campaign_id_dialer_campaigns"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_call_scripts_queue_id_queues"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_scripts")),
        sa.UniqueConstraint("name", name=op.f("uq_call_scripts_name")),
    )
    op.create_index(op.f("ix_call_scripts_campaign_id"), "call_scripts", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_call_scripts_queue_id"), "call_scripts", ["queue_id"], unique=False)

    op.add_column("interactions", sa.Column("script_answers", JSON, nullable=False, server_default=sa.text("'{}'")))

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_faq_up()
    elif dialect == "postgresql":
        op.execute(f"CREATE INDEX {POSTGRES_FAQ_INDEX} ON faq_articles USING gin (({POSTGRES_FAQ_TSVECTOR}))")


def _sqlite_faq_up() -> None:
    fts, table, columns = SQLITE_FAQ_FTS
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
        fts = SQLITE_FAQ_FTS[0]
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
        # Native DROP COLUMN (SQLite 3.35+): no table rebuild, so no cascade into carrier_events.
        op.execute("ALTER TABLE interactions DROP COLUMN script_answers")
    else:
        op.execute(f"DROP INDEX IF EXISTS {POSTGRES_FAQ_INDEX}")
        op.drop_column("interactions", "script_answers")
    op.drop_index(op.f("ix_call_scripts_queue_id"), table_name="call_scripts")
    op.drop_index(op.f("ix_call_scripts_campaign_id"), table_name="call_scripts")
    op.drop_table("call_scripts")
