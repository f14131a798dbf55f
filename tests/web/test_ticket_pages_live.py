"""Open views hear that tickets changed: a commit that changed a ticket is announced once on Redis,
every web process relays a bare nudge (spaced out) to the sockets watching /tickets, and the
page then fetches its own counts."""

from __future__ import annotations

import time

import pytest

from contactcenter.app import presence
from tests.support.board import received
from tests.support.ticket_office import gen_ticket_office
from tests.support.web_client import logged_in
from web.extensions import socketio
from web.sockets import TICKETS_NAMESPACE, TicketNudge


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    people = gen_ticket_office(db)
    db.commit()
    return people


def _views_socket(app, client):  # type: ignore[no-untyped-def]
    return socketio.test_client(app, namespace=TICKETS_NAMESPACE, flask_test_client=client)


def test_a_views_page_socket_needs_a_session(live_app):
    assert not socketio.test_client(live_app, namespace=TICKETS_NAMESPACE).is_connected(TICKETS_NAMESPACE)


def test_a_views_page_socket_is_not_a_desktop_socket(live_app, runtime, office):
    _views_socket(live_app, logged_in(live_app, "alice"))
    assert runtime.redis.smembers(presence.sockets_key(office["alice"].id)) == set()


def test_a_views_page_is_nudged_when_a_ticket_changes(live_app, office):
    alice = logged_in(live_app, "alice")
    sock = _views_socket(live_app, alice)
    resp = alice.post(
        "/tickets/bulk", data={"ticket": [str(office["a_new"].id)], "action": "priority", "bulk_priority": "high"}
    )
    assert resp.status_code == 302
    assert [m["args"][0] for m in _wait(sock)] == [{"type": "tickets.changed"}]


def test_a_page_that_does_not_watch_is_not_nudged(live_app, office):
    alice = logged_in(live_app, "alice")
    sock = socketio.test_client(live_app, flask_test_client=alice)
    alice.post(
        "/tickets/bulk", data={"ticket": [str(office["a_new"].id)], "action": "priority", "bulk_priority": "low"}
    )
    assert received(sock, "tickets.changed", timeout=1.5) == []


def test_a_commit_that_changes_no_ticket_announces_nothing(live_app, office):
    alice = logged_in(live_app, "alice")
    sock = _views_socket(live_app, alice)
    alice.post("/tickets/filters", data={"name": "Mine", "return_to": "/tickets?view=all&status=open"})
    assert _wait(sock, timeout=1.5) == []


def _wait(sock, timeout: float = 5.0) -> list:  # type: ignore[no-untyped-def, type-arg]
    """The nudges the views socket received, waiting up to `timeout` for the first."""
    deadline = time.monotonic() + timeout
    got: list = []  # type: ignore[type-arg]
    while not got and time.monotonic() < deadline:
        got += [m for m in sock.get_received(TICKETS_NAMESPACE) if m["name"] == "tickets.changed"]
        time.sleep(0.05)
    return got


def test_nudges_are_spaced_out_however_many_changes_arrive():
    nudge = TicketNudge(gap_s=1.0)
    sent = []
    for tick in range(20):  # 20 changes heard over two seconds
        nudge.heard()
        if nudge.due(10.0 + tick * 0.1):
            sent.append(tick)
    assert sent == [0, 10]
    assert nudge.due(13.0) is True  # the last change still gets its nudge


def test_no_nudge_without_a_change():
    assert TicketNudge().due(100.0) is False
