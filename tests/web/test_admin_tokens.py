"""The API token page: admins list every token, create one (shown once) and revoke it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from contactcenter import clock
from contactcenter.tickets.api_tokens import issue
from contactcenter.tickets.models import ApiToken
from tests.support.factories import PASSWORD, gen_staff


@pytest.fixture
def people(db):  # type: ignore[no-untyped-def]
    return gen_staff(db)


@pytest.fixture
def admin(app, people):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/login", data={"username": "ann", "password": PASSWORD}).status_code == 302
    return client


def _count(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count(ApiToken.id)))


def _secret(html: str) -> str | None:
    found = re.search(r'id="new-token-secret">([^<]+)<', html)
    return found.group(1) if found else None


def test_the_page_lists_every_token_with_its_facts(admin, people, db):
    used = issue(db, people["alice"], "CRM sync").token
    used.last_used_at = clock.now()
    issue(db, people["sam"], "Wallboard", read_only=True)
    db.commit()
    page = admin.get("/admin/tokens").data.decode()
    assert "CRM sync" in page and "Wallboard" in page and "alice" in page and "sam" in page
    assert "read-only" in page and "never" in page and used.prefix in page


def test_a_created_token_is_shown_once_and_works(admin, app, people, db):
    resp = admin.post("/admin/tokens", data={"name": "Billing export", "user_id": str(people["alice"].id)})
    assert resp.status_code == 201
    secret = _secret(resp.data.decode())
    assert secret and secret.startswith("cct_")
    assert (
        app.test_client().get("/api/me", headers={"Authorization": f"Bearer {secret}"}).get_json()["username"]
        == "alice"
    )
    assert secret not in admin.get("/admin/tokens").data.decode()
    assert all(secret not in (c.value or "") for c in [admin.get_cookie("session")] if c)


def test_a_read_only_token_with_an_expiry(admin, people, db):
    resp = admin.post(
        "/admin/tokens",
        data={"name": "Reports", "user_id": str(people["sam"].id), "read_only": "1", "expires_on": "2099-01-31"},
    )
    assert resp.status_code == 201
    token = db.scalars(select(ApiToken).where(ApiToken.name == "Reports")).one()
    assert token.read_only and token.expires_at.date().isoformat() == "2099-01-31"


def test_revoking_ends_the_token(admin, app, people, db):
    secret = admin.post("/admin/tokens", data={"name": "Old", "user_id": str(people["alice"].id)}).data.decode()
    secret = _secret(secret)
    token = db.scalars(select(ApiToken).where(ApiToken.name == "Old")).one()
    assert admin.post(f"/admin/tokens/{token.id}/revoke").status_code == 303
    assert app.test_client().get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "revoked" in admin.get("/admin/tokens").data.decode()


def test_revoking_an_unknown_token_is_404(admin):
    assert admin.post("/admin/tokens/999999/revoke").status_code == 404
    assert admin.post("/admin/tokens/99999999999999999999/revoke").status_code == 404


@pytest.mark.parametrize("role", ["alice", "sam"])
@pytest.mark.parametrize(
    "method,path", [("get", "/admin/tokens"), ("post", "/admin/tokens"), ("post", "/admin/tokens/1/revoke")]
)
def test_only_admins(app, people, role, method, path):
    client = app.test_client()
    client.post("/login", data={"username": role, "password": PASSWORD})
    assert getattr(client, method)(path, data={"name": "x", "user_id": "1"}).status_code == 403


def test_the_forms_need_the_csrf_token(admin, app, people, db):
    app.config["WTF_CSRF_ENABLED"] = True
    assert admin.post("/admin/tokens", data={"name": "x", "user_id": str(people["ann"].id)}).status_code == 400
    assert _count(db) == 0


@pytest.mark.parametrize(
    "form,message",
    [
        ({"name": "x"}, "choose the user"),
        ({"name": "x", "user_id": "1 OR 1=1"}, "choose the user"),
        ({"name": "x", "user_id": "999999"}, "does not exist"),
        ({"name": "x", "user_id": "99999999999999999999"}, "choose the user"),
        ({"name": "", "user_id": "USER"}, "needs a name"),
        ({"name": "y" * 5000, "user_id": "USER"}, "needs a name"),
        ({"name": "x", "user_id": "USER", "expires_on": "tomorrow"}, "YYYY-MM-DD"),
        ({"name": "x", "user_id": "USER", "expires_on": "2001-01-01"}, "in the future"),
    ],
)
def test_bad_forms_are_refused_and_nothing_is_created(admin, people, db, form, message):
    form = {k: (str(people["alice"].id) if v == "USER" else v) for k, v in form.items()}
    resp = admin.post("/admin/tokens", data=form)
    assert resp.status_code == 400 and message in resp.data.decode()
    assert _count(db) == 0 and _secret(resp.data.decode()) is None


def test_no_token_for_a_deactivated_user(admin, people, db):
    people["alice"].active = False
    db.commit()
    resp = admin.post("/admin/tokens", data={"name": "x", "user_id": str(people["alice"].id)})
    assert resp.status_code == 400 and "not active" in resp.data.decode()


def test_hostile_names_are_escaped(admin, people):
    resp = admin.post("/admin/tokens", data={"name": "<img src=x onerror=alert(1)>", "user_id": str(people["ann"].id)})
    assert resp.status_code == 201
    assert b"<img src=x" not in resp.data and b"&lt;img src=x" in resp.data
