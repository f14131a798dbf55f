"""The demo scripts and articles are valid, serve the demo flow's intents, and seed once."""

from __future__ import annotations

from contactcenter.scripts import faq
from contactcenter.scripts.definition import validate
from contactcenter.scripts.demo_content import SCRIPTS, seed_content
from contactcenter.scripts.services import choose_script
from tests.support.factories import gen_queue
from tests.support.scripts import gen_call


def test_every_demo_script_is_valid():
    assert {spec["name"]: validate(spec["definition"])[1] for spec in SCRIPTS} == {s["name"]: [] for s in SCRIPTS}


def test_seeding_twice_adds_nothing_the_second_time(db):
    gen_queue(db, "billing")
    assert seed_content(db) == {"scripts": 3, "faq": 3}
    assert seed_content(db) == {"scripts": 0, "faq": 0}


def test_a_billing_call_gets_the_billing_script(db):
    billing = gen_queue(db, "billing")
    seed_content(db)
    assert choose_script(db, gen_call(db, queue_id=billing.id, intent="billing")).name == "billing"


def test_a_technical_support_intent_gets_the_technical_script(db):
    seed_content(db)
    assert choose_script(db, gen_call(db, intent="technical support")).name == "technical"


def test_a_technical_call_is_offered_the_router_article(db):
    seed_content(db)
    assert "Router lights explained" in [h.title for h in faq.suggestions(db, "technical support")]
