"""The Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from contactcenter import models
from contactcenter.migrate import current_revision
from contactcenter.tickets.search import include_name


def test_migrations_are_at_head(engine):
    from alembic.script import ScriptDirectory

    from contactcenter.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations must form one line, not branch: {heads}"
    assert current_revision(engine) == heads[0]


def test_models_and_migrations_agree(engine):
    # The full-text search objects (FTS5 tables on SQLite, expression indexes on PostgreSQL)
    # live in the migration only; everything else must match the models exactly.
    opts = {"compare_type": False, "include_name": include_name}
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), models.Base.metadata)
    assert diff == []


def test_search_objects_exist_for_the_database(engine):
    inspector = inspect(engine)
    if engine.dialect.name == "sqlite":
        assert {"tickets_fts", "ticket_comments_fts", "customers_fts"} <= set(inspector.get_table_names())
    else:
        names = {
            ix["name"] for table in ("tickets", "ticket_comments", "customers") for ix in inspector.get_indexes(table)
        }
        assert {"ix_tickets_fts", "ix_ticket_comments_fts", "ix_customers_fts"} <= names
