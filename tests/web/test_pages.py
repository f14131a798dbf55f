"""Pages for people: login required, CSRF, hostile input escaped."""

from __future__ import annotations

from tests.support.factories import PASSWORD, gen_agent, gen_customer


def _login(client, username="alice"):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"username": username, "password": PASSWORD})


def test_pages_require_login(client):
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_login_with_wrong_password_is_refused(client, db):
    gen_agent(db, "alice")
    resp = client.post("/login", data={"username": "alice", "password": "wrong-password"})
    assert resp.status_code == 401
    assert b"Wrong username or password" in resp.data


def test_login_then_call_log(client, db):
    gen_agent(db, "alice")
    assert _login(client).status_code == 302
    resp = client.get("/")
    assert resp.status_code == 200 and b"Calls" in resp.data


def test_login_ignores_offsite_next(client, db):
    gen_agent(db, "alice")
    resp = client.post("/login?next=//evil.example/steal", data={"username": "alice", "password": PASSWORD})
    assert resp.headers["Location"] == "/"


def test_login_form_needs_csrf_token(app, db):
    app.config["WTF_CSRF_ENABLED"] = True
    gen_agent(db, "alice")
    resp = app.test_client().post("/login", data={"username": "alice", "password": PASSWORD})
    assert resp.status_code == 400


def test_customer_names_are_escaped(client, db):
    gen_agent(db, "alice")
    gen_customer(db, "<script>alert('x')</script>", ("+14155550100",))
    _login(client)
    resp = client.get("/customers")
    assert b"<script>alert" not in resp.data
    assert b"&lt;script&gt;" in resp.data


def test_customer_search_by_any_format(client, db):
    gen_agent(db, "alice")
    gen_customer(db, "Grace Hopper", ("+14155550100",))
    _login(client)
    assert b"Grace Hopper" in client.get("/customers?phone=(415) 555-0100").data
    hostile = client.get("/customers?phone=' OR 1=1 --")
    assert hostile.status_code == 200 and b"Grace Hopper" not in hostile.data


def test_bad_page_number_is_400(client, db):
    gen_agent(db, "alice")
    _login(client)
    assert client.get("/?page=-1").status_code == 400
    assert client.get("/?page=abc").status_code == 400


def test_oversized_login_form_is_refused(client):
    resp = client.post("/login", data={"username": "a", "password": "x" * (2 * 1024 * 1024)})
    assert resp.status_code == 413


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"] == {"database": "ok", "redis": "ok"}
