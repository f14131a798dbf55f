"""Ending sessions: logout, password reset, role change and deactivation end every session of
that user at once (signed cookies included), and their open sockets in every web process."""

from __future__ import annotations

import json
import time

import pytest

from contactcenter.accounts import sessions
from contactcenter.accounts.models import Role
from contactcenter.app import presence
from contactcenter.tickets.api_tokens import issue
from tests.support.factories import PASSWORD, gen_agent
from web.extensions import socketio


@pytest.fixture
def people(db):  # type: ignore[no-untyped-def]
    alice = gen_agent(db, "alice")
    gen_agent(db, "ann", role=Role.ADMIN)
    db.commit()
    return alice


def _signed_in(app, username):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    assert client.get("/").status_code == 200
    return client


def _signed_out(client) -> bool:  # type: ignore[no-untyped-def]
    resp = client.get("/")
    return resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_logout_ends_the_users_other_sessions(app, people):
    laptop, phone = _signed_in(app, "alice"), _signed_in(app, "alice")
    laptop.post("/logout")
    assert _signed_out(laptop) and _signed_out(phone)


def test_a_copied_cookie_does_not_outlive_logout(app, people):
    client = _signed_in(app, "alice")
    cookie = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert _signed_out(thief)


def test_other_users_stay_signed_in_after_a_logout(app, people):
    alice, ann = _signed_in(app, "alice"), _signed_in(app, "ann")
    alice.post("/logout")
    assert not _signed_out(ann)


@pytest.mark.parametrize(
    "form",
    [
        {"action": "password", "password": "a-brand-new-one"},
        {"action": "deactivate"},
        {"action": "save", "role": "supervisor", "display_name": "Alice", "contact_uri": "client:alice", "skills": ""},
    ],
)
def test_admin_changes_end_the_users_sessions(app, people, form):
    alice, admin = _signed_in(app, "alice"), _signed_in(app, "ann")
    assert admin.post(f"/admin/people/{people.id}", data=form).status_code == 303
    assert _signed_out(alice)


def test_saving_a_user_without_changing_the_role_keeps_their_session(app, people):
    alice, admin = _signed_in(app, "alice"), _signed_in(app, "ann")
    form = {"action": "save", "role": "agent", "display_name": "Alice A", "contact_uri": "client:alice", "skills": ""}
    assert admin.post(f"/admin/people/{people.id}", data=form).status_code == 303
    assert not _signed_out(alice)


def test_an_admin_resetting_their_own_password_stays_signed_in_here_only(app, people, db):
    from sqlalchemy import select

    from contactcenter.accounts.models import User

    ann = db.scalars(select(User).where(User.username == "ann")).one()
    here, elsewhere = _signed_in(app, "ann"), _signed_in(app, "ann")
    resp = here.post(f"/admin/people/{ann.id}", data={"action": "password", "password": "another-long-one"})
    assert resp.status_code == 303
    assert not _signed_out(here) and _signed_out(elsewhere)


def test_the_end_is_announced_to_every_web_process(app, people, redis_client):
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(sessions.SESSIONS_ENDED_CHANNEL)
    admin = _signed_in(app, "ann")
    admin.post(f"/admin/people/{people.id}", data={"action": "deactivate"})
    message = None
    deadline = time.monotonic() + 3
    while message is None and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
    pubsub.close()
    assert message is not None and json.loads(message["data"]) == {"user_id": people.id}


def test_a_deactivated_users_api_tokens_stop_working(app, people, db):
    secret = issue(db, people, "alice's sync").secret
    db.commit()
    api = app.test_client()
    assert api.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    _signed_in(app, "ann").post(f"/admin/people/{people.id}", data={"action": "deactivate"})
    assert api.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_password_reset_leaves_api_tokens_alone(app, people, db):
    secret = issue(db, people, "alice's sync").secret
    db.commit()
    _signed_in(app, "ann").post(f"/admin/people/{people.id}", data={"action": "password", "password": "new-password-1"})
    assert app.test_client().get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


# -- sockets ------------------------------------------------------------------------------------


def _until(predicate, timeout=3.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_a_socket_event_after_the_session_ended_is_refused(app, people):
    alice = _signed_in(app, "alice")
    sock = socketio.test_client(app, flask_test_client=alice)
    assert sock.is_connected()
    _signed_in(app, "ann").post(f"/admin/people/{people.id}", data={"action": "password", "password": "new-password-1"})
    assert sock.emit("snapshot.request", {}, callback=True) == {"error": "not signed in"}


def test_deactivation_disconnects_the_users_open_sockets(live_app, people):
    alice = _signed_in(live_app, "alice")
    sock = socketio.test_client(live_app, flask_test_client=alice)
    assert sock.is_connected()
    _signed_in(live_app, "ann").post(f"/admin/people/{people.id}", data={"action": "deactivate"})
    assert _until(lambda: not sock.is_connected())


def test_logout_disconnects_the_users_sockets_but_not_others(live_app, people):
    alice, ann = _signed_in(live_app, "alice"), _signed_in(live_app, "ann")
    alice_sock = socketio.test_client(live_app, flask_test_client=alice)
    ann_sock = socketio.test_client(live_app, flask_test_client=ann)
    alice.post("/logout")
    assert _until(lambda: not alice_sock.is_connected())
    assert ann_sock.is_connected()


def test_an_announcement_from_another_process_ends_this_processs_sockets(live_app, people, redis_client):
    alice = _signed_in(live_app, "alice")
    sock = socketio.test_client(live_app, flask_test_client=alice)
    assert sock.is_connected() and presence.is_connected(redis_client, people.id)
    sessions.announce_ended(redis_client, people.id)  # as another web process does after its commit
    assert _until(lambda: not sock.is_connected())
    assert _until(lambda: not presence.is_connected(redis_client, people.id))  # its presence goes too


@pytest.mark.parametrize("raw", [b"not json", b'{"user_id": "1 OR 1=1"}', b"[1]", b'{"user_id": true}', b"x" * 100_000])
def test_malformed_announcements_are_ignored(live_app, people, redis_client, raw):
    alice = _signed_in(live_app, "alice")
    sock = socketio.test_client(live_app, flask_test_client=alice)
    redis_client.publish(sessions.SESSIONS_ENDED_CHANNEL, raw)
    sessions.announce_ended(redis_client, 999_999)  # someone else: the relay is still alive after the bad one
    time.sleep(0.5)
    assert sock.is_connected()
    sessions.announce_ended(redis_client, people.id)
    assert _until(lambda: not sock.is_connected())


def test_a_new_socket_with_an_ended_session_is_refused(app, people):
    alice = _signed_in(app, "alice")
    _signed_in(app, "ann").post(f"/admin/people/{people.id}", data={"action": "password", "password": "new-password-1"})
    assert not socketio.test_client(app, flask_test_client=alice).is_connected()
