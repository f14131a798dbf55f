"""The web chat over HTTP and Socket.IO: the widget's routes from an allowed site, what they
refuse (other sites, forged tokens, oversized and malformed input), hostile text kept as text,
and the agent's side of the conversation on /desktop."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from contactcenter.acd.services import chat_key
from contactcenter.chat.models import Chat, ChatMessage
from contactcenter.config import Settings
from contactcenter.tickets.models import Ticket
from tests.support.chats import chat_team
from tests.support.factories import PASSWORD
from web.extensions import socketio

SITE = "https://shop.example.com"
FORM = {"name": "Ada Visitor", "email": "ada@example.com", "question": "Where is my order?", "queue": "support"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with the host site's origin allowed to carry the widget."""
    return settings.with_overrides(chat_allowed_origins=(SITE,))


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    return chat_team(db)


def _start(client, **overrides):  # type: ignore[no-untyped-def]
    return client.post("/chat/start", json={**FORM, **overrides}, headers={"Origin": SITE})


def _as_visitor(token):  # type: ignore[no-untyped-def]
    return {"Origin": SITE, "X-Chat-Token": token}


def _logged_in(app, username):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_a_chat_started_from_an_allowed_site_gets_a_token_and_cors_headers(client, team):
    resp = _start(client)
    assert resp.status_code == 201
    assert resp.headers["Access-Control-Allow-Origin"] == SITE
    assert resp.json["token"] and resp.json["status"] == "waiting"
    assert [m["body"] for m in resp.json["messages"]] == ["Where is my order?"]


def test_a_site_not_allowed_is_refused_and_nothing_is_stored(client, db, team):
    resp = client.post("/chat/start", json=FORM, headers={"Origin": "https://evil.example.net"})
    assert resp.status_code == 403 and resp.json["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in resp.headers
    assert db.scalar(select(Chat.id)) is None


def test_the_preflight_names_the_token_header_for_an_allowed_site(client, team):
    resp = client.options(
        "/chat/messages",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-chat-token",
        },
    )
    assert resp.status_code == 200
    assert "X-Chat-Token" in resp.headers["Access-Control-Allow-Headers"]


def test_a_forged_token_is_refused(client, team):
    token = _start(client).json["token"]
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    resp = client.post("/chat/messages", json={"body": "hi", "client_id": "a1"}, headers=_as_visitor(forged))
    assert resp.status_code == 403 and resp.json["error"]["code"] == "chat_token_invalid"


def test_an_oversized_message_is_refused_and_not_stored(client, db, team):
    token = _start(client).json["token"]
    resp = client.post("/chat/messages", json={"body": "x" * 2001, "client_id": "big"}, headers=_as_visitor(token))
    assert resp.status_code == 400 and "2000" in resp.json["error"]["message"]
    assert db.scalar(select(ChatMessage.id).where(ChatMessage.client_id == "big")) is None


def test_an_oversized_request_body_is_refused(client, team):
    token = _start(client).json["token"]
    resp = client.post(
        "/chat/messages",
        data=b'{"body": "' + b"x" * 20000 + b'"}',
        headers={**_as_visitor(token), "Content-Type": "application/json"},
    )
    assert resp.status_code == 413


def test_malformed_json_is_refused(client, team):
    token = _start(client).json["token"]
    resp = client.post(
        "/chat/messages", data="not json", headers={**_as_visitor(token), "Content-Type": "application/json"}
    )
    assert resp.status_code == 400


def test_html_and_sql_in_a_message_are_kept_as_plain_text(client, db, team):
    token = _start(client).json["token"]
    hostile = "<img src=x onerror=alert(1)> '; DROP TABLE chats; --"
    assert (
        client.post("/chat/messages", json={"body": hostile, "client_id": "h1"}, headers=_as_visitor(token)).status_code
        == 200
    )
    polled = client.get("/chat/poll?after=1", headers=_as_visitor(token)).json
    assert polled["messages"][0]["body"] == hostile
    assert db.scalar(select(ChatMessage.body).where(ChatMessage.client_id == "h1")) == hostile


def test_a_resend_after_a_drop_is_answered_with_the_stored_message(client, db, team):
    token = _start(client).json["token"]
    first = client.post("/chat/messages", json={"body": "again?", "client_id": "r1"}, headers=_as_visitor(token)).json
    second = client.post("/chat/messages", json={"body": "again?", "client_id": "r1"}, headers=_as_visitor(token)).json
    assert second["duplicate"] and second["message"]["seq"] == first["message"]["seq"]


def test_poll_after_a_position_returns_only_newer_messages(client, team):
    token = _start(client).json["token"]
    for n in range(3):
        client.post("/chat/messages", json={"body": f"m{n}", "client_id": f"p{n}"}, headers=_as_visitor(token))
    polled = client.get("/chat/poll?after=2", headers=_as_visitor(token)).json
    assert [m["body"] for m in polled["messages"]] == ["m1", "m2"]


def test_a_hostile_pre_chat_form_is_refused(client, db, team):
    resp = _start(client, email="<script>alert(1)</script>")
    assert resp.status_code == 400
    assert db.scalar(select(Ticket.id)) is None


def test_the_demo_page_carries_the_widget_under_a_strict_policy(client, team):
    resp = client.get("/chat/demo")
    assert resp.status_code == 200
    assert b'src="/chat/widget.js" data-queue="chat"' in resp.data  # the demo's web chat queue
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


