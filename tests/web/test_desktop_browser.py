"""The agent desktop in headless Chromium: go available, see the offer pop, accept it."""

from __future__ import annotations

import pytest

from contactcenter import clock
from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService
from contactcenter.contacts.models import Interaction
from contactcenter.db import transaction
from tests.support.browser import open_desktop
from tests.support.factories import call_sid, gen_agent, gen_customer, gen_queue

pytestmark = pytest.mark.browser


@pytest.fixture
def floor(committed_runtime, simulated_carrier):  # type: ignore[no-untyped-def]
    rt = committed_runtime
    with transaction(rt.session_factory) as session:
        support = gen_queue(session, "support")
        alice = gen_agent(session, "alice", skills={"support": 5})
        session.add(QueueMembership(queue_id=support.id, user_id=alice.id))
        gen_customer(session, "Grace Hopper", ("+14155550100",), segment="vip")
    return rt


def test_agent_sees_the_offer_and_accepts_it(floor, live_server, page):
    open_desktop(page, live_server)
    with transaction(floor.session_factory) as session:
        from sqlalchemy import select

        from contactcenter.acd.models import Queue
        from contactcenter.contacts.models import Customer

        support = session.scalars(select(Queue)).one()
        grace = session.scalars(select(Customer)).one()
        call = Interaction(
            call_sid=call_sid(),
            direction="inbound",
            from_number="+14155550100",
            to_number="+18005550100",
            customer_id=grace.id,
            queue_id=support.id,
            queued_at=clock.now(),
            intent="billing",
        )
        session.add(call)
        session.flush()
        AcdService(session, floor.acd).enqueue(call, support)
    page.wait_for_selector("#offer:not([hidden]) #offer-pop .customer-name")
    assert "Grace Hopper (vip)" in page.inner_text("#offer-pop")
    assert "Intent: billing" in page.inner_text("#offer-pop")
    page.click("#accept")
    page.wait_for_function("document.getElementById('state').dataset.state === 'on_call'")
    assert page.is_hidden("#offer")


def test_after_a_dropped_socket_the_desktop_reconnects_and_shows_the_true_state(floor, live_server, page):
    """A laptop that slept: the link dies, the state changed meanwhile, the page catches up."""
    links = []

    def proxy(ws):  # type: ignore[no-untyped-def]
        links.append(ws)
        ws.connect_to_server()

    page.route_web_socket("**/socket.io/**", proxy)
    open_desktop(page, live_server)

    links[-1].close()  # the network drops
    page.wait_for_function("document.getElementById('connection').textContent !== 'live'")
    with transaction(floor.session_factory) as session:
        from sqlalchemy import select

        from contactcenter.accounts.models import User

        alice = session.scalars(select(User).where(User.username == "alice")).one()
        AcdService(session, floor.acd).set_state(alice.id, "break", "meeting", force=True)
    page.wait_for_function("document.getElementById('connection').textContent === 'live'")
    page.wait_for_function("document.getElementById('state').dataset.state === 'break'")
    assert len(links) >= 2
