"""Offer responses from the screen pop: filed against the agent's own call, refused clearly
otherwise, and counted into the acceptance rate by each call's latest answer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.analytics import offer_responses
from contactcenter.analytics.models import OfferResponse, Product
from contactcenter.analytics.offer_responses import OfferResponseError
from tests.support.factories import gen_agent, gen_call, gen_customer
from tests.support.web_client import log_in


@pytest.fixture
def desk(db):  # type: ignore[no-untyped-def]
    alice, bob = gen_agent(db, "alice"), gen_agent(db, "bob")
    grace = gen_customer(db)
    teapot = Product(sku="HO-301", name="Ceramic teapot")
    db.add(teapot)
    call = gen_call(db, customer_id=grace.id, agent_id=alice.id)
    db.flush()
    return alice, bob, grace, teapot, call


def _record(db, call, agent, product_id, response="accepted"):  # type: ignore[no-untyped-def]
    return offer_responses.record(
        db, call_sid=call.call_sid, agent_id=agent.id, product_id=product_id, response=response
    )


def test_an_accepted_offer_is_filed_against_the_call_customer_product_and_agent(db, desk):
    alice, _, grace, teapot, call = desk
    _record(db, call, alice, teapot.id)
    row = db.scalars(select(OfferResponse)).one()
    assert (row.interaction_id, row.customer_id, row.product_id, row.agent_id, row.response) == (
        call.id,
        grace.id,
        teapot.id,
        alice.id,
        "accepted",
    )


def test_another_agents_call_is_refused(db, desk):
    _, bob, _, teapot, call = desk
    with pytest.raises(OfferResponseError) as refused:
        _record(db, call, bob, teapot.id)
    assert refused.value.kind == "forbidden"


def test_an_unknown_product_is_refused(db, desk):
    alice, _, _, _, call = desk
    with pytest.raises(OfferResponseError) as refused:
        _record(db, call, alice, 999999)
    assert refused.value.code == "no_such_product"


def test_a_call_without_a_customer_takes_no_offer(db, desk):
    alice, _, _, teapot, _ = desk
    anonymous = gen_call(db, agent_id=alice.id)
    with pytest.raises(OfferResponseError) as refused:
        _record(db, anonymous, alice, teapot.id)
    assert refused.value.kind == "unprocessable"


def test_acceptance_counts_each_calls_offer_once_by_its_latest_answer(db, desk):
    alice, _, grace, teapot, call = desk
    lamp = Product(sku="HO-303", name="Reading lamp")
    db.add(lamp)
    db.flush()
    _record(db, call, alice, teapot.id, "offered")
    _record(db, call, alice, teapot.id, "accepted")
    _record(db, call, alice, lamp.id, "declined")
    second = gen_call(db, customer_id=grace.id, agent_id=alice.id)
    _record(db, second, alice, lamp.id, "accepted")
    result = offer_responses.acceptance(db)
    assert (result.offers, result.accepted, result.declined, result.rate) == (3, 2, 1, 0.6667)


def test_no_decided_offer_has_no_rate(db, desk):
    alice, _, _, teapot, call = desk
    _record(db, call, alice, teapot.id, "offered")
    assert offer_responses.acceptance(db).rate is None


# The endpoint the pop's buttons post to.


@pytest.fixture
def web_desk(client, db, desk):  # type: ignore[no-untyped-def]
    log_in(client, "alice")
    return desk


def _post(client, call_sid, body):  # type: ignore[no-untyped-def]
    return client.post(f"/desktop/calls/{call_sid}/offers", json=body)


def test_the_agent_clicks_accepted_and_the_call_records_it(client, db, web_desk):
    _, _, _, teapot, call = web_desk
    resp = _post(client, call.call_sid, {"product_id": teapot.id, "response": "accepted"})
    assert resp.status_code == 201 and resp.get_json()["interaction_id"] == call.id


def test_an_unknown_call_is_not_found(client, web_desk):
    teapot = web_desk[3]
    resp = _post(client, "CA" + "0" * 32, {"product_id": teapot.id, "response": "accepted"})
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "no_such_call"


def test_an_unknown_product_is_not_found(client, web_desk):
    resp = _post(client, web_desk[4].call_sid, {"product_id": 424242, "response": "accepted"})
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "no_such_product"


def test_another_agents_call_is_forbidden(app, db, web_desk):
    _, bob, _, teapot, call = web_desk
    other = app.test_client()
    log_in(other, "bob")
    resp = _post(other, call.call_sid, {"product_id": teapot.id, "response": "accepted"})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "not_your_call"


@pytest.mark.parametrize(
    "response", ["maybe", "accepted'; DROP TABLE offer_responses; --", "<script>alert(1)</script>", 1, None]
)
def test_a_response_outside_the_three_is_refused(client, db, web_desk, response):
    resp = _post(client, web_desk[4].call_sid, {"product_id": web_desk[3].id, "response": response})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_response"
    assert db.scalars(select(OfferResponse)).all() == []


@pytest.mark.parametrize("product_id", ["1 OR 1=1", True, -1, 2**40, 1.5, None])
def test_a_product_id_that_is_not_a_number_is_refused(client, web_desk, product_id):
    resp = _post(client, web_desk[4].call_sid, {"product_id": product_id, "response": "accepted"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_product"


def test_a_body_that_is_not_a_json_object_is_refused(client, web_desk):
    resp = client.post(f"/desktop/calls/{web_desk[4].call_sid}/offers", data="response=accepted")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_body"


def test_an_oversized_body_is_refused(client, web_desk):
    body = {"product_id": web_desk[3].id, "response": "accepted", "pad": "x" * 10_000}
    resp = _post(client, web_desk[4].call_sid, body)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "too_large"


def test_an_overlong_call_id_is_not_found(client, web_desk):
    resp = _post(client, "CA" + "9" * 300, {"product_id": web_desk[3].id, "response": "accepted"})
    assert resp.status_code == 404


def test_signed_out_the_endpoint_answers_nothing(app, web_desk):
    resp = _post(app.test_client(), web_desk[4].call_sid, {"product_id": web_desk[3].id, "response": "accepted"})
    assert resp.status_code in (302, 401)


def test_merging_customers_moves_the_answers_to_the_survivor(db, runtime, desk):
    from contactcenter.contacts import merge

    alice, _, grace, teapot, call = desk
    _record(db, call, alice, teapot.id)
    survivor = gen_customer(db, "Grace B. Hopper", ("+14155550111",))
    merge.merge(db, survivor.id, grace.id)
    assert db.scalars(select(OfferResponse.customer_id)).all() == [survivor.id]


def test_a_product_the_company_does_not_offer_is_refused(client, db, web_desk):
    teapot = web_desk[3]
    teapot.offer_eligible = False
    db.commit()
    resp = _post(client, web_desk[4].call_sid, {"product_id": teapot.id, "response": "offered"})
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "not_offerable"


def test_the_pop_shows_each_offers_answer_on_this_call(db, desk):
    from contactcenter.analytics.models import CustomerModelScore
    from contactcenter.calls import screen_pop

    alice, _, grace, teapot, call = desk
    db.add(
        CustomerModelScore(
            customer_id=grace.id,
            model="next_offer",
            model_version="item-cf-1",
            score=1.0,
            figures={"offers": [{"product_id": teapot.id, "score": 1.0}]},
        )
    )
    db.flush()
    _record(db, call, alice, teapot.id, "declined")
    offers = screen_pop.build(db, call.call_sid)["customer"]["offers"]
    assert offers == [{"product_id": teapot.id, "sku": "HO-301", "name": "Ceramic teapot", "response": "declined"}]


def test_acceptance_is_also_given_per_model_version(db, desk):
    alice, _, _, teapot, call = desk
    _record(db, call, alice, teapot.id, "accepted")
    row = db.scalars(select(OfferResponse)).one()
    row.model_version = "item-cf-1"
    db.flush()
    by_version = offer_responses.acceptance(db).as_dict()["by_version"]
    assert by_version == {"item-cf-1": {"offers": 1, "accepted": 1, "declined": 0, "rate": 1.0}}
