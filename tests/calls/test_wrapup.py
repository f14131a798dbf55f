"""Wrap-up: disposition, notes, ticket and callback written to the store; the agent back to work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from contactcenter import clock
from contactcenter.acd.models import AgentStateChange, CallbackRequest, Queue
from contactcenter.acd.services import callback_key
from contactcenter.app.services import Services
from contactcenter.app.tasks.calls import release_callback
from contactcenter.calls.models import CallAction, WrapUpDraft
from contactcenter.calls.wrapup import MAX_NOTES, TicketChoice, WrapUp, WrapUpError
from contactcenter.contacts.models import Interaction
from contactcenter.dialer.models import DialAttempt, DncEntry, Lead
from contactcenter.tickets import services as tickets
from contactcenter.tickets.models import TicketComment, TicketInteraction
from tests.support.calls import CALLER, Floor, make_floor
from web.errors import status_for


@pytest.fixture
def floor(db, runtime, carrier) -> Floor:  # type: ignore[no-untyped-def]
    return make_floor(db, runtime, carrier)


def _finished_call(floor: Floor, hold_s: int = 0, talk_after_s: int = 30):  # type: ignore[no-untyped-def]
    """Alice takes a call, holds it `hold_s`, talks on, hangs up: she is in wrap-up."""
    handle = floor.connect(floor.alice)
    controls = floor.controls()
    if hold_s:
        controls.hold(handle.sid, floor.alice.id)
        floor.carrier.run_for(hold_s)
        controls.resume(handle.sid, floor.alice.id)
    floor.carrier.run_for(talk_after_s)
    controls.hang_up(handle.sid, floor.alice.id)
    floor.carrier.run_for(2)
    return handle


def test_submit_records_disposition_notes_and_times(floor):
    handle = _finished_call(floor, hold_s=20, talk_after_s=30)
    floor.carrier.run_for(12)
    result = floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("resolved", "Reset the router."))
    call = floor.call(handle.sid)
    assert (call.disposition, call.notes) == ("resolved", "Reset the router.")
    assert call.hold_s == 20 and call.wrap_s == result.wrap_s == 14
    assert call.talk_s == 10 + 30 and call.wrapped_up_at is not None  # answered, then held 20 s


def test_submit_ends_wrap_up_early(floor):
    handle = _finished_call(floor)
    assert floor.state(floor.alice) == "wrap_up"
    result = floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("resolved"))
    assert result.agent_state == "available" and floor.state(floor.alice) == "available"


def test_unknown_disposition_is_refused(floor):
    handle = _finished_call(floor)
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("<script>alert(1)</script>"))
    assert err.value.code == "bad_disposition"


def test_queue_dispositions_are_the_codes_offered(floor, db):
    support = db.scalars(select(Queue).where(Queue.name == "support")).one()
    support.dispositions = [{"code": "sold", "label": "Sold"}, {"code": "no_sale", "label": "No sale"}]
    handle = _finished_call(floor)
    pending = floor.wrapups().pending(floor.alice.id)
    assert [d["code"] for d in pending["dispositions"]] == ["sold", "no_sale"]
    with pytest.raises(WrapUpError):
        floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("resolved"))
    floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("sold"))


def test_pending_wrap_up_names_the_call_and_its_deadline(floor):
    handle = _finished_call(floor)
    pending = floor.wrapups().pending(floor.alice.id)
    assert pending["call_sid"] == handle.sid and pending["in_wrap_up"] is True
    assert pending["deadline"] == pytest.approx(clock.timestamp() + 28, abs=1)


def test_nothing_pending_once_wrapped_up(floor):
    handle = _finished_call(floor)
    floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("resolved"))
    assert floor.wrapups().pending(floor.alice.id) is None


def test_another_agent_cannot_wrap_up_the_call(floor):
    handle = _finished_call(floor)
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().submit(handle.sid, floor.bob.id, WrapUp("resolved"))
    assert status_for(err.value) == 403


def test_wrap_up_twice_is_refused(floor):
    handle = _finished_call(floor)
    floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("resolved"))
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("resolved"))
    assert status_for(err.value) == 409


def test_wrap_up_during_the_call_is_refused(floor):
    handle = floor.connect(floor.alice)
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("resolved"))
    assert err.value.code == "call_in_progress"


def test_new_ticket_is_linked_to_the_call(floor, db):
    handle = _finished_call(floor)
    result = floor.wrapups().submit(
        handle.sid,
        floor.alice.id,
        WrapUp("follow_up", "Replace the modem.", ticket=TicketChoice(subject="Modem replacement", priority="high")),
    )
    ticket = tickets.get_ticket(db, result.ticket_id)
    assert ticket.subject == "Modem replacement" and ticket.priority == "high"
    assert ticket.assignee_id == floor.alice.id and ticket.customer_id == floor.call(handle.sid).customer_id
    assert [i.call_sid for i in ticket.interactions] == [handle.sid]


def test_existing_ticket_of_the_customer_gets_the_call_and_the_notes(floor, db):
    handle = _finished_call(floor)
    call = floor.call(handle.sid)
    ticket = tickets.open_ticket(db, "Slow internet", customer_id=call.customer_id)
    floor.wrapups().submit(
        handle.sid, floor.alice.id, WrapUp("resolved", "Line fixed.", ticket=TicketChoice(ticket_id=ticket.id))
    )
    linked = db.scalars(select(TicketInteraction.interaction_id).where(TicketInteraction.ticket_id == ticket.id)).all()
    assert linked == [call.id]
    assert db.scalars(select(TicketComment.body).where(TicketComment.ticket_id == ticket.id)).all() == ["Line fixed."]


def test_someone_elses_ticket_is_not_found(floor, db):
    handle = _finished_call(floor)
    stranger = tickets.open_ticket(db, "Not yours")
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().submit(
            handle.sid, floor.alice.id, WrapUp("resolved", ticket=TicketChoice(ticket_id=stranger.id))
        )
    assert status_for(err.value) == 404


def test_callback_is_scheduled_for_the_caller(floor, db):
    handle = _finished_call(floor)
    at = clock.now() + timedelta(hours=2)
    result = floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("callback", callback_at=at))
    request = db.get(CallbackRequest, result.callback_id)
    assert request.phone == CALLER and request.place_at == at and request.status == "pending"
    assert floor.scheduled == [(request.id, at)]


def test_released_callback_joins_its_queue(floor, db, runtime):
    handle = _finished_call(floor)
    at = clock.now() + timedelta(minutes=10)
    result = floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("callback", callback_at=at))
    db.commit()
    assert release_callback(result.callback_id) == "queued"
    assert runtime.acd.call_snapshot(callback_key(result.callback_id)).state in ("waiting", "offered")


def test_callback_in_the_past_is_refused(floor):
    handle = _finished_call(floor)
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().submit(
            handle.sid, floor.alice.id, WrapUp("callback", callback_at=clock.now() - timedelta(days=1))
        )
    assert err.value.code == "bad_callback"


def test_wrap_up_action_is_in_the_trail(floor, db):
    handle = _finished_call(floor)
    floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("resolved"))
    actions = db.scalars(select(CallAction.action).order_by(CallAction.id)).all()
    assert actions[-2:] == ["hangup", "wrap_up"]


def test_timer_returns_the_agent_to_available_by_default(floor):
    _finished_call(floor)
    floor.carrier.run_for(40)
    floor.wrapups().keep_not_ready()
    floor.acd.tick()
    assert floor.state(floor.alice) == "available"


def test_queue_setting_keeps_the_agent_not_ready_after_the_timer(floor, db, runtime):
    support = db.scalars(select(Queue).where(Queue.name == "support")).one()
    support.wrap_up_auto_available = False
    db.flush()
    _finished_call(floor)
    floor.carrier.run_for(29)
    floor.wrapups().keep_not_ready()
    floor.acd.tick()
    snapshot = runtime.acd.agent_snapshot(str(floor.alice.id))
    assert (snapshot.state, snapshot.reason) == ("break", "other")


def test_not_ready_agent_may_still_submit_the_wrap_up(floor, db):
    support = db.scalars(select(Queue).where(Queue.name == "support")).one()
    support.wrap_up_auto_available = False
    db.flush()
    handle = _finished_call(floor)
    floor.carrier.run_for(29)
    floor.wrapups().keep_not_ready()
    result = floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("resolved"))
    assert result.agent_state == "break" and floor.call(handle.sid).wrap_s == 31  # hang-up to not ready


def test_campaign_disposition_applies_the_dialer_rules(db, runtime):
    """A "do not call" disposition from the desktop puts the lead's number on the DNC list."""
    from tests.support.factories import gen_agent

    agent = gen_agent(db, "dora")
    from contactcenter.dialer import campaigns

    campaign = campaigns.create_campaign(
        db, name="Renewals", caller_id="+12025550100", company_name="Acme Energy", callback_number="+18005550123"
    )
    lead = Lead(
        campaign_id=campaign.id,
        phone="+12125550147",
        name="Ada Lovelace",
        time_zones=["America/New_York"],
        region="US-NY",
        country="US",
    )
    db.add(lead)
    db.flush()
    call = Interaction(
        call_sid="CA" + "d" * 32,
        direction="outbound",
        from_number="+12025550100",
        to_number=lead.phone,
        answered_at=clock.now(),
        ended_at=clock.now(),
    )
    db.add(call)
    db.flush()
    db.add(
        DialAttempt(
            campaign_id=campaign.id,
            lead_id=lead.id,
            phone=lead.phone,
            caller_id="+12025550100",
            mode="predictive",
            call_sid=call.call_sid,
            interaction_id=call.id,
        )
    )
    db.add(AgentStateChange(agent_id=agent.id, state="on_call", call_sid=call.call_sid, at=clock.now()))
    db.flush()
    service = Services(runtime, db).wrapups()
    assert "do_not_call" in [d["code"] for d in service.pending(agent.id)["dispositions"]]
    service.submit(call.call_sid, agent.id, WrapUp("do_not_call"))
    db.refresh(lead)
    assert lead.status == "dnc" and lead.disposition == "do_not_call"
    assert db.scalars(select(DncEntry).where(DncEntry.phone == lead.phone)).first() is not None


