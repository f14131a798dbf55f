"""A campaign's recording rule end to end: the pacer dials a lead, the person answers, hears the
campaign's announcement and is recorded by the carrier while the agent connects."""

from __future__ import annotations

import pytest

from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService, ConnectUrls
from contactcenter.app.services import pacer_worker
from contactcenter.dialer.pacer_worker import drain_events
from contactcenter.telephony.simulator import Callee
from tests.support.constants import CENTER_NUMBER
from tests.support.dialer import gen_campaign, import_text
from tests.support.factories import gen_agent, gen_queue
from tests.support.recordings import gen_rule

URLS = ConnectUrls(
    "http://cc.test/hooks/connect", "http://cc.test/hooks/agent-leg", "http://cc.test/hooks/callback-answer"
)
HUMAN = "+12125550103"
SALES_ANNOUNCEMENT = "This sales call is recorded."


@pytest.fixture
def campaign_floor(db, runtime, carrier):  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    sales = gen_queue(db, "sales", wrap_up_s=30)
    alice = gen_agent(db, "alice")
    db.add(QueueMembership(queue_id=sales.id, user_id=alice.id))
    db.flush()
    acd = AcdService(db, runtime.acd, runtime.telephony, URLS, center_number=CENTER_NUMBER)
    acd.sync_configuration()
    runtime.acd_configured = True
    campaign = gen_campaign(db, "Spring renewals", dial_mode="progressive", queue_id=sales.id)
    import_text(db, campaign, f"name,phone\nHuman Hal,{HUMAN}\n")
    db.commit()
    carrier.set_callee(HUMAN, Callee(answer="human", ring_s=3, talk_s=120))
    acd.set_state(alice.id, "available")
    db.commit()
    return acd, alice, campaign, pacer_worker(runtime, "http://cc.test")


def _dial_and_answer(campaign_floor, carrier, runtime, db):  # type: ignore[no-untyped-def]
    acd, alice, campaign, worker = campaign_floor
    [placed] = worker.step(drain_events(runtime.redis, 0))[campaign.id].placed
    offers = []
    for _ in range(20):
        carrier.run_for(0.5)
        offers = runtime.acd.pending_offers()
        if offers:
            break
    [offer] = offers
    assert acd.accept(offer.offer_id, alice.id).ok
    db.commit()
    carrier.run_for(10)
    return carrier.call(placed)


def test_the_campaigns_rule_announces_and_records_the_answered_call(campaign_floor, carrier, runtime, db):
    _, _, campaign, _ = campaign_floor
    gen_rule(db, "campaign", campaign.id, "record", announcement=SALES_ANNOUNCEMENT)
    db.commit()
    handle = _dial_and_answer(campaign_floor, carrier, runtime, db)
    assert SALES_ANNOUNCEMENT in handle.heard()
    [recording] = carrier.recordings_of(handle.sid)
    assert recording.channels == 2


def test_a_campaign_without_a_rule_is_not_recorded(campaign_floor, carrier, runtime, db):
    handle = _dial_and_answer(campaign_floor, carrier, runtime, db)
    assert carrier.recordings_of(handle.sid) == []
    assert not any("recorded" in said for said in handle.heard())
