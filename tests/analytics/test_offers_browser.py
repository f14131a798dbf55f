"""The screen pop's churn risk and next-best offers in headless Chromium, against the carrier
simulator: the agent takes Grace's call, sees her risk with its reasons and three offers, clicks
"Accepted" on one, and the call in the store carries the accepted offer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from contactcenter import clock
from contactcenter.acd.services import conference_name
from contactcenter.analytics import risk_and_offers
from contactcenter.analytics.models import OfferResponse, Order, OrderLine, Product
from contactcenter.contacts.models import Interaction
from contactcenter.db import transaction
from tests.support.analytics import gen_shop_with_calls
from tests.support.browser import open_desktop, until
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_agent, gen_customer, gen_member, gen_queue

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def shop_floor(committed_runtime, simulated_carrier):  # type: ignore[no-untyped-def]
    rt = committed_runtime
    rt.settings = rt.settings.with_overrides(ivr_flow="")
    with transaction(rt.session_factory) as session:
        support = gen_queue(session, "support", wrap_up_s=120)
        alice = gen_agent(session, "alice", skills={"support": 5})
        gen_member(session, alice, support)
        gen_shop_with_calls(session, 200)
        grace = gen_customer(session, "Grace Hopper", ("+14155550100",), segment="vip")
        books = list(session.scalars(select(Product).where(Product.sku.like("BK-%")).order_by(Product.id)))[:1]
        for weeks in (40, 20, 3):
            order = Order(
                external_id=f"G-{weeks}",
                customer_id=grace.id,
                ordered_at=clock.now() - timedelta(weeks=weeks),
                currency="USD",
                total=Decimal("30.00"),
            )
            order.lines = [OrderLine(product_id=books[0].id, amount=Decimal("30.00"))]
            session.add(order)
        session.flush()
        risk_and_offers.recompute(session)
    simulated_carrier.start()
    return rt, simulated_carrier


def test_the_agent_sees_risk_and_offers_and_files_an_accepted_offer_on_the_call(
    shop_floor, live_server, page, tmp_path
):
    rt, carrier = shop_floor
    carrier.add_number(CENTER_NUMBER, live_server + "/hooks/voice", live_server + "/hooks/status")
    open_desktop(page, live_server)
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 600")
    page.wait_for_selector("#offer:not([hidden]) #offer-pop .churn-risk")
    assert "Churn risk:" in page.inner_text("#offer-pop")
    assert page.locator("#offer-pop ul.next-offers li.next-offer button").count() == 0  # no buttons before answering
    page.click("#accept")
    page.wait_for_selector("#call-controls:not([hidden])")
    until(
        lambda: len(carrier.conference_participants(conference_name(handle.sid))) == 2,
        "caller and agent in the conference",
    )
    page.wait_for_selector("#call-pop ul.next-offers li.next-offer button[data-response=accepted]")
    offers = page.locator("#call-pop ul.next-offers li.next-offer")
    assert offers.count() == 3
    first = offers.first
    product_id = int(first.get_attribute("data-product-id") or 0)
    first.locator("button[data-response=accepted]").click()
    page.wait_for_function(
        "document.querySelector('#call-pop li.next-offer .next-offer-response').textContent.includes('accepted')"
    )
    page.locator("#call-pop").screenshot(path=str(tmp_path / "pop-offers.png"))

    with transaction(rt.session_factory) as session:
        call = session.scalars(select(Interaction).where(Interaction.call_sid == handle.sid)).one()
        answered = session.scalars(select(OfferResponse).where(OfferResponse.interaction_id == call.id)).one()
        assert (answered.product_id, answered.response, answered.agent_id) == (product_id, "accepted", call.agent_id)
        assert answered.customer_id == call.customer_id
