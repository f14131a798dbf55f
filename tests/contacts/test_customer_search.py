"""Customer search: one box for name, e-mail and phone numbers typed any way, paged."""

from __future__ import annotations

import pytest

from contactcenter.contacts.search import MAX_QUERY, SearchError, search
from tests.support.factories import gen_customer


def _names(db, query: str, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.name for c in search(db, query, **kw).customers]


@pytest.fixture
def people(db):  # type: ignore[no-untyped-def]
    gen_customer(db, "Grace Hopper", ("+14155550100",), email="grace@navy.example")
    gen_customer(db, "Ada Lovelace", ("+442079460958",), email="ada@engine.example")
    gen_customer(db, "Alan Turing", ("+14155550199", "+12125550123"))
    db.flush()


def test_name_matches_as_a_case_insensitive_substring(db, people):
    assert _names(db, "hopper") == ["Grace Hopper"]
    assert _names(db, "  LOVE ") == ["Ada Lovelace"]
    assert _names(db, "a") == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]


def test_email_matches_in_any_case(db, people):
    assert _names(db, "GRACE@NAVY.example") == ["Grace Hopper"]
    assert _names(db, "engine.example") == ["Ada Lovelace"]


@pytest.mark.parametrize(
    "typed",
    ["(415) 555-0100", "415-555-0100", "415 555 0100", "+1 415 555 0100", "4155550100", "+14155550100"],
)
def test_phone_in_any_format(db, people, typed):
    assert _names(db, typed) == ["Grace Hopper"]


def test_partial_digits_match_any_number_of_the_customer(db, people):
    assert _names(db, "555-01") == ["Alan Turing", "Grace Hopper"]
    assert _names(db, "0123") == ["Alan Turing"]
    assert _names(db, "020 7946 0958") == ["Ada Lovelace"]  # a UK number with its trunk 0


def test_too_few_digits_do_not_match_every_number(db, people):
    assert _names(db, "55") == []


def test_percent_and_underscore_match_only_themselves(db, people):
    gen_customer(db, "100% Real_Name", ("+13125550111",))
    assert _names(db, "%") == ["100% Real_Name"]
    assert _names(db, "_") == ["100% Real_Name"]
    assert _names(db, "rea_") == [] and _names(db, "0%_") == []
    assert _names(db, "0% r") == ["100% Real_Name"]


def test_hostile_queries_are_only_text(db, people):
    assert _names(db, "' OR 1=1 --") == []
    assert _names(db, "<script>alert(1)</script>") == []


def test_oversized_or_unstorable_queries_are_refused(db, people):
    with pytest.raises(SearchError, match="at most"):
        search(db, "x" * (MAX_QUERY + 1))
    with pytest.raises(SearchError, match="NUL"):
        search(db, "gr\x00ace")
    with pytest.raises(SearchError, match="page"):
        search(db, "grace", page=0)


def test_pages_of_twenty_five_by_name(db):
    for n in range(30):
        gen_customer(db, f"Customer {n:02d}", ())
    db.flush()
    first = search(db, "customer")
    second = search(db, "customer", page=2)
    assert (first.total, first.pages, len(first.customers), first.has_next, first.has_previous) == (
        30,
        2,
        25,
        True,
        False,
    )
    assert [c.name for c in second.customers] == [f"Customer {n}" for n in range(25, 30)]
    assert not second.has_next and second.has_previous
    assert search(db, "customer", page=3).customers == []


def test_an_empty_query_lists_everyone(db, people):
    assert search(db, "").total == 3


def test_company_matches_as_a_case_insensitive_substring(db, people):
    gen_customer(db, "Margaret Hamilton", ("+16175550100",), company="MIT Instrumentation Lab")
    assert _names(db, "instrumentation") == ["Margaret Hamilton"]
