"""Order files: a clean file imports whole, any problem rejects all of it with a report by line,
and the same file twice stores each order once."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from contactcenter.analytics.models import Order, OrderImport, OrderLine, Product
from contactcenter.analytics.orders import OrderImportError
from tests.support.analytics import import_csv
from tests.support.customers import csv_text
from tests.support.factories import gen_customer

HEADER = ("order_id", "customer_id", "ordered_at", "amount", "currency", "channel", "sku", "product", "category")


def _orders(db) -> int:
    return db.scalar(select(func.count()).select_from(Order))


def test_a_clean_file_stores_every_order_with_its_lines(db):
    grace = gen_customer(db)
    text = csv_text(
        HEADER,
        [
            ("A-1", grace.id, "2026-03-01", "19.99", "USD", "web", "BK-1", "Birds", "Books"),
            ("A-1", grace.id, "2026-03-01", "5.01", "USD", "web", "GA-1", "Puzzle", "Games"),
            ("A-2", grace.id, "2026-04-01T10:00:00Z", "7.50", "usd", "store", "", "", ""),
        ],
    )
    report = import_csv(db, text)
    assert (report.status, report.orders_created, report.problems_total) == ("done", 2, 0)
    first = db.scalars(select(Order).where(Order.external_id == "A-1")).one()
    assert str(first.total) == "25.00" and len(first.lines) == 2


def test_importing_the_same_file_twice_stores_each_order_once(db):
    grace = gen_customer(db)
    text = csv_text(HEADER, [("A-1", grace.id, "2026-03-01", "10", "USD", "web", "", "", "")])
    import_csv(db, text)
    again = import_csv(db, text)
    assert (again.orders_created, again.orders_already_stored, _orders(db)) == (0, 1, 1)


def test_an_unknown_sku_becomes_a_product_in_its_category(db):
    grace = gen_customer(db)
    import_csv(db, csv_text(HEADER, [("A-1", grace.id, "2026-03-01", "10", "USD", "web", "X-9", "Kettle", "Home")]))
    product = db.scalars(select(Product).where(Product.sku == "X-9")).one()
    assert product.name == "Kettle" and product.category_id is not None


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (("A-1", 999999, "2026-03-01", "10", "USD", "web"), "unknown_customer"),
        (("A-1", "{id}", "01/03/2026", "10", "USD", "web"), "bad_date"),
        (("A-1", "{id}", "2999-01-01", "10", "USD", "web"), "future_date"),
        (("A-1", "{id}", "2026-03-01", "-3", "USD", "web"), "negative_amount"),
        (("A-1", "{id}", "2026-03-01", "ten", "USD", "web"), "bad_amount"),
        (("A-1", "{id}", "2026-03-01", "NaN", "USD", "web"), "bad_amount"),
        (("A-1", "{id}", "2026-03-01", "10", "XYZ", "web"), "unknown_currency"),
        (("A-1", "{id}", "2026-03-01", "10", "USD", "<b>web</b>"), "bad_channel"),
        (("", "{id}", "2026-03-01", "10", "USD", "web"), "missing_order_id"),
    ],
)
def test_a_bad_row_rejects_the_whole_file_naming_line_and_reason(db, row, reason):
    grace = gen_customer(db)
    good = ("A-0", grace.id, "2026-03-01", "10", "USD", "web")
    bad = tuple(str(grace.id) if cell == "{id}" else cell for cell in row)
    report = import_csv(db, csv_text(HEADER[:6], [good, bad]))
    assert report.status == "rejected" and _orders(db) == 0
    assert [(p["line"], p["reason"]) for p in report.problems] == [(3, reason)]


def test_an_order_id_repeated_with_another_customer_is_reported(db):
    grace = gen_customer(db)
    alan = gen_customer(db, "Alan Turing", ("+14155550101",))
    text = csv_text(
        HEADER[:6],
        [("A-1", grace.id, "2026-03-01", "10", "USD", "web"), ("A-1", alan.id, "2026-03-01", "5", "USD", "web")],
    )
    report = import_csv(db, text)
    assert [(p["line"], p["reason"]) for p in report.problems] == [(3, "duplicate_order_id")]


def test_customers_are_found_by_email_whatever_its_case(db):
    gen_customer(db, email="grace@example.com")
    text = csv_text(
        ("order_id", "customer_email", "date", "amount", "currency"),
        [("A-1", "GRACE@example.com", "2026-03-01", "1", "USD")],
    )
    assert import_csv(db, text).orders_created == 1


def test_markup_and_sql_in_an_order_id_are_stored_as_text(db):
    grace = gen_customer(db)
    hostile = "<script>x</script>'; DROP TABLE orders;--"
    import_csv(db, csv_text(HEADER[:6], [(hostile, grace.id, "2026-03-01", "1", "USD", "web")]))
    assert db.scalars(select(Order.external_id)).one() == hostile


def test_a_file_without_the_required_columns_is_refused_as_a_whole(db):
    with pytest.raises(OrderImportError, match="amount"):
        import_csv(db, "order_id,customer_id,date,currency\nA-1,1,2026-03-01,USD\n")


def test_a_file_that_is_not_text_is_refused(db):
    with pytest.raises(OrderImportError, match="not"):
        import_csv(db, "order_id\x00,amount\n")


def test_an_overlong_value_is_reported_not_stored(db):
    grace = gen_customer(db)
    report = import_csv(db, csv_text(HEADER[:6], [("A" * 600, grace.id, "2026-03-01", "1", "USD", "web")]))
    assert [p["reason"] for p in report.problems] == ["field_too_long"]


def test_the_report_is_kept_with_the_import(db):
    grace = gen_customer(db)
    report = import_csv(db, csv_text(HEADER[:6], [("A-1", grace.id, "2026-03-01", "-1", "USD", "web")]))
    record = db.get(OrderImport, report.import_id)
    assert (record.status, record.problems_total, record.problems[0]["reason"]) == ("rejected", 1, "negative_amount")


def test_a_rejected_file_leaves_no_order_lines_behind(db):
    grace = gen_customer(db)
    rows = [("A-1", grace.id, "2026-03-01", "1", "USD", "web"), ("A-2", grace.id, "bad", "1", "USD", "web")]
    import_csv(db, csv_text(HEADER[:6], rows))
    assert db.scalar(select(func.count()).select_from(OrderLine)) == 0


CELLS = st.sampled_from(["10", "-1", "abc", "2026-03-01", "2026-02-30", "USD", "XYZ", "", "<b>", "'; DROP TABLE x;--"])


# The db fixture is one transaction for the whole test; each example runs in a savepoint rolled back after it.
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), CELLS, CELLS, CELLS), min_size=1, max_size=8))
def test_any_file_is_stored_whole_or_not_at_all(db, rows):
    savepoint = db.begin_nested()
    try:
        customer_id = gen_customer(db, "Prop Customer", ("+14155550188",)).id
        text = csv_text(HEADER[:5], [(oid, customer_id, when, amount, cur) for oid, when, amount, cur in rows])
        report = import_csv(db, text)
        stored = _orders(db)
        if report.status == "done":
            assert stored == len({row[0] for row in rows}) and report.problems_total == 0
        else:
            assert stored == 0 and report.problems_total > 0
    finally:
        savepoint.rollback()
