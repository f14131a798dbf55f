"""Things the fault tests break on purpose: a Redis server of their own, a TCP proxy in front of
PostgreSQL that can drop every connection, and `contactcenter worker` processes to kill -9.

Nothing here touches the shared Redis or PostgreSQL servers: the Redis is started on a free port
in a temporary folder, and the proxy only forwards to PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.05, what: str = "") -> object:
    """Poll until `predicate` is truthy; a bound on waiting, not a timing assertion."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what or predicate}")
        time.sleep(interval)


class RedisServer:
    """A throw-away redis-server (no persistence) that a test may kill and start again."""

    def __init__(self, workdir: Path) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed")
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_for(lambda: _pings(probe), timeout=30, what="redis-server to start")
        probe.close()
        return self

    def kill(self) -> None:
        """kill -9: everything in memory is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class TcpProxy:
    """Forwards a loopback port to a TCP server; `down()` cuts every connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._up = threading.Event()
        self._up.set()
        self._closing = threading.Event()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept, daemon=True, name="tcp-proxy")
        self._thread.start()

    def down(self) -> None:
        self._up.clear()
        with self._lock:
            for conn in list(self._conns):
                _close(conn)
            self._conns.clear()

    def up(self) -> None:
        self._up.set()

    def close(self) -> None:
        self._closing.set()
        self.down()
        self._thread.join(timeout=5)
        _close(self._listener)

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._up.is_set():
                _close(client)  # the database is "unreachable": connection dropped at once
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(src)
            _close(dst)
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class CommandProcess:
    """A `contactcenter` command in a process group of its own, so kill -9 takes its children too."""

    STOP_WAIT_S = 5.0

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path | None = None) -> None:
        full = dict(os.environ)
        full.update(CARRIER="simulator", IVR_FLOW="", **env)
        self.log_path = log_path
        out = open(log_path, "ab") if log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, "-m", "contactcenter.app.cli", *args],
            env=full,
            cwd=str(ROOT),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill9(self) -> None:
        """SIGKILL to the whole group: the process and what it runs (a job, gunicorn's workers) die together."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=self.STOP_WAIT_S)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill9()


class WorkerProcess(CommandProcess):
    """`contactcenter worker`; its work-horse (the job's process) dies with it on kill -9."""

    def __init__(
        self, database_url: str, redis_url: str, queues: str = "default", log_path: Path | None = None
    ) -> None:
        # the project root, so the worker finds the test jobs (tests.support.fault_jobs) by name
        pythonpath = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
        super().__init__(
            ["worker", "--queues", queues],
            {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "PYTHONPATH": pythonpath},
            log_path,
        )


class WebProcess(CommandProcess):
    """`contactcenter web` (gunicorn), to be killed with its agents' desktops connected."""

    STOP_WAIT_S = 10.0

    def __init__(
        self, database_url: str, redis_url: str, env: dict[str, str] | None = None, log_path: Path | None = None
    ) -> None:
        self.port = free_port()
        super().__init__(
            ["web", "--host", "127.0.0.1", "--port", str(self.port), "--threads", "8"],
            {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "SECRET_KEY": "fault-tests-secret-key-of-32-chars!",
                **(env or {}),
            },
            log_path,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> WebProcess:
        import requests

        def up() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the web process exited early (code {self.process.returncode})")
            try:
                return requests.get(self.url + "/healthz", timeout=2).ok
            except requests.RequestException:
                return False

        wait_for(up, timeout=timeout, interval=0.2, what="the web process to answer")
        return self


# -- fixtures (imported by the test modules that use them) -----------------------------------------

import contextlib  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from tests.support.store import delete_all_rows  # noqa: E402


def postgres_base_url() -> str:
    """TEST_DATABASE_URL when it is PostgreSQL, else the local server: these faults need one."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else "postgresql://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def fresh_schema(base: str, schema: str) -> Iterator[None]:
    """An empty PostgreSQL schema for the duration, dropped afterwards."""
    from contactcenter.db import make_engine

    admin = make_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # a missing server is a failure, never a skip
        pytest.fail(f"PostgreSQL is not reachable at {base}: {exc}")
    try:
        yield
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """Several processes writing at once: that is PostgreSQL's job in production (SQLite is
    refused there), so tests with processes of their own run on a PostgreSQL schema of their own."""
    from contactcenter.db import make_engine
    from contactcenter.migrate import upgrade

    schema = f"fault_procs_{os.getpid()}"
    base = postgres_base_url()
    with fresh_schema(base, schema):
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def pg_runtime(pg_url, settings, redis_client):  # type: ignore[no-untyped-def]
    """A runtime on that schema whose sessions commit, emptied before and after the test."""
    from contactcenter.app.runtime import Runtime
    from contactcenter.db import make_engine, make_sessionmaker

    engine = make_engine(pg_url)
    delete_all_rows(engine)
    rt = Runtime(
        settings=settings.with_overrides(database_url=pg_url),
        engine=engine,
        session_factory=make_sessionmaker(engine),
        redis=redis_client,
    )
    yield rt
    delete_all_rows(engine)
    engine.dispose()


@pytest.fixture
def own_redis(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A redis-server nobody else uses, so the test may kill and restart it."""
    server = RedisServer(tmp_path).start()
    yield server
    server.kill()


@pytest.fixture
def spawn_worker(database_url: str, settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Start `contactcenter worker` processes against the test's database and Redis."""
    started: list[WorkerProcess] = []

    def spawn(redis_url: str | None = None, queues: str = "default") -> WorkerProcess:
        logs = Path(os.environ.get("FAULT_LOG_DIR") or tmp_path)
        worker = WorkerProcess(
            database_url, redis_url or settings.redis_url, queues, log_path=logs / f"worker{len(started)}.log"
        )
        started.append(worker)
        return worker

    yield spawn
    for worker in started:
        worker.stop()


class SqliteStore:
    """A SQLite store in a folder of its own that can vanish (the disk holding it unmounted) and
    come back. A copy of `template` (a migrated, empty store) so each test starts from scratch."""

    def __init__(self, root: Path, template: Path) -> None:
        self.folder = root / "store"
        self._away = root / "store-away"
        self.folder.mkdir(parents=True)
        shutil.copyfile(template, self.folder / "store.db")
        self.url = f"sqlite:///{self.folder / 'store.db'}"

    def cut(self, engine: Engine) -> None:
        """The path is gone: new connections cannot open it (pooled ones are closed first)."""
        os.rename(self.folder, self._away)
        engine.dispose()

    def restore(self) -> None:
        os.rename(self._away, self.folder)


def closed_redis_url() -> str:
    """A Redis URL nothing listens on: every command is refused at once."""
    return f"redis://127.0.0.1:{free_port()}/0"
