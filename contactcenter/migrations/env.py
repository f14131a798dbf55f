"""Alembic environment: runs against the engine the caller passes, or DATABASE_URL."""

from __future__ import annotations

import warnings

from alembic import context
from sqlalchemy.exc import SAWarning

from contactcenter import models  # noqa: F401  (registers every table on the metadata)
from contactcenter.config import load_settings
from contactcenter.db import Base, make_engine
from contactcenter.tickets.search import include_name

config = context.config

# SQLite's batch mode reflects the table it rebuilds and the tables its foreign keys point at;
# SQLAlchemy cannot reflect an expression index (customers' lower(email)) and says so. Only the
# batched table is rebuilt, so the referenced table's index stays as it is: the warning is noise
# printed at every fresh start of the embedded default.
warnings.filterwarnings(
    "ignore", message="Skipped unsupported reflection of expression-based index", category=SAWarning
)
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or load_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # Full-text search objects are made by hand in the migrations, not declared on models.
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `contactcenter db upgrade`")
run_migrations()
