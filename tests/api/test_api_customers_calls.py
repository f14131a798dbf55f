"""Customers and interactions over the API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contactcenter import clock
from contactcenter.contacts.models import Interaction
from contactcenter.tickets.services import link_interaction, open_ticket
from tests.support.api import api, error_of, org  # noqa: F401  (fixtures)
from tests.support.factories import call_sid


def test_create_find_by_any_phone_format_and_change(api, org):
    created = api.post(
        "/api/customers",
        {
            "name": "Grace Hopper",
            "phones": ["(415) 555-0100"],
            "email": "grace@navy.example",
            "segment": "vip",
            "attributes": {"account": "1001"},
        },
        as_="alice",
    )
    assert created.status_code == 201
    grace = created.get_json()
    assert grace["phones"] == ["+14155550100"] and grace["segment"] == "vip"
    for number in ("+1 415 555 0100", "415.555.0100", "14155550100"):
        found = api.get(f"/api/customers?phone={number}", as_="bob").get_json()["data"]
        assert [c["id"] for c in found] == [grace["id"]], number
    changed = api.patch(
        f"/api/customers/{grace['id']}",
        {"segment": "gold", "phones": ["+1 415 555 0100", "+44 20 7946 0000"]},
        as_="alice",
    ).get_json()
    assert changed["segment"] == "gold" and changed["phones"] == ["+14155550100", "+442079460000"]
    assert [c["id"] for c in api.get("/api/customers?q=hopper", as_="alice").get_json()["data"]] == [grace["id"]]
    assert [c["id"] for c in api.get("/api/customers?segment=gold,vip").get_json()["data"]] == [grace["id"]]
    assert [c["id"] for c in api.get("/api/customers?email=GRACE@navy.example").get_json()["data"]] == [grace["id"]]


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "X", "phones": ["not a number"]},
        {"name": "X", "phones": "+14155550100"},
        {"name": "X", "segment": "platinum"},
        {"name": "X", "email": "nope"},
        {"name": ["X"]},
        {"name": "X", "attributes": [1]},
        {"name": "X", "id": 5},
    ],
)
def test_bad_customers_are_422(api, org, body):
    assert error_of(api.post("/api/customers", body, as_="alice")) == (422, "validation_failed")


def test_same_number_cannot_belong_to_two_customers(api, org):
    api.post("/api/customers", {"name": "Grace", "phones": ["+14155550100"]})
    assert error_of(api.post("/api/customers", {"name": "Imposter", "phones": ["415-555-0100"]})) == (
        422,
        "validation_failed",
    )


def test_customer_pages(api, org):
    ids = [api.post("/api/customers", {"name": f"Customer {n}"}).get_json()["id"] for n in range(7)]
    seen, cursor = [], None
    while True:
        body = api.get("/api/customers?limit=3" + (f"&cursor={cursor}" if cursor else ""), as_="alice").get_json()
        seen += [c["id"] for c in body["data"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(ids, reverse=True)


def call(db, **fields):  # type: ignore[no-untyped-def]
    fields.setdefault("direction", "inbound")
    interaction = Interaction(call_sid=call_sid(), from_number="+14155550100", to_number="+18005550199", **fields)
    db.add(interaction)
    db.flush()
    return interaction


def test_agents_see_their_calls_their_queues_and_their_tickets(api, org, db):
    now = clock.now()
    handled = call(db, agent_id=org.alice.id, queue_id=org.billing.id, arrived_at=now - timedelta(minutes=5))
    queued = call(db, queue_id=org.support.id, arrived_at=now - timedelta(minutes=4))
    ticketed = call(db, queue_id=org.billing.id, arrived_at=now - timedelta(minutes=3))
    hidden = call(db, queue_id=org.billing.id, agent_id=org.bob.id, arrived_at=now - timedelta(minutes=2))
    link_interaction(db, open_ticket(db, "Mine", queue_id=org.support.id), ticketed)
    db.commit()
    listed = [c["id"] for c in api.get("/api/interactions", as_="alice").get_json()["data"]]
    assert listed == [ticketed.id, queued.id, handled.id]
    assert error_of(api.get(f"/api/interactions/{hidden.id}", as_="alice")) == (404, "not_found")
    detail = api.get(f"/api/interactions/{ticketed.id}", as_="alice").get_json()
    assert len(detail["ticket_ids"]) == 1
    assert len(api.get("/api/interactions", as_="sam").get_json()["data"]) == 4
    assert [c["id"] for c in api.get(f"/api/interactions?agent_id={org.bob.id}", as_="sam").get_json()["data"]] == [
        hidden.id
    ]


def test_interaction_pages_and_filters(api, org, db):
    start = clock.now() - timedelta(hours=1)
    calls = [
        call(
            db,
            queue_id=org.support.id,
            arrived_at=start + timedelta(minutes=n // 2),
            direction="outbound" if n % 3 == 0 else "inbound",
        )
        for n in range(11)
    ]  # pairs share an arrival time: the id breaks the tie
    db.commit()
    seen, cursor = [], None
    while True:
        body = api.get("/api/interactions?limit=4" + (f"&cursor={cursor}" if cursor else ""), as_="alice").get_json()
        seen += [c["id"] for c in body["data"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    expected = [c.id for c in sorted(calls, key=lambda c: (c.arrived_at, c.id), reverse=True)]
    assert seen == expected
    outbound = api.get("/api/interactions?direction=outbound", as_="alice").get_json()["data"]
    assert {c["id"] for c in outbound} == {c.id for c in calls if c.direction == "outbound"}
    for bad in ("direction=sideways", "status=exploded", "arrived_after=soon", "agent_id=x"):
        assert error_of(api.get(f"/api/interactions?{bad}", as_="alice")) == (400, "invalid_filter")
