"""Company and time zone on the customer page, and merging a duplicate from it: find, compare side
by side, confirm; old links of the merged customer lead to the one kept. Supervisors and admins only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.audit.models import AuditEntry
from contactcenter.contacts.models import Customer, Interaction
from tests.support.factories import gen_agent, gen_call, gen_customer, gen_ticket
from tests.support.web_client import log_in

HOSTILE = ("<script>alert(1)</script>", "' OR 1=1 --")


@pytest.fixture
def pair(db):  # type: ignore[no-untyped-def]
    gen_agent(db, "alice", display_name="Alice Agent")
    gen_agent(db, "sam", role=Role.SUPERVISOR, display_name="Sam Supervisor")
    keep = gen_customer(db, "Grace Hopper", ("+14155550100",), email="grace@navy.example", segment="gold")
    dupe = gen_customer(db, "G. Hopper", ("+14155550111",), company="US Navy", time_zone="America/New_York")
    call = gen_call(db, customer_id=dupe.id, from_number="+14155550111")
    gen_ticket(db, "Printer jams", customer_id=dupe.id)
    db.commit()
    return {"keep": keep.id, "dupe": dupe.id, "call": call.id}


def text(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.get_data(as_text=True)


def _form(**changes: str) -> dict[str, str]:
    form = {
        "name": "Grace Hopper",
        "email": "grace@navy.example",
        "company": "",
        "time_zone": "",
        "segment": "gold",
        "phones": "+14155550100",
    }
    form.update(changes)
    return form


def test_company_and_time_zone_are_saved_from_the_customer_page(client, db, pair):
    log_in(client, "alice")
    resp = client.post(f"/customers/{pair['keep']}", data=_form(company="US Navy", time_zone="America/New_York"))
    assert resp.status_code == 302
    db.expire_all()
    grace = db.get(Customer, pair["keep"])
    assert (grace.company, grace.time_zone) == ("US Navy", "America/New_York")


def test_an_unknown_time_zone_is_refused_next_to_the_form_and_nothing_saved(client, db, pair):
    log_in(client, "alice")
    resp = client.post(f"/customers/{pair['keep']}", data=_form(company="Navy", time_zone="Mars/Olympus"))
    assert resp.status_code == 400 and "not a time zone name" in text(resp) and 'id="profile-error"' in text(resp)
    db.expire_all()
    assert db.get(Customer, pair["keep"]).company is None


def test_an_oversized_company_is_refused_with_a_clear_message(client, db, pair):
    log_in(client, "alice")
    resp = client.post(f"/customers/{pair['keep']}", data=_form(company="C" * 201))
    assert resp.status_code == 400 and "at most 200 characters" in text(resp)


def test_the_search_finds_a_customer_by_company_and_shows_it(client, pair):
    log_in(client, "alice")
    page = text(client.get("/customers", query_string={"q": "navy"}))
    assert f'data-customer-id="{pair["dupe"]}"' in page and "US Navy" in page


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_in_every_profile_field_is_stored_as_data_and_shown_escaped(client, db, pair, hostile):
    log_in(client, "sam")
    form = _form(name=hostile, company=hostile)
    assert client.post(f"/customers/{pair['keep']}", data=form).status_code == 302
    for field, value in (("email", hostile), ("time_zone", hostile), ("phones", hostile), ("segment", hostile)):
        resp = client.post(f"/customers/{pair['keep']}", data=_form(**{field: value}))
        assert resp.status_code == 400 and "<script>alert(1)" not in text(resp)
    pages = (
        (f"/customers/{pair['keep']}", {}),
        ("/customers", {"q": "OR"}),
        (f"/customers/{pair['dupe']}/merge", {"q": hostile}),
    )
    for path, query in pages:
        assert "<script>alert(1)" not in text(client.get(path, query_string=query))
    db.expire_all()
    assert db.get(Customer, pair["keep"]).company == hostile


def test_an_agent_may_not_merge(client, pair):
    log_in(client, "alice")
    assert client.get(f"/customers/{pair['keep']}/merge?q=hopper").status_code == 403
    assert client.post(f"/customers/{pair['keep']}/merge/{pair['dupe']}").status_code == 403
    assert 'id="merge"' not in text(client.get(f"/customers/{pair['keep']}"))


def test_the_merge_search_lists_other_customers_only(client, pair):
    log_in(client, "sam")
    page = text(client.get(f"/customers/{pair['keep']}/merge", query_string={"q": "hopper"}))
    assert re.findall(r'data-customer-id="(\d+)"', page) == [str(pair["dupe"])]


def test_the_preview_shows_both_side_by_side_and_changes_nothing(client, db, pair):
    log_in(client, "sam")
    page = text(client.get(f"/customers/{pair['keep']}/merge/{pair['dupe']}"))
    assert "Grace Hopper" in page and "G. Hopper" in page and "US Navy" in page
    assert 'data-field="company" class="filled"' in page
    assert "<strong>1</strong> tickets" in page and "<strong>1</strong> calls and messages" in page
    assert db.get(Customer, pair["dupe"]) is not None


def test_confirming_moves_the_history_and_removes_the_duplicate(client, db, pair):
    log_in(client, "sam")
    resp = client.post(f"/customers/{pair['keep']}/merge/{pair['dupe']}")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/customers/{pair['keep']}")
    db.expire_all()
    assert db.get(Customer, pair["dupe"]) is None
    assert db.get(Interaction, pair["call"]).customer_id == pair["keep"]
    page = text(client.get(f"/customers/{pair['keep']}"))
    assert "was merged into this customer" in page and "G. Hopper" in page


def test_an_old_link_to_the_merged_customer_redirects_to_the_one_kept(client, pair):
    log_in(client, "sam")
    client.post(f"/customers/{pair['keep']}/merge/{pair['dupe']}")
    resp = client.get(f"/customers/{pair['dupe']}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/customers/{pair['keep']}")


def test_the_merge_is_in_the_audit_log_as_the_supervisor(client, db, pair):
    log_in(client, "sam")
    client.post(f"/customers/{pair['keep']}/merge/{pair['dupe']}")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "customer.merge")).one()
    assert (entry.actor_name, entry.details["merged_id"]) == ("sam", pair["dupe"])


def test_merging_twice_is_refused_with_the_reason(client, pair):
    log_in(client, "sam")
    client.post(f"/customers/{pair['keep']}/merge/{pair['dupe']}")
    resp = client.post(f"/customers/{pair['keep']}/merge/{pair['dupe']}")
    assert resp.status_code == 409 and "already merged into customer" in text(resp)


def test_merging_a_customer_into_itself_is_refused(client, pair):
    log_in(client, "sam")
    resp = client.get(f"/customers/{pair['keep']}/merge/{pair['keep']}")
    assert resp.status_code == 400 and "cannot be merged into itself" in text(resp)


def test_the_merge_form_needs_the_csrf_token(app, db, pair):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get("/login"))).group(1)
    client.post("/login", data={"username": "sam", "password": "correct-horse-battery", "csrf_token": token})
    assert client.post(f"/customers/{pair['keep']}/merge/{pair['dupe']}").status_code == 400
    assert db.get(Customer, pair["dupe"]) is not None


def test_the_preview_is_on_the_audit_log_as_a_view_of_both_customers(client, db, pair):
    log_in(client, "sam")
    client.get(f"/customers/{pair['keep']}/merge/{pair['dupe']}")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "customer.view")).one()
    assert entry.details["customer_ids"] == [pair["keep"], pair["dupe"]]
