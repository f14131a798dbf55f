"""The Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from contactcenter import models
from contactcenter.migrate import current_revision


def test_migrations_are_at_head(engine):
    assert current_revision(engine) == "0002"


def test_models_and_migrations_agree(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), models.Base.metadata)
    assert diff == []
