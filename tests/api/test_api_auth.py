"""API authentication and authorization: tokens required, hashed at rest, roles and read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from contactcenter import clock
from contactcenter.tickets.models import ApiToken
from contactcenter.tickets.services import add_comment, open_ticket
from tests.support.api import api, error_of, org  # noqa: F401  (fixtures)

PROTECTED = [
    ("get", "/api/me"),
    ("get", "/api/tickets"),
    ("post", "/api/tickets"),
    ("get", "/api/tickets/1"),
    ("patch", "/api/tickets/1"),
    ("get", "/api/customers"),
    ("post", "/api/customers"),
    ("get", "/api/interactions"),
    ("get", "/api/search?q=x"),
    ("get", "/api/sla/due"),
    ("get", "/api/sla/policies"),
    ("get", "/api/reports/sla"),
    ("get", "/api/tokens"),
    ("post", "/api/tokens"),
    ("get", "/api/users"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic YWRhOnB3",
        "Token cct_x",
        "Bearer cct_not-a-real-token",
        "Bearer " + "x" * 500,
    ],
)
def test_every_endpoint_requires_a_valid_token(client, method, path, header):
    headers = {} if header is None else {"Authorization": header}
    response = getattr(client, method)(path, headers=headers, json={})
    assert error_of(response) == (401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_openapi_document_is_public(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.get_json()["openapi"].startswith("3.")


def test_token_is_shown_once_and_stored_hashed(api, db, org):
    response = api.post("/api/tokens", {"name": "Zapier", "read_only": True}, as_="alice")
    assert response.status_code == 201
    created = response.get_json()
    secret = created["token"]
    assert secret.startswith("cct_") and created["read_only"] is True and created["user_id"] == org.alice.id
    stored = db.get(ApiToken, created["id"])
    assert secret not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64
    listed = api.get("/api/tokens", as_="alice").get_json()["data"]
    assert {t["id"] for t in listed} >= {created["id"]} and all("token" not in t for t in listed)
    assert api.get("/api/me", as_=secret).get_json()["username"] == "alice"


def test_revoked_expired_and_inactive_tokens_are_refused(api, db, org):
    me = api.get("/api/me", as_="bob").get_json()
    assert api.delete(f"/api/tokens/{me['token']['id']}", as_="bob").status_code == 204
    assert error_of(api.get("/api/me", as_="bob")) == (401, "unauthorized")
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == org.sam.id))
    token.expires_at = clock.now() - timedelta(seconds=1)
    db.commit()
    assert error_of(api.get("/api/me", as_="sam")) == (401, "unauthorized")
    org.ada.active = False
    db.commit()
    assert error_of(api.get("/api/me", as_="ada")) == (401, "unauthorized")


def test_use_is_recorded(api, db, org):
    assert api.get("/api/me", as_="alice").status_code == 200
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == org.alice.id, ApiToken.read_only.is_(False)))
    db.refresh(token)
    assert token.last_used_at is not None


def test_read_only_token_reads_but_never_writes(api, org):
    assert api.get("/api/tickets", as_="alice_ro").status_code == 200
    for method, path, body in [
        ("post", "/api/tickets", {"subject": "x"}),
        ("post", "/api/customers", {"name": "x"}),
        ("post", "/api/tokens", {"name": "a write token, please"}),  # no way to mint a stronger token
    ]:
        assert error_of(getattr(api, method)(path, body, as_="alice_ro")) == (403, "read_only_token")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/users", None),
        ("get", "/api/sla/policies", None),
        ("get", "/api/sla/calendars", None),
        ("get", "/api/reports/sla", None),
        ("post", "/api/sla/policies", {"name": "Mine", "targets": {"resolution": 60}}),
        ("post", "/api/sla/calendars", {"name": "Mine", "definition": {"time_zone": "UTC", "hours": "24x7"}}),
    ],
)
def test_agents_cannot_reach_admin_resources(api, method, path, body):
    args = (path,) if body is None else (path, body)
    assert error_of(getattr(api, method)(*args, as_="alice")) == (403, "forbidden")


def test_supervisors_read_policies_and_only_admins_write_them(api):
    body = {"name": "Standard", "targets": {"first_response": 3600}}
    assert api.get("/api/sla/policies", as_="sam").status_code == 200
    assert api.get("/api/reports/sla", as_="sam").status_code == 200
    assert api.get("/api/users", as_="sam").status_code == 200
    assert error_of(api.post("/api/sla/policies", body, as_="sam")) == (403, "forbidden")
    created = api.post("/api/sla/policies", body, as_="ada")
    assert created.status_code == 201 and created.get_json()["targets"] == {"first_response": {"*": 3600}}


def test_tokens_of_others(api, org):
    bob_token = api.get("/api/me", as_="bob").get_json()["token"]["id"]
    assert error_of(api.get(f"/api/tokens?user_id={org.bob.id}", as_="alice")) == (403, "forbidden")
    assert error_of(api.delete(f"/api/tokens/{bob_token}", as_="alice")) == (404, "not_found")
    assert error_of(api.post("/api/tokens", {"name": "as bob", "user_id": org.bob.id}, as_="alice")) == (
        403,
        "forbidden",
    )
    assert api.get(f"/api/tokens?user_id={org.bob.id}", as_="ada").status_code == 200
    made = api.post("/api/tokens", {"name": "for bob", "user_id": org.bob.id}, as_="ada").get_json()
    assert made["user_id"] == org.bob.id
    assert api.get("/api/me", as_=made["token"]).get_json()["role"] == "agent"


def test_agent_token_cannot_read_another_queue(api, db, org):
    theirs = open_ticket(db, "Billing dispute", queue_id=org.billing.id)
    add_comment(db, theirs, "Internal: customer is litigious", public=False)
    db.commit()
    for path in (f"/api/tickets/{theirs.id}", f"/api/tickets/{theirs.id}/comments", f"/api/tickets/{theirs.id}/events"):
        assert error_of(api.get(path, as_="alice")) == (404, "not_found")
    assert theirs.id not in [t["id"] for t in api.get("/api/tickets", as_="alice").get_json()["data"]]
    assert api.get("/api/search?q=litigious&type=comments", as_="alice").get_json()["data"] == []
    assert error_of(api.patch(f"/api/tickets/{theirs.id}", {"priority": "low"}, as_="alice")) == (404, "not_found")
    assert error_of(api.post(f"/api/tickets/{theirs.id}/comments", {"body": "hi"}, as_="alice")) == (404, "not_found")
    # Bob, in billing, and the supervisor see it, internal note included.
    for who in ("bob", "sam"):
        notes = api.get(f"/api/tickets/{theirs.id}/comments", as_=who).get_json()["data"]
        assert [n["body"] for n in notes] == ["Internal: customer is litigious"]


def test_bearer_requests_need_no_csrf_token(app, api):
    app.config["WTF_CSRF_ENABLED"] = True
    assert api.post("/api/tickets", {"subject": "Via integration"}, as_="alice").status_code == 201
