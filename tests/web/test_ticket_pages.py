"""The ticket workspace pages through Flask's test client: access as the API, every action on the
audit trail, CSRF, and hostile or oversized input refused with a message and nothing lost."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.tickets.models import Ticket, TicketComment, TicketEvent, TicketLink, TicketMerge
from tests.support.factories import gen_agent, gen_call, gen_customer, gen_member, gen_queue, gen_ticket
from tests.support.web_client import log_in


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    a, b = gen_queue(db, "queue_a", display_name="Queue A"), gen_queue(db, "queue_b", display_name="Queue B")
    alice = gen_agent(db, "alice", display_name="Alice Agent")
    sam = gen_agent(db, "sam", role=Role.SUPERVISOR, display_name="Sam Supervisor")
    gen_member(db, alice, a)
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",), segment="gold")
    ours = gen_ticket(db, "Printer jams", queue_id=a.id, customer_id=grace.id)
    theirs = gen_ticket(db, "Other queue's ticket", queue_id=b.id, customer_id=grace.id)
    db.commit()
    return {"a": a, "b": b, "alice": alice, "sam": sam, "grace": grace, "ours": ours, "theirs": theirs}


def trail(db, ticket):  # type: ignore[no-untyped-def]
    db.expire_all()
    return list(db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)))


def text(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.get_data(as_text=True)


# -- access ---------------------------------------------------------------------------------------


def test_pages_need_a_login(client, office):
    for path in ("/tickets", f"/tickets/{office['ours'].id}"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_the_top_navigation_links_the_tickets(client, office):
    log_in(client, "alice")
    assert 'href="/tickets">Tickets</a>' in text(client.get("/"))


def test_an_agent_gets_404_for_another_queues_ticket(client, office):
    log_in(client, "alice")
    assert client.get(f"/tickets/{office['ours'].id}").status_code == 200
    assert client.get(f"/tickets/{office['theirs'].id}").status_code == 404
    assert client.get("/tickets/999999").status_code == 404
    assert client.get("/tickets/99999999999999").status_code == 404
    posted = client.post(f"/tickets/{office['theirs'].id}/comments", data={"body": "hi", "visibility": "internal"})
    assert posted.status_code == 404
    assert office["theirs"].id not in _listed(client, "/tickets?view=all")


def test_a_supervisor_sees_every_ticket(client, office):
    log_in(client, "sam")
    assert client.get(f"/tickets/{office['theirs'].id}").status_code == 200
    assert {office["ours"].id, office["theirs"].id} <= set(_listed(client, "/tickets?view=unassigned"))


def _listed(client, path):  # type: ignore[no-untyped-def]
    resp = client.get(path)
    assert resp.status_code == 200, text(resp)
    return [int(i) for i in re.findall(r'data-ticket-id="(\d+)"', text(resp))]


# -- views ----------------------------------------------------------------------------------------


def test_views_show_their_counts(client, office):
    log_in(client, "alice")
    page = text(client.get("/tickets?view=my_queues"))
    counts = dict(re.findall(r'data-view="(\w+)"[^>]*>[^<]*<span class="count">(\d+)</span>', page))
    assert counts["my_queues"] == "1" and counts["mine"] == "0" and counts["all"] == "1"
    assert "Printer jams" in page and "Other queue" not in page


def test_views_page_with_cursors(client, db, office):
    for i in range(60):
        gen_ticket(db, f"Bulk {i}", queue_id=office["a"].id)
    db.commit()
    log_in(client, "alice")
    first = client.get("/tickets?view=my_queues")
    ids = [int(i) for i in re.findall(r'data-ticket-id="(\d+)"', text(first))]
    assert len(ids) == 50
    next_url = re.search(r'id="next-page" href="([^"]+)"|href="([^"]+)" id="next-page"', text(first))
    assert next_url is not None
    second = client.get((next_url.group(1) or next_url.group(2)).replace("&amp;", "&"))
    more = [int(i) for i in re.findall(r'data-ticket-id="(\d+)"', text(second))]
    assert len(more) == 11 and not set(ids) & set(more)
    assert 'id="next-page"' not in text(second)


@pytest.mark.parametrize(
    "query, message",
    [
        ("view=everything", "view must be one of"),
        ("status=bogus", "status must be one of"),
        ("queue=1%27%20OR%201%3D1%20--", "queue must be chosen"),
        ("assignee=%3Cscript%3E", "assignee must be chosen"),
        ("created_from=31/12/2026", "created from: a date"),
        ("cursor=not-a-cursor", "page link is out of date"),
        ("tag=" + "x" * 10_000, "at most"),
        ("tag=a%00b", "control characters are not allowed"),
    ],
)
def test_bad_filters_give_a_message_not_an_error(client, office, query, message):
    log_in(client, "sam")
    resp = client.get("/tickets?" + query)
    assert resp.status_code == 400
    assert message in text(resp)
    assert "<script>" not in text(resp)


def test_customer_card_links_their_other_tickets(client, office):
    log_in(client, "sam")
    page = text(client.get(f"/tickets/{office['ours'].id}"))
    assert "Grace Hopper" in page and "+14155550100" in page and "gold" in page
    link = re.search(r'href="([^"]+)" id="customer-tickets">Other tickets \((\d+)\)', page)
    assert link is not None and link.group(2) == "1"
    listed = _listed(client, link.group(1).replace("&amp;", "&"))
    assert set(listed) == {office["ours"].id, office["theirs"].id}


def test_customer_card_links_the_customer_page(client, office):
    log_in(client, "sam")
    page = text(client.get(f"/tickets/{office['ours'].id}"))
    link = re.search(r'href="([^"]+)" id="customer-link"', page)
    assert link is not None
    assert "Grace Hopper" in text(client.get(link.group(1)))


def test_the_ticket_page_shows_the_timeline(client, db, office):
    from contactcenter.tickets.services import add_comment, link_interaction

    call = gen_call(
        db,
        queue_id=office["a"].id,
        disposition="callback",
        notes="wants a call back",
        ivr_path=[{"node": "menu", "input": "1"}],
    )
    link_interaction(db, office["ours"], call)
    add_comment(db, office["ours"], "<b>internal</b>", public=False, author_id=office["alice"].id)
    add_comment(db, office["ours"], "Hello there", public=True, author_id=office["alice"].id)
    db.commit()
    log_in(client, "alice")
    page = text(client.get(f"/tickets/{office['ours'].id}"))
    assert "menu (1)" in page and "callback" in page and "wants a call back" in page
    assert 'class="entry entry-comment internal author-agent"' in page
    assert 'class="entry entry-comment public author-agent"' in page
    assert "&lt;b&gt;internal&lt;/b&gt;" in page and "<b>internal</b>" not in page


# -- actions ----------------------------------------------------------------------------------------


def test_comments_are_written_with_the_trail_and_redirect(client, db, office):
    log_in(client, "alice")
    ticket = office["ours"]
    resp = client.post(f"/tickets/{ticket.id}/comments", data={"body": "Looking into it", "visibility": "internal"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tickets/{ticket.id}#timeline")
    resp = client.post(f"/tickets/{ticket.id}/comments", data={"body": "We are on it", "visibility": "public"})
    assert resp.status_code == 302
    comments = list(
        db.scalars(select(TicketComment).where(TicketComment.ticket_id == ticket.id).order_by(TicketComment.id))
    )
    assert [(c.body, c.public, c.author_id) for c in comments] == [
        ("Looking into it", False, office["alice"].id),
        ("We are on it", True, office["alice"].id),
    ]
    events = [e for e in trail(db, ticket) if e.kind == "comment"]
    assert [e.after["public"] for e in events] == [False, True]
    assert all(e.actor_id == office["alice"].id for e in events)
    assert "Public reply sent." in text(client.get(f"/tickets/{ticket.id}"))


def test_status_priority_assignee_queue_and_tags_change_on_the_trail(client, db, office):
    log_in(client, "sam")
    ticket = office["ours"]
    resp = client.post(
        f"/tickets/{ticket.id}/properties",
        data={
            "subject": ticket.subject,
            "status": "open",
            "priority": "high",
            "queue_id": str(office["b"].id),
            "assignee_id": str(office["sam"].id),
            "tags": "Billing, vip",
        },
    )
    assert resp.status_code == 302, text(resp)
    db.expire_all()
    fresh = db.get(Ticket, ticket.id)
    assert (fresh.status, fresh.priority, fresh.queue_id, fresh.assignee_id, fresh.tags) == (
        "open",
        "high",
        office["b"].id,
        office["sam"].id,
        ["billing", "vip"],
    )
    changed = {(e.kind, e.field) for e in trail(db, ticket)}
    assert {
        ("status", "status"),
        ("updated", "priority"),
        ("updated", "queue_id"),
        ("updated", "assignee_id"),
        ("updated", "tags"),
    } <= changed
    assert all(e.actor_id == office["sam"].id for e in trail(db, ticket) if e.kind != "created")


def test_an_agent_cannot_move_a_ticket_out_of_reach(client, db, office):
    log_in(client, "alice")
    ticket = office["ours"]
    resp = client.post(
        f"/tickets/{ticket.id}/properties",
        data={
            "subject": ticket.subject,
            "status": "new",
            "priority": "normal",
            "queue_id": str(office["b"].id),
            "assignee_id": "",
            "tags": "",
        },
    )
    assert resp.status_code == 400 and "out of your reach" in text(resp)
    db.expire_all()
    assert db.get(Ticket, ticket.id).queue_id == office["a"].id


def test_a_refused_status_move_names_the_allowed_ones(client, db, office):
    log_in(client, "sam")
    ticket = office["ours"]
    resp = client.post(
        f"/tickets/{ticket.id}/properties",
        data={
            "subject": ticket.subject,
            "status": "closed",
            "priority": "urgent",
            "queue_id": str(office["a"].id),
            "assignee_id": "",
            "tags": "",
        },
    )
    assert resp.status_code == 400
    assert "cannot change status from new to closed" in text(resp)
    db.expire_all()
    fresh = db.get(Ticket, ticket.id)
    assert (fresh.status, fresh.priority) == ("new", "normal")  # nothing of the refused change is kept
    assert [e.kind for e in trail(db, ticket)] == ["created"]


def test_link_and_merge_by_number(client, db, office):
    log_in(client, "sam")
    ours, theirs = office["ours"], office["theirs"]
    third = gen_ticket(db, "Third")
    db.commit()
    resp = client.post(f"/tickets/{ours.id}/relations", data={"number": f"#{third.id}", "relation": "related"})
    assert resp.status_code == 302
    assert db.scalar(select(TicketLink).where(TicketLink.ticket_id == min(ours.id, third.id))) is not None
    assert "linked_ticket" in [e.kind for e in trail(db, ours)]
    resp = client.post(f"/tickets/{theirs.id}/relations", data={"number": str(ours.id), "relation": "merge"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tickets/{ours.id}#timeline")
    assert db.scalar(select(TicketMerge).where(TicketMerge.source_id == theirs.id)).target_id == ours.id
    assert "merged_from" in [e.kind for e in trail(db, ours)]
    page = text(client.get(f"/tickets/{ours.id}"))
    assert f"Ticket #{theirs.id} merged into this one" in page and f"Linked to ticket #{third.id}" in page


@pytest.mark.parametrize(
    "number, message",
    [
        ("", "give the number of the other ticket"),
        ("abc", "give the number of the other ticket"),
        ("1; DROP TABLE tickets", "give the number of the other ticket"),
        ("99999999999999", "give the number of the other ticket"),
        ("424242", "there is no ticket #424242 you can see"),
    ],
)
def test_bad_ticket_numbers_are_refused(client, office, number, message):
    log_in(client, "sam")
    resp = client.post(f"/tickets/{office['ours'].id}/relations", data={"number": number, "relation": "related"})
    assert resp.status_code == 400 and message in text(resp)


def test_an_agent_cannot_merge_into_a_ticket_they_cannot_see(client, db, office):
    log_in(client, "alice")
    resp = client.post(
        f"/tickets/{office['ours'].id}/relations", data={"number": str(office["theirs"].id), "relation": "merge"}
    )
    assert resp.status_code == 400 and f"there is no ticket #{office['theirs'].id} you can see" in text(resp)
    assert db.scalar(select(TicketMerge)) is None


# -- CSRF and hostile input -------------------------------------------------------------------------


def test_forms_need_the_csrf_token(app, db, office):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(page)).group(1)
    assert (
        client.post(
            "/login", data={"username": "alice", "password": "correct-horse-battery", "csrf_token": token}
        ).status_code
        == 302
    )
    ticket = office["ours"]
    for path, data in (
        (f"/tickets/{ticket.id}/comments", {"body": "x", "visibility": "internal"}),
        (f"/tickets/{ticket.id}/properties", {"status": "open"}),
        (f"/tickets/{ticket.id}/relations", {"number": "1", "relation": "related"}),
    ):
        assert client.post(path, data=data).status_code == 400
    assert db.scalar(select(TicketComment)) is None
    page = text(client.get(f"/tickets/{ticket.id}"))
    token = re.search(r'id="composer".*?name="csrf_token" value="([^"]+)"', page, re.S).group(1)
    resp = client.post(
        f"/tickets/{ticket.id}/comments", data={"body": "x", "visibility": "internal", "csrf_token": token}
    )
    assert resp.status_code == 302


def test_html_in_a_comment_is_shown_as_text(client, db, office):
    log_in(client, "alice")
    hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    client.post(f"/tickets/{office['ours'].id}/comments", data={"body": hostile, "visibility": "public"})
    page = text(client.get(f"/tickets/{office['ours'].id}"))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_html_and_sql_in_every_field_are_stored_and_shown_as_text(client, db, office):
    log_in(client, "sam")
    ticket = office["ours"]
    hostile = "<b onmouseover=alert(1)>x</b>'; DROP TABLE tickets; --"
    resp = client.post(
        f"/tickets/{ticket.id}/properties",
        data={
            "subject": hostile,
            "status": "new",
            "priority": "normal",
            "queue_id": str(office["a"].id),
            "assignee_id": "",
            "tags": "<i>tag</i>",
        },
    )
    assert resp.status_code == 302, text(resp)
    page = text(client.get(f"/tickets/{ticket.id}"))
    assert "<b onmouseover" not in page and "<i>tag</i>" not in page
    assert "&lt;b onmouseover=alert(1)&gt;" in page
    listing = text(client.get("/tickets?view=unassigned"))
    assert "<b onmouseover" not in listing and "&lt;i&gt;tag&lt;/i&gt;" in listing
    db.expire_all()
    assert db.get(Ticket, ticket.id).subject == hostile


def test_an_oversized_comment_is_refused_and_kept_in_the_composer(client, db, office):
    log_in(client, "alice")
    body = "word " * 4001  # 20,005 characters, over the 20,000 limit
    resp = client.post(f"/tickets/{office['ours'].id}/comments", data={"body": body, "visibility": "public"})
    assert resp.status_code == 400
    page = text(resp)
    assert "a comment holds at most 20,000 characters" in page
    assert body in page  # what they wrote is still there
    assert 'value="public" checked' in page
    assert db.scalar(select(TicketComment)) is None


def test_an_empty_comment_or_unknown_visibility_is_refused(client, db, office):
    log_in(client, "alice")
    resp = client.post(f"/tickets/{office['ours'].id}/comments", data={"body": "   ", "visibility": "internal"})
    assert resp.status_code == 400 and "a comment needs a body" in text(resp)
    resp = client.post(f"/tickets/{office['ours'].id}/comments", data={"body": "hi", "visibility": "everyone"})
    assert resp.status_code == 400 and "choose an internal note or a public reply" in text(resp)
    resp = client.post(f"/tickets/{office['ours'].id}/comments", data={"body": "a\x00b", "visibility": "internal"})
    assert resp.status_code == 400 and "cannot be stored" in text(resp)
    assert db.scalar(select(TicketComment)) is None


def test_a_ten_thousand_character_subject_is_refused_and_kept(client, db, office):
    log_in(client, "sam")
    ticket = office["ours"]
    subject = "S" * 10_000
    resp = client.post(
        f"/tickets/{ticket.id}/properties",
        data={
            "subject": subject,
            "status": "open",
            "priority": "high",
            "queue_id": str(office["a"].id),
            "assignee_id": "",
            "tags": "",
        },
    )
    assert resp.status_code == 400
    page = text(resp)
    assert "a subject holds at most 255 characters; this one has 10,000" in page
    assert subject in page and 'value="high" selected' in page
    db.expire_all()
    assert db.get(Ticket, ticket.id).subject == "Printer jams"
    assert [e.kind for e in trail(db, ticket)] == ["created"]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("queue_id", "' OR 1=1 --", "queue must be chosen from the list"),
        ("assignee_id", "-1", "assignee must be chosen from the list"),
        ("assignee_id", "999999", "user 999999 does not exist"),
        ("priority", "<script>", "priority must be one of"),
        ("tags", "x" * 41, "each tag must be 1 to 40 characters"),
        ("tags", "t" * 5000, "tags: at most 4096 characters"),
    ],
)
def test_bad_property_values_are_refused(client, db, office, field, value, message):
    log_in(client, "sam")
    ticket = office["ours"]
    data = {
        "subject": ticket.subject,
        "status": "new",
        "priority": "normal",
        "queue_id": str(office["a"].id),
        "assignee_id": "",
        "tags": "",
        field: value,
    }
    resp = client.post(f"/tickets/{ticket.id}/properties", data=data)
    assert resp.status_code == 400 and message in text(resp)
    assert "<script>" not in text(resp)
    assert [e.kind for e in trail(db, ticket)] == ["created"]


def test_a_refused_filter_stays_in_the_form_to_be_corrected(client, office):
    log_in(client, "sam")
    resp = client.get("/tickets?view=all&tag=" + "t" * 41 + "&priority=high")
    assert resp.status_code == 400 and "tag: at most 40 characters" in text(resp)
    assert f'value="{"t" * 41}"' in text(resp) and 'value="high" selected' in text(resp)
    assert "Correct the filter above" in text(resp)