def test_campaign_callback_kept_by_the_agent_is_theirs(db, runtime):
    """ "I call back myself": the lead comes back at the promised time, for this agent alone."""
    from datetime import timedelta

    from contactcenter.dialer import campaigns
    from tests.support.factories import gen_agent

    agent = gen_agent(db, "dora")
    campaign = campaigns.create_campaign(
        db, name="Renewals", caller_id="+12025550100", company_name="Acme Energy", callback_number="+18005550123"
    )
    campaigns.set_agents(db, campaign, [agent.id])
    lead = Lead(
        campaign_id=campaign.id,
        phone="+12125550147",
        name="Ada Lovelace",
        time_zones=["America/New_York"],
        region="US-NY",
        country="US",
    )
    db.add(lead)
    db.flush()
    call = Interaction(
        call_sid="CA" + "e" * 32,
        direction="outbound",
        from_number="+12025550100",
        to_number=lead.phone,
        answered_at=clock.now(),
        ended_at=clock.now(),
    )
    db.add(call)
    db.flush()
    db.add(
        DialAttempt(
            campaign_id=campaign.id,
            lead_id=lead.id,
            phone=lead.phone,
            caller_id="+12025550100",
            mode="predictive",
            call_sid=call.call_sid,
            interaction_id=call.id,
        )
    )
    db.add(AgentStateChange(agent_id=agent.id, state="on_call", call_sid=call.call_sid, at=clock.now()))
    db.flush()
    promised = clock.now() + timedelta(days=1)
    service = Services(runtime, db).wrapups()
    service.submit(call.call_sid, agent.id, WrapUp("callback", callback_at=promised, callback_mine=True))
    db.refresh(lead)
    assert lead.callback_agent_id == agent.id
    assert abs((lead.callback_at - promised).total_seconds()) < 1


