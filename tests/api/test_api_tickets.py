"""Tickets over the API: create, change, lifecycle errors, comments, trail, links, merges,
filters, keyset pages, and hostile input."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from contactcenter import clock
from contactcenter.contacts.models import Interaction
from contactcenter.tickets.models import Ticket, TicketEvent
from contactcenter.tickets.services import open_ticket
from tests.support.api import api, error_of, org  # noqa: F401  (fixtures)
from tests.support.factories import call_sid, gen_customer


def make(api, as_="alice", **fields):  # type: ignore[no-untyped-def]
    response = api.post("/api/tickets", {"subject": "Printer on fire", **fields}, as_=as_)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_read_change_and_audit(api, org, db):
    grace = gen_customer(db)
    db.commit()
    ticket = make(api, queue_id=org.support.id, customer_id=grace.id, priority="high", tags=["Printer", "fire"])
    assert (ticket["status"], ticket["priority"], ticket["channel"], ticket["tags"]) == (
        "new",
        "high",
        "api",
        ["fire", "printer"],
    )
    changed = api.patch(f"/api/tickets/{ticket['id']}", {"status": "open", "assignee_id": org.alice.id}, as_="alice")
    assert changed.status_code == 200
    body = changed.get_json()
    assert body["status"] == "open" and body["assignee_id"] == org.alice.id and body["merged_into_id"] is None
    events = api.get(f"/api/tickets/{ticket['id']}/events", as_="alice").get_json()["data"]
    assert [(e["kind"], e["field"], e["actor_id"]) for e in events] == [
        ("created", None, org.alice.id),
        ("updated", "assignee_id", org.alice.id),
        ("status", "status", org.alice.id),
    ]
    assert events[2]["before"] == {"status": "new"} and events[2]["after"] == {"status": "open"}


def test_agent_ticket_without_queue_is_assigned_to_them(api, org):
    ticket = make(api)
    assert ticket["assignee_id"] == org.alice.id
    assert error_of(api.post("/api/tickets", {"subject": "x", "queue_id": org.billing.id}, as_="alice")) == (
        403,
        "forbidden",
    )
    assert make(api, as_="sam", queue_id=org.billing.id)["assignee_id"] is None


@pytest.mark.parametrize(
    ("path", "wanted", "fragment"),
    [
        ([], "solved", "cannot change status from new to solved (allowed from new: open)"),
        ([], "pending", "from new to pending"),
        (["open", "solved", "closed"], "open", "closed tickets cannot change status"),
        (["open", "solved"], "pending", "from solved to pending (allowed from solved: closed, open)"),
    ],
)
def test_invalid_transitions_are_409_with_a_clear_message(api, org, path, wanted, fragment):
    ticket = make(api, queue_id=org.support.id)
    for status in path:
        assert api.patch(f"/api/tickets/{ticket['id']}", {"status": status}, as_="alice").status_code == 200
    response = api.patch(f"/api/tickets/{ticket['id']}", {"status": wanted, "priority": "urgent"}, as_="alice")
    assert error_of(response) == (409, "invalid_transition")
    assert fragment in response.get_json()["error"]["message"]
    assert api.get(f"/api/tickets/{ticket['id']}", as_="alice").get_json()["priority"] == "normal"  # nothing applied


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"status": "merged"}, "validation_failed"),
        ({"status": "bogus"}, "validation_failed"),
        ({"priority": "'; DROP TABLE tickets; --"}, "validation_failed"),
        ({"queue_id": "1 OR 1=1"}, "validation_failed"),
        ({"queue_id": 999999}, "validation_failed"),
        ({"subject": ""}, "validation_failed"),
        ({"owner": "me"}, "validation_failed"),
        ({"tags": "vip"}, "validation_failed"),
    ],
)
def test_bad_changes_are_422(api, org, body, code):
    ticket = make(api)
    assert error_of(api.patch(f"/api/tickets/{ticket['id']}", body, as_="alice")) == (422, code)


def test_malformed_oversized_and_mistyped_bodies(api, client, org):
    headers = {"Authorization": f"Bearer {org.tokens['alice']}"}
    cases = [
        (dict(data="{not json", content_type="application/json"), (400, "malformed_json")),
        (dict(data="[1, 2]", content_type="application/json"), (400, "malformed_json")),
        (dict(data='{"subject": NaN}', content_type="application/json"), (400, "malformed_json")),
        (dict(data="[" * 100_000 + "]" * 100_000, content_type="application/json"), (400, "malformed_json")),
        (dict(data=b"\xff\xfe\x00{", content_type="application/json"), (400, "malformed_json")),
        (dict(data="subject=x", content_type="application/x-www-form-urlencoded"), (415, "unsupported_media_type")),
        (
            dict(data=json.dumps({"subject": "x" * 300_000}), content_type="application/json"),
            (413, "payload_too_large"),
        ),
    ]
    for kwargs, expected in cases:
        assert error_of(client.post("/api/tickets", headers=headers, **kwargs)) == expected, kwargs.get("content_type")


def test_unknown_ids_and_routes(api, org):
    for path in (
        "/api/tickets/999999",
        "/api/tickets/99999999999999999999",
        "/api/customers/424242",
        "/api/interactions/1",
        "/api/tickets/999999/comments",
        "/api/nothing-here",
    ):
        assert error_of(api.get(path)) == (404, "not_found"), path
    assert error_of(api.delete("/api/tickets")) == (405, "method_not_allowed")
    assert error_of(api.post("/api/tickets/999999/merge", {"into": 1})) == (404, "not_found")


def test_comments_and_customer_replies(api, org):
    ticket = make(api, queue_id=org.support.id)
    tid = ticket["id"]
    assert api.post(f"/api/tickets/{tid}/comments", {"body": "Internal note"}, as_="alice").status_code == 201
    reply = api.post(f"/api/tickets/{tid}/comments", {"body": "Hello!", "public": True}, as_="alice").get_json()
    assert reply["public"] is True and reply["author_kind"] == "agent" and reply["author_id"] == org.alice.id
    for status in ("open", "pending"):
        api.patch(f"/api/tickets/{tid}", {"status": status}, as_="alice")
    relayed = api.post(f"/api/tickets/{tid}/comments", {"body": "Still broken", "author": "customer"}, as_="alice")
    assert relayed.get_json()["author_kind"] == "customer" and relayed.get_json()["author_id"] is None
    assert (
        api.get(f"/api/tickets/{tid}", as_="alice").get_json()["status"] == "open"
    )  # the customer's reply reopened it
    public = api.get(f"/api/tickets/{tid}/comments?public=true", as_="alice").get_json()["data"]
    assert [c["body"] for c in public] == ["Hello!", "Still broken"]
    assert error_of(api.post(f"/api/tickets/{tid}/comments", {"body": "  "}, as_="alice")) == (422, "validation_failed")
    assert error_of(api.post(f"/api/tickets/{tid}/comments", {"body": "x", "author": "system"}, as_="alice")) == (
        422,
        "validation_failed",
    )


def test_html_is_stored_verbatim_and_served_as_json(api, org):
    subject = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    ticket = make(api, subject=subject, description="<b>bold</b>")
    response = api.get(f"/api/tickets/{ticket['id']}", as_="alice")
    assert response.mimetype == "application/json" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_json()["subject"] == subject


def test_links_merges_and_calls(api, org, db):
    a, b = make(api, queue_id=org.support.id), make(api, queue_id=org.support.id)
    call = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550100",
        to_number="+18005550199",
        queue_id=org.support.id,
        answered_at=clock.now(),
    )
    db.add(call)
    db.commit()
    linked = api.post(f"/api/tickets/{a['id']}/links", {"ticket_id": b["id"], "kind": "related"}, as_="alice")
    assert linked.status_code == 201
    assert api.get(f"/api/tickets/{b['id']}", as_="alice").get_json()["links"] == [
        {"ticket_id": a["id"], "kind": "related"}
    ]
    assert api.post(f"/api/tickets/{a['id']}/interactions", {"interaction_id": call.id}, as_="alice").status_code == 201
    assert api.post(f"/api/tickets/{a['id']}/interactions", {"interaction_id": call.id}, as_="alice").status_code == 200
    merged = api.post(f"/api/tickets/{a['id']}/merge", {"into": b["id"]}, as_="alice")
    assert merged.status_code == 200 and merged.get_json()["moved_calls"] == 1
    source = api.get(f"/api/tickets/{a['id']}", as_="alice").get_json()
    assert source["status"] == "merged" and source["merged_into_id"] == b["id"]
    assert api.get(f"/api/tickets/{b['id']}", as_="alice").get_json()["interaction_ids"] == [call.id]
    assert error_of(api.patch(f"/api/tickets/{a['id']}", {"status": "open"}, as_="alice")) == (
        409,
        "invalid_transition",
    )
    assert api.delete(f"/api/tickets/{a['id']}/links/{b['id']}", as_="alice").status_code == 204
    assert error_of(api.delete(f"/api/tickets/{a['id']}/links/{b['id']}", as_="alice")) == (404, "not_found")
    theirs = open_ticket(db, "Billing", queue_id=org.billing.id)
    db.commit()
    assert error_of(api.post(f"/api/tickets/{b['id']}/merge", {"into": theirs.id}, as_="alice")) == (404, "not_found")


def collect(api, path, as_="alice"):  # type: ignore[no-untyped-def]
    seen, cursor, pages = [], None, 0
    while True:
        url = path + ("&" if "?" in path else "?") + (f"cursor={cursor}" if cursor else "")
        response = api.get(url, as_=as_)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        seen += [item["id"] for item in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


def test_keyset_pages_walk_everything_once(api, org, db):
    ids = [open_ticket(db, f"Ticket {n}", queue_id=org.support.id).id for n in range(23)]
    open_ticket(db, "Not mine", queue_id=org.billing.id)
    db.commit()
    seen, pages = collect(api, "/api/tickets?limit=5")
    assert seen == sorted(ids, reverse=True) and pages == 5
    assert collect(api, "/api/tickets?limit=10&sort=id")[0] == sorted(ids)
    by_update, _ = collect(api, "/api/tickets?limit=4&sort=-updated_at")
    assert sorted(by_update) == sorted(ids) and len(set(by_update)) == len(ids)


def test_bad_cursors_are_400(api, org, db):
    for n in range(3):
        open_ticket(db, f"T{n}", queue_id=org.support.id)
    db.commit()
    cursor = api.get("/api/tickets?limit=1", as_="alice").get_json()["next_cursor"]
    assert api.get(f"/api/tickets?limit=1&cursor={cursor}", as_="alice").status_code == 200
    for bad in ("garbage", "eyJ4IjoxfQ", cursor[:-2] + "zz", "W10", "WyJ0aWNrZXRzLWlkIiwiMSBPUiAxPTEiXQ"):
        assert error_of(api.get(f"/api/tickets?cursor={bad}", as_="alice")) == (400, "invalid_cursor"), bad
    assert error_of(api.get(f"/api/tickets?sort=id&cursor={cursor}", as_="alice")) == (400, "invalid_cursor")


def test_filters(api, org, db):
    mine = make(api, queue_id=org.support.id, priority="urgent", tags=["vip"])
    api.patch(f"/api/tickets/{mine['id']}", {"status": "open"}, as_="alice")
    other = make(api, queue_id=org.support.id, tags=["vip-not"])
    unassigned = api.get("/api/tickets?assignee_id=none", as_="alice").get_json()["data"]
    assert {t["id"] for t in unassigned} == {mine["id"], other["id"]}

    def ids(query):  # type: ignore[no-untyped-def]
        response = api.get(f"/api/tickets?{query}", as_="alice")
        assert response.status_code == 200, response.get_json()
        return {t["id"] for t in response.get_json()["data"]}

    assert ids("status=open") == {mine["id"]}
    assert ids("status=open,new") == {mine["id"], other["id"]}
    assert ids("priority=urgent") == {mine["id"]}
    assert ids("tag=vip") == {mine["id"]}  # an exact tag, not a substring
    assert ids(f"queue_id={org.support.id}&priority=normal") == {other["id"]}
    assert ids("created_after=2000-01-01T00:00:00Z") == {mine["id"], other["id"]}
    assert ids("created_before=2000-01-01T00:00:00%2B00:00") == set()
    assert ids("assignee_id=me") == set()


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "status=open' OR '1'='1",
        "priority=urgent;DROP TABLE tickets",
        "queue_id=abc",
        "queue_id=1 OR 1=1",
        "queue_id=-1",
        "queue_id=99999999999",
        "assignee_id=everyone",
        "created_after=yesterday",
        "created_after=2026-06-01T00:00:00",
        "limit=0",
        "limit=1000",
        "limit=ten",
        "sort=subject",
        "colour=blue",
        "status=open&status=new",
        "tag=" + "x" * 41,
    ],
)
def test_bad_filters_are_400_and_harmless(api, org, db, query):
    make(api)
    before = db.scalar(select(func.count(Ticket.id)))
    assert error_of(api.get(f"/api/tickets?{query}", as_="alice")) == (400, "invalid_filter")
    assert db.scalar(select(func.count(Ticket.id))) == before


@pytest.mark.parametrize("tag", ["x' OR 1=1 --", "%", "_", '"', "\\", "vip\"]'); DROP TABLE tickets; --"])
def test_injection_in_tag_filter_finds_nothing(api, org, db, tag):
    make(api, tags=["vip"])
    from urllib.parse import quote

    response = api.get(f"/api/tickets?tag={quote(tag)}", as_="alice")
    assert response.status_code == 200 and response.get_json()["data"] == []
    assert db.scalar(select(func.count(Ticket.id))) == 1


# -- moving a ticket out of the agent's reach is refused before anything is written -----------


def _row(db, ticket_id):  # type: ignore[no-untyped-def]
    db.expire_all()
    t = db.get(Ticket, ticket_id)
    return (t.queue_id, t.assignee_id, t.priority, t.updated_at)


def test_agent_cannot_move_a_ticket_to_a_foreign_queue(api, org, db):
    ticket = make(api, queue_id=org.support.id)
    before = _row(db, ticket["id"])
    response = api.patch(
        f"/api/tickets/{ticket['id']}", {"queue_id": org.billing.id, "priority": "urgent"}, as_="alice"
    )
    assert error_of(response) == (403, "forbidden")
    assert "queue" in response.get_json()["error"]["message"]
    assert _row(db, ticket["id"]) == before


def test_agent_cannot_hand_a_queueless_ticket_to_someone_else(api, org, db):
    ticket = make(api)  # assigned to alice, no queue
    before = _row(db, ticket["id"])
    response = api.patch(f"/api/tickets/{ticket['id']}", {"assignee_id": org.bob.id}, as_="alice")
    assert error_of(response) == (403, "forbidden")
    assert _row(db, ticket["id"]) == before
    assert db.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket["id"])) == 1


def test_agent_may_reassign_within_their_queue(api, org):
    ticket = make(api, queue_id=org.support.id)
    response = api.patch(f"/api/tickets/{ticket['id']}", {"assignee_id": org.bob.id}, as_="alice")
    assert response.status_code == 200 and response.get_json()["assignee_id"] == org.bob.id


def test_supervisor_moves_tickets_anywhere(api, org):
    ticket = make(api, queue_id=org.support.id)
    response = api.patch(f"/api/tickets/{ticket['id']}", {"queue_id": org.billing.id}, as_="sam")
    assert response.status_code == 200 and response.get_json()["queue_id"] == org.billing.id
