"""Desktop script and FAQ endpoints: my call only, answers stored, hostile input refused."""

from __future__ import annotations

import re

import pytest

from contactcenter.scripts import faq
from tests.support.factories import gen_agent, gen_customer
from tests.support.knowledge import gen_call_for, gen_welcome_script
from tests.support.web_client import log_in


@pytest.fixture
def desk(db, client):  # type: ignore[no-untyped-def]
    alice = gen_agent(db, "alice")
    bob = gen_agent(db, "bob")
    gen_welcome_script(db)
    grace = gen_customer(db, "Grace Hopper", segment="vip")
    mine = gen_call_for(db, alice.id, customer_id=grace.id, intent="billing")
    theirs = gen_call_for(db, bob.id, customer_id=grace.id)
    log_in(client, "alice")
    return client, mine, theirs


def url(call, what="script"):  # type: ignore[no-untyped-def]
    return f"/desktop/knowledge/calls/{call.call_sid}/{what}"


# ------------------------------------------------------------------------------- the script


def test_the_script_for_my_call_is_filled_in_for_the_caller(desk):
    client, mine, _ = desk
    resp = client.get(url(mine))
    assert resp.status_code == 200
    script = resp.get_json()["script"]
    assert (script["current"], script["steps"]["greet"]["say"]) == ("greet", "Hello Grace, thanks for calling.")


def test_the_script_of_another_agents_call_is_refused(desk):
    client, _, theirs = desk
    assert client.get(url(theirs)).status_code == 403


def test_an_unknown_call_is_404(desk):
    client, _, _ = desk
    assert client.get("/desktop/knowledge/calls/CAnope/script").status_code == 404


@pytest.mark.parametrize("sid", ["x" * 65, "CA'%20OR%201=1--", "%3Cscript%3E"])
def test_a_malformed_call_id_is_400(desk, sid):
    client, _, _ = desk
    assert client.get(f"/desktop/knowledge/calls/{sid}/script").status_code == 400


def test_a_call_without_a_script_says_so(db, desk):
    client, mine, _ = desk
    from sqlalchemy import update

    from contactcenter.scripts.models import CallScript

    db.execute(update(CallScript).values(active=False))
    assert client.get(url(mine)).get_json() == {"script": None}


def test_the_script_needs_a_login(client, db):
    call = gen_call_for(db, None)
    assert client.get(url(call)).status_code == 302


# ------------------------------------------------------------------------------- answers


def test_an_answer_follows_its_branch(desk):
    client, mine, _ = desk
    resp = client.post(url(mine, "answers"), json={"step": "greet", "answer": "no"})
    assert resp.status_code == 200 and resp.get_json()["script"]["current"] == "general"


def test_answers_are_stored_on_the_interaction(db, desk):
    client, mine, _ = desk
    client.post(url(mine, "answers"), json={"step": "greet", "answer": "yes"})
    client.post(url(mine, "answers"), json={"step": "order", "answer": "SO-42"})
    db.refresh(mine)
    assert {k: v["answer"] for k, v in mine.script_answers["answers"].items()} == {"greet": "yes", "order": "SO-42"}


def test_answering_another_agents_call_is_403_and_stores_nothing(db, desk):
    client, _, theirs = desk
    assert client.post(url(theirs, "answers"), json={"step": "greet", "answer": "yes"}).status_code == 403
    db.refresh(theirs)
    assert theirs.script_answers == {}


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {"answer": "yes"},
        {"step": 7, "answer": "yes"},
        {"step": "greet'; DROP TABLE interactions; --", "answer": "yes"},
    ],
)
def test_a_malformed_answer_is_400(desk, body):
    client, mine, _ = desk
    resp = (
        client.post(url(mine, "answers"), json=body)
        if body is not None
        else client.post(url(mine, "answers"), data="{not json", content_type="application/json")
    )
    assert resp.status_code == 400


