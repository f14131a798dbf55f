"""Segment history: a snapshot per customer per day at each recompute, the migration matrix
between two days and revenue per segment per month."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from contactcenter.analytics import segments, services
from contactcenter.analytics.models import Order
from contactcenter.analytics.segments import NO_SEGMENT, UNSEGMENTED, SegmentReportError, SegmentSnapshot
from tests.support.analytics import gen_shop
from tests.support.factories import gen_customer


def on(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=3, tzinfo=UTC)


def people(db, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    return [gen_customer(db, f"Customer {i}", (f"+1212555{i:04d}",)).id for i in range(n)]


def buy(db, customer_id: int, day: str, total: str) -> None:  # type: ignore[no-untyped-def]
    db.add(
        Order(
            external_id=f"O-{customer_id}-{day}-{total}",
            customer_id=customer_id,
            ordered_at=on(day),
            currency="USD",
            total=Decimal(total),
        )
    )
    db.flush()


def test_each_recompute_keeps_a_dated_snapshot_of_every_scored_customer(db):
    ids = gen_shop(db, 40)
    with freeze_time("2026-03-01 12:00:00"):
        services.recompute(db)
    with freeze_time("2026-04-01 12:00:00"):
        services.recompute(db)
    days = dict(db.execute(select(SegmentSnapshot.taken_on, func.count()).group_by(SegmentSnapshot.taken_on)).all())
    assert days == {date(2026, 3, 1): len(ids), date(2026, 4, 1): len(ids)}


def test_a_second_recompute_on_the_same_day_replaces_that_days_snapshot(db):
    ids = gen_shop(db, 40)
    with freeze_time("2026-03-01 09:00:00"):
        services.recompute(db)
    with freeze_time("2026-03-01 17:00:00"):
        services.recompute(db)
    assert db.scalar(select(func.count()).select_from(SegmentSnapshot)) == len(ids)


def test_the_migration_matrix_counts_moves_between_the_two_days(db):
    a, b, c, d = people(db, 4)
    segments.record_snapshot(db, {a: "champions", b: "champions", c: "loyal"}, on("2026-01-10"))
    segments.record_snapshot(db, {a: "champions", b: "at_risk", c: "champions", d: "new"}, on("2026-02-10"))
    moves = segments.migration(db, date(2026, 1, 31), date(2026, 2, 28))
    assert moves.counts == {
        ("champions", "champions"): 1,
        ("champions", "at_risk"): 1,
        ("loyal", "champions"): 1,
        (NO_SEGMENT, "new"): 1,
    }
    assert moves.segments[-1] == NO_SEGMENT


def test_a_day_between_snapshots_reads_the_latest_one_before_it(db):
    (a,) = people(db, 1)
    segments.record_snapshot(db, {a: "loyal"}, on("2026-01-10"))
    segments.record_snapshot(db, {a: "at_risk"}, on("2026-03-10"))
    assert segments.migration(db, date(2026, 2, 1), date(2026, 3, 9)).counts == {("loyal", "loyal"): 1}


def test_revenue_counts_each_order_for_the_segment_its_customer_was_in_then(db):
    a, b = people(db, 2)
    buy(db, a, "2026-01-05", "10.00")  # before any snapshot
    segments.record_snapshot(db, {a: "new", b: "loyal"}, on("2026-01-10"))
    buy(db, a, "2026-01-20", "20.00")
    buy(db, b, "2026-01-21", "5.50")
    segments.record_snapshot(db, {a: "champions", b: "loyal"}, on("2026-02-01"))
    buy(db, a, "2026-02-03", "100.00")
    buy(db, a, "2026-02-04", "1.00")
    money = segments.revenue(db, date(2026, 1, 1), date(2026, 2, 28))
    assert money.totals == {
        ("2026-01", UNSEGMENTED): Decimal("10.00"),
        ("2026-01", "new"): Decimal("20.00"),
        ("2026-01", "loyal"): Decimal("5.50"),
        ("2026-02", "champions"): Decimal("101.00"),
    }
    assert money.orders[("2026-02", "champions")] == 2 and money.months == ["2026-01", "2026-02"]


def test_revenue_leaves_out_orders_outside_the_range(db):
    (a,) = people(db, 1)
    segments.record_snapshot(db, {a: "loyal"}, on("2026-01-01"))
    buy(db, a, "2026-03-01", "9.00")
    assert segments.revenue(db, date(2026, 1, 1), date(2026, 2, 28)).totals == {}


def test_the_csv_has_both_tables_and_defuses_formula_cells(db):
    (a,) = people(db, 1)
    segments.record_snapshot(db, {a: "=HYPERLINK(1)"}, on("2026-01-01"))
    buy(db, a, "2026-01-02", "3.00")
    first, last = date(2026, 1, 1), date(2026, 1, 31)
    text = segments.to_csv(segments.migration(db, first, last), segments.revenue(db, first, last))
    lines = text.splitlines()
    assert lines[0].startswith("report,from_segment,to_segment")
    assert lines[1] == "migration,'=HYPERLINK(1),'=HYPERLINK(1),,,1,," and lines[2].startswith("revenue,")


@pytest.mark.parametrize(
    ("first", "last", "field", "words"),
    [
        ("", "2026-01-01", "from", "required"),
        ("2026-02-30", "2026-03-01", "from", "real day"),
        ("2026-01-01'; DROP TABLE orders;--", "2026-03-01", "from", "YYYY-MM-DD"),
        ("<script>", "2026-03-01", "from", "YYYY-MM-DD"),
        ("2026-01-01", "9" * 5000, "to", "YYYY-MM-DD"),
        ("2026-03-01", "2026-01-01", "to", "before"),
        ("1990-01-01", "2026-01-01", "to", "longer"),
    ],
)
def test_bad_dates_are_refused_with_the_field_named(first, last, field, words):
    with pytest.raises(SegmentReportError) as caught:
        segments.parse_range(first, last)
    assert caught.value.field == field and words in str(caught.value)


def test_the_cli_prints_the_matrix_and_refuses_bad_dates(runtime, db):
    from click.testing import CliRunner

    from contactcenter.app.cli import main

    a, b = people(db, 2)
    segments.record_snapshot(db, {a: "loyal", b: "loyal"}, on("2026-01-10"))
    segments.record_snapshot(db, {a: "at_risk", b: "loyal"}, on("2026-02-10"))
    buy(db, a, "2026-02-11", "7.25")
    db.commit()
    result = CliRunner().invoke(main, ["analytics", "segments", "--from", "2026-01-31", "--to", "2026-02-28", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"from_segment": "loyal", "to_segment": "at_risk", "customers": 1} in body["migration"]["matrix"]
    human = CliRunner().invoke(main, ["analytics", "segments", "--from", "2026-01-31", "--to", "2026-02-28"])
    assert "2026-02  at_risk" in human.output and "7.25" in human.output
    bad = CliRunner().invoke(main, ["analytics", "segments", "--from", "2026-01-31", "--to", "'; DROP TABLE orders"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_merging_two_customers_keeps_the_survivors_history_only(db, runtime):
    from contactcenter.contacts import merge

    survivor, duplicate = people(db, 2)
    segments.record_snapshot(db, {survivor: "loyal", duplicate: "at_risk"}, on("2026-01-10"))
    merge.merge(db, survivor, duplicate)
    rows = db.execute(select(SegmentSnapshot.customer_id, SegmentSnapshot.segment)).all()
    assert [tuple(r) for r in rows] == [(survivor, "loyal")]


def test_month_ends_count_back_from_the_month_before_today():
    assert services.month_ends(3, today=date(2026, 3, 15)) == [date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28)]


@pytest.mark.parametrize("months", [0, -1, services.MAX_BACKFILL_MONTHS + 1])
def test_month_ends_refuse_a_count_out_of_range(months):
    with pytest.raises(SegmentReportError) as refused:
        services.month_ends(months, today=date(2026, 3, 15))
    assert refused.value.field == "months"


def test_backfill_scores_each_day_from_the_orders_placed_by_then(db):
    early, late = people(db, 2)
    buy(db, early, "2026-01-05", "50")
    buy(db, late, "2026-02-20", "50")
    written = services.backfill_segments(db, [date(2026, 1, 31), date(2026, 2, 28)])
    assert written == {"2026-01-31": 1, "2026-02-28": 2}
    on_january = segments._segments_on(db, date(2026, 1, 31))
    assert set(on_january) == {early}


def test_backfill_shows_a_lapsed_buyer_moving_between_segments(db):
    regulars = people(db, 10)
    for index, cid in enumerate(regulars):
        for month in range(1, 7):
            buy(db, cid, f"2025-{month:02d}-{10 + index:02d}", str(20 + 10 * index))
    lapsed = regulars[-1]  # the biggest spender, who stops buying after June 2025
    for cid in regulars[:-1]:
        for month in range(7, 13):
            buy(db, cid, f"2025-{month:02d}-{10 + cid % 9:02d}", "25")
    services.backfill_segments(db, [date(2025, 6, 30), date(2025, 12, 31)])
    moves = segments.migration(db, date(2025, 6, 30), date(2025, 12, 31))
    before = segments._segments_on(db, date(2025, 6, 30))[lapsed]
    after = segments._segments_on(db, date(2025, 12, 31))[lapsed]
    assert before in ("champions", "loyal") and after in ("at_risk", "about_to_sleep", "hibernating")
    assert moves.count(before, after) == 1


def test_backfill_leaves_todays_scores_alone(db):
    gen_shop(db, 40)
    with freeze_time("2026-03-01 12:00:00"):
        services.recompute(db)
        before = db.execute(select(func.count(), func.max(SegmentSnapshot.taken_at))).one()
        scores = db.scalar(select(func.count()).select_from(services.CustomerModelScore))
        services.backfill_segments(db, services.month_ends(2))
    assert db.scalar(select(func.count()).select_from(services.CustomerModelScore)) == scores
    assert db.scalar(select(func.count()).where(SegmentSnapshot.taken_on == date(2026, 3, 1))) == before[0]
