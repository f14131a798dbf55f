"""The agent's capacity per channel and mixing rule on the admin user page: shown, validated,
saved, and given to the router at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role, User
from contactcenter.acd.models import QueueMembership
from tests.support.factories import gen_agent, gen_queue
from tests.support.web_client import log_in


@pytest.fixture
def admin(db, client):  # type: ignore[no-untyped-def]
    gen_agent(db, "ann", role=Role.ADMIN)
    db.commit()
    log_in(client, "ann")
    return client


def form(**changes: str) -> dict[str, str]:
    data = {
        "action": "save",
        "display_name": "Bob",
        "role": "agent",
        "skills": "",
        "contact_uri": "client:bob",
        "capacity_shown": "1",
        "capacity_voice": "1",
        "capacity_chat": "3",
        "capacity_email": "5",
        "capacity_sms": "5",
        "voice_exclusive": "1",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def user(db, username):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalars(select(User).where(User.username == username)).one()


def test_the_user_page_shows_the_capacities_with_their_defaults(admin, db):
    bob = gen_agent(db, "bob")
    db.commit()
    page = admin.get(f"/admin/people/{bob.id}").data
    assert b'name="capacity_chat" type="number" min="0" max="20" required value="3"' in page
    assert b'name="voice_exclusive" type="checkbox" value="1" checked' in page


def test_an_admin_sets_capacities_and_lets_voice_mix(admin, db):
    bob = gen_agent(db, "bob")
    db.commit()
    data = form(capacity_chat="4", capacity_email="0", capacity_voice="0")
    del data["voice_exclusive"]  # an unticked box is not posted
    assert admin.post(f"/admin/people/{bob.id}", data=data).status_code == 303
    bob = user(db, "bob")
    assert bob.channel_capacity() == {"voice": 0, "chat": 4, "email": 0, "sms": 5}
    assert bob.voice_exclusive is False


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("capacity_voice", "2", b"voice capacity must be a whole number from 0 to 1"),
        ("capacity_chat", "-1", b"chat capacity must be a whole number from 0 to 20"),
        ("capacity_email", "99999", b"email capacity must be a whole number from 0 to 50"),
        ("capacity_sms", "3'; DROP TABLE users;--", b"capacity sms must be a whole number"),
        ("capacity_chat", "<b>3</b>", b"capacity chat must be a whole number"),
        ("capacity_chat", "9" * 5000, b"capacity chat is too long"),
    ],
)
def test_bad_capacities_are_refused_and_nothing_changes(admin, db, field, value, message):
    bob = gen_agent(db, "bob")
    db.commit()
    resp = admin.post(f"/admin/people/{bob.id}", data=form(**{field: value}))
    assert resp.status_code == 400 and message in resp.data
    assert user(db, "bob").channel_capacity() == {"voice": 1, "chat": 3, "email": 5, "sms": 5}


def test_a_form_without_the_capacity_fields_keeps_them(admin, db):
    bob = gen_agent(db, "bob")
    bob.capacity_chat, bob.voice_exclusive = 2, False
    db.commit()
    data = {k: v for k, v in form().items() if not k.startswith(("capacity", "voice_"))}
    assert admin.post(f"/admin/people/{bob.id}", data=data).status_code == 303
    bob = user(db, "bob")
    assert (bob.capacity_chat, bob.voice_exclusive) == (2, False)


def test_a_new_chat_capacity_reaches_the_router(admin, db, runtime):
    queue = gen_queue(db, "support")
    bob = gen_agent(db, "bob")
    db.add(QueueMembership(queue_id=queue.id, user_id=bob.id))
    db.commit()
    admin.post(f"/admin/people/{bob.id}", data=form(capacity_chat="1"))
    runtime.acd.set_state(str(bob.id), "available")
    runtime.acd.enqueue("chat-901", "support")
    runtime.acd.enqueue("chat-902", "support")
    assert runtime.acd.call_snapshot("chat-901").agent_id == str(bob.id)
    assert runtime.acd.call_snapshot("chat-902").state == "waiting"
