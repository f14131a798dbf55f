"""The desktop's script and FAQ panels in headless Chromium, on a call accepted through the ACD."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from contactcenter import clock
from contactcenter.acd.models import Queue, QueueMembership
from contactcenter.acd.services import AcdService
from contactcenter.contacts.models import Customer, Interaction
from contactcenter.db import transaction
from contactcenter.scripts import faq
from tests.support.browser import open_desktop
from tests.support.factories import call_sid, gen_agent, gen_customer, gen_queue
from tests.support.knowledge import gen_welcome_script

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"


def make_floor(rt: Any, customer_name: str) -> None:
    with transaction(rt.session_factory) as session:
        support = gen_queue(session, "support")
        alice = gen_agent(session, "alice", skills={"support": 5})
        session.add(QueueMembership(queue_id=support.id, user_id=alice.id))
        gen_customer(session, customer_name, ("+14155550100",), segment="vip")
        gen_welcome_script(session)
        faq.save_article(session, "How refunds work", "Refunds reach the card within 5 days.", ["billing", "refund"])
        faq.save_article(session, "Track your order", "Use the order number from the e-mail.", ["order_status"])


@pytest.fixture
def carrier_api(committed_runtime, simulated_carrier):  # type: ignore[no-untyped-def]
    rt = committed_runtime
    return rt


def accept_a_call(rt: Any, live_server: str, page: Any) -> str:
    """Alice logs in, goes available, is offered a billing call and accepts it; returns its id."""
    open_desktop(page, live_server)
    sid = call_sid()
    with transaction(rt.session_factory) as session:
        support = session.scalars(select(Queue)).one()
        customer = session.scalars(select(Customer)).one()
        call = Interaction(
            call_sid=sid,
            direction="inbound",
            from_number="+14155550100",
            to_number="+18005550100",
            customer_id=customer.id,
            queue_id=support.id,
            queued_at=clock.now(),
            intent="billing",
        )
        session.add(call)
        session.flush()
        AcdService(session, rt.acd).enqueue(call, support)
    page.wait_for_selector("#offer:not([hidden])")
    page.click("#accept")
    page.wait_for_function("document.getElementById('state').dataset.state === 'on_call'")
    return sid


def test_the_script_follows_the_answers_and_the_faq_finds_an_article(carrier_api, live_server, page):
    make_floor(carrier_api, "Grace Hopper")
    sid = accept_a_call(carrier_api, live_server, page)

    page.wait_for_selector("#script:not([hidden]) li.current[data-step=greet]")
    assert "Hello Grace, thanks for calling." in page.inner_text("#script-steps")
    page.click("#script li.current button[data-value=yes]")
    page.wait_for_selector("#script li.current[data-step=order]")
    page.fill("#script li.current input[name=answer]", "SO-1234")
    page.click("#script li.current button[type=submit]")
    page.wait_for_selector("#script li.current[data-step=close]")
    assert "Thank you, Grace Hopper!" in page.inner_text("#script-steps")

    page.fill("#faq-q", "refu")
    page.click("#faq-form button[type=submit]")
    page.wait_for_selector("#faq-results li[data-article]")
    assert "How refunds work" in page.inner_text("#faq-results")
    assert "Track your order" not in page.inner_text("#faq-results")
    assert "How refunds work" in page.inner_text("#faq-suggestions")

    with transaction(carrier_api.session_factory) as session:
        call = session.scalars(select(Interaction).where(Interaction.call_sid == sid)).one()
        assert {k: v["answer"] for k, v in call.script_answers["answers"].items()} == {
            "greet": "yes",
            "order": "SO-1234",
        }


def test_markup_in_a_customer_name_and_an_article_renders_as_text(carrier_api, live_server, page):
    make_floor(carrier_api, HOSTILE)
    with transaction(carrier_api.session_factory) as session:
        faq.save_article(session, f"Refund {HOSTILE}", f"<script>alert(2)</script> {HOSTILE}", ["billing"])
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    accept_a_call(carrier_api, live_server, page)

    page.wait_for_selector("#script:not([hidden]) li.current[data-step=greet]")
    greeting = page.inner_text("#script li.current[data-step=greet] p")
    assert greeting == "Hello <img, thanks for calling."
    page.click("#script li.current button[data-value=no]")
    page.wait_for_selector("#script li.current[data-step=general]")
    page.click("#script li.current button")
    page.wait_for_selector("#script li.current[data-step=close]")
    assert f"Thank you, {HOSTILE}!" in page.inner_text("#script-steps")
    page.fill("#faq-q", "refund")
    page.click("#faq-form button[type=submit]")
    page.wait_for_selector("#faq-results li[data-article]")
    page.click("#faq-results summary >> text=Refund <img")
    assert f"<script>alert(2)</script> {HOSTILE}" in page.inner_text("#faq-results")
    assert page.locator("#script img, #call-pop img, #faq img, #faq script").count() == 0
    assert dialogs == []
