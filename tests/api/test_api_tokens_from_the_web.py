"""A fresh install's first API token without Python: an admin signed in to the web pages calls
/api/tokens with the sign-in cookie (and the CSRF token for changes). Nothing else of the API
accepts the cookie."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from contactcenter.tickets.models import ApiToken
from tests.support.api import error_of
from tests.support.factories import PASSWORD, gen_staff
from tests.support.web_client import logged_in


@pytest.fixture
def people(db):  # type: ignore[no-untyped-def]
    return gen_staff(db)


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/admin/tokens").data.decode()
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _count(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count(ApiToken.id)))


def test_an_admin_gets_a_working_token_with_the_sign_in_cookie(app, people):
    admin = logged_in(app, "ann")
    resp = admin.post("/api/tokens", json={"name": "first integration", "user_id": people["alice"].id})
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["user_id"] == people["alice"].id and body["token"].startswith("cct_")
    me = app.test_client().get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["username"] == "alice"


def test_cookie_requests_that_change_something_need_the_csrf_token(app, people, db):
    app.config["WTF_CSRF_ENABLED"] = True
    admin = _signed_in_with_csrf(app)
    before = _count(db)
    assert error_of(admin.post("/api/tokens", json={"name": "forged"})) == (400, "csrf_failed")
    assert _count(db) == before
    resp = admin.post("/api/tokens", json={"name": "real"}, headers={"X-CSRFToken": _csrf(admin)})
    assert resp.status_code == 201 and _count(db) == before + 1


def _signed_in_with_csrf(app):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": "ann", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    return client


def test_revoking_with_the_cookie_needs_the_csrf_token_too(app, people, db):
    admin = logged_in(app, "ann")
    token_id = admin.post("/api/tokens", json={"name": "to revoke"}).get_json()["id"]
    app.config["WTF_CSRF_ENABLED"] = True
    assert error_of(admin.delete(f"/api/tokens/{token_id}")) == (400, "csrf_failed")
    assert admin.delete(f"/api/tokens/{token_id}", headers={"X-CSRFToken": _csrf(admin)}).status_code == 204
    db.expire_all()
    assert db.get(ApiToken, token_id).revoked_at is not None


def test_an_admin_lists_tokens_with_the_cookie(app, people):
    admin = logged_in(app, "ann")
    admin.post("/api/tokens", json={"name": "listed", "user_id": people["sam"].id, "read_only": True})
    rows = admin.get("/api/tokens").get_json()["data"]
    assert [(r["name"], r["user_id"], r["read_only"]) for r in rows] == [("listed", people["sam"].id, True)]
    assert all("token" not in r and "token_hash" not in r for r in rows)


@pytest.mark.parametrize("username", ["alice", "sam"])
def test_only_admins_may_use_the_cookie(app, people, db, username):
    before = _count(db)
    assert error_of(logged_in(app, username).post("/api/tokens", json={"name": "mine"})) == (403, "forbidden")
    assert _count(db) == before


def test_without_cookie_or_token_it_is_401(client, people):
    assert error_of(client.post("/api/tokens", json={"name": "anon"})) == (401, "unauthorized")


def test_the_cookie_opens_no_other_part_of_the_api(app, people):
    admin = logged_in(app, "ann")
    for path in ("/api/tickets", "/api/customers", "/api/me", "/api/users"):
        assert error_of(admin.get(path)) == (401, "unauthorized")


def test_a_cookie_from_an_ended_session_is_refused(app, people):
    admin = logged_in(app, "ann")
    cookie = admin.get_cookie("session").value
    admin.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert error_of(replay.post("/api/tokens", json={"name": "late"})) == (401, "unauthorized")


@pytest.mark.parametrize(
    "body,kw,expected",
    [
        (None, {"data": "{not json", "content_type": "application/json"}, (400, "malformed_json")),
        ({"name": "x" * 81}, {}, (422, "validation_failed")),
        ({"name": ""}, {}, (422, "validation_failed")),
        ({"name": "ok", "user_id": "1 OR 1=1"}, {}, (422, "validation_failed")),
        ({"name": "ok", "user_id": 2**40}, {}, (422, "validation_failed")),
        ({"name": "ok", "read_only": "yes"}, {}, (422, "validation_failed")),
        ({"name": "ok", "is_admin": True}, {}, (422, "validation_failed")),
        (None, {"data": "x" * (300 * 1024), "content_type": "application/json"}, (413, "payload_too_large")),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_created(app, people, db, body, kw, expected):
    admin = logged_in(app, "ann")
    before = _count(db)
    resp = admin.post("/api/tokens", json=body, **kw) if body is not None else admin.post("/api/tokens", **kw)
    assert error_of(resp) == expected
    assert _count(db) == before


def test_hostile_names_are_kept_as_text(app, people, db):
    admin = logged_in(app, "ann")
    name = "<script>alert(1)</script>'; DROP TABLE api_tokens;--"
    resp = admin.post("/api/tokens", json={"name": name})
    assert resp.status_code == 201 and resp.get_json()["name"] == name
    page = admin.get("/admin/tokens").data
    assert b"<script>alert(1)" not in page and b"&lt;script&gt;alert(1)" in page
    assert _count(db) == 1
