"""Admin pages for users, queues and skills: admins only, every value checked, errors shown,
changes reach the router at once."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from contactcenter.accounts.models import Role, Skill, User
from contactcenter.acd.models import Queue, QueueMembership
from tests.support.factories import PASSWORD, gen_agent, gen_queue

HOURS = {"time_zone": "America/New_York", "hours": {"mon": ["09:00-17:00"]}, "holidays": []}


@pytest.fixture
def admin(db, client):  # type: ignore[no-untyped-def]
    gen_agent(db, "ann", role=Role.ADMIN)
    db.commit()
    assert client.post("/login", data={"username": "ann", "password": PASSWORD}).status_code == 302
    return client


def queue_form(**changes: str) -> dict[str, str]:
    form = {
        "name": "billing",
        "display_name": "Billing",
        "strategy": "longest-idle",
        "required_skills": "billing=4",
        "priority": "5",
        "wrap_up_s": "45",
        "sl_threshold_s": "20",
        "sl_target": "0.8",
        "max_wait_s": "300",
        "max_length": "",
        "overflow_action": "voicemail",
        "overflow_queue_id": "",
        "hours": json.dumps(HOURS),
    }
    form.update(changes)
    return form


def user(db, username):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalars(select(User).where(User.username == username)).one()


# -- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/admin/people"),
        ("post", "/admin/people"),
        ("get", "/admin/queues"),
        ("post", "/admin/queues"),
        ("get", "/admin/skills"),
        ("post", "/admin/skills"),
    ],
)
def test_agents_and_supervisors_get_403(db, client, role, method, path):
    gen_agent(db, "pat", role=role)
    db.commit()
    client.post("/login", data={"username": "pat", "password": PASSWORD})
    assert getattr(client, method)(path).status_code == 403


def test_forms_need_the_csrf_token(admin, app):
    app.config["WTF_CSRF_ENABLED"] = True
    assert admin.post("/admin/skills", data={"name": "french"}).status_code == 400


# -- users ------------------------------------------------------------------------------------


def test_an_admin_creates_a_user_with_skills_and_contact(admin, db):
    resp = admin.post(
        "/admin/people",
        data={
            "username": "dora",
            "display_name": "Dora M",
            "password": "long-enough-1",
            "role": "agent",
            "skills": "billing=7, spanish=3",
            "contact_uri": "+14155550177",
        },
    )
    assert resp.status_code == 303
    dora = user(db, "dora")
    assert (dora.display_name, dora.role, dora.contact_uri) == ("Dora M", "agent", "+14155550177")
    assert dora.skill_levels() == {"billing": 7, "spanish": 3}


@pytest.mark.parametrize(
    "form,message",
    [
        ({"username": "x", "password": "long-enough-1"}, b"username"),
        ({"username": "eve", "password": "short"}, b"at least 8"),
        ({"username": "eve", "password": "long-enough-1", "role": "root"}, b"role must be"),
        ({"username": "eve", "password": "long-enough-1", "skills": "billing=11"}, b"1 to 10"),
        ({"username": "eve", "password": "long-enough-1", "skills": "billing"}, b"name=level"),
        ({"username": "eve", "password": "long-enough-1", "contact_uri": "javascript:alert(1)"}, b"contact URI"),
        ({"username": "eve'; DROP TABLE users;--", "password": "long-enough-1"}, b"username"),
        ({"username": "eve", "password": "long-enough-1", "display_name": "x" * 5000}, b"too long"),
    ],
)
def test_bad_user_input_is_refused_with_the_reason(admin, db, form, message):
    resp = admin.post("/admin/people", data=form)
    assert resp.status_code == 400 and message in resp.data
    assert db.scalars(select(User).where(User.username.like("eve%"))).all() == []


def test_a_taken_username_is_refused(admin, db):
    resp = admin.post("/admin/people", data={"username": "ann", "password": "long-enough-1"})
    assert resp.status_code == 400 and b"taken" in resp.data


def test_user_data_is_escaped(admin, db):
    gen_agent(db, "mal", display_name="<script>alert(1)</script>")
    db.commit()
    page = admin.get("/admin/people").data
    assert b"<script>alert(1)" not in page and b"&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_admin_changes_role_name_skills_and_contact(admin, db):
    bob = gen_agent(db, "bob", skills={"billing": 2})
    db.commit()
    resp = admin.post(
        f"/admin/people/{bob.id}",
        data={
            "action": "save",
            "display_name": "Bob B",
            "role": "supervisor",
            "skills": "billing=6\nsales=2",
            "contact_uri": "client:bob-desk",
        },
    )
    assert resp.status_code == 303
    bob = user(db, "bob")
    assert (bob.display_name, bob.role, bob.contact_uri) == ("Bob B", "supervisor", "client:bob-desk")
    assert bob.skill_levels() == {"billing": 6, "sales": 2}


def test_new_skills_reach_the_router(admin, db, runtime):
    billing = gen_queue(db, "billing", skills={"billing": 5})
    bob = gen_agent(db, "bob", skills={"billing": 2})
    db.add(QueueMembership(queue_id=billing.id, user_id=bob.id))
    db.commit()
    admin.post(
        f"/admin/people/{bob.id}",
        data={
            "action": "save",
            "display_name": "Bob",
            "role": "agent",
            "skills": "billing=6",
            "contact_uri": "client:bob",
        },
    )
    runtime.acd.set_state(str(bob.id), "available")
    runtime.acd.enqueue("CAadmin1", "billing")
    assert runtime.acd.call_snapshot("CAadmin1").agent_id == str(bob.id)


def test_reset_password(admin, db):
    bob = gen_agent(db, "bob")
    db.commit()
    assert (
        admin.post(f"/admin/people/{bob.id}", data={"action": "password", "password": "a-new-password"}).status_code
        == 303
    )
    assert check_password_hash(user(db, "bob").password_hash, "a-new-password")
    resp = admin.post(f"/admin/people/{bob.id}", data={"action": "password", "password": "short"})
    assert resp.status_code == 400 and b"at least 8" in resp.data


def test_deactivated_users_cannot_log_in(admin, db, app):
    bob = gen_agent(db, "bob")
    db.commit()
    assert admin.post(f"/admin/people/{bob.id}", data={"action": "deactivate"}).status_code == 303
    assert user(db, "bob").active is False
    other = app.test_client()
    assert other.post("/login", data={"username": "bob", "password": PASSWORD}).status_code == 401


def test_an_admin_cannot_lock_themselves_out(admin, db):
    ann = user(db, "ann")
    assert admin.post(f"/admin/people/{ann.id}", data={"action": "deactivate"}).status_code == 400
    resp = admin.post(
        f"/admin/people/{ann.id}",
        data={"action": "save", "display_name": "Ann", "role": "agent", "skills": "", "contact_uri": "client:ann"},
    )
    assert resp.status_code == 400 and user(db, "ann").role == "admin"


def test_unknown_users_and_actions(admin, db):
    assert admin.get("/admin/people/999999").status_code == 404
    ann = user(db, "ann")
    assert admin.post(f"/admin/people/{ann.id}", data={"action": "explode"}).status_code == 400


# -- skills -----------------------------------------------------------------------------------


def test_skills_are_created_and_validated(admin, db):
    assert admin.post("/admin/skills", data={"name": "french", "description": "Native speakers"}).status_code == 303
    assert db.scalars(select(Skill.name)).all() == ["french"]
    for bad in ("french", "has space", "<b>x</b>", ""):
        resp = admin.post("/admin/skills", data={"name": bad})
        assert resp.status_code == 400 and b"form-error" in resp.data


# -- queues -----------------------------------------------------------------------------------


def test_an_admin_creates_a_queue_with_every_setting(admin, db, runtime):
    resp = admin.post("/admin/queues", data=queue_form())
    assert resp.status_code == 303
    db.expire_all()
    queue = db.scalars(select(Queue).where(Queue.name == "billing")).one()
    assert (queue.priority, queue.wrap_up_s, queue.max_wait_s, queue.max_length) == (5, 45, 300, None)
    assert (queue.overflow_action, queue.hours, queue.sl_target) == ("voicemail", HOURS, 0.8)
    assert {qs.skill.name: qs.min_level for qs in queue.required_skills} == {"billing": 4}
    assert "billing" in {q.queue for q in runtime.acd.queue_stats()}


def test_an_admin_edits_a_queue(admin, db):
    queue = gen_queue(db, "billing", skills={"billing": 4, "en": 2})
    spill = gen_queue(db, "spill")
    db.commit()
    resp = admin.post(
        f"/admin/queues/{queue.id}",
        data=queue_form(
            strategy="most-skilled",
            required_skills="billing=6",
            overflow_action="queue",
            overflow_queue_id=str(spill.id),
            hours="",
        ),
    )
    assert resp.status_code == 303
    db.expire_all()
    queue = db.get(Queue, queue.id)
    assert (queue.strategy, queue.overflow_action, queue.overflow_queue_id, queue.hours) == (
        "most-skilled",
        "queue",
        spill.id,
        None,
    )
    assert {qs.skill.name: qs.min_level for qs in queue.required_skills} == {"billing": 6}
    page = admin.get(f"/admin/queues/{queue.id}").data
    assert b'value="billing=6"' in page


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"name": "Bad Name!"}, b"name"),
        ({"strategy": "random"}, b"strategy must be"),
        ({"priority": "900"}, b"priority must be"),
        ({"priority": "1; DROP TABLE queues"}, b"whole number"),
        ({"wrap_up_s": "-1"}, b"wrap up s must be"),
        ({"sl_target": "1.5"}, b"service-level target"),
        ({"sl_target": "lots"}, b"service-level target"),
        ({"overflow_action": "teleport"}, b"overflow must be"),
        ({"overflow_action": "queue", "overflow_queue_id": "999999"}, b"another existing queue"),
        ({"hours": "{not json"}, b"opening hours"),
        ({"hours": json.dumps({"time_zone": "Mars/Olympus", "hours": {}})}, b"opening hours"),
        ({"required_skills": "billing=0"}, b"1 to 10"),
        ({"display_name": "x" * 5000}, b"too long"),
    ],
)
def test_bad_queue_input_is_refused_with_the_reason(admin, db, changes, message):
    resp = admin.post("/admin/queues", data=queue_form(**changes))
    assert resp.status_code == 400 and message in resp.data, resp.data[-600:]
    assert db.scalars(select(Queue)).all() == []


def test_an_admin_sets_wrap_up_and_board_settings(admin, db):
    form = {
        **queue_form(),
        "dispositions": "sold=Sale made, no_sale=No sale",
        "alert_wait_s": "90",
        "sl_formula": "late-abandons-no-short",
        "time_zone": "America/New_York",
    }
    from werkzeug.datastructures import MultiDict

    form_items = MultiDict(list(form.items()) + [("wrap_up_auto_available", "0")])  # box left unticked
    assert admin.post("/admin/queues", data=form_items).status_code == 303
    db.expire_all()
    queue = db.scalars(select(Queue).where(Queue.name == "billing")).one()
    assert queue.dispositions == [{"code": "sold", "label": "Sale made"}, {"code": "no_sale", "label": "No sale"}]
    assert (queue.wrap_up_auto_available, queue.alert_wait_s) == (False, 90)
    assert (queue.sl_formula, queue.time_zone) == ("late-abandons-no-short", "America/New_York")
    page = admin.get(f"/admin/queues/{queue.id}").data
    assert b"sold=Sale made, no_sale=No sale" in page


def test_an_admin_asks_for_a_texted_survey_after_calls(admin, db):
    from werkzeug.datastructures import MultiDict

    form = MultiDict(list(queue_form().items()) + [("survey_after_call", "0"), ("survey_after_call", "1")])
    assert admin.post("/admin/queues", data=form).status_code == 303
    db.expire_all()
    queue = db.scalars(select(Queue).where(Queue.name == "billing")).one()
    assert queue.survey_after_call is True
    page = admin.get(f"/admin/queues/{queue.id}").get_data(as_text=True)
    assert 'name="survey_after_call" value="1" checked' in page


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"dispositions": "Bad Code!=x"}, b"disposition codes"),
        ({"dispositions": "a=A, a=Again"}, b"given twice"),
        ({"alert_wait_s": "0"}, b"longest-wait alert"),
        ({"sl_formula": "made_up"}, b"service-level formula"),
        ({"time_zone": "Mars/Olympus"}, b"unknown time zone"),
        ({"time_zone": "<script>alert(1)</script>"}, b"unknown time zone"),
    ],
)
def test_bad_wrap_up_and_board_settings_are_refused(admin, db, changes, message):
    resp = admin.post("/admin/queues", data=queue_form(**changes))
    assert resp.status_code == 400 and message in resp.data, resp.data[-600:]
    assert b"<script>alert(1)</script>" not in resp.data
    assert db.scalars(select(Queue)).all() == []


def test_a_queue_keeps_its_name(admin, db):
    queue = gen_queue(db, "billing")
    db.commit()
    resp = admin.post(f"/admin/queues/{queue.id}", data=queue_form(name="renamed"))
    assert resp.status_code == 400 and b"keeps its name" in resp.data


def test_an_oversized_form_is_refused(admin):
    assert admin.post("/admin/queues", data={"hours": "x" * (2 * 1024 * 1024)}).status_code == 413
