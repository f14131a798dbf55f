"""The board's HTTP side: supervisors only, a snapshot, and actions that check what they are given."""

from __future__ import annotations

import pytest

from contactcenter.acd.services import AcdService
from tests.support.board import small_floor
from tests.support.web_client import logged_in


@pytest.fixture
def floor(db, runtime):  # type: ignore[no-untyped-def]
    people = small_floor(db)
    AcdService(db, runtime.acd).sync_configuration()
    runtime.acd_configured = True
    return people


def test_supervisor_opens_the_board(app, floor):
    resp = logged_in(app, "sam").get("/board")
    assert resp.status_code == 200 and b"board.js" in resp.data


def test_board_link_shows_for_supervisors_only(app, floor):
    assert b'href="/board"' in logged_in(app, "sam").get("/").data
    assert b'href="/board"' not in logged_in(app, "alice").get("/").data


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/board"),
        ("get", "/board/snapshot"),
        ("post", "/board/agents/1/state"),
        ("post", "/board/agents/1/supervise"),
        ("post", "/board/supervision/stop"),
    ],
)
def test_agents_cannot_open_the_board_or_its_actions(app, floor, method, path):
    client = logged_in(app, "alice")
    resp = getattr(client, method)(path, json={"state": "offline", "mode": "monitor"})
    assert resp.status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, floor):
    resp = client.get("/board")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.post("/board/agents/1/state", json={"state": "offline"}).status_code in (302, 401)


def test_snapshot_has_queues_and_agents(app, floor, runtime):
    AcdService(runtime.session_factory(), runtime.acd).set_state(floor["alice"].id, "available")
    snap = logged_in(app, "sam").get("/board/snapshot").json
    [queue] = snap["queues"]
    assert queue["queue"] == "support" and queue["agents"]["available"] == 1
    alice = next(a for a in snap["agents"] if a["agent_id"] == str(floor["alice"].id))
    assert alice["state"] == "available" and alice["name"] == "Alice"


def test_supervisor_puts_an_agent_on_break(app, floor, runtime):
    sam = logged_in(app, "sam")
    resp = sam.post(f"/board/agents/{floor['alice'].id}/state", json={"state": "break", "reason": "meeting"})
    assert resp.status_code == 200
    snapshot = runtime.acd.agent_snapshot(str(floor["alice"].id))
    assert (snapshot.state, snapshot.reason) == ("break", "meeting")


@pytest.mark.parametrize(
    "body",
    [
        {"state": "on_call"},
        {"state": "break", "reason": "<script>alert(1)</script>"},
        {"state": "x" * 3000},
        {"state": ["available"]},
        {"state": "available' OR 1=1 --"},
    ],
)
def test_bad_state_changes_are_refused(app, floor, body):
    resp = logged_in(app, "sam").post(f"/board/agents/{floor['alice'].id}/state", json=body)
    assert resp.status_code == 400
    assert b"<script>" not in resp.data


@pytest.mark.parametrize("payload", ["[1, 2]", "not json", '"available"'])
def test_a_body_that_is_not_an_object_is_refused(app, floor, payload):
    resp = logged_in(app, "sam").post(
        f"/board/agents/{floor['alice'].id}/state", data=payload, content_type="application/json"
    )
    assert resp.status_code == 400


def test_an_oversized_body_is_refused(app, floor):
    resp = logged_in(app, "sam").post(
        f"/board/agents/{floor['alice'].id}/state", json={"state": "available", "pad": "x" * 10_000}
    )
    assert resp.status_code == 413


@pytest.mark.parametrize("path", ["/board/agents/999999/state", "/board/agents/99999999999999999999/state"])
def test_unknown_agents_are_not_found(app, floor, path):
    assert logged_in(app, "sam").post(path, json={"state": "available"}).status_code == 404


def test_a_supervisor_is_not_an_agent_to_set(app, floor):
    resp = logged_in(app, "sam").post(f"/board/agents/{floor['sam'].id}/state", json={"state": "available"})
    assert resp.status_code == 404


