"""Emptying the store for tests whose sessions really commit (no rollback cleans up after them)."""

from __future__ import annotations

from sqlalchemy.engine import Engine


def delete_all_rows(engine: Engine) -> None:
    """Delete every row, children before parents, so the next test starts from an empty store."""
    from contactcenter.models import Base

    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
