"""Finding the customer behind a caller number, in whatever format it arrives."""

from __future__ import annotations

import pytest

from contactcenter.contacts.customers import CustomerError, find_by_phone
from tests.support.factories import gen_customer


@pytest.mark.parametrize(
    "raw",
    ["+14155550100", "(415) 555-0100", "415.555.0100", "415-555-0100", "1 415 555 0100", " +1 (415) 555-0100 "],
)
def test_lookup_by_caller_number_in_common_formats(db, raw):
    grace = gen_customer(db, "Grace Hopper", ("(415) 555-0100",))
    assert find_by_phone(db, raw, "US").id == grace.id


def test_lookup_with_another_default_region(db):
    ada = gen_customer(db, "Ada Lovelace", ("+44 20 7946 0958",))
    assert find_by_phone(db, "020 7946 0958", "GB").id == ada.id
    assert find_by_phone(db, "020 7946 0958", "US") is None


@pytest.mark.parametrize("raw", ["anonymous", "client:alice", "", None, "'; DROP TABLE customers; --", "9" * 500])
def test_lookup_of_non_numbers_finds_nobody(db, raw):
    gen_customer(db)
    assert find_by_phone(db, raw, "US") is None


def test_numbers_are_stored_in_e164(db):
    customer = gen_customer(db, "Alan Turing", ("415.555.0101", "(415) 555-0101"))
    assert [p.e164 for p in customer.phones] == ["+14155550101"]


def test_a_number_belongs_to_one_customer(db):
    gen_customer(db, "Grace Hopper", ("+14155550100",))
    with pytest.raises(CustomerError, match="already belongs"):
        gen_customer(db, "Impostor", ("(415) 555-0100",))


def test_invalid_number_is_refused_with_reason(db):
    with pytest.raises(CustomerError, match="phone number"):
        gen_customer(db, "Nobody", ("12",))


def _statements(db):  # type: ignore[no-untyped-def]
    """A list that fills with the SQL the session's connection runs from now on."""
    from sqlalchemy import event

    seen: list[str] = []
    event.listen(db.connection(), "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


@pytest.mark.parametrize("raw", ["+1 212 555 0143", "(212) 555-0143", "212.555.0143", "1-212-555-0143"])
def test_lookup_by_any_number_loads_all_numbers_in_one_statement(db, raw):
    grace = gen_customer(db, "Grace Hopper", ("(415) 555-0100", "212-555-0143", "+44 20 7946 0958"))
    grace_id = grace.id
    db.expunge_all()  # nothing cached: the lookup must bring the customer and the numbers
    seen = _statements(db)
    found = find_by_phone(db, raw, "US")
    assert found is not None and found.id == grace_id
    assert sorted(p.e164 for p in found.phones) == ["+12125550143", "+14155550100", "+442079460958"]
    assert len(seen) == 1, seen


def test_lookup_of_an_unknown_or_invalid_number_is_one_statement_or_none(db):
    gen_customer(db, "Grace Hopper", ("(415) 555-0100",))
    seen = _statements(db)
    assert find_by_phone(db, "(415) 555-0199", "US") is None
    assert len(seen) == 1
    assert find_by_phone(db, "12", "US") is None and find_by_phone(db, "+", "US") is None
    assert len(seen) == 1  # not a number: no query at all


def test_lookup_follows_a_number_moved_to_another_customer(db):
    from contactcenter.contacts.customers import update_customer

    grace = gen_customer(db, "Grace Hopper", ("(415) 555-0100", "(415) 555-0101"))
    alan = gen_customer(db, "Alan Turing", ("(415) 555-0102",))
    update_customer(db, grace, {"phones": ["(415) 555-0100"]})
    update_customer(db, alan, {"phones": ["(415) 555-0102", "415 555 0101"]})
    db.expunge_all()
    assert find_by_phone(db, "+14155550101", "US").id == alan.id
    assert [p.e164 for p in find_by_phone(db, "+14155550100", "US").phones] == ["+14155550100"]
