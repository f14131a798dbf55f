"""The views page's workspace through Flask's test client: saved filters, the search box, bulk
actions, macros on the ticket page and their admin pages, and the counts the live pages fetch."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from contactcenter.audit.models import AuditEntry
from contactcenter.tickets import macros
from contactcenter.tickets.macros import MacroFields
from contactcenter.tickets.models import SavedTicketFilter, TicketComment, TicketEvent, TicketMacro
from contactcenter.tickets.services import add_comment
from tests.support.factories import gen_ticket
from tests.support.ticket_office import gen_ticket_office
from tests.support.web_client import log_in

HOSTILE = "<script>alert(1)</script>"
SQL = "' OR 1=1 --"


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    people = gen_ticket_office(db)
    db.commit()
    return people


def text(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.get_data(as_text=True)


def listed(resp) -> list[int]:  # type: ignore[no-untyped-def]
    assert resp.status_code == 200, text(resp)
    return [int(i) for i in re.findall(r'data-ticket-id="(\d+)"', text(resp))]


def trail(db, ticket):  # type: ignore[no-untyped-def]
    db.expire_all()
    return list(db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)))


# -- saved filters --------------------------------------------------------------------------------


def _save(client, name, query="view=all&tag=billing", **extra):  # type: ignore[no-untyped-def]
    return client.post("/tickets/filters", data={"name": name, "return_to": f"/tickets?{query}", **extra})


def test_a_saved_filter_appears_among_the_views_with_its_count(client, db, office):
    log_in(client, "sam")
    resp = _save(client, "Billing")
    saved = db.scalar(select(SavedTicketFilter))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tickets?saved={saved.id}")
    page = text(client.get("/tickets"))
    assert re.search(rf'data-saved="{saved.id}".*?Billing <span class="count">2</span>', page, re.S)


def test_opening_a_saved_filter_lists_its_tickets(client, db, office):
    log_in(client, "sam")
    _save(client, "Billing")
    saved = db.scalar(select(SavedTicketFilter))
    assert sorted(listed(client.get(f"/tickets?saved={saved.id}"))) == sorted(
        [office["a_billing"].id, office["b_open"].id]
    )


def test_a_shared_filter_shows_an_agent_only_their_tickets(client, app, db, office):
    log_in(client, "sam")
    _save(client, "Billing", shared="on")
    saved = db.scalar(select(SavedTicketFilter))
    agent = app.test_client()
    log_in(agent, "alice")
    assert listed(agent.get(f"/tickets?saved={saved.id}")) == [office["a_billing"].id]


def test_a_saved_filters_pages_follow_one_another(client, db, office):
    for i in range(52):
        gen_ticket(db, f"Billing question {i}", queue_id=office["a"].id, tags=["billing"])
    db.commit()
    log_in(client, "alice")
    _save(client, "Billing")
    saved = db.scalar(select(SavedTicketFilter))
    first = client.get(f"/tickets?saved={saved.id}")
    link = re.search(r'href="([^"]+)" id="next-page"', text(first))
    assert link is not None and f"saved={saved.id}" in link.group(1)
    more = listed(client.get(link.group(1).replace("&amp;", "&")))
    assert len(listed(first)) == 50 and len(more) == 3 and not set(listed(first)) & set(more)


def test_a_supervisor_shares_a_filter_from_its_own_page(client, db, office):
    log_in(client, "sam")
    _save(client, "Billing")
    saved = db.scalar(select(SavedTicketFilter))
    resp = client.post(
        "/tickets/filters", data={"name": "Billing", "shared": "on", "return_to": f"/tickets?saved={saved.id}"}
    )
    assert resp.status_code == 302
    db.expire_all()
    assert (saved.shared, saved.filters) == (True, {"tag": "billing"})


def test_an_agent_cannot_share_a_filter(client, db, office):
    log_in(client, "alice")
    resp = _save(client, "Mine", shared="on")
    assert resp.status_code == 400 and "only supervisors and admins share" in text(resp)
    assert db.scalar(select(func.count(SavedTicketFilter.id))) == 0


def test_saving_without_a_name_shows_the_message_and_stores_nothing(client, db, office):
    log_in(client, "alice")
    resp = _save(client, "  ")
    assert resp.status_code == 400
    assert re.search(r'id="save-filter-error"[^>]*>give the filter a name<', text(resp))
    assert db.scalar(select(func.count(SavedTicketFilter.id))) == 0


def test_a_name_with_a_nul_is_refused_with_a_message(client, db, office):
    log_in(client, "alice")
    resp = _save(client, "a\x00b")
    assert resp.status_code == 400 and "cannot be stored (NUL)" in text(resp)
    assert db.scalar(select(func.count(SavedTicketFilter.id))) == 0


def test_an_oversized_name_is_refused_with_a_message(client, db, office):
    log_in(client, "alice")
    resp = _save(client, "x" * 10_000)
    assert resp.status_code == 400 and "at most 80 characters" in text(resp)
    assert db.scalar(select(func.count(SavedTicketFilter.id))) == 0


@pytest.mark.parametrize("value", [HOSTILE, SQL])
def test_html_and_sql_in_a_filter_name_and_tag_are_shown_as_text(client, db, office, value):
    log_in(client, "alice")
    assert _save(client, value, query=f"view=all&tag={quote(value)}").status_code == 302
    page = text(client.get("/tickets"))
    assert "<script>alert(1)</script>" not in page
    assert ("&lt;script&gt;alert(1)&lt;/script&gt;" if value == HOSTILE else "&#39; OR 1=1 --") in page


def test_the_owner_deletes_a_saved_filter(client, db, office):
    log_in(client, "alice")
    _save(client, "Billing")
    saved = db.scalar(select(SavedTicketFilter))
    resp = client.post(f"/tickets/filters/{saved.id}/delete", data={"return_to": "/tickets"})
    assert resp.status_code == 302
    assert db.scalar(select(func.count(SavedTicketFilter.id))) == 0


def test_someone_elses_private_filter_cannot_be_opened_or_deleted(client, app, db, office):
    log_in(client, "bob")
    _save(client, "Bob's")
    saved = db.scalar(select(SavedTicketFilter))
    other = app.test_client()
    log_in(other, "alice")
    assert "Bob&#39;s" not in text(other.get(f"/tickets?saved={saved.id}"))
    assert other.post(f"/tickets/filters/{saved.id}/delete", data={}).status_code == 400
    assert db.scalar(select(func.count(SavedTicketFilter.id))) == 1


# -- search ---------------------------------------------------------------------------------------


def test_search_finds_a_ticket_by_a_comment(client, db, office):
    add_comment(db, office["a_new"], "The toner cartridge leaks", public=False)
    db.commit()
    log_in(client, "alice")
    assert listed(client.get("/tickets?view=all&q=toner")) == [office["a_new"].id]


def test_search_looks_beyond_the_view_it_was_typed_in(client, db, office):
    log_in(client, "alice")
    assert listed(client.get("/tickets?view=mine&q=printer")) == [office["a_new"].id]


def test_search_keeps_to_the_tickets_the_agent_may_see(client, db, office):
    log_in(client, "alice")
    assert listed(client.get("/tickets?view=all&q=refund")) == []
    log_in(client, "bob")
    assert listed(client.get("/tickets?view=all&q=refund")) == [office["b_open"].id]


def test_search_results_are_paged(client, db, office):
    for i in range(55):
        gen_ticket(db, f"Paper outage {i}", queue_id=office["a"].id)
    db.commit()
    log_in(client, "alice")
    first = client.get("/tickets?view=all&q=paper")
    ids = listed(first)
    link = re.search(r'href="([^"]+)" id="next-page"', text(first))
    assert len(ids) == 50 and link is not None
    more = listed(client.get(link.group(1).replace("&amp;", "&")))
    assert len(more) == 5 and not set(ids) & set(more)


@pytest.mark.parametrize("query", [HOSTILE, SQL])
def test_html_and_sql_in_the_search_box_are_shown_as_text(client, office, query):
    log_in(client, "alice")
    resp = client.get("/tickets?view=all&q=" + quote(query))
    assert resp.status_code == 200 and "<script>alert(1)</script>" not in text(resp)


def test_an_oversized_search_is_refused_with_a_message(client, office):
    log_in(client, "alice")
    resp = client.get("/tickets?view=all&q=" + "x" * 600)
    assert resp.status_code == 400 and "search: at most 500 characters" in text(resp)


# -- live counts ----------------------------------------------------------------------------------


def test_the_counts_follow_the_filters_and_the_viewer(client, db, office):
    log_in(client, "alice")
    _save(client, "Billing")
    saved = db.scalar(select(SavedTicketFilter))
    body = client.get("/tickets/counts?tag=billing").get_json()
    assert body["views"]["all"] == 1 and body["views"]["my_queues"] == 1
    assert body["saved"] == {str(saved.id): 1}


def test_a_bad_filter_for_the_counts_answers_400(client, office):
    log_in(client, "alice")
    resp = client.get("/tickets/counts?status=bogus")
    assert resp.status_code == 400 and "status must be one of" in resp.get_json()["error"]


# -- bulk actions ---------------------------------------------------------------------------------


def _bulk(client, ids, action, **values):  # type: ignore[no-untyped-def]
    data = {"ticket": [str(i) for i in ids], "action": action, "return_to": "/tickets?view=all", **values}
    return client.post("/tickets/bulk", data=data)


def test_the_views_page_has_a_box_per_row_and_one_for_the_page(client, office):
    log_in(client, "alice")
    page = text(client.get("/tickets?view=all"))
    assert 'id="pick-all"' in page
    assert len(re.findall(r'name="ticket" value="\d+" form="bulk"', page)) == 3


def test_a_bulk_status_change_is_on_each_tickets_trail(client, db, office):
    log_in(client, "alice")
    picked = [office["a_new"], office["a_billing"]]
    resp = _bulk(client, [t.id for t in picked], "status", bulk_status="open")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/tickets?view=all")
    for ticket in picked:
        last = trail(db, ticket)[-1]
        assert (last.kind, last.after, last.actor_id) == ("status", {"status": "open"}, office["alice"].id)


def test_a_bulk_change_says_what_it_did(client, db, office):
    log_in(client, "alice")
    resp = _bulk(client, [office["a_new"].id, office["a_open"].id], "status", bulk_status="solved")
    page = text(client.get(resp.headers["Location"]))
    assert "1 ticket changed, 1 skipped" in page and "cannot change status from new to solved" in page


def test_bulk_on_a_ticket_the_agent_cannot_see_changes_nothing(client, db, office):
    log_in(client, "alice")
    resp = _bulk(client, [office["a_new"].id, office["b_new"].id], "priority", bulk_priority="urgent")
    assert resp.status_code == 400
    assert re.search(rf'id="bulk-error"[^>]*>there is no ticket #{office["b_new"].id} you can see<', text(resp))
    assert [e.kind for e in trail(db, office["a_new"])] == ["created"]


def test_bulk_merge_folds_the_picked_into_one(client, db, office):
    log_in(client, "alice")
    target, other = office["a_new"], office["a_billing"]
    _bulk(client, [target.id, other.id], "merge", bulk_merge_into=str(target.id))
    db.expire_all()
    assert other.status == "merged" and other.merged_into_id == target.id


@pytest.mark.parametrize("value", [HOSTILE, SQL, "x" * 10_000, "a\x00b"])
def test_hostile_or_oversized_bulk_values_are_refused_and_shown_as_text(client, db, office, value):
    log_in(client, "sam")
    resp = _bulk(client, [office["a_new"].id], "assign", bulk_assignee=value)
    assert resp.status_code == 400 and "<script>alert(1)</script>" not in text(resp)
    assert [e.kind for e in trail(db, office["a_new"])] == ["created"]


@pytest.mark.parametrize("value", [HOSTILE, SQL])
@pytest.mark.parametrize(
    "action, field",
    [
        ("assign", "bulk_assignee"),
        ("status", "bulk_status"),
        ("priority", "bulk_priority"),
        ("merge", "bulk_merge_into"),
        (HOSTILE, "bulk_status"),
    ],
)
def test_html_and_sql_in_every_bulk_field_change_nothing(client, db, office, action, field, value):
    log_in(client, "sam")
    resp = _bulk(client, [office["a_new"].id, office["a_open"].id], action, **{field: value})
    assert resp.status_code == 400 and "<script>alert(1)</script>" not in text(resp)
    assert [e.kind for e in trail(db, office["a_new"])] == ["created"]


@pytest.mark.parametrize("value", [HOSTILE, SQL, "9" * 5000])
def test_picked_rows_that_are_not_ticket_numbers_are_refused(client, db, office, value):
    log_in(client, "sam")
    resp = _bulk(client, [office["a_new"].id, value], "priority", bulk_priority="high")
    assert resp.status_code == 400 and "the picked tickets are not ticket numbers" in text(resp)
    assert [e.kind for e in trail(db, office["a_new"])] == ["created"]


def test_a_hostile_tag_added_in_bulk_is_shown_as_text(client, db, office):
    log_in(client, "sam")
    assert _bulk(client, [office["a_new"].id], "tag", bulk_tag="<b>x</b>").status_code == 302
    page = text(client.get("/tickets?view=all"))
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


def test_bulk_needs_the_csrf_token(app, client, db, office):
    app.config["WTF_CSRF_ENABLED"] = True
    resp = client.post("/tickets/bulk", data={"ticket": [str(office["a_new"].id)], "action": "priority"})
    assert resp.status_code == 400
    assert [e.kind for e in trail(db, office["a_new"])] == ["created"]


# -- macros on the ticket page --------------------------------------------------------------------


@pytest.fixture
def reply_macro(db, office):  # type: ignore[no-untyped-def]
    macro = macros.save(
        db,
        MacroFields(
            name="Take and answer", status="open", assignee="me", add_tags="answered", comment="Hello, we are on it."
        ),
    )
    macro.comment_public = True
    db.commit()
    return macro


def test_the_ticket_page_offers_the_macros(client, office, reply_macro):
    log_in(client, "alice")
    page = text(client.get(f"/tickets/{office['a_new'].id}"))
    assert 'id="macro-picker"' in page and "Take and answer" in page
    assert "assign to whoever applies it" in page


def test_applying_a_macro_sets_the_fields_and_fills_the_composer(client, db, office, reply_macro):
    log_in(client, "alice")
    ticket = office["a_new"]
    resp = client.post(f"/tickets/{ticket.id}/macro", data={"macro": str(reply_macro.id)})
    assert resp.status_code == 302 and f"macro={reply_macro.id}" in resp.headers["Location"]
    db.expire_all()
    assert (ticket.status, ticket.assignee_id, ticket.tags) == ("open", office["alice"].id, ["answered"])
    page = text(client.get(resp.headers["Location"]))
    assert ">Hello, we are on it.</textarea>" in page
    assert re.search(r'value="public" checked', page)
    assert db.scalar(select(TicketComment)) is None  # not sent until the agent sends it


def test_a_macro_the_agent_may_not_apply_shows_why_and_changes_nothing(client, db, office):
    macro = macros.save(db, MacroFields(name="To B", queue_id=str(office["b"].id)))
    db.commit()
    log_in(client, "alice")
    resp = client.post(f"/tickets/{office['a_new'].id}/macro", data={"macro": str(macro.id)})
    assert resp.status_code == 400 and re.search(r'id="macro-error"[^>]*>.*out of your reach', text(resp))
    assert [e.kind for e in trail(db, office["a_new"])] == ["created"]


@pytest.mark.parametrize("value", [HOSTILE, SQL, "9" * 5000])
def test_a_hostile_macro_choice_is_refused(client, db, office, value):
    log_in(client, "alice")
    resp = client.post(f"/tickets/{office['a_new'].id}/macro", data={"macro": value})
    assert resp.status_code == 400 and "<script>alert(1)</script>" not in text(resp)


def test_a_macro_on_a_ticket_the_agent_cannot_see_is_404(client, office, reply_macro):
    log_in(client, "alice")
    assert client.post(f"/tickets/{office['b_new'].id}/macro", data={"macro": str(reply_macro.id)}).status_code == 404


# -- macro administration -------------------------------------------------------------------------


def _macro_form(**fields):  # type: ignore[no-untyped-def]
    base = {"name": "Escalate", "status": "", "priority": "urgent", "assignee": "", "queue_id": "", "add_tags": ""}
    return {**base, "comment": "", "comment_public": "internal", **fields}


def test_macro_pages_are_for_admins(client, office):
    for who in ("alice", "sam"):
        log_in(client, who)
        assert client.get("/admin/macros").status_code == 403
        assert client.post("/admin/macros/new", data=_macro_form()).status_code == 403


def test_an_admin_creates_a_macro_and_it_is_audited(client, db, office):
    log_in(client, "ann")
    resp = client.post("/admin/macros/new", data=_macro_form(comment="We raised it.", comment_public="public"))
    assert resp.status_code == 303
    macro = db.scalar(select(TicketMacro))
    assert (macro.name, macro.priority, macro.comment, macro.comment_public) == (
        "Escalate",
        "urgent",
        "We raised it.",
        True,
    )
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.action == "macro.create")) == "macro.create"
    assert "Escalate" in text(client.get("/admin/macros"))


def test_an_admin_edits_a_macro(client, db, office):
    macro = macros.save(db, MacroFields(name="Old", priority="low"))
    db.commit()
    log_in(client, "ann")
    assert client.post(f"/admin/macros/{macro.id}", data=_macro_form(name="New")).status_code == 303
    db.expire_all()
    assert (macro.name, macro.priority) == ("New", "urgent")


def test_an_admin_deletes_a_macro(client, db, office):
    macro = macros.save(db, MacroFields(name="Gone", priority="low"))
    db.commit()
    log_in(client, "ann")
    assert client.post(f"/admin/macros/{macro.id}/delete").status_code == 303
    assert db.scalar(select(func.count(TicketMacro.id))) == 0


def test_a_macro_form_error_is_shown_next_to_its_field_and_nothing_is_stored(client, db, office):
    log_in(client, "ann")
    resp = client.post("/admin/macros/new", data=_macro_form(queue_id="12345", name="Typed name"))
    assert resp.status_code == 400
    assert re.search(r'id="queue_id-error">choose a queue from the list<', text(resp))
    assert 'value="Typed name"' in text(resp)
    assert db.scalar(select(func.count(TicketMacro.id))) == 0


@pytest.mark.parametrize("value", [HOSTILE, SQL])
def test_html_and_sql_in_every_macro_field_are_refused_or_shown_as_text(client, db, office, value):
    log_in(client, "ann")
    fields = {k: value for k in ("name", "status", "priority", "assignee", "queue_id", "add_tags", "comment")}
    refused = client.post("/admin/macros/new", data=_macro_form(**fields))
    assert refused.status_code == 400 and "<script>alert(1)</script>" not in text(refused)
    stored = client.post("/admin/macros/new", data=_macro_form(name=value, add_tags=value[:40], comment=value))
    assert stored.status_code == 303
    for page in (text(client.get("/admin/macros")), text(client.get(f"/tickets/{office['a_new'].id}"))):
        assert "<script>alert(1)</script>" not in page
        assert ("&lt;script&gt;alert(1)&lt;/script&gt;" if value == HOSTILE else "&#39; OR 1=1 --") in page


def test_an_oversized_macro_field_is_refused_with_a_message(client, db, office):
    log_in(client, "ann")
    resp = client.post("/admin/macros/new", data=_macro_form(comment="x" * 20_500))
    assert resp.status_code == 400 and "at most 20,000 characters" in text(resp)
    far = client.post("/admin/macros/new", data=_macro_form(comment="x" * 40_000))
    assert far.status_code == 413 and "far too long" in text(far)
    assert db.scalar(select(func.count(TicketMacro.id))) == 0
