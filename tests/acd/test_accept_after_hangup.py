"""An agent's accept that lands after the caller's hang-up leaves the call abandoned, never both.

Found under load: the caller's final status and an accept committed in either order; the one
that came second must see what the first wrote.
"""

from __future__ import annotations

from sqlalchemy import select

from contactcenter import clock
from contactcenter.acd.services import AcdService
from contactcenter.contacts import interactions
from contactcenter.contacts.models import Interaction
from contactcenter.db import transaction
from tests.support.factories import call_sid, gen_queue


def _queued_call(session, queue):  # type: ignore[no-untyped-def]
    call = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550100",
        to_number="+18005550100",
        queue_id=queue.id,
        queued_at=clock.now(),
    )
    session.add(call)
    session.flush()
    return call


def test_an_accept_after_the_caller_left_keeps_the_call_abandoned(db, runtime):
    call = _queued_call(db, gen_queue(db, "support"))
    interactions.end_call(call, clock.now(), "completed", 30)
    assert call.outcome == "abandoned"
    AcdService(db, runtime.acd).apply(
        [{"type": "call.updated", "call_sid": call.call_sid, "state": "connected", "agent_id": "7"}]
    )
    assert call.answered_at is None and call.agent_id is None and call.outcome == "abandoned"


def test_an_accept_before_the_hang_up_makes_the_call_completed(db, runtime):
    call = _queued_call(db, gen_queue(db, "support"))
    AcdService(db, runtime.acd).apply([{"type": "call.updated", "call_sid": call.call_sid, "state": "connected"}])
    interactions.end_call(call, clock.now(), "completed", 30)
    assert call.answered_at is not None and call.outcome == "completed"


def test_the_locked_read_sees_what_another_transaction_committed(committed_runtime):
    rt = committed_runtime
    with transaction(rt.session_factory) as session:
        sid = _queued_call(session, gen_queue(session, "support")).call_sid
    with rt.session_factory() as mine:
        stale = mine.scalars(select(Interaction).where(Interaction.call_sid == sid)).one()
        assert stale.ended_at is None
        mine.commit()  # end the read so another writer can go ahead (SQLite has one writer)
        with transaction(rt.session_factory) as other:
            interactions.end_call(interactions.find(other, sid), clock.now(), "completed", 30)
        fresh = interactions.find_for_update(mine, sid)
        assert fresh is stale and fresh.ended_at is not None and fresh.outcome == "abandoned"
        mine.rollback()
