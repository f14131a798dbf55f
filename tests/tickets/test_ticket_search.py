"""Full-text search over tickets, comments and customers (FTS5 on SQLite, tsvector on PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from contactcenter.tickets.access import Viewer, ticket_filter
from contactcenter.tickets.models import Customer, Ticket, TicketComment
from contactcenter.tickets.search import SearchError, search_comments, search_customers, search_tickets, terms
from contactcenter.tickets.services import add_comment, open_ticket, update_ticket
from factories import gen_agent, gen_customer, gen_queue

HOSTILE = [
    "'; DROP TABLE tickets; --",
    "\" OR 1=1 --",
    "refund' OR '1'='1",
    "NEAR(refund order) AND * OR subject:refund",
    "!(refund | order) & <-> :* \\",
    "<script>alert('refund')</script>",
    "refund\x00order",
    "%refund_%",
    "ref*und^2 ~order",
]


def ids(page):  # type: ignore[no-untyped-def]
    return [item.id for item in page.items]


def test_subject_description_and_comments_match_by_word_prefix(db):
    router = open_ticket(db, "Router keeps rebooting", description="Customer reports the WiFi drops hourly")
    refund = open_ticket(db, "Refund for order 12345")
    invoice = open_ticket(db, "Invoice question")
    add_comment(db, invoice, "Customer wants a refund of the shipping fee", public=True)
    assert ids(search_tickets(db, "router")) == [router.id]
    assert ids(search_tickets(db, "wifi HOURLY")) == [router.id]  # description, any case, all words
    assert ids(search_tickets(db, "reboot")) == [router.id]  # prefix
    assert ids(search_tickets(db, "refund")) == [invoice.id, refund.id]  # via a comment too, newest first
    assert ids(search_tickets(db, "refund 12345")) == [refund.id]
    assert ids(search_tickets(db, "refund elephant")) == []


def test_changes_and_deletes_are_reindexed(db):
    ticket = open_ticket(db, "Broken phone")
    comment = add_comment(db, ticket, "Screen cracked")
    update_ticket(db, ticket, {"subject": "Broken tablet"})
    assert ids(search_tickets(db, "phone")) == []
    assert ids(search_tickets(db, "tablet")) == [ticket.id]
    db.delete(comment)
    db.flush()
    assert ids(search_comments(db, "cracked")) == []
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",), email="grace@navy.example")
    grace.name = "Grace Brewster Hopper"
    db.flush()
    assert ids(search_customers(db, "brewster")) == [grace.id]


def test_scope_limits_tickets_and_comments(db):
    alice = gen_agent(db, "alice")
    support, billing = gen_queue(db, "support"), gen_queue(db, "billing")
    from contactcenter.acd.models import QueueMembership

    db.add(QueueMembership(queue_id=support.id, user_id=alice.id))
    mine = open_ticket(db, "Outage downtown", queue_id=support.id)
    theirs = open_ticket(db, "Outage uptown", queue_id=billing.id)
    assigned = open_ticket(db, "Outage midtown", queue_id=billing.id, assignee_id=alice.id)
    add_comment(db, theirs, "Internal: outage caused by billing batch", public=False)
    scope = ticket_filter(Viewer(alice.id, "agent"))
    assert ids(search_tickets(db, "outage", ticket_filter=scope)) == [assigned.id, mine.id]
    assert ids(search_comments(db, "batch", ticket_filter=scope)) == []
    assert len(ids(search_comments(db, "batch"))) == 1
    assert ids(search_tickets(db, "batch", comment_filter=TicketComment.public.is_(True))) == []


def test_keyset_pagination_walks_every_match_once(db):
    created = [open_ticket(db, f"Printer jam number {n}").id for n in range(23)]
    open_ticket(db, "Something else")
    seen, after, pages = [], None, 0
    while True:
        page = search_tickets(db, "printer jam", after=after, limit=5)
        seen += ids(page)
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == sorted(created, reverse=True) and pages == 5


def test_non_ascii_words_match_in_any_case(db):
    ticket = open_ticket(db, "Ärger mit der Rechnung", description="Kunde aus İzmir, Größe XL")
    for query in ("ärger", "ÄRGER", "rechnung größe", "ärg rech"):
        assert ids(search_tickets(db, query)) == [ticket.id], query


def test_customers_by_name_email_or_any_phone_format(db):
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",), email="grace@navy.example")
    alan = gen_customer(db, "Alan Turing", ("+442079460000",), email="alan@bletchley.example")
    assert ids(search_customers(db, "hopper")) == [grace.id]
    assert ids(search_customers(db, "gra hop")) == [grace.id]
    assert ids(search_customers(db, "grace")) == [grace.id]
    assert ids(search_customers(db, "(415) 555-0100")) == [grace.id]
    assert ids(search_customers(db, "+44 20 7946 0000", default_region="US")) == [alan.id]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_only_words(db, query):
    open_ticket(db, "Refund for order 12345", description="refund order")
    gen_customer(db, "Robert'); DROP TABLE customers;--", ("+14155550199",))
    before = db.scalar(select(func.count(Ticket.id)))
    page = search_tickets(db, query)
    assert all(isinstance(t, Ticket) for t in page.items)
    search_comments(db, query)
    search_customers(db, query)
    assert db.scalar(select(func.count(Ticket.id))) == before
    assert db.scalar(select(func.count(Customer.id))) == 1


def test_hostile_words_find_literal_matches_only(db):
    bobby = gen_customer(db, "Robert'); DROP TABLE customers;--", ("+14155550199",))
    assert ids(search_customers(db, "'; DROP TABLE customers")) == [bobby.id]
    assert ids(search_customers(db, "robert' OR '1'='1")) == []


@pytest.mark.parametrize("query", ["", "   ", "'\"!*()", "x" * 501])
def test_queries_without_words_are_refused(db, query):
    with pytest.raises(SearchError):
        search_tickets(db, query)


def test_terms_are_bounded():
    assert terms("Hello, WORLD! hello") == ["Hello", "WORLD"]
    assert len(terms(" ".join(f"w{n}" for n in range(40)))) == 16
    assert terms("a_b") == ["a", "b"]


def test_postgresql_uses_the_gin_indexes(db):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the GIN indexes exist on PostgreSQL; SQLite uses FTS5 tables")
    db.execute(text("SET LOCAL enable_seqscan = off"))
    from contactcenter.tickets.search import _matching_ids

    for table, index in (("tickets", "ix_tickets_fts"), ("ticket_comments", "ix_ticket_comments_fts"),
                         ("customers", "ix_customers_fts")):
        query = _matching_ids(db, table, ["refund"])
        sql = str(query.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = "\n".join(r[0] for r in db.execute(text("EXPLAIN " + sql)))
        assert index in plan, plan
