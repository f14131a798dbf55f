"""Customer search and the customer page through Flask's test client: staff only, agents see the
tickets and calls the API shows them, edits go through the domain, hostile or oversized input is
refused with a message and nothing lost."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.audit.models import AuditEntry
from contactcenter.contacts.models import Customer
from contactcenter.dialer import dnc
from contactcenter.tickets import sla
from tests.support.dialer import gen_campaign, gen_lead
from tests.support.factories import gen_agent, gen_call, gen_customer, gen_member, gen_queue, gen_ticket
from tests.support.web_client import log_in

NOON = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    a, b = gen_queue(db, "queue_a", display_name="Queue A"), gen_queue(db, "queue_b", display_name="Queue B")
    alice = gen_agent(db, "alice", display_name="Alice Agent")
    sam = gen_agent(db, "sam", role=Role.SUPERVISOR, display_name="Sam Supervisor")
    gen_member(db, alice, a)
    sla.create_policy(db, "Fast", targets={"first_response": 3600})
    grace = gen_customer(db, "Grace Hopper", ("+14155550100", "+14155550111"), segment="gold", email="g@navy.example")
    with freeze_time(NOON):
        ours = gen_ticket(db, "Printer jams", queue_id=a.id, customer_id=grace.id)
    with freeze_time(NOON + timedelta(hours=2)):
        theirs = gen_ticket(db, "Other queue's ticket", queue_id=b.id, customer_id=grace.id)
    solved = gen_ticket(db, "Old question", queue_id=a.id, customer_id=grace.id, status="solved")
    call = gen_call(db, customer_id=grace.id, queue_id=a.id, arrived_at=NOON + timedelta(hours=1))
    db.commit()
    return {"alice": alice, "sam": sam, "grace": grace, "ours": ours, "theirs": theirs, "solved": solved, "call": call}


def text(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.get_data(as_text=True)


def _ids(resp, attribute: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(i) for i in re.findall(rf'{attribute}="(\d+)"', text(resp))]


# -- access ---------------------------------------------------------------------------------------


def test_pages_need_a_login(client, office):
    for path in ("/customers", f"/customers/{office['grace'].id}"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = client.post(f"/customers/{office['grace'].id}", data={"name": "Mallory"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_the_top_navigation_links_the_customers(client, office):
    log_in(client, "alice")
    assert 'href="/customers">Customers</a>' in text(client.get("/"))


def test_an_unknown_customer_is_404(client, office):
    log_in(client, "sam")
    assert client.get("/customers/999999").status_code == 404
    assert client.get("/customers/99999999999999").status_code == 404
    assert client.post("/customers/999999", data={"name": "x"}).status_code == 404


def test_a_supervisor_sees_every_ticket_of_the_customer(client, office):
    log_in(client, "sam")
    resp = client.get(f"/customers/{office['grace'].id}")
    assert resp.status_code == 200
    page = text(resp)
    assert _ids(resp, "data-ticket-id") == [office["ours"].id, office["theirs"].id]  # open ones, soonest due first
    assert f'href="/tickets/{office["ours"].id}"' in page and f'href="/tickets/{office["solved"].id}"' in page


def test_an_agent_sees_only_the_tickets_they_may_see(client, office):
    log_in(client, "alice")
    resp = client.get(f"/customers/{office['grace'].id}")
    page = text(resp)
    assert resp.status_code == 200
    assert _ids(resp, "data-ticket-id") == [office["ours"].id]
    assert "Other queue" not in page and f'href="/tickets/{office["theirs"].id}"' not in page


def test_the_timeline_holds_calls_and_tickets_newest_first(client, office):
    log_in(client, "sam")
    page = text(client.get(f"/customers/{office['grace'].id}"))
    timeline = page.split('id="timeline"')[1].split("</ol>")[0]
    kinds = re.findall(r'data-kind="(\w+)"', timeline)
    assert kinds == ["ticket", "ticket", "call", "ticket"]  # solved (now), theirs (+2h), call (+1h), ours (noon)
    assert f'href="/calls/{office["call"].id}"' in timeline


def test_open_tickets_show_their_sla_state(app, office):
    with freeze_time(NOON + timedelta(minutes=30)):
        client = app.test_client()
        log_in(client, "sam")
        page = text(client.get(f"/customers/{office['grace'].id}"))
    row = page.split(f'data-ticket-id="{office["ours"].id}"')[1].split("</tr>")[0]
    assert "due" in row and "2026-11-24 18:00" in row and "breached" not in row
    with freeze_time(NOON + timedelta(hours=5)):
        client = app.test_client()
        log_in(client, "sam")
        page = text(client.get(f"/customers/{office['grace'].id}"))
    row = page.split(f'data-ticket-id="{office["ours"].id}"')[1].split("</tr>")[0]
    assert "SLA breached" in row


def test_campaigns_and_do_not_call_status_per_number(client, db, office):
    campaign = gen_campaign(db, "Winter renewals")
    gen_lead(db, campaign, "+14155550111")
    dnc.add(db, "+14155550100", reason="asked on the phone")
    db.commit()
    log_in(client, "alice")
    page = text(client.get(f"/customers/{office['grace'].id}"))
    numbers = page.split('id="numbers"')[1].split("</section>")[0]
    blocked = numbers.split('data-phone="+14155550100"')[1].split("</li>")[0]
    free = numbers.split('data-phone="+14155550111"')[1].split("</li>")[0]
    assert "do not call" in blocked and "may be called" in free
    campaigns = page.split('id="campaigns"')[1].split("</section>")[0]
    assert "Winter renewals" in campaigns and "+14155550111" in campaigns


def test_viewing_a_customer_is_on_the_audit_log(client, db, office):
    log_in(client, "alice")
    client.get(f"/customers/{office['grace'].id}")
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "customer.view"))
    assert entry is not None and entry.object_id == str(office["grace"].id)
    assert entry.details["via"] == "customer page"


# -- search ---------------------------------------------------------------------------------------


def test_search_by_name_email_and_phone_in_any_format(client, db, office):
    ada = gen_customer(db, "Ada Lovelace", ("+442079460958",), email="ada@engine.example")
    db.commit()
    log_in(client, "alice")
    grace = office["grace"].id
    for query in ("hopper", "NAVY.example", "(415) 555-0100", "415.555.0111", "555-01"):
        assert _ids(client.get("/customers", query_string={"q": query}), "data-customer-id") == [grace], query
    assert _ids(client.get("/customers?q=ada%40engine"), "data-customer-id") == [ada.id]
    assert _ids(client.get("/customers?phone=(415) 555-0100"), "data-customer-id") == [grace]  # the older link
    listing = text(client.get("/customers?q=hopper"))
    assert f'href="/customers/{grace}"' in listing and 'value="hopper"' in listing


def test_search_pages_by_twenty_five(client, db, office):
    for n in range(30):
        gen_customer(db, f"Shopper {n:02d}", ())
    db.commit()
    log_in(client, "alice")
    first, second = client.get("/customers?q=shopper"), client.get("/customers?q=shopper&page=2")
    assert len(_ids(first, "data-customer-id")) == 25 and len(_ids(second, "data-customer-id")) == 5
    assert 'href="/customers?q=shopper&amp;page=2"' in text(first) and "Page 2 of 2" in text(second)
    assert client.get("/customers?q=shopper&page=0").status_code == 400
    assert client.get("/customers?q=shopper&page=abc").status_code == 400


def test_hostile_and_oversized_searches_answer_with_a_message(client, office):
    log_in(client, "alice")
    hostile = client.get("/customers", query_string={"q": "' OR 1=1 --"})
    assert hostile.status_code == 200 and _ids(hostile, "data-customer-id") == []
    html = client.get("/customers", query_string={"q": '"><script>alert(1)</script>'})
    assert html.status_code == 200 and "<script>alert(1)" not in text(html) and "&lt;script&gt;" in text(html)
    assert _ids(client.get("/customers?q=%25"), "data-customer-id") == []  # a typed % is not a wildcard
    long = client.get("/customers", query_string={"q": "x" * 5000})
    assert long.status_code == 400 and "at most 200 characters" in text(long)
    nul = client.get("/customers", query_string={"q": "gr\x00ace"})
    assert nul.status_code == 400 and "NUL" in text(nul)


# -- editing --------------------------------------------------------------------------------------


def _form(**changes: str) -> dict[str, str]:
    form = {
        "name": "Grace Hopper",
        "email": "g@navy.example",
        "segment": "gold",
        "phones": "+14155550100\n+14155550111",
    }
    form.update(changes)
    return form


def _stored(db, customer_id: int) -> Customer:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.get(Customer, customer_id)


def test_an_edit_is_saved_and_redirects(client, db, office):
    log_in(client, "alice")
    grace = office["grace"].id
    resp = client.post(
        f"/customers/{grace}",
        data=_form(name="Grace B. Hopper", segment="vip", email="", phones="(212) 555-0123, 415 555 0100"),
    )
    assert resp.status_code == 302 and resp.headers["Location"] == f"/customers/{grace}"
    stored = _stored(db, grace)
    assert (stored.name, stored.segment, stored.email) == ("Grace B. Hopper", "vip", None)
    assert sorted(p.e164 for p in stored.phones) == ["+12125550123", "+14155550100"]
    page = text(client.get(f"/customers/{grace}"))
    assert "Customer saved." in page and 'id="customer-segment">vip<' in page
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "customer.update"))
    assert entry is not None and entry.actor_name == "alice"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "needs a name"),
        ({"name": "x" * 300}, "1 to 200 characters"),
        ({"email": "not-an-address"}, "e-mail address is not valid"),
        ({"segment": "platinum"}, "segment must be one of"),
        ({"phones": "not a number"}, "not a valid number"),
        ({"phones": "1" * 2000}, "at most 1,000 characters"),
        ({"name": "Grace\x00"}, "NUL"),
    ],
)
def test_a_refused_edit_shows_why_keeps_the_input_and_writes_nothing(client, db, office, changes, message):
    log_in(client, "alice")
    grace = office["grace"].id
    # The name is valid and comes first, so a refusal later must not leave it half-saved.
    form = _form(**({"name": "Changed Name"} | changes))
    resp = client.post(f"/customers/{grace}", data=form)
    page = text(resp)
    assert resp.status_code == 400 and message in page
    assert 'id="profile-error"' in page
    if "x" * 300 not in form["name"] and "\x00" not in form["name"]:
        assert f'value="{form["name"]}"' in page
    stored = _stored(db, grace)
    assert (stored.name, stored.segment, stored.email) == ("Grace Hopper", "gold", "g@navy.example")
    assert sorted(p.e164 for p in stored.phones) == ["+14155550100", "+14155550111"]


def test_a_number_of_another_customer_is_refused(client, db, office):
    gen_customer(db, "Ada Lovelace", ("+442079460958",))
    db.commit()
    log_in(client, "alice")
    resp = client.post(f"/customers/{office['grace'].id}", data=_form(phones="+44 20 7946 0958"))
    assert resp.status_code == 400 and "already belongs to another customer" in text(resp)
    assert "+44 20 7946 0958" in text(resp)


def test_html_in_a_name_is_shown_as_text(client, db, office):
    log_in(client, "alice")
    hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    assert client.post(f"/customers/{office['grace'].id}", data=_form(name=hostile)).status_code == 302
    for path in (f"/customers/{office['grace'].id}", "/customers?q=script"):
        page = text(client.get(path))
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page


def test_the_edit_form_needs_the_csrf_token(app, db, office):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get("/login"))).group(1)
    client.post("/login", data={"username": "alice", "password": "correct-horse-battery", "csrf_token": token})
    grace = office["grace"].id
    assert client.post(f"/customers/{grace}", data=_form(name="Mallory")).status_code == 400
    assert _stored(db, grace).name == "Grace Hopper"
    page = text(client.get(f"/customers/{grace}"))
    token = re.search(r'id="profile-form".*?name="csrf_token" value="([^"]+)"', page, re.S).group(1)
    assert client.post(f"/customers/{grace}", data=_form(name="Grace M. Hopper", csrf_token=token)).status_code == 302
    assert _stored(db, grace).name == "Grace M. Hopper"