@pytest.mark.parametrize(
    "path", ["/board/agents/1%20OR%201=1/state", "/board/agents/-1/state", "/board/agents/..%2F1/state"]
)
def test_hostile_agent_ids_never_reach_the_store(app, floor, path):
    assert logged_in(app, "sam").post(path, json={"state": "available"}).status_code == 404


def test_supervising_an_idle_agent_is_a_conflict(app, floor):
    resp = logged_in(app, "sam").post(f"/board/agents/{floor['alice'].id}/supervise", json={"mode": "monitor"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_on_call"


@pytest.mark.parametrize("mode", ["listen", "", None, "<b>barge</b>", "m" * 3000])
def test_unknown_supervision_modes_are_refused(app, floor, mode):
    resp = logged_in(app, "sam").post(f"/board/agents/{floor['alice'].id}/supervise", json={"mode": mode})
    assert resp.status_code == 400 and b"<b>" not in resp.data


def test_leaving_when_not_listening_is_harmless(app, floor):
    resp = logged_in(app, "sam").post("/board/supervision/stop", json={})
    assert resp.status_code == 200 and resp.json["supervision"] is None


def test_actions_need_the_csrf_token(runtime, floor):
    from web import create_app

    app = create_app(runtime, testing=True, relay_events=False)
    client = app.test_client()
    page = client.get("/login")
    token = page.data.split(b'name="csrf_token" value="')[1].split(b'"')[0].decode()
    client.post("/login", data={"username": "sam", "password": "correct-horse-battery", "csrf_token": token})
    assert client.post(f"/board/agents/{floor['alice'].id}/state", json={"state": "offline"}).status_code == 400
    ok = client.post(
        f"/board/agents/{floor['alice'].id}/state", json={"state": "offline"}, headers={"X-CSRFToken": token}
    )
    assert ok.status_code == 200


@pytest.fixture
def call_in_progress(db, runtime, carrier, floor):  # type: ignore[no-untyped-def]
    from contactcenter.acd.services import ConnectUrls
    from tests.support.constants import CENTER_NUMBER

    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    floor["alice"].display_name = "<b>Alice</b>"
    urls = ConnectUrls(
        "http://cc.test/hooks/connect", "http://cc.test/hooks/agent-leg", "http://cc.test/hooks/callback-answer"
    )
    acd = AcdService(db, runtime.acd, runtime.telephony, urls, center_number=CENTER_NUMBER)
    acd.set_state(floor["alice"].id, "available")
    carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 300")
    carrier.run_for(5)
    [offer] = runtime.acd.pending_offers()
    assert acd.accept(offer.offer_id, floor["alice"].id).ok
    carrier.run_for(10)
    return floor


def test_supervisor_monitors_a_call_from_the_board(app, call_in_progress, carrier):
    sam = logged_in(app, "sam")
    resp = sam.post(f"/board/agents/{call_in_progress['alice'].id}/supervise", json={"mode": "monitor"})
    assert resp.status_code == 200 and resp.json["supervision"]["mode"] == "monitor"
    carrier.run_for(5)
    page = sam.get("/board").data
    assert (
        b"monitor on &lt;b&gt;Alice&lt;/b&gt;&#39;s call" in page
        or b"monitor on &lt;b&gt;Alice&lt;/b&gt;'s call" in page
    )
    assert sam.post("/board/supervision/stop", json={}).json["supervision"]["mode"] == "monitor"
    assert b"Not listening to any call." in sam.get("/board").data


def test_running_campaigns_are_on_the_board(app, floor, db):
    from contactcenter.dialer import campaigns

    campaign = campaigns.create_campaign(
        db,
        name="Renewals <i>",
        caller_id="+12025550100",
        company_name="Acme",
        callback_number="+18005550123",
        dial_mode="progressive",
    )
    campaigns.start_campaign(db, campaign)
    [row] = logged_in(app, "sam").get("/board/snapshot").json["dialer"]
    assert row["name"] == "Renewals <i>" and row["status"] == "running" and row["dialed"] == 0
    assert row["leads_left"] == 0 and row["dial_ratio"] is None