def test_heartbeat_keeps_the_agent_not_ready(floor, db, runtime):
    from contactcenter.app.ticker import tick_once

    support = db.scalars(select(Queue).where(Queue.name == "support")).one()
    support.wrap_up_auto_available = False
    db.flush()
    _finished_call(floor)
    floor.carrier.run_for(29)
    tick_once(runtime)
    snapshot = runtime.acd.agent_snapshot(str(floor.alice.id))
    assert (snapshot.state, snapshot.reason) == ("break", "other")


def test_both_agents_of_a_transferred_call_wrap_up_and_both_notes_are_kept(floor):
    handle = floor.connect(floor.alice)
    floor.acd.set_state(floor.bob.id, "available")
    floor.controls().transfer(handle.sid, floor.alice.id, to_agent=floor.bob.id)
    floor.carrier.run_for(10)
    first = floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("escalated", "Sent to Bob."))
    floor.carrier.run_for(20)
    floor.controls().hang_up(handle.sid, floor.bob.id)
    floor.carrier.run_for(5)
    second = floor.wrapups().submit(handle.sid, floor.bob.id, WrapUp("resolved", "Fixed."))
    call = floor.call(handle.sid)
    assert call.disposition == "resolved" and call.notes == "Sent to Bob.\n\nFixed."
    assert (first.wrap_s, second.wrap_s) == (10, 5) and call.wrap_s == 15


