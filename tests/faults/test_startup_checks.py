"""A server process pointed at a store it cannot use says so in one line and stops; a worker
whose database goes away later keeps a readable log instead of two tracebacks a second."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.faults import RedisServer, TcpProxy, WorkerProcess, pg_url, wait_for  # noqa: F401 (fixture)

pytestmark = [pytest.mark.fault, pytest.mark.slow]
COMMAND = str(Path(sys.executable).with_name("contactcenter"))
CLOSED_PORT = "postgresql://postgres:s3cret@127.0.0.1:9/test"
SERVERS = {
    "web": ["web", "--port", "9"],  # never reached: the check comes first
    "worker": ["worker"],
    "pacer": ["pacer", "--base-url", "http://127.0.0.1:9"],
}


def _start(args: list[str], database_url: str, redis_url: str, folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "CARRIER": "simulator"}
    env.pop("CONTACTCENTER_ENV", None)
    return subprocess.run([COMMAND, *args], env=env, cwd=str(folder), capture_output=True, text=True, timeout=30)


def _database(kind: str, pg_base: str, folder: Path) -> str:
    return {
        "closed port": CLOSED_PORT,
        "missing database": pg_base.rsplit("/", 1)[0] + "/no_such_database_here",
        "unknown scheme": "mysql://root@127.0.0.1/contactcenter",
        "not a URL": "contactcenter.db",
        "no schema": f"sqlite:///{folder / 'empty.db'}",
    }[kind]


@pytest.mark.parametrize("server", sorted(SERVERS))
@pytest.mark.parametrize("kind", ["closed port", "missing database", "unknown scheme", "not a URL", "no schema"])
def test_a_server_with_an_unusable_database_stops_with_one_line(
    server: str, kind: str, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from tests.support.faults import postgres_base_url

    done = _start(SERVERS[server], _database(kind, postgres_base_url(), tmp_path), settings.redis_url, tmp_path)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    assert "DATABASE_URL" in lines[0] or "database" in lines[0]
    assert "s3cret" not in done.stderr  # the password never reaches the terminal or a log


def test_a_server_with_an_unreachable_redis_stops_with_one_line(pg_url: str, tmp_path: Path) -> None:
    done = _start(SERVERS["worker"], pg_url, "redis://127.0.0.1:9/0", tmp_path)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach Redis" in lines[0], done.stderr


def test_a_worker_whose_database_goes_away_logs_no_traceback_storm(pg_url: str, tmp_path: Path) -> None:
    target = urlsplit(pg_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    redis_server = RedisServer(tmp_path).start()
    proxied = pg_url.replace(f"{target.hostname}:{target.port}", f"127.0.0.1:{proxy.port}", 1)
    log = tmp_path / "worker.log"
    worker = WorkerProcess(proxied, redis_server.url, log_path=log)
    try:
        wait_for(
            lambda: "ACD state rebuilt" in log.read_text(errors="replace"),
            timeout=60,
            what="the worker to lead the ACD heartbeat",
        )
        proxy.down()
        redis_server.restart()  # Redis lost its state too: every heartbeat tries to rebuild from the store
        time.sleep(3.0)  # the first failures are told in full
        told = log.read_text(errors="replace").count("Traceback")
        time.sleep(5.0)  # five more heartbeats in the outage
        again = log.read_text(errors="replace").count("Traceback") - told
        assert told >= 1, "the outage was never reported"
        assert again == 0, log.read_text(errors="replace")[-3000:]
        assert worker.process.poll() is None  # still beating, ready for the database's return
        proxy.up()
        wait_for(
            lambda: "works again" in log.read_text(errors="replace"),
            timeout=30,
            what="the worker to say the failing step works again",
        )
    finally:
        worker.stop()
        proxy.close()
        redis_server.kill()
