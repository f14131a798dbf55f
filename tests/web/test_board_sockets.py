"""The board over Socket.IO: only signed-in supervisors get board updates; updates are pushed as
the floor changes, coalesced however many events arrive; a (re)connecting board gets a snapshot."""

from __future__ import annotations

import pytest

from contactcenter.acd.services import AcdService
from tests.support.board import received, small_floor
from tests.support.web_client import logged_in
from web.extensions import socketio


@pytest.fixture
def floor(db, runtime):  # type: ignore[no-untyped-def]
    people = small_floor(db)
    service = AcdService(db, runtime.acd)
    service.sync_configuration()
    runtime.acd_configured = True
    return people, service


def _agent_row(update, agent):  # type: ignore[no-untyped-def]
    return next((a for a in update["agents"] if a["agent_id"] == str(agent.id)), None)


def _last_row(updates, agent):  # type: ignore[no-untyped-def]
    """The agent's newest row over a run of updates (most updates do not carry every agent)."""
    rows = [row for row in (_agent_row(u, agent) for u in updates) if row is not None]
    return rows[-1] if rows else {}


def test_a_board_socket_without_a_session_is_refused(live_app):
    sock = socketio.test_client(live_app)
    assert not sock.is_connected()


def test_supervisor_snapshot_over_the_socket(live_app, floor):
    people, service = floor
    service.set_state(people["alice"].id, "available")
    board = socketio.test_client(live_app, flask_test_client=logged_in(live_app, "sam"))
    snap = board.emit("snapshot.request", {}, callback=True)
    assert [q["queue"] for q in snap["queues"]] == ["support"]
    assert snap["queues"][0]["agents"]["available"] == 1
    assert {a["name"] for a in snap["agents"]} == {"Alice", "Bob"}


def test_a_state_change_is_pushed_to_the_board(live_app, floor):
    people, service = floor
    board = socketio.test_client(live_app, flask_test_client=logged_in(live_app, "sam"))
    board.emit("snapshot.request", {}, callback=True)
    service.set_state(people["bob"].id, "break", "training")
    updates = received(
        board, "board.update", until=lambda u: (_agent_row(u, people["bob"]) or {}).get("state") == "break"
    )
    row = _last_row(updates, people["bob"])
    assert (row["state"], row["reason"]) == ("break", "training")


def test_agents_get_no_board_updates(live_app, floor):
    people, service = floor
    alice = socketio.test_client(live_app, flask_test_client=logged_in(live_app, "alice"))
    board = socketio.test_client(live_app, flask_test_client=logged_in(live_app, "sam"))
    service.set_state(people["bob"].id, "available")
    assert received(board, "board.update")  # the board heard it...
    assert received(alice, "board.update", timeout=0.5) == []  # ...an agent's socket did not


def test_an_agent_asking_for_a_snapshot_gets_only_their_own(live_app, floor):
    alice = socketio.test_client(live_app, flask_test_client=logged_in(live_app, "alice"))
    snap = alice.emit("snapshot.request", {}, callback=True)
    assert "queues" not in snap and snap["agent"]["agent_id"] == str(floor[0]["alice"].id)


def test_a_burst_of_events_is_coalesced(live_app, floor):
    people, service = floor
    board = socketio.test_client(live_app, flask_test_client=logged_in(live_app, "sam"))
    alice = people["alice"]
    events = 200
    for i in range(events):
        service.set_state(alice.id, "break" if i % 2 == 0 else "available", "lunch" if i % 2 == 0 else None)
    service.set_state(alice.id, "break", "meeting")  # the last word
    updates = received(board, "board.update", until=lambda u: (_agent_row(u, alice) or {}).get("reason") == "meeting")
    assert _last_row(updates, alice).get("reason") == "meeting"
    assert len(updates) < events / 4


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", ["queues"], {"agent_id": "1 OR 1=1"}, "x" * 50_000])
def test_whatever_a_snapshot_request_carries_is_ignored(live_app, floor, payload):
    board = socketio.test_client(live_app, flask_test_client=logged_in(live_app, "sam"))
    snap = board.emit("snapshot.request", payload, callback=True)
    assert [q["queue"] for q in snap["queues"]] == ["support"] and len(snap["agents"]) == 2