def test_an_answer_outside_the_options_is_400(desk):
    client, mine, _ = desk
    resp = client.post(url(mine, "answers"), json={"step": "greet", "answer": "<img src=x onerror=alert(1)>"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_answer"


def test_an_oversized_answer_is_400(desk):
    client, mine, _ = desk
    client.post(url(mine, "answers"), json={"step": "greet", "answer": "yes"})
    resp = client.post(url(mine, "answers"), json={"step": "order", "answer": "x" * 5000})
    assert resp.status_code == 400


def test_a_body_over_the_size_limit_is_413(desk):
    client, mine, _ = desk
    resp = client.post(url(mine, "answers"), json={"step": "order", "answer": "x" * (2 * 1024 * 1024)})
    assert resp.status_code == 413


def test_a_step_off_the_path_is_409(desk):
    client, mine, _ = desk
    resp = client.post(url(mine, "answers"), json={"step": "order", "answer": "SO-1"})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "not_on_path"


def test_an_unknown_step_is_404(desk):
    client, mine, _ = desk
    assert client.post(url(mine, "answers"), json={"step": "nowhere", "answer": "x"}).status_code == 404


def test_answers_without_the_csrf_header_are_refused(app, desk):
    _, mine, _ = desk
    client = app.test_client()
    log_in(client, "alice")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(url(mine, "answers"), json={"step": "greet", "answer": "yes"}).status_code == 400


def test_answers_with_the_desktops_csrf_token_are_accepted(app, desk):
    _, mine, _ = desk
    client = app.test_client()
    log_in(client, "alice")
    app.config["WTF_CSRF_ENABLED"] = True
    token = re.search(r'CSRF_TOKEN = "([^"]+)"', client.get("/desktop").get_data(as_text=True)).group(1)
    resp = client.post(url(mine, "answers"), json={"step": "greet", "answer": "yes"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 200


# ------------------------------------------------------------------------------- FAQ


@pytest.fixture
def articles(db):  # type: ignore[no-untyped-def]
    faq.save_article(db, "How refunds work", "Refunds reach the card within 5 days.", ["billing", "refund"])
    faq.save_article(db, "Download an invoice", "Invoices are under Account; refunds show there too.", ["billing"])
    faq.save_article(db, "Track your order", "Use the order number.", ["order_status"])


def test_faq_search_finds_an_article_by_prefix(desk, articles):
    client, _, _ = desk
    items = client.get("/desktop/knowledge/faq?q=refu").get_json()["items"]
    assert [i["title"] for i in items] == ["How refunds work", "Download an invoice"]


def test_faq_search_pages(desk, articles):
    client, _, _ = desk
    first = client.get("/desktop/knowledge/faq?q=refunds&limit=1").get_json()
    second = client.get(f"/desktop/knowledge/faq?q=refunds&limit=1&offset={first['next_offset']}").get_json()
    assert [i["title"] for i in first["items"] + second["items"]] == ["How refunds work", "Download an invoice"]
    assert second["next_offset"] is None


def test_faq_search_with_sql_finds_nothing(desk, articles):
    client, _, _ = desk
    resp = client.get("/desktop/knowledge/faq", query_string={"q": "' OR 1=1; DROP TABLE faq_articles; --"})
    assert resp.status_code == 200 and resp.get_json()["items"] == []


@pytest.mark.parametrize(
    "query",
    [
        "q=",
        "q=%21%21%21",
        "q=" + "a" * 201,
        "q=refund&limit=0",
        "q=refund&limit=26",
        "q=refund&limit=-1",
        "q=refund&offset=abc",
        "q=refund&offset=100000",
    ],
)
def test_a_bad_faq_search_is_400(desk, articles, query):
    client, _, _ = desk
    assert client.get(f"/desktop/knowledge/faq?{query}").status_code == 400


def test_suggestions_follow_the_calls_intent(desk, articles):
    client, mine, _ = desk
    data = client.get(url(mine, "suggestions")).get_json()
    assert data["intent"] == "billing"
    assert {i["title"] for i in data["items"]} == {"How refunds work", "Download an invoice"}


def test_suggestions_for_another_agents_call_are_refused(desk, articles):
    client, _, theirs = desk
    assert client.get(url(theirs, "suggestions")).status_code == 403


def test_a_call_just_accepted_is_mine_before_the_store_records_it(db, client, runtime):
    from contactcenter import clock
    from contactcenter.acd.models import QueueMembership
    from contactcenter.acd.services import AcdService
    from tests.support.factories import gen_queue

    support = gen_queue(db, "support")
    alice = gen_agent(db, "alice", skills={"support": 5})
    gen_agent(db, "bob")
    db.add(QueueMembership(queue_id=support.id, user_id=alice.id))
    gen_welcome_script(db)
    call = gen_call_for(db, None, queue_id=support.id, queued_at=clock.now())
    log_in(client, "alice")
    assert client.post("/desktop/state", json={"state": "available"}).status_code == 200
    AcdService(db, runtime.acd).enqueue(call, support)
    offer = client.get("/desktop/snapshot").get_json()["offer"]
    assert runtime.acd.accept(offer["offer_id"], str(alice.id)).ok  # the router only: agent_id not stored yet
    assert client.get(url(call)).status_code == 200
    client.post("/logout")
    log_in(client, "bob")
    assert client.get(url(call)).status_code == 403