# -- drafts: what the agent types is kept on the server ------------------------------------------
def _timer_ends(floor: Floor, seconds: int = 28) -> None:
    """Time runs on to the end of the wrap-up timer (30 s from the hang-up) and the ticker runs."""
    floor.carrier.run_for(seconds)
    floor.wrapups().keep_not_ready()
    floor.acd.tick()


def test_draft_is_still_owed_with_its_text_after_the_timer_ends(floor):
    handle = _finished_call(floor)
    floor.wrapups().save_draft(handle.sid, floor.alice.id, "follow_up", "Customer wants a new modem")
    _timer_ends(floor)
    assert floor.state(floor.alice) == "available"
    pending = floor.wrapups().pending(floor.alice.id)
    assert pending["call_sid"] == handle.sid and pending["in_wrap_up"] is False
    assert (pending["draft"]["disposition"], pending["draft"]["notes"]) == ("follow_up", "Customer wants a new modem")


def test_draft_submitted_after_the_timer_is_the_calls_wrap_up_and_counts_to_the_timer(floor):
    handle = _finished_call(floor)
    floor.wrapups().save_draft(handle.sid, floor.alice.id, "follow_up", "Customer wants a new modem")
    _timer_ends(floor)
    floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("follow_up", "Customer wants a new modem"))
    call = floor.call(handle.sid)
    assert (call.disposition, call.notes, call.wrap_s) == ("follow_up", "Customer wants a new modem", 30)


def test_a_later_save_replaces_the_draft(floor):
    handle = _finished_call(floor)
    floor.wrapups().save_draft(handle.sid, floor.alice.id, None, "Cust")
    floor.wrapups().save_draft(handle.sid, floor.alice.id, "resolved", "Customer happy ")
    assert floor.wrapups().pending(floor.alice.id)["draft"] | {"saved_at": None} == {
        "disposition": "resolved",
        "notes": "Customer happy ",
        "saved_at": None,
    }


def test_submit_removes_the_draft(floor, db):
    handle = _finished_call(floor)
    floor.wrapups().save_draft(handle.sid, floor.alice.id, "resolved", "Done")
    floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("resolved", "Done"))
    assert floor.wrapups().pending(floor.alice.id) is None
    assert db.scalars(select(WrapUpDraft)).all() == []


def test_draft_with_an_unknown_disposition_is_refused(floor):
    handle = _finished_call(floor)
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().save_draft(handle.sid, floor.alice.id, "'; DROP TABLE interactions; --", "")
    assert err.value.code == "bad_disposition"


def test_draft_notes_over_the_limit_are_refused(floor):
    handle = _finished_call(floor)
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().save_draft(handle.sid, floor.alice.id, None, "x" * (MAX_NOTES + 1))
    assert err.value.code == "notes_too_long"


def test_draft_notes_with_a_nul_character_are_refused(floor):
    handle = _finished_call(floor)
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().save_draft(handle.sid, floor.alice.id, None, "a\x00b")
    assert err.value.code == "bad_notes"


