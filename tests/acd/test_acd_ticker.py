"""The heartbeat: one leader at a time, offer timeouts written to the store, sweeps queued."""

from __future__ import annotations

from types import SimpleNamespace

import redis
from sqlalchemy import select

from contactcenter import clock
from contactcenter.acd.models import AgentStateChange, QueueMembership
from contactcenter.acd.services import AcdService
from contactcenter.app import ticker
from contactcenter.app.jobs import queue
from contactcenter.contacts.models import Interaction
from tests.support.factories import call_sid, gen_agent, gen_queue


def test_only_one_process_leads(runtime):
    assert ticker.lead(runtime, "host-a:1")
    assert ticker.lead(runtime, "host-a:1")  # the leader keeps its lease
    assert not ticker.lead(runtime, "host-b:2")


class _LapsesAfterARead(redis.Redis):
    """A real client on which the ticker's lease lapses and another process takes it right after
    the lease is read: what a pause between two separate commands allows."""

    def get(self, name, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        value = super().get(name, *args, **kwargs)
        if name == ticker.LOCK_KEY:
            self.set(ticker.LOCK_KEY, "host-b:2", px=ticker.LEASE_MS)
        return value


def test_a_leader_believes_it_leads_only_while_it_holds_the_lease(runtime):
    assert ticker.lead(runtime, "host-a:1")
    racing = SimpleNamespace(redis=_LapsesAfterARead(connection_pool=runtime.redis.connection_pool))
    leads = ticker.lead(racing, "host-a:1")
    holder = runtime.redis.get(ticker.LOCK_KEY).decode()
    assert leads is (holder == "host-a:1")


def test_a_tick_times_out_offers_and_records_the_missed_break(runtime, db):
    support = gen_queue(db, "support")
    alice = gen_agent(db, "alice", skills={"support": 5})
    db.add(QueueMembership(queue_id=support.id, user_id=alice.id))
    call = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550100",
        to_number="+18005550100",
        queue_id=support.id,
        queued_at=clock.now(),
    )
    db.add(call)
    db.flush()
    service = AcdService(db, runtime.acd)
    service.sync_configuration()
    service.set_state(alice.id, "available")
    service.enqueue(call, support)
    [offer] = runtime.acd.pending_offers()
    report = runtime.acd.tick(now=offer.expires_at + 1)
    service.apply(report.events)
    assert report.expired == (offer.offer_id,)
    reasons = db.scalars(select(AgentStateChange.reason).where(AgentStateChange.agent_id == alice.id)).all()
    assert "missed" in reasons


def test_the_leader_queues_the_sweeps(runtime, redis_client):
    ticker.sweep(runtime)
    names = {job.func_name for name in ("high", "default", "low") for job in queue(name, redis_client).jobs}
    assert {"contactcenter.app.tasks.tickets.sweep_sla", "contactcenter.app.tasks.calls.sweep_stale_calls"} <= names
