"""Migration 0004 builds exactly the dialer tables the models declare, and downgrades cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import contactcenter.dialer.models as dialer_models
from contactcenter.db import Base, make_engine
from contactcenter.migrate import alembic_config, current_revision, upgrade
from contactcenter.tickets.search import include_name

DIALER_TABLES = {t for t in Base.metadata.tables if t.startswith("dialer_")}


def _dialer_only(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return table is None or table.name in DIALER_TABLES


def test_the_dialer_tables_match_the_models(engine):
    assert DIALER_TABLES == {
        "dialer_campaigns",
        "dialer_campaign_agents",
        "dialer_leads",
        "dialer_dnc_entries",
        "dialer_lead_imports",
        "dialer_lead_import_rejections",
        "dialer_attempts",
        "dialer_decisions",
    }
    assert dialer_models.Campaign.__tablename__ in DIALER_TABLES
    opts = {"compare_type": False, "include_name": include_name, "include_object": _dialer_only}
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert diff == []


def test_0004_upgrades_and_downgrades_on_a_fresh_database(tmp_path, database_url):
    if database_url.startswith("postgresql"):
        schema = "dialer_migration_check"
        base = database_url.split("?", 1)[0]
        url = f"{base}?options=-csearch_path%3D{schema}"
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    else:
        schema = None
        engine = make_engine(f"sqlite:///{tmp_path}/fresh.db")
    try:
        upgrade(engine, "0004")
        assert current_revision(engine) == "0004"
        assert DIALER_TABLES <= set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            command.downgrade(alembic_config(connection=conn), "0003")
        assert current_revision(engine) == "0003"
        assert not DIALER_TABLES & set(inspect(engine).get_table_names())
        upgrade(engine, "0004")
        assert current_revision(engine) == "0004"
    finally:
        if schema:
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()
