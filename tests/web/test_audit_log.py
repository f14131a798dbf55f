"""The audit log: logins (failed ones too), admin changes and customer views are recorded, never
a password or token; admins search it by who, action, object and date range, one page at a time."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from contactcenter import clock
from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService
from contactcenter.audit.models import AuditEntry, AuditLogIsAppendOnly
from contactcenter.audit.services import Origin, record
from contactcenter.contacts.models import Interaction
from contactcenter.tickets.api_tokens import issue
from tests.support.dialer import gen_campaign
from tests.support.factories import PASSWORD, call_sid, gen_customer, gen_queue, gen_staff

BROWSER = "Mozilla/5.0 (X11; Linux) TestBrowser/1.0"


@pytest.fixture
def people(db):  # type: ignore[no-untyped-def]
    return gen_staff(db)


def _signed_in(app, username="ann"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": BROWSER})
    resp = client.post("/login", data={"username": username, "password": PASSWORD})
    assert resp.status_code == 302
    return client


def _entries(db, action=None):  # type: ignore[no-untyped-def]
    db.expire_all()
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.scalars(stmt))


def _everything(db) -> str:  # type: ignore[no-untyped-def]
    """Every stored value of the log as one text, to look for secrets in."""
    return json.dumps(
        [[e.actor_name, e.action, e.object_type, e.object_id, e.ip, e.user_agent, e.details] for e in _entries(db)]
    )


# -- logins -------------------------------------------------------------------------------------


def test_a_login_is_recorded_with_ip_and_browser(app, people, db):
    _signed_in(app, "alice")
    [entry] = _entries(db, "login.success")
    assert (entry.actor_id, entry.actor_name, entry.ip, entry.user_agent) == (
        people["alice"].id,
        "alice",
        "203.0.113.7",
        BROWSER,
    )


def test_a_failed_login_is_recorded_with_the_username_tried_never_the_password(client, people, db):
    resp = client.post(
        "/login", data={"username": "Alice", "password": "guess-Swordfish-42"}, headers={"User-Agent": BROWSER}
    )
    assert resp.status_code == 401
    [entry] = _entries(db, "login.failure")
    assert entry.actor_id is None and entry.actor_name == "alice" and entry.details == {"username": "alice"}
    assert entry.user_agent == BROWSER
    assert "Swordfish" not in _everything(db)


def test_a_failed_login_for_an_unknown_hostile_username_is_kept_as_text(client, people, db):
    hostile = "x'; DROP TABLE audit_log;--<script>"
    client.post("/login", data={"username": hostile, "password": "whatever-1"})
    [entry] = _entries(db, "login.failure")
    assert entry.actor_name == hostile.lower()


def test_a_huge_user_agent_is_clipped(client, people, db):
    client.post("/login", data={"username": "alice", "password": "nope-nope"}, headers={"User-Agent": "A" * 5000})
    [entry] = _entries(db, "login.failure")
    assert entry.user_agent == "A" * 255


def test_logout_is_recorded(app, people, db):
    _signed_in(app, "alice").post("/logout")
    [entry] = _entries(db, "user.logout")
    assert entry.actor_id == people["alice"].id


# -- admin changes ------------------------------------------------------------------------------


def test_creating_a_user_is_recorded_without_the_password(app, people, db):
    admin = _signed_in(app)
    admin.post(
        "/admin/people",
        data={"username": "dora", "password": "Secret-Sauce-99", "role": "agent", "skills": "billing=7"},
    )
    [entry] = _entries(db, "user.create")
    assert entry.actor_name == "ann" and entry.object_type == "user"
    assert entry.details == {"username": "dora", "role": "agent", "skills": {"billing": 7}}
    assert "Secret-Sauce" not in _everything(db)


def test_a_password_reset_is_recorded_without_the_password(app, people, db):
    _signed_in(app).post(
        f"/admin/people/{people['alice'].id}", data={"action": "password", "password": "Hunter2-Hunter2"}
    )
    [entry] = _entries(db, "user.password_reset")
    assert entry.object_id == str(people["alice"].id)
    assert "Hunter2" not in _everything(db)


def test_a_role_change_is_recorded_with_before_and_after(app, people, db):
    _signed_in(app).post(
        f"/admin/people/{people['alice'].id}",
        data={
            "action": "save",
            "role": "supervisor",
            "display_name": "Alice",
            "contact_uri": "client:alice",
            "skills": "billing=3",
        },
    )
    [entry] = _entries(db, "user.update")
    assert entry.details["changed"] == ["display_name", "role", "skills"]
    assert entry.details["before"]["role"] == "agent" and entry.details["after"]["role"] == "supervisor"


def test_deactivation_is_recorded(app, people, db):
    _signed_in(app).post(f"/admin/people/{people['alice'].id}", data={"action": "deactivate"})
    assert [e.object_id for e in _entries(db, "user.deactivate")] == [str(people["alice"].id)]


def test_a_refused_change_records_nothing(app, people, db):
    _signed_in(app).post(f"/admin/people/{people['alice'].id}", data={"action": "password", "password": "short"})
    assert _entries(db, "user.password_reset") == []


def test_skills_and_queues_are_recorded(app, people, db):
    admin = _signed_in(app)
    admin.post("/admin/skills", data={"name": "french"})
    admin.post(
        "/admin/queues",
        data={
            "name": "billing",
            "display_name": "Billing",
            "strategy": "longest-idle",
            "required_skills": "",
            "priority": "5",
            "wrap_up_s": "45",
            "sl_threshold_s": "20",
            "sl_target": "0.8",
            "max_wait_s": "",
            "max_length": "",
            "overflow_action": "voicemail",
            "overflow_queue_id": "",
            "hours": "",
        },
    )
    assert [e.details["name"] for e in _entries(db, "skill.create")] == ["french"]
    [queue] = _entries(db, "queue.create")
    assert queue.details["name"] == "billing" and queue.object_type == "queue"


def test_publishing_a_flow_is_recorded(app, people, db, runtime, tmp_path):
    gen_queue(db, "support")
    db.commit()
    runtime.settings = runtime.settings.with_overrides(ivr_flows_dir=str(tmp_path))
    runtime.reload_flows()
    flow = (
        "flow: small\nversion: 2\nstart: hello\nnodes:\n  hello: {type: say, prompt: Hi, next: agent}\n"
        "  agent: {type: queue, queue: support}\n"
    )
    assert _signed_in(app).post("/admin/flows", data={"yaml": flow}).status_code == 303
    [entry] = _entries(db, "flow.publish")
    assert (entry.object_type, entry.object_id, entry.details) == ("flow", "small", {"version": 2})


def test_campaign_steps_are_recorded(app, people, db):
    campaign = gen_campaign(db, "Renewals", start=False)
    db.commit()
    _signed_in(app, "sam").post(f"/admin/dialer/{campaign.id}/start")
    [entry] = _entries(db, "campaign.start")
    assert entry.actor_name == "sam" and entry.object_id == str(campaign.id)


def test_tokens_are_recorded_never_their_secret(app, people, db):
    admin = _signed_in(app)
    page = admin.post("/admin/tokens", data={"name": "Sync", "user_id": str(people["alice"].id)}).data.decode()
    secret = page.split('id="new-token-secret">')[1].split("<")[0]
    [created] = _entries(db, "token.create")
    admin.post(f"/admin/tokens/{created.object_id}/revoke")
    api_made = admin.post("/api/tokens", json={"name": "From the API"}).get_json()
    assert [e.details["name"] for e in _entries(db, "token.create")] == ["Sync", "From the API"]
    assert [e.object_id for e in _entries(db, "token.revoke")] == [created.object_id]
    stored = _everything(db)
    assert secret not in stored and api_made["token"] not in stored and secret[:12] not in stored


# -- customer views -----------------------------------------------------------------------------


def test_the_customers_page_records_who_saw_which_customers(app, people, db):
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",))
    db.commit()
    _signed_in(app, "alice").get("/customers?phone=(415) 555-0100")
    [entry] = _entries(db, "customer.view")
    assert (entry.actor_name, entry.object_id) == ("alice", str(grace.id))
    assert entry.details["via"] == "customers page" and entry.details["customer_ids"] == [grace.id]


def test_a_customer_read_over_the_api_is_recorded(app, people, db):
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",))
    token = issue(db, people["sam"], "CRM")
    db.commit()
    resp = app.test_client().get(f"/api/customers/{grace.id}", headers={"Authorization": f"Bearer {token.secret}"})
    assert resp.status_code == 200
    [entry] = _entries(db, "customer.view")
    assert (entry.actor_id, entry.object_id, entry.details) == (
        people["sam"].id,
        str(grace.id),
        {"via": "api", "token_id": token.token.id},
    )
    assert token.secret not in _everything(db)


def test_a_screen_pop_is_recorded_once_per_agent_and_customer(app, people, db, runtime):
    support = gen_queue(db, "support")
    db.add(QueueMembership(queue_id=support.id, user_id=people["alice"].id))
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",))
    call = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550100",
        to_number="+18005550100",
        customer_id=grace.id,
        queue_id=support.id,
        queued_at=clock.now(),
    )
    db.add(call)
    db.commit()
    alice = _signed_in(app, "alice")
    alice.post("/desktop/state", json={"state": "available"})
    AcdService(db, runtime.acd).enqueue(call, support)
    db.commit()
    for _ in range(3):
        assert alice.get("/desktop/snapshot").get_json()["offer_pop"]["customer"]["id"] == grace.id
    [entry] = _entries(db, "customer.view")
    assert (entry.actor_name, entry.object_id, entry.details) == (
        "alice",
        str(grace.id),
        {"via": "screen pop", "call_sid": call.call_sid},
    )


# -- the log itself -----------------------------------------------------------------------------


def test_entries_cannot_be_changed_or_deleted(db):
    entry = record(db, Origin(actor_name="ann"), "user.update", object_type="user", object_id=1)
    entry.action = "user.create"
    with pytest.raises(AuditLogIsAppendOnly):
        db.flush()
    db.rollback()
    entry = record(db, Origin(actor_name="ann"), "user.update")
    db.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db.flush()


def test_details_that_look_like_credentials_are_never_stored(db):
    entry = record(
        db,
        Origin(),
        "user.create",
        details={
            "password": "p",
            "new_password": "p",
            "token": "t",
            "api_key": "k",
            "token_hash": "h",
            "nested": {"secret": "s", "kept": 1},
            "username": "dora",
            "token_id": 7,
        },
    )
    assert entry.details == {"nested": {"kept": 1}, "username": "dora", "token_id": 7}


@pytest.mark.parametrize("action", ["", "login", "Login.Success", "user.update; DROP TABLE x", "a." + "b" * 60])
def test_a_malformed_action_is_refused(db, action):
    with pytest.raises(ValueError):
        record(db, Origin(), action)


# -- the page -----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["alice", "sam"])
def test_only_admins_see_the_log(app, people, username):
    assert _signed_in(app, username).get("/admin/audit").status_code == 403


def test_the_page_lists_entries_newest_first(app, people, db):
    admin = _signed_in(app)
    admin.post("/admin/skills", data={"name": "french"})
    page = admin.get("/admin/audit").data.decode()
    table = page[page.index('id="audit"') :]
    assert table.index("skill.create") < table.index("login.success")
    assert "203.0.113.7" in page


def _seed(db, people):  # type: ignore[no-untyped-def]
    ann, alice = people["ann"], people["alice"]
    with freeze_time("2026-03-01 10:00:00"):
        record(db, Origin(ann.id, "ann"), "user.update", object_type="user", object_id=alice.id)
    with freeze_time("2026-03-05 10:00:00"):
        record(db, Origin(alice.id, "alice"), "customer.view", object_type="customer", object_id=42)
        record(db, Origin(None, "mallory"), "login.failure", object_type="user", details={"username": "mallory"})
    with freeze_time("2026-03-09 23:59:00"):
        record(db, Origin(alice.id, "alice"), "login.success", object_type="user", object_id=alice.id)
    db.commit()


def _rows(admin, query):  # type: ignore[no-untyped-def]
    resp = admin.get("/admin/audit?" + query)
    assert resp.status_code == 200, resp.data[:500]
    return resp.data.decode().count("<tr data-action=")


@pytest.mark.parametrize(
    "query,count",
    [
        ("actor=alice", 2),
        ("actor=ALICE", 2),
        ("actor=mallory", 1),
        ("action=login.", 3),  # ann's own sign-in of today, alice's, mallory's failure
        ("action=customer.view", 1),
        ("object_type=customer&object_id=42", 1),
        ("since=2026-03-02&until=2026-03-09", 3),
        ("since=2026-03-10&until=2026-03-10", 0),
        ("until=2026-03-01", 1),
        ("actor=alice&action=login.&until=2026-03-31", 1),
    ],
)
def test_filters(app, people, db, query, count):
    admin = _signed_in(app)
    _seed(db, people)
    assert _rows(admin, query) == count


def test_paging(app, people, db):
    admin = _signed_in(app)
    for i in range(60):
        record(db, Origin(people["ann"].id, "ann"), "queue.update", object_type="queue", object_id=i)
    db.commit()
    first = admin.get("/admin/audit?action=queue.update").data.decode()
    second = admin.get("/admin/audit?action=queue.update&page=2").data.decode()
    assert first.count("<tr data-action=") == 50 and second.count("<tr data-action=") == 10
    assert "page 1 of 2" in first and 'id="older"' in first and "action=queue.update" in first
    assert 'id="newer"' in second and 'id="older"' not in second


@pytest.mark.parametrize(
    "query,message",
    [
        ("since=yesterday", "YYYY-MM-DD"),
        ("until=2026-13-45", "YYYY-MM-DD"),
        ("since=2026-03-09&until=2026-03-01", "before its end"),
        ("page=0", "page must be"),
        ("page=-3", "page must be"),
        ("page=abc", "page must be"),
        ("actor=" + "a" * 65, "at most 64"),
        ("object_id=" + "9" * 500, "at most 64"),
    ],
)
def test_bad_filters_are_400_with_the_reason(app, people, query, message):
    resp = _signed_in(app).get("/admin/audit?" + query)
    assert resp.status_code == 400 and message in resp.data.decode()


def test_hostile_filters_are_escaped_and_match_nothing(app, people, db):
    admin = _signed_in(app)
    _seed(db, people)
    assert _rows(admin, "actor=' OR '1'='1") == 0
    assert _rows(admin, "action=%25") == 0
    resp = admin.get("/admin/audit?object_type=<script>alert(1)</script>")
    assert b"<script>alert(1)" not in resp.data and b"&lt;script&gt;" in resp.data


def test_hostile_values_in_entries_are_escaped(app, people, db):
    admin = _signed_in(app)
    record(
        db,
        Origin(None, "<img src=x onerror=alert(1)>", user_agent="<script>ua</script>"),
        "login.failure",
        details={"username": "<b>bold</b>"},
    )
    db.commit()
    page = admin.get("/admin/audit").data
    assert b"<img src=x" not in page and b"<script>ua" not in page and b"<b>bold" not in page
