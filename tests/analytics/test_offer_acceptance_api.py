"""/api/analytics/offers/acceptance: the acceptance rate of next-best offers, for reports."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from contactcenter import clock
from contactcenter.analytics.models import OfferResponse, Product
from tests.support.api import api, error_of, org  # noqa: F401  (fixtures)
from tests.support.factories import gen_call, gen_customer

_sku = count(1)


def _answered(db, org, response, days_ago=0):  # type: ignore[no-untyped-def]
    grace = gen_customer(db, phones=())
    product = Product(sku=f"SKU-{next(_sku)}", name="Teapot")
    db.add(product)
    call = gen_call(db, customer_id=grace.id, agent_id=org.alice.id)
    db.add(
        OfferResponse(
            interaction_id=call.id,
            customer_id=grace.id,
            product_id=product.id,
            response=response,
            agent_id=org.alice.id,
            created_at=clock.now() - timedelta(days=days_ago),
        )
    )
    db.flush()


def test_the_rate_is_accepted_among_decided_offers(api, db, org):  # noqa: F811
    for response in ("accepted", "declined", "declined", "offered"):
        _answered(db, org, response)
    body = api.get("/api/analytics/offers/acceptance").get_json()
    assert {k: body[k] for k in ("offers", "accepted", "declined", "rate")} == {
        "offers": 4,
        "accepted": 1,
        "declined": 2,
        "rate": 0.3333,
    }


def test_since_leaves_out_older_answers(api, db, org):  # noqa: F811
    _answered(db, org, "accepted", days_ago=40)
    _answered(db, org, "declined")
    since = (clock.now() - timedelta(days=7)).date().isoformat()
    assert api.get(f"/api/analytics/offers/acceptance?since={since}").get_json()["accepted"] == 0


def test_a_since_that_is_not_a_date_is_refused(api):  # noqa: F811
    assert error_of(api.get("/api/analytics/offers/acceptance?since=2026-01-01'--")) == (400, "bad_since")