def test_another_agent_cannot_save_a_draft_for_the_call(floor):
    handle = _finished_call(floor)
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().save_draft(handle.sid, floor.bob.id, "resolved", "mine now")
    assert status_for(err.value) == 403


def test_draft_after_the_wrap_up_is_submitted_is_refused(floor):
    handle = _finished_call(floor)
    floor.wrapups().submit(handle.sid, floor.alice.id, WrapUp("resolved"))
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().save_draft(handle.sid, floor.alice.id, "resolved", "late autosave")
    assert err.value.code == "already_wrapped_up"


def test_draft_of_an_earlier_call_is_owed_again_once_the_next_call_is_wrapped_up(floor):
    first = _finished_call(floor)
    floor.wrapups().save_draft(first.sid, floor.alice.id, "follow_up", "Send the contract")
    _timer_ends(floor)
    second = _finished_call(floor)
    floor.wrapups().submit(second.sid, floor.alice.id, WrapUp("resolved"))
    pending = floor.wrapups().pending(floor.alice.id)
    assert pending["call_sid"] == first.sid and pending["draft"]["notes"] == "Send the contract"


def test_late_wrap_up_of_an_earlier_call_leaves_the_current_wrap_up_running(floor):
    first = _finished_call(floor)
    floor.wrapups().save_draft(first.sid, floor.alice.id, "follow_up", "Send the contract")
    _timer_ends(floor)
    _finished_call(floor)
    floor.wrapups().submit(first.sid, floor.alice.id, WrapUp("follow_up", "Send the contract"))
    assert floor.state(floor.alice) == "wrap_up" and floor.call(first.sid).wrap_s == 30


# -- extending the wrap-up once ------------------------------------------------------------------
def test_extend_adds_the_queue_wrap_up_length_to_the_deadline(floor):
    handle = _finished_call(floor)
    before = floor.wrapups().pending(floor.alice.id)["deadline"]
    result = floor.wrapups().extend(handle.sid, floor.alice.id)
    assert result["seconds"] == 30 and result["deadline"] == pytest.approx(before + 30, abs=0.01)
    assert floor.wrapups().pending(floor.alice.id)["can_extend"] is False


def test_extended_agent_stays_in_wrap_up_past_the_first_deadline(floor):
    handle = _finished_call(floor)
    floor.wrapups().extend(handle.sid, floor.alice.id)
    _timer_ends(floor, 40)
    assert floor.state(floor.alice) == "wrap_up"
    _timer_ends(floor, 20)
    assert floor.state(floor.alice) == "available"


def test_extend_twice_is_refused(floor):
    handle = _finished_call(floor)
    floor.wrapups().extend(handle.sid, floor.alice.id)
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().extend(handle.sid, floor.alice.id)
    assert (err.value.code, status_for(err.value)) == ("already_extended", 409)


def test_extend_after_the_timer_ended_is_refused(floor):
    handle = _finished_call(floor)
    _timer_ends(floor)
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().extend(handle.sid, floor.alice.id)
    assert err.value.code == "wrap_up_over"


def test_another_agent_cannot_extend_the_wrap_up(floor):
    handle = _finished_call(floor)
    with pytest.raises(WrapUpError) as err:
        floor.wrapups().extend(handle.sid, floor.bob.id)
    assert status_for(err.value) == 403


def test_extension_keeps_the_draft(floor):
    handle = _finished_call(floor)
    floor.wrapups().save_draft(handle.sid, floor.alice.id, "resolved", "Almost done")
    floor.wrapups().extend(handle.sid, floor.alice.id)
    assert floor.wrapups().pending(floor.alice.id)["draft"]["notes"] == "Almost done"


def test_extension_survives_a_rebuild_of_the_acd(floor, runtime):
    handle = _finished_call(floor)
    extended = floor.wrapups().extend(handle.sid, floor.alice.id)["deadline"]
    runtime.redis.flushdb()  # Redis restarted: the live state is gone
    floor.acd.rebuild()
    assert runtime.acd.agent_snapshot(str(floor.alice.id)).wrap_until == pytest.approx(extended, abs=0.01)
