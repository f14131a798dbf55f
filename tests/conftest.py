"""Fixtures: a migrated database (SQLite or PostgreSQL), the real Redis, the app and its client.

Choose the database with TEST_DATABASE_URL (default: a SQLite file in a temporary folder) and
Redis with TEST_REDIS_URL (default: the local server, a database chosen per run). Each test runs inside a
transaction that is rolled back afterwards; the app's own commits only release savepoints.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from contactcenter.app import runtime as runtime_mod
from contactcenter.app.runtime import Runtime
from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN, Settings
from contactcenter.db import make_engine
from contactcenter.migrate import upgrade
from tests.support.constants import BUSINESS_HOURS, CENTER_NUMBER
from tests.support.redis_db import TEST_REDIS_URL, release_redis_database
from tests.support.store import delete_all_rows

# Property tests check invariants, not speed: on a busy 2-core machine one example can take longer
# than Hypothesis's default 200 ms deadline, which failed runs that were otherwise correct.
hypothesis_settings.register_profile("contactcenter", deadline=None)
hypothesis_settings.load_profile("contactcenter")


def pytest_unconfigure(config: pytest.Config) -> None:
    release_redis_database()


def _database_url(tmp_root: str) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_root}/test.db"


# On PostgreSQL every test run gets a schema of its own, so runs side by side never collide.
RUN_SCHEMA = f"test_run_{os.getpid()}"


def _with_schema(url: str) -> str:
    if not url.startswith("postgresql"):
        return url
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{RUN_SCHEMA}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _with_schema(_database_url(str(tmp_path_factory.mktemp("db"))))


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {RUN_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {RUN_SCHEMA}"))
    upgrade(engine)
    yield engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {RUN_SCHEMA} CASCADE"))
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:  # a missing server is a failure, never a skip
        pytest.fail(f"Redis is not reachable at {TEST_REDIS_URL}: {exc}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        carrier="simulator",
        twilio_account_sid=SIMULATOR_ACCOUNT_SID,
        twilio_auth_token=SIMULATOR_AUTH_TOKEN,
        secret_key="test-secret-key",
    )


@pytest.fixture
def runtime(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session], redis_client: redis.Redis
) -> Iterator[Runtime]:
    rt = Runtime(settings=settings, engine=engine, session_factory=session_factory, redis=redis_client)
    previous = runtime_mod.install(rt)
    yield rt
    runtime_mod.install(previous)


@pytest.fixture
def app(runtime: Runtime):  # type: ignore[no-untyped-def]
    from web import create_app

    application = create_app(runtime, testing=True, relay_events=False)
    application.config["WTF_CSRF_ENABLED"] = False
    return application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def committed_runtime(settings: Settings, engine: Engine, redis_client: redis.Redis) -> Iterator[Runtime]:
    """A runtime whose sessions really commit (servers in threads or processes need that).

    Every row is deleted afterwards so the rolled-back tests still start from an empty store.
    """
    from contactcenter.db import make_sessionmaker

    delete_all_rows(engine)
    rt = Runtime(settings=settings, engine=engine, session_factory=make_sessionmaker(engine), redis=redis_client)
    previous = runtime_mod.install(rt)
    yield rt
    runtime_mod.install(previous)
    delete_all_rows(engine)


@pytest.fixture
def live_server(committed_runtime: Runtime) -> Iterator[str]:
    """The app served over real HTTP on a free loopback port, in a thread."""
    import threading

    from werkzeug.serving import make_server

    from web import create_app
    from web.sockets import relay_of

    app = create_app(committed_runtime)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    relay = relay_of(app)
    if relay is not None:
        relay.stop()


@pytest.fixture
def simulated_carrier(committed_runtime: Runtime):  # type: ignore[no-untyped-def]
    """A carrier simulator in real time behind its own REST server, wired as the app's telephony.

    Not started: a test that needs calls to progress by themselves calls `carrier.start()`.
    Calls still up at the end are hung up.
    """
    from contactcenter.telephony.simulator import HttpTransport, SimulatedCarrier, SimulatorHttpClient, SimulatorServer
    from contactcenter.telephony.twilio_adapter import TwilioTelephony

    rt = committed_runtime
    transport = HttpTransport()
    carrier = SimulatedCarrier(transport)
    with SimulatorServer(carrier) as api:
        rt.use_telephony(
            TwilioTelephony(
                rt.settings.twilio_account_sid, rt.settings.twilio_auth_token, http_client=SimulatorHttpClient(api.url)
            )
        )
        yield carrier
        for call in carrier.calls():
            if not call.ended:
                call.hang_up()
        carrier.stop()
    transport.close()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Headless Chromium from the system packages (no browser download)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


@pytest.fixture
def carrier(app, runtime: Runtime):  # type: ignore[no-untyped-def]
    """The local carrier simulator on virtual time, calling the app in process.

    The app's REST requests reach the same simulator through the real twilio Client.
    """
    from contactcenter.telephony.simulator import SimulatorHttpClient, WsgiTransport, create_rest_app, virtual_carrier
    from contactcenter.telephony.twilio_adapter import TwilioTelephony

    with virtual_carrier(WsgiTransport(app, raise_app_errors=False), start=BUSINESS_HOURS) as sim:
        sim.add_number(CENTER_NUMBER, "http://cc.test/hooks/voice", "http://cc.test/hooks/status")
        runtime.use_telephony(
            TwilioTelephony(
                runtime.settings.twilio_account_sid,
                runtime.settings.twilio_auth_token,
                http_client=SimulatorHttpClient(create_rest_app(sim)),
            )
        )
        yield sim


@pytest.fixture
def live_app(runtime: Runtime):  # type: ignore[no-untyped-def]
    """The app with its Redis event relay running, for tests of what reaches the sockets."""
    from web import create_app
    from web.sockets import relay_of

    app = create_app(runtime, testing=True, relay_events=True)
    app.config["WTF_CSRF_ENABLED"] = False
    relay = relay_of(app)
    assert relay.ready.wait(5)
    yield app
    relay.stop()
