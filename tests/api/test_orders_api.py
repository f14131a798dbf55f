"""/api/orders and /api/customers/<id>/analytics: orders in by JSON, stored figures out."""

from __future__ import annotations

from contactcenter.analytics import services
from tests.support.analytics import gen_shop
from tests.support.api import api, org  # noqa: F401 - fixtures
from tests.support.factories import gen_customer


def _order(customer_id: int, order_id: str = "W-1", **changes) -> dict:  # type: ignore[no-untyped-def, type-arg]
    body = {
        "order_id": order_id,
        "customer_id": customer_id,
        "ordered_at": "2026-03-01T10:00:00Z",
        "currency": "USD",
        "channel": "web",
        "lines": [{"amount": "12.50", "sku": "BK-1", "product": "Birds", "category": "Books"}, {"amount": 2}],
    }
    body.update(changes)
    return body


def test_an_order_is_created_with_its_total(api, db):
    grace = gen_customer(db)
    db.commit()
    made = api.post("/api/orders", _order(grace.id))
    assert made.status_code == 201 and made.get_json()["total"] == "14.50" and len(made.get_json()["lines"]) == 2


def test_posting_the_same_order_id_again_stores_it_once(api, db):
    grace = gen_customer(db)
    db.commit()
    api.post("/api/orders", _order(grace.id))
    again = api.post("/api/orders", _order(grace.id))
    assert again.status_code == 200 and len(api.get("/api/orders").get_json()["data"]) == 1


def test_orders_are_listed_by_customer(api, db):
    grace = gen_customer(db)
    alan = gen_customer(db, "Alan Turing", ("+14155550101",))
    db.commit()
    api.post("/api/orders", _order(grace.id, "W-1"))
    api.post("/api/orders", _order(alan.id, "W-2"))
    listed = api.get(f"/api/orders?customer_id={alan.id}").get_json()["data"]
    assert [o["order_id"] for o in listed] == ["W-2"]


def test_a_negative_amount_is_refused_and_nothing_stored(api, db):
    grace = gen_customer(db)
    db.commit()
    refused = api.post("/api/orders", _order(grace.id, lines=[{"amount": "-1"}]))
    assert refused.status_code == 422 and "negative" in refused.get_json()["error"]["message"]
    assert api.get("/api/orders").get_json()["data"] == []


def test_an_unknown_customer_is_refused(api, db):
    refused = api.post("/api/orders", _order(999_999))
    assert refused.status_code == 422 and "customer" in refused.get_json()["error"]["message"]


def test_lines_that_are_not_a_list_are_refused(api, db):
    grace = gen_customer(db)
    db.commit()
    refused = api.post("/api/orders", _order(grace.id, lines="<script>"))
    assert refused.status_code == 422


def test_a_read_only_token_cannot_add_orders(api, db):
    grace = gen_customer(db)
    db.commit()
    assert api.post("/api/orders", _order(grace.id), as_="alice_ro").status_code == 403


def test_a_customers_stored_figures_are_served(api, db):
    ids = gen_shop(db, customers=60)
    services.recompute(db)
    db.commit()
    figures = api.get(f"/api/customers/{ids[0]}/analytics").get_json()
    assert figures["segment"] and 0 <= figures["p_alive"] <= 1


def test_figures_of_an_unknown_customer_are_not_found(api, db):
    assert api.get("/api/customers/999999/analytics").status_code == 404
