"""The store or Redis unreachable while people and integrations use the app: the login page, the
agent desktop and the API answer 503 with a clear message and Retry-After, never a 500 — a short
page for a browser, the API's error shape for JSON — and serve again once the outage is over.

The outages are real: PostgreSQL behind a TCP proxy that is cut, a SQLite store whose path
vanishes, a Redis URL nothing listens on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy.engine import Engine

from contactcenter import redis_conn
from contactcenter.app import runtime as runtime_mod
from contactcenter.app.runtime import Runtime
from contactcenter.db import make_engine, make_sessionmaker
from contactcenter.migrate import upgrade
from contactcenter.tickets.api_tokens import issue
from tests.support.factories import PASSWORD, gen_agent
from tests.support.faults import SqliteStore, TcpProxy, closed_redis_url, fresh_schema, postgres_base_url
from tests.support.store import delete_all_rows

pytestmark = pytest.mark.fault
SCHEMA = f"fault_answers_{os.getpid()}"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what a browser navigates with
PAGE_TEXT = b"The store is unreachable; try again in a minute"


def _proxied(base: str, port: int) -> str:
    parts = urlsplit(base)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return (
        f"{parts.scheme}://{netloc[0] + '@' if len(netloc) == 2 else ''}{host}{parts.path}"
        f"?options=-csearch_path%3D{SCHEMA}"
    )


@pytest.fixture(scope="module")
def pg_proxy() -> Iterator[TcpProxy]:
    """A migrated PostgreSQL schema of this module's own, reached through a proxy that can be cut."""
    base = postgres_base_url()
    parts = urlsplit(base)
    with fresh_schema(base, SCHEMA):
        tcp = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
        engine = make_engine(_proxied(base, tcp.port))
        upgrade(engine)
        engine.dispose()
        yield tcp
        tcp.close()


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@dataclass
class Store:
    runtime: Runtime
    cut: Callable[[], None]
    restore: Callable[[], None]


def _runtime(settings, engine: Engine, redis_client, **overrides: object) -> Runtime:  # type: ignore[no-untyped-def]
    return Runtime(
        settings=settings.with_overrides(**overrides),
        engine=engine,
        session_factory=make_sessionmaker(engine),
        redis=redis_client,
    )


@pytest.fixture(params=["postgresql-cut", "sqlite-path-gone"])
def store(request, settings, redis_client, tmp_path, sqlite_template) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    """A committing store the test can take away (`cut`) and give back (`restore`)."""
    if request.param == "postgresql-cut":
        proxy: TcpProxy = request.getfixturevalue("pg_proxy")
        proxy.up()
        url = _proxied(postgres_base_url(), proxy.port)
        engine = make_engine(url)
        delete_all_rows(engine)
        cut, restore = proxy.down, proxy.up
    else:
        sqlite = SqliteStore(tmp_path, sqlite_template)
        url = sqlite.url
        engine = make_engine(url)
        cut, restore = (lambda: sqlite.cut(engine)), sqlite.restore
    rt = _runtime(settings, engine, redis_client, database_url=url)
    previous = runtime_mod.install(rt)
    yield Store(rt, cut, restore)
    runtime_mod.install(previous)
    if request.param == "postgresql-cut":
        restore()
        delete_all_rows(engine)
    engine.dispose()


def _app(rt: Runtime) -> Flask:
    from web import create_app

    app = create_app(rt, testing=True, relay_events=False)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _seed_alice(rt: Runtime) -> str:
    """Alice, an agent, and an API token of hers."""
    with rt.session_factory.begin() as session:
        alice = gen_agent(session, "alice")
        return issue(session, alice, "crm sync").secret


def _assert_retry_after(resp) -> None:  # type: ignore[no-untyped-def]
    assert resp.headers.get("Retry-After", "").isdigit()