def test_the_agent_accepts_the_chat_offer_and_answers(app, db, team, runtime):
    queue, alice = team
    desk = _logged_in(app, "alice")
    assert desk.post("/desktop/state", json={"state": "available"}).status_code == 200
    visitor = app.test_client()
    started = _start(visitor).json
    snap = desk.get("/desktop/snapshot").json
    assert snap["offer_chat"]["visitor"] == "Ada Visitor"
    assert desk.post(f"/desktop/offers/{snap['offer']['offer_id']}/accept").status_code == 200
    chat_id = started["chat_id"]
    assert desk.get("/desktop/snapshot").json["chat"]["id"] == chat_id
    sent = desk.post(f"/desktop/chats/{chat_id}/messages", json={"body": "Hello Ada"})
    assert sent.status_code == 200
    polled = visitor.get("/chat/poll?after=1", headers=_as_visitor(started["token"])).json
    assert polled["agent"] == "Alice" and [m["body"] for m in polled["messages"]][-1] == "Hello Ada"


def test_another_agent_cannot_read_the_chat(app, db, team):
    from tests.support.factories import gen_agent

    gen_agent(db, "bob")
    started = _start(app.test_client()).json
    bob = _logged_in(app, "bob")
    assert bob.get(f"/desktop/chats/{started['chat_id']}").status_code == 403


def test_the_socket_from_a_site_not_allowed_is_refused(app, team):
    token = _start(app.test_client()).json["token"]
    sock = socketio.test_client(
        app, namespace="/chat", auth={"token": token}, headers={"Origin": "https://evil.example.net"}
    )
    assert not sock.is_connected(namespace="/chat")


def test_the_socket_with_a_forged_token_is_refused(app, team):
    sock = socketio.test_client(app, namespace="/chat", auth={"token": "forged"}, headers={"Origin": SITE})
    assert not sock.is_connected(namespace="/chat")


def test_a_message_sent_on_the_socket_is_stored_once_and_reaches_the_room(live_app, team):
    token = _start(live_app.test_client()).json["token"]
    sock = socketio.test_client(live_app, namespace="/chat", auth={"token": token}, headers={"Origin": SITE})
    assert sock.is_connected(namespace="/chat")
    ack = sock.emit(
        "chat.send", {"token": token, "body": "via socket", "client_id": "s1"}, namespace="/chat", callback=True
    )
    again = sock.emit(
        "chat.send", {"token": token, "body": "via socket", "client_id": "s1"}, namespace="/chat", callback=True
    )
    assert ack["message"]["seq"] == 2 and again["duplicate"]
    deadline, got = time.monotonic() + 3, []
    while time.monotonic() < deadline and not got:
        got = [m for m in sock.get_received("/chat") if m["name"] == "chat.message"]
        time.sleep(0.05)
    assert got and got[0]["args"][0]["message"]["body"] == "via socket"


def test_the_socket_resume_returns_what_was_missed(app, team):
    client = app.test_client()
    token = _start(client).json["token"]
    client.post("/chat/messages", json={"body": "while away", "client_id": "w1"}, headers=_as_visitor(token))
    sock = socketio.test_client(app, namespace="/chat", auth={"token": token}, headers={"Origin": SITE})
    resumed = sock.emit("chat.resume", {"token": token, "after": 1}, namespace="/chat", callback=True)
    assert [m["body"] for m in resumed["messages"]] == ["while away"]


def test_visitor_ending_a_waiting_chat_takes_it_out_of_the_queue(app, team, runtime):
    client = app.test_client()
    started = _start(client).json
    assert client.post("/chat/end", json={}, headers=_as_visitor(started["token"])).status_code == 200
    snapshot = runtime.acd.call_snapshot(chat_key(started["chat_id"]))
    assert snapshot is None or snapshot.state not in ("waiting", "offered")


def test_a_rating_out_of_range_is_refused(client, team):
    token = _start(client).json["token"]
    client.post("/chat/end", json={}, headers=_as_visitor(token))
    resp = client.post("/chat/rating", json={"score": 9, "comment": ""}, headers=_as_visitor(token))
    assert resp.status_code == 400


def test_messages_past_the_rate_limit_are_refused(client, team):
    token = _start(client).json["token"]
    codes = [
        client.post(
            "/chat/messages", json={"body": f"n{n}", "client_id": f"l{n}"}, headers=_as_visitor(token)
        ).status_code
        for n in range(32)
    ]
    assert codes[:30] == [200] * 30 and codes[-1] == 429


def test_the_transcript_is_queued_to_the_visitor_on_request(client, db, team):
    from contactcenter.mail.models import Mailbox, MailMessage

    db.add(Mailbox(address="help@example.com", display_name="Help"))
    db.flush()
    token = _start(client).json["token"]
    resp = client.post("/chat/transcript", json={}, headers=_as_visitor(token))
    assert resp.status_code == 200 and resp.json["to"] == "ada@example.com"
    mail = db.scalars(select(MailMessage).where(MailMessage.note == "chat transcript")).one()
    assert "Where is my order?" in mail.body_text


def test_without_a_mailbox_the_transcript_request_says_so(client, team):
    token = _start(client).json["token"]
    resp = client.post("/chat/transcript", json={}, headers=_as_visitor(token))
    assert resp.status_code == 409 and resp.json["error"]["code"] == "no_mailbox"
