"""Finding the customer behind a caller number, in whatever format it arrives."""

from __future__ import annotations

import pytest

from contactcenter.tickets.customers import CustomerError, find_by_phone
from factories import gen_customer


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
