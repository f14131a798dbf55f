"""Full-text search over tickets, comments and customers (FTS5 on SQLite, tsvector on PostgreSQL)."""

from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import func, select, text

from contactcenter.contacts.models import Customer
from contactcenter.tickets import search as search_module
from contactcenter.tickets.access import Viewer, ticket_filter
from contactcenter.tickets.models import Ticket, TicketComment
from contactcenter.tickets.search import SearchError, search_comments, search_customers, search_tickets, terms
from contactcenter.tickets.services import add_comment, open_ticket, update_ticket
from tests.support.factories import gen_agent, gen_customer, gen_queue

HOSTILE = [
    "'; DROP TABLE tickets; --",
    '" OR 1=1 --',
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

    for table, index in (
        ("tickets", "ix_tickets_fts"),
        ("ticket_comments", "ix_ticket_comments_fts"),
        ("customers", "ix_customers_fts"),
    ):
        query = _matching_ids(db, table, ["refund"])
        sql = str(query.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = "\n".join(r[0] for r in db.execute(text("EXPLAIN " + sql)))
        assert index in plan, plan


# --- pages of the newest matches, whichever way the database finds them -----------------------

WORDS = ["alpha", "alpine", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]


def _pages(run, limit):  # type: ignore[no-untyped-def]
    """Every id over all pages of `run(after, limit)`, and the number of pages."""
    seen, after, pages = [], None, 0
    while True:
        page = run(after, limit)
        assert len(page.items) <= limit
        seen += ids(page)
        pages += 1
        if page.next_after is None:
            return seen, pages
        assert page.next_after == page.items[-1].id
        after = page.next_after


def _has_words(text_: str, words: list[str]) -> bool:
    """Reference: every query word is a prefix of a word of the text, in any case."""
    found = re.findall(r"[^\W_]+", text_.casefold())
    return all(any(w.startswith(q.casefold()) for w in found) for q in words)


def test_pages_merge_ticket_and_comment_matches_newest_first_without_repeats(db):
    matches = set()
    for n in range(14):
        subject = "Modem offline" if n % 3 == 0 else f"Question {n}"
        ticket = open_ticket(db, subject)
        if n % 3 == 0:
            matches.add(ticket.id)
        if n % 2 == 0:  # some match through comments, some twice over (subject and comments)
            add_comment(db, ticket, "The modem blinks red")
            add_comment(db, ticket, "Modem replaced", public=True)
            matches.add(ticket.id)
    expected = sorted(matches, reverse=True)
    for limit in (1, 2, 3, 5, len(expected), len(expected) + 1):
        seen, pages = _pages(lambda after, lim: search_tickets(db, "modem", after=after, limit=lim), limit)
        assert seen == expected, limit
        assert pages == max(1, -(-len(expected) // limit)), limit
    public = search_tickets(db, "blinks", comment_filter=TicketComment.public.is_(True))
    assert ids(public) == []


# Tunings that drive `_newest_keys` down each of its paths on a small table: the defaults (one
# walk covers everything here), a walk in slices of a few rows that never asks the index, and
# an index asked right after the first slice. On SQLite they change nothing (FTS5 stops at the
# page by itself); the answers must be the same everywhere.
TUNINGS = {
    "defaults": {},
    "walk in small slices": {"FIRST_SLICE_US": 3 * search_module.WALK_ROW_US, "INDEX_SETUP_US": 1e12},
    "index after one slice": {
        "FIRST_SLICE_US": 2 * search_module.WALK_ROW_US,
        "INDEX_SETUP_US": 0.0,
        "INDEX_MATCH_US": 0.0,
    },
}


@pytest.mark.parametrize("tuning", list(TUNINGS))
def test_every_way_of_finding_matches_gives_the_same_pages(db, monkeypatch, tuning):
    for name, value in TUNINGS[tuning].items():
        monkeypatch.setattr(search_module, name, value)
    rng = random.Random(20261125)
    texts: dict[int, list[str]] = {}
    for n in range(80):
        subject = " ".join(rng.choices(WORDS, k=3)).capitalize()
        description = " ".join(rng.choices(WORDS, weights=range(len(WORDS), 0, -1), k=4)) + f" ORD{n:04d}"
        ticket = open_ticket(db, subject, description=description)
        texts[ticket.id] = [f"{subject} {description}"]
        if rng.random() < 0.3:
            body = " ".join(rng.choices(WORDS, k=3))
            add_comment(db, ticket, body)
            texts[ticket.id].append(body)
    db.flush()
    queries = [
        "alpha",
        "alp",
        "Alpine DELTA",
        "india",
        "hotel golf",
        "echo ord0007",
        "ord0042",
        "ord",
        "zulu",
        "india hotel golf foxtrot",
    ]
    for query in queries:
        words = terms(query)
        expected = sorted((i for i, docs in texts.items() if any(_has_words(d, words) for d in docs)), reverse=True)
        for limit in (1, 4, 25):
            seen, _ = _pages(lambda after, lim, query=query: search_tickets(db, query, after=after, limit=lim), limit)
            assert seen == expected, (query, limit)
        comments = [c for c in search_comments(db, query, limit=100).items]
        assert all(_has_words(c.body, words) for c in comments), query


def test_words_beyond_ascii_and_mixed_case_match_on_every_path(db, monkeypatch):
    monkeypatch.setattr(search_module, "FIRST_SLICE_US", search_module.WALK_ROW_US)
    target = open_ticket(db, "Größe XL ärgerlich", description="WiFi im Büro, Kunde aus İzmir")
    for n in range(6):
        open_ticket(db, f"Unrelated {n}")
    for query in ("größe", "wifi büro", "ÄRGER wifi", "ärg WIF xl", "büro kunde aus"):
        assert ids(search_tickets(db, query)) == [target.id], query
    assert ids(search_tickets(db, "büro unrelated")) == []


def test_prefilter_words_are_only_ascii_letters_and_digits(db):
    from contactcenter.tickets.search import _substring_words

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the substring test belongs to the PostgreSQL walk")
    assert _substring_words(db, ["Refund", "größe", "A1"]) == ["Refund", "A1"]
    assert _substring_words(db, ["größe"]) == []


def test_postgresql_walk_form_is_not_answered_from_the_index(db):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the GIN indexes exist on PostgreSQL; SQLite uses FTS5 tables")
    from contactcenter.tickets.search import _pg_build

    db.execute(text("SET LOCAL enable_seqscan = off"))
    candidates = lambda *columns: select(*columns).select_from(Ticket)  # noqa: E731
    build = _pg_build("tickets", Ticket.id, candidates, ["refund"], ["refund"])
    # The index form is `_matching_ids`' (see the test above); the walk form must stay a walk
    # even when the planner is pushed towards indexes.
    query = build(None, 2**31 - 1, True).limit(26)
    sql = str(query.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
    plan = "\n".join(r[0] for r in db.execute(text("EXPLAIN " + sql)))
    assert "ix_tickets_fts" not in plan and "pk_tickets" in plan, plan


def test_customer_pages_count_the_phone_owner_once(db):
    people = [gen_customer(db, f"Grace Hopper {n}", (f"+1415555{n:04d}",)) for n in range(5)]
    other = gen_customer(db, "Alan Turing", ("+14155559999",))
    assert ids(search_customers(db, "grace")) == [p.id for p in reversed(people)]
    # Owner of the number, plus every name match when the words also match names.
    assert ids(search_customers(db, "(415) 555-9999")) == [other.id]
    seen, _ = _pages(lambda after, lim: search_customers(db, "grace", after=after, limit=lim), 2)
    assert seen == [p.id for p in reversed(people)]
    owner_page = search_customers(db, "+1 415 555 9999", after=other.id)
    assert ids(owner_page) == []


@pytest.mark.parametrize("limit", [0, -1, True])
def test_pages_hold_at_least_one_result(db, limit):
    with pytest.raises(SearchError):
        search_tickets(db, "router", limit=limit)
