"""Customer CSV import (every row accepted, updated or rejected with a reason; a broken file
writes nothing) and export (what the import reads, safe to open in a spreadsheet)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from contactcenter.contacts import csv_export, csv_import, search
from contactcenter.contacts.models import Customer, CustomerPhone
from tests.support.customers import csv_text, import_text, outcomes
from tests.support.factories import gen_customer

HEADER = ("name", "email", "phone", "segment", "company", "time_zone")


def _count(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count(Customer.id))) or 0


def _customer(db, email: str) -> Customer:  # type: ignore[no-untyped-def]
    return db.scalars(select(Customer).where(Customer.email == email)).one()


def test_a_valid_row_becomes_a_customer_with_every_field(db):
    text = csv_text(
        HEADER, [("Ada Lovelace", "ada@engine.example", "020 7946 0958", "gold", "Engines Ltd", "Europe/London")]
    )
    record = import_text(db, text.replace("020 7946 0958", "+44 20 7946 0958"))
    ada = _customer(db, "ada@engine.example")
    assert (ada.name, [p.e164 for p in ada.phones], ada.segment, ada.company, ada.time_zone) == (
        "Ada Lovelace",
        ["+442079460958"],
        "gold",
        "Engines Ltd",
        "Europe/London",
    )
    assert (record.status, record.rows_accepted) == ("done", 1)


def test_numbers_in_any_format_are_stored_in_e164(db):
    import_text(db, csv_text(("name", "phone"), [("Grace", "(415) 555-0100")]))
    assert db.scalar(select(CustomerPhone.e164)) == "+14155550100"


def test_several_numbers_in_one_cell_and_in_several_columns(db):
    import_text(
        db, csv_text(("name", "phones", "work_phone"), [("Grace", "415 555 0100; 415 555 0111", "+1 212 555 0123")])
    )
    assert sorted(db.scalars(select(CustomerPhone.e164))) == ["+12125550123", "+14155550100", "+14155550111"]


def test_first_and_last_name_columns_make_the_name(db):
    import_text(db, csv_text(("first_name", "last_name", "email"), [("Grace", "Hopper", "g@navy.example")]))
    assert _customer(db, "g@navy.example").name == "Grace Hopper"


def test_other_columns_are_kept_as_attributes(db):
    import_text(db, csv_text(("name", "email", "Account No"), [("Grace", "g@navy.example", "A-17")]))
    assert _customer(db, "g@navy.example").attributes == {"account_no": "A-17"}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (("Grace", "not-an-address", "", "", "", ""), "bad_email"),
        (("Grace", "", "12", "", "", ""), "bad_number"),
        (("Grace", "", "", "platinum", "", ""), "bad_segment"),
        (("Grace", "", "", "", "", "Mars/Olympus"), "bad_time_zone"),
        (("", "", "+14155550100", "", "", ""), "missing_name"),
        (("G" * 201, "", "", "", "", ""), "name_too_long"),
        (("Grace", "", "", "", "C" * 201, ""), "company_too_long"),
        (("Grace", "", "", "", "", "", "surplus"), "too_many_fields"),
        (("Grace", "x" * 5000, "", "", "", ""), "field_too_long"),
    ],
)
def test_an_invalid_row_is_rejected_with_its_reason_and_the_others_imported(db, row, reason):
    record = import_text(db, csv_text(HEADER, [("Ada", "ada@engine.example", "", "", "", ""), row]))
    assert outcomes(db, record) == {2: ("accepted", None), 3: ("rejected", reason)}


def test_a_number_repeated_in_the_file_is_rejected_on_its_second_row(db):
    record = import_text(db, csv_text(("name", "phone"), [("Grace", "+14155550100"), ("Grace H", "415-555-0100")]))
    assert outcomes(db, record)[3] == ("rejected", "duplicate_in_file")


def test_an_email_repeated_in_another_case_is_rejected_on_its_second_row(db):
    record = import_text(db, csv_text(("name", "email"), [("Grace", "g@navy.example"), ("Grace H", "G@NAVY.example")]))
    assert outcomes(db, record)[3] == ("rejected", "duplicate_in_file")


def test_a_row_matching_a_customer_by_number_updates_them(db):
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",))
    record = import_text(
        db, csv_text(("name", "phone", "company", "segment"), [("", "415 555 0100", "US Navy", "vip")])
    )
    db.refresh(grace)
    assert (grace.name, grace.company, grace.segment, record.rows_updated) == ("Grace Hopper", "US Navy", "vip", 1)


def test_a_row_matching_by_email_in_any_case_adds_its_numbers(db):
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",), email="grace@navy.example")
    import_text(db, csv_text(("email", "phone"), [("GRACE@navy.example", "+14155550111")]))
    db.refresh(grace)
    assert sorted(p.e164 for p in grace.phones) == ["+14155550100", "+14155550111"]


def test_with_reject_a_row_matching_a_customer_is_reported_and_changes_nothing(db):
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",))
    record = import_text(
        db, csv_text(("name", "phone", "company"), [("G", "+14155550100", "X")]), on_duplicate="reject"
    )
    db.refresh(grace)
    assert (outcomes(db, record)[2], grace.company) == (("rejected", "already_on_file"), None)


def test_a_row_matching_two_customers_is_rejected(db):
    gen_customer(db, "Grace Hopper", ("+14155550100",))
    gen_customer(db, "Ada Lovelace", ("+442079460958",), email="ada@engine.example")
    record = import_text(db, csv_text(("name", "email", "phone"), [("X", "ada@engine.example", "+14155550100")]))
    assert outcomes(db, record)[2] == ("rejected", "matches_several")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b'name,email\n"Grace,g@navy.example\nAda,ada@engine.example\n',
        b"PK\x03\x04\x00\x00binary",
        b"foo,bar\nx,y\n",
    ],
    ids=["empty", "open-quote", "binary", "no-usable-column"],
)
def test_a_broken_file_is_refused_and_writes_nothing(db, data):
    record = import_text(db, data)
    assert (record.status, bool(record.error), _count(db)) == ("failed", True, 0)


def test_every_row_is_accounted_for(db):
    gen_customer(db, "Grace Hopper", ("+14155550100",))
    rows = [("Ada", "+442079460958"), ("Grace", "+14155550100"), ("Bad", "12"), ("Alan", "+12125550123")]
    record = import_text(db, csv_text(("name", "phone"), rows))
    assert (record.rows_total, record.rows_accepted, record.rows_updated, record.rows_rejected) == (4, 2, 1, 1)


def test_the_rejected_rows_download_names_line_reason_and_row(db):
    record = import_text(db, csv_text(("name", "email"), [("=HYPERLINK(1)", "nope")]))
    lines = list(csv.reader(io.StringIO(csv_import.rejections_csv(db, record.id))))
    assert lines == [
        ["line", "reason", "detail", "row"],
        ["2", "bad_email", "'nope' is not an e-mail address", "'=HYPERLINK(1),nope"],
    ]


def test_the_export_guards_cells_a_spreadsheet_would_run(db):
    gen_customer(db, "=cmd|' /C calc'!A0", ("+14155550100",), email="@evil.example", company="-2+3")
    exported = list(csv.reader(io.StringIO("".join(csv_export.rows(db)))))
    assert exported[1][1:6] == ["'=cmd|' /C calc'!A0", "'@evil.example", "'+14155550100", "standard", "'-2+3"]


def test_the_export_of_a_search_holds_only_its_matches(db):
    gen_customer(db, "Grace Hopper", ("+14155550100",), company="US Navy")
    gen_customer(db, "Ada Lovelace", ("+442079460958",))
    exported = list(csv.reader(io.StringIO("".join(csv_export.rows(db, search.condition("navy"))))))
    assert [row[1] for row in exported[1:]] == ["Grace Hopper"]


def test_an_exported_file_imports_back_as_updates_of_the_same_customers(db):
    gen_customer(db, "Grace Hopper", ("+14155550100", "+14155550111"), company="US Navy", email="g@navy.example")
    gen_customer(db, "Ada Lovelace", ("+442079460958",), time_zone="Europe/London")
    record = import_text(db, "".join(csv_export.rows(db)))
    assert (record.rows_updated, record.rows_accepted, record.rows_rejected, _count(db)) == (2, 0, 0, 2)
