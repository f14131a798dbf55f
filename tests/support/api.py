"""Helpers and fixtures for the API tests: an organisation to call the API as (two queues,
an agent in each, a supervisor, an admin, a token for each of them and a read-only one for the
first agent), a client wrapper that adds the bearer token, and `error_of` for error bodies.

Test modules import the fixtures they use from here (`from tests.support.api import api, org`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from contactcenter.accounts.models import Role, User
from contactcenter.acd.models import Queue, QueueMembership
from contactcenter.tickets.api_tokens import issue
from tests.support.factories import gen_agent, gen_queue


@dataclass
class Org:
    support: Queue
    billing: Queue
    alice: User  # agent in support
    bob: User  # agent in billing
    sam: User  # supervisor
    ada: User  # admin
    tokens: dict[str, str]


@pytest.fixture
def org(db) -> Org:  # type: ignore[no-untyped-def]
    support, billing = gen_queue(db, "support"), gen_queue(db, "billing")
    alice, bob = gen_agent(db, "alice"), gen_agent(db, "bob")
    sam = gen_agent(db, "sam", role=Role.SUPERVISOR)
    ada = gen_agent(db, "ada", role=Role.ADMIN)
    db.add_all(
        [QueueMembership(queue_id=support.id, user_id=alice.id), QueueMembership(queue_id=billing.id, user_id=bob.id)]
    )
    tokens = {
        name: issue(db, user, f"{name} integration").secret
        for name, user in (("alice", alice), ("bob", bob), ("sam", sam), ("ada", ada))
    }
    tokens["alice_ro"] = issue(db, alice, "alice read-only", read_only=True).secret
    db.commit()
    return Org(support, billing, alice, bob, sam, ada, tokens)


class Api:
    """The test client with a bearer token per call: api.get("/api/tickets", as_="alice")."""

    def __init__(self, client: Any, org: Org) -> None:
        self.client, self.org = client, org

    def _headers(self, as_: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        out = dict(headers or {})
        if as_ is not None:
            out["Authorization"] = f"Bearer {self.org.tokens.get(as_, as_)}"
        return out

    def get(self, path: str, as_: str | None = "ada", **kw: Any) -> Any:
        return self.client.get(path, headers=self._headers(as_, kw.pop("headers", None)), **kw)

    def post(self, path: str, body: Any = None, as_: str | None = "ada", **kw: Any) -> Any:
        if body is not None:
            kw["json"] = body
        return self.client.post(path, headers=self._headers(as_, kw.pop("headers", None)), **kw)

    def patch(self, path: str, body: Any = None, as_: str | None = "ada", **kw: Any) -> Any:
        if body is not None:
            kw["json"] = body
        return self.client.patch(path, headers=self._headers(as_, kw.pop("headers", None)), **kw)

    def delete(self, path: str, as_: str | None = "ada", **kw: Any) -> Any:
        return self.client.delete(path, headers=self._headers(as_, kw.pop("headers", None)), **kw)


@pytest.fixture
def api(client, org) -> Api:  # type: ignore[no-untyped-def]
    return Api(client, org)


def error_of(response: Any) -> tuple[int, str]:
    body = response.get_json()
    assert response.mimetype == "application/json", response.data[:200]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"} and body["error"]["message"]
    return response.status_code, body["error"]["code"]
