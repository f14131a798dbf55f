"""Redis restarts empty while calls wait: the heartbeat rebuilds the router from the store,
waiting callers keep their order, a caller who arrived in between takes their place after them,
and agent states come back."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import func, select

from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService
from contactcenter.app import ticker
from contactcenter.contacts.models import Interaction
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_agent, gen_queue
from tests.support.faults import own_redis  # noqa: F401 (fixture)

pytestmark = pytest.mark.fault


@pytest.fixture
def redis_client(own_redis):  # type: ignore[no-untyped-def]  # noqa: F811
    """Everything in this module talks to a Redis the test may restart."""
    client = redis.Redis.from_url(own_redis.url)
    yield client
    client.close()


@pytest.fixture
def settings(settings, own_redis):  # type: ignore[no-untyped-def]  # noqa: F811
    return settings.with_overrides(redis_url=own_redis.url, ivr_flow="")


@pytest.fixture
def center(db, runtime, carrier):  # type: ignore[no-untyped-def]
    support = gen_queue(db, "support")
    alice = gen_agent(db, "alice", skills={"support": 5})
    db.add(QueueMembership(queue_id=support.id, user_id=alice.id))
    db.flush()
    ticker.tick_once(runtime)  # the first heartbeat builds the router from the store
    service = AcdService(db, runtime.acd)
    service.set_state(alice.id, "break", "training")
    return service, alice


def test_router_is_rebuilt_in_order_after_redis_restarts_empty(center, carrier, runtime, own_redis, db):
    service, alice = center
    callers = []
    for number in ("+14155550101", "+14155550102", "+14155550103"):
        callers.append(carrier.place_inbound_call(number, CENTER_NUMBER, "hang up after 600"))
        carrier.run_for(2)
    assert [runtime.acd.position(c.sid).position for c in callers] == [1, 2, 3]

    own_redis.restart()  # kill -9 and start again: every key is gone
    assert runtime.acd.position(callers[0].sid) is None
    late = carrier.place_inbound_call("+14155550104", CENTER_NUMBER, "hang up after 600")
    carrier.run_for(3)  # traffic goes on: the late caller is answered and written to the store

    ticker.tick_once(runtime)  # the leader sees the router's state is gone and rebuilds it
    assert [runtime.acd.position(c.sid).position for c in [*callers, late]] == [1, 2, 3, 4]
    snapshot = runtime.acd.agent_snapshot(str(alice.id))
    assert (snapshot.state, snapshot.reason) == ("break", "training")

    service.set_state(alice.id, "available")
    [offer] = runtime.acd.pending_offers()
    assert offer.call_sid == callers[0].sid  # the longest waiting caller first, as before
    db.expire_all()
    assert db.scalar(select(func.count(Interaction.id))) == 4
    assert not any(c.ended for c in [*callers, late])


def test_a_second_tick_does_not_rebuild_again(center, runtime):
    from contactcenter.app import recovery

    assert not recovery.rebuild_if_lost(runtime)
