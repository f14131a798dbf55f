"""The `contactcenter` command as an operator uses it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from contactcenter.app.cli import main


def test_db_upgrade_then_seed_on_a_new_sqlite_file(tmp_path: Path, monkeypatch):
    url = f"sqlite:///{tmp_path}/cc.db"
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at revision" in result.output
    seeded = runner.invoke(main, ["db", "seed", "--json"])
    assert seeded.exit_code == 0, seeded.output
    assert json.loads(seeded.output.strip().splitlines()[-1])["users"] == 5
    again = runner.invoke(main, ["db", "seed"])
    assert "already seeded" in again.output
    with sqlite3.connect(tmp_path / "cc.db") as conn:
        assert conn.execute("select count(*) from customer_phones").fetchone()[0] == 6


def test_worker_without_redis_url_explains_itself(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    from contactcenter.app import runtime

    previous = runtime.install(None)
    try:
        result = CliRunner().invoke(main, ["worker", "--burst"])
    finally:
        runtime.install(previous)
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output


def test_every_command_has_help():
    runner = CliRunner()
    for args in (
        ["--help"],
        ["demo", "--help"],
        ["web", "--help"],
        ["worker", "--help"],
        ["db", "upgrade", "--help"],
        ["ivr", "validate", "--help"],
        ["erlang", "--help"],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output)


def test_bad_carrier_setting_is_a_clear_error(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("CARRIER", "carrier-pigeon")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "configuration: CARRIER must be one of" in result.output
