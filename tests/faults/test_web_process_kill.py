"""kill -9 of a web process while an agent's desktop is connected to it and holds an offer.

The process never sees the socket close, so no grace period starts from a disconnect. Its
presence lease runs out instead; the heartbeat's leader forgets its sockets, the agent goes
offline and the call goes to the next agent, in its place.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import socketio

from contactcenter import clock
from contactcenter.acd.models import Queue, QueueMembership
from contactcenter.acd.services import AcdService
from contactcenter.app import presence, recovery, ticker
from contactcenter.app.runtime import Runtime
from contactcenter.contacts.models import Interaction
from tests.support.browser import log_in_over_http, open_socket
from tests.support.factories import call_sid, gen_agent, gen_queue
from tests.support.faults import WebProcess, pg_runtime, pg_url, wait_for  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.fault, pytest.mark.slow]
LEASE_S = 3.0


@pytest.fixture
def floor(pg_runtime: Runtime):  # type: ignore[no-untyped-def]
    rt = pg_runtime
    rt.acd_configured = False
    with rt.session_factory() as session:
        support = gen_queue(session, "support")
        alice = gen_agent(session, "alice", skills={"support": 5})
        bob = gen_agent(session, "bob", skills={"support": 5})
        session.flush()
        for agent in (alice, bob):
            session.add(QueueMembership(queue_id=support.id, user_id=agent.id))
        session.commit()
        ids = (support.id, alice.id, bob.id)
        AcdService(session, rt.acd).sync_configuration()
        session.commit()
    rt.redis.set(rt.acd.key(recovery.BUILT_KEY), "1")  # Redis holds the live state
    return ids


@pytest.fixture
def web(pg_url: str, settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    process = WebProcess(
        pg_url, settings.redis_url, env={"PRESENCE_LEASE_S": str(LEASE_S)}, log_path=tmp_path / "web.log"
    ).wait_ready()
    yield process
    process.stop()


def _desktop(base: str, username: str) -> socketio.Client:
    """What the agent's browser does: log in, then open the desktop's socket."""
    return open_socket(log_in_over_http(base, username), base)


def _offer_to_alice(rt: Runtime, floor) -> str:  # type: ignore[no-untyped-def]
    support_id, alice_id, bob_id = floor
    with rt.session_factory() as session:
        service = AcdService(session, rt.acd)
        service.set_state(alice_id, "available")
        call = Interaction(
            call_sid=call_sid(),
            direction="inbound",
            from_number="+14155550100",
            to_number="+18005550100",
            queue_id=support_id,
            queued_at=clock.now(),
        )
        session.add(call)
        session.commit()
        service.enqueue(call, session.get(Queue, support_id))
        service.set_state(bob_id, "available")  # bob is free, but the call is alice's for now
        session.commit()
        return call.call_sid


def test_killed_web_process_takes_its_desktops_offline_and_the_call_goes_to_the_next_agent(pg_runtime, floor, web):  # type: ignore[no-untyped-def]
    rt = pg_runtime
    _, alice_id, bob_id = floor
    sock = _desktop(web.url, "alice")
    wait_for(lambda: presence.is_connected(rt.redis, alice_id), timeout=10, what="alice's socket to be recorded")
    sid = _offer_to_alice(rt, floor)
    [offer] = rt.acd.pending_offers()
    assert (offer.call_sid, offer.agent_id) == (sid, str(alice_id))

    web.kill9()  # the server dies with the socket open: no disconnect handler runs
    ticker.tick_once(rt)
    assert rt.acd.agent_snapshot(str(alice_id)).state == "reserved"  # the lease has not run out yet

    process = _process_holding(rt, alice_id)
    wait_for(
        lambda: not rt.redis.exists(presence.ALIVE_PREFIX + process),
        timeout=LEASE_S * 5,
        what="the dead process's lease to run out",
    )
    ticker.tick_once(rt)  # well before the offer's own 15 s timeout
    assert rt.acd.agent_snapshot(str(alice_id)).state == "offline"
    [again] = rt.acd.pending_offers()
    assert (again.call_sid, again.agent_id) == (sid, str(bob_id))
    assert not presence.is_connected(rt.redis, alice_id)
    sock.disconnect()


def test_a_live_web_process_keeps_its_desktops_past_its_lease(pg_runtime, floor, web):  # type: ignore[no-untyped-def]
    rt = pg_runtime
    _, alice_id, _ = floor
    sock = _desktop(web.url, "alice")
    wait_for(lambda: presence.is_connected(rt.redis, alice_id), timeout=10, what="alice's socket to be recorded")
    sid = _offer_to_alice(rt, floor)
    time.sleep(LEASE_S * 2.5)  # the process renews its lease meanwhile
    ticker.tick_once(rt)
    [offer] = rt.acd.pending_offers()
    assert (offer.call_sid, offer.agent_id) == (sid, str(alice_id))
    assert presence.is_connected(rt.redis, alice_id)
    sock.disconnect()


def _process_holding(rt: Runtime, agent_id: int) -> str:
    """The web process an agent's one socket is recorded under ("<process>/<socket id>")."""
    [member] = rt.redis.smembers(presence.sockets_key(agent_id))
    return member.decode().rpartition("/")[0]