def test_login_while_the_store_is_away_gets_a_short_503_page(store):  # type: ignore[no-untyped-def]
    _seed_alice(store.runtime)
    client = _app(store.runtime).test_client()
    store.cut()
    resp = client.post("/login", data={"username": "alice", "password": PASSWORD}, headers={"Accept": BROWSER})
    assert resp.status_code == 503
    assert resp.mimetype == "text/html"
    assert PAGE_TEXT in resp.data
    _assert_retry_after(resp)


def test_login_works_again_once_the_store_is_back(store):  # type: ignore[no-untyped-def]
    _seed_alice(store.runtime)
    client = _app(store.runtime).test_client()
    store.cut()
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 503
    store.restore()
    resp = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert resp.status_code == 302


def test_hostile_login_during_an_outage_is_neither_echoed_nor_logged(store, caplog):  # type: ignore[no-untyped-def]
    hostile_user = "<script>alert(1)</script>' OR '1'='1' --"
    hostile_password = "hunter2-'; DROP TABLE users; --"
    client = _app(store.runtime).test_client()
    store.cut()
    resp = client.post(
        "/login", data={"username": hostile_user, "password": hostile_password}, headers={"Accept": BROWSER}
    )
    assert resp.status_code == 503
    assert b"<script>alert(1)" not in resp.data and b"DROP TABLE" not in resp.data
    assert "DROP TABLE" not in caplog.text and "<script>" not in caplog.text


def test_page_of_a_logged_in_user_while_the_store_is_away_escapes_the_address(store):  # type: ignore[no-untyped-def]
    _seed_alice(store.runtime)
    client = _app(store.runtime).test_client()
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    store.cut()
    resp = client.get('/customers?phone="><script>alert(1)</script>', headers={"Accept": BROWSER})
    assert resp.status_code == 503 and PAGE_TEXT in resp.data
    assert b"<script>alert(1)" not in resp.data


def test_api_while_the_store_is_away_answers_503_in_the_api_error_shape(store):  # type: ignore[no-untyped-def]
    token = _seed_alice(store.runtime)
    client = _app(store.runtime).test_client()
    store.cut()
    resp = client.get("/api/tickets", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["error"]["code"] == "unavailable" and "try again" in body["error"]["message"]
    assert set(body) == {"error"}
    _assert_retry_after(resp)


def test_api_write_while_the_store_is_away_answers_503(store):  # type: ignore[no-untyped-def]
    token = _seed_alice(store.runtime)
    client = _app(store.runtime).test_client()
    store.cut()
    resp = client.post(
        "/api/customers",
        json={"name": "Grace Hopper", "phones": ["+14155550100"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 503
    assert resp.get_json()["error"]["code"] == "unavailable"


def test_a_store_without_its_tables_is_a_fault_not_an_outage(settings, redis_client, tmp_path):  # type: ignore[no-untyped-def]
    """Only an unreachable store is an outage: a broken one stays a 500 (and is logged as one)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    client = _app(_runtime(settings, engine, redis_client)).test_client()
    resp = client.get("/api/tickets", headers={"Authorization": "Bearer cct_" + "a" * 40})
    assert resp.status_code == 500
    assert resp.get_json()["error"]["code"] == "internal_error"
    engine.dispose()


# -- Redis away ------------------------------------------------------------------------------------


@pytest.fixture
def redis_away_app(settings, engine, session_factory, db) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """The app over the test's store, its Redis a port nothing listens on."""
    url = closed_redis_url()
    rt = Runtime(
        settings=settings.with_overrides(redis_url=url),
        engine=engine,
        session_factory=session_factory,
        redis=redis_conn.connect(url),
    )
    previous = runtime_mod.install(rt)
    yield _app(rt)
    runtime_mod.install(previous)


def test_desktop_snapshot_while_redis_is_away_answers_503_json(redis_away_app, db):  # type: ignore[no-untyped-def]
    gen_agent(db, "alice")
    client = redis_away_app.test_client()
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    resp = client.get("/desktop/snapshot", headers={"Accept": "*/*"})  # what the desktop's fetch() sends
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["error"]["code"] == "unavailable" and "try again" in body["error"]["message"]
    _assert_retry_after(resp)
