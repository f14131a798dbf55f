"""Segment history: a dated snapshot of every customer's RFM segment at each recompute, and the
reports read from it (who moved between segments between two dates, revenue by segment and month).

The current figures in `customer_model_scores` are replaced at each recompute, so without these
snapshots nobody could say that a champion of last quarter is at risk today. One row per customer
per day: a second recompute on the same day replaces that day's rows, so the history has one
segment per customer per day however often the figures are refreshed. Days and months are UTC calendar days, as the
recompute stamps them.
"""

from __future__ import annotations

import bisect
import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, delete, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from contactcenter import clock
from contactcenter.analytics.models import Order
from contactcenter.db import Base
from contactcenter.errors import DomainError

# Customers with no snapshot yet on the earlier date (new since then), or with none on the later.
NO_SEGMENT = "(none)"
# Revenue from orders placed before the customer's first snapshot.
UNSEGMENTED = "(unsegmented)"
MAX_RANGE_DAYS = 3660


class SegmentReportError(DomainError):
    kind = "invalid"
    code = "bad_segment_report"

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SegmentSnapshot(Base):
    """One customer's segment on one day."""

    __tablename__ = "segment_snapshots"
    __table_args__ = (
        Index("uq_segment_snapshots_taken_on_customer", "taken_on", "customer_id", unique=True),
        Index("ix_segment_snapshots_customer_taken_on", "customer_id", "taken_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    taken_on: Mapped[date] = mapped_column()
    segment: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime] = mapped_column(default=clock.now)


def record_snapshot(session: Session, segments: dict[int, str], at: datetime) -> int:
    """Store today's segments (replacing any taken earlier the same day); returns the rows written."""
    day = at.date()
    session.execute(delete(SegmentSnapshot).where(SegmentSnapshot.taken_on == day))
    rows = [
        {"customer_id": cid, "taken_on": day, "segment": segment, "taken_at": at}
        for cid, segment in sorted(segments.items())
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(SegmentSnapshot), rows[start : start + 5000])
    return len(rows)


def parse_day(value: object, name: str) -> date:
    """A calendar day typed as YYYY-MM-DD; anything else is refused with the field named."""
    if not isinstance(value, str) or not value.strip():
        raise SegmentReportError(f"{name} date is required (YYYY-MM-DD)", field=name)
    text = value.strip()
    if len(text) != 10:
        raise SegmentReportError(f"{name} date must be YYYY-MM-DD", field=name)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SegmentReportError(f"{name} date must be a real day as YYYY-MM-DD", field=name) from None


def parse_range(first: object, last: object) -> tuple[date, date]:
    start, end = parse_day(first, "from"), parse_day(last, "to")
    if end < start:
        raise SegmentReportError("the 'to' date is before the 'from' date", field="to")
    if (end - start).days > MAX_RANGE_DAYS:
        raise SegmentReportError(f"the range is longer than {MAX_RANGE_DAYS} days", field="to")
    return start, end


def _segments_on(session: Session, day: date) -> dict[int, str]:
    """Each customer's segment as of `day`: their latest snapshot on or before it."""
    latest = (
        select(SegmentSnapshot.customer_id, func.max(SegmentSnapshot.taken_on).label("taken_on"))
        .where(SegmentSnapshot.taken_on <= day)
        .group_by(SegmentSnapshot.customer_id)
        .subquery()
    )
    rows = session.execute(
        select(SegmentSnapshot.customer_id, SegmentSnapshot.segment).join(
            latest,
            (SegmentSnapshot.customer_id == latest.c.customer_id) & (SegmentSnapshot.taken_on == latest.c.taken_on),
        )
    )
    return {cid: segment for cid, segment in rows}


@dataclass
class Migration:
    """From-segment × to-segment counts of customers between two days."""

    first: date
    last: date
    segments: list[str]
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def count(self, source: str, target: str) -> int:
        return self.counts.get((source, target), 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "segments": self.segments,
            "matrix": [
                {"from_segment": s, "to_segment": t, "customers": n} for (s, t), n in sorted(self.counts.items())
            ],
        }


def migration(session: Session, first: date, last: date) -> Migration:
    before, after = _segments_on(session, first), _segments_on(session, last)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for cid in before.keys() | after.keys():
        counts[(before.get(cid, NO_SEGMENT), after.get(cid, NO_SEGMENT))] += 1
    names = {s for pair in counts for s in pair}
    ordered = sorted(names - {NO_SEGMENT}) + ([NO_SEGMENT] if NO_SEGMENT in names else [])
    return Migration(first, last, ordered, dict(counts))


@dataclass
class Revenue:
    """Order revenue per segment per calendar month; an order counts for the segment its customer
    was in when it was placed (the latest snapshot on or before that day)."""

    months: list[str]
    segments: list[str]
    totals: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    orders: dict[tuple[str, str], int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "segments": self.segments,
            "rows": [
                {"month": m, "segment": s, "orders": self.orders[(m, s)], "revenue": f"{self.totals[(m, s)]:.2f}"}
                for (m, s) in sorted(self.totals)
            ],
        }


def revenue(session: Session, first: date, last: date) -> Revenue:
    start = datetime.combine(first, time(0), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
    orders = session.execute(
        select(Order.customer_id, Order.ordered_at, Order.total).where(
            Order.ordered_at >= start, Order.ordered_at < end
        )
    ).all()
    customers = sorted({row[0] for row in orders})
    history: dict[int, tuple[list[date], list[str]]] = {}
    for chunk in range(0, len(customers), 1000):
        ids = customers[chunk : chunk + 1000]
        rows = session.execute(
            select(SegmentSnapshot.customer_id, SegmentSnapshot.taken_on, SegmentSnapshot.segment)
            .where(SegmentSnapshot.customer_id.in_(ids), SegmentSnapshot.taken_on <= last)
            .order_by(SegmentSnapshot.customer_id, SegmentSnapshot.taken_on)
        )
        for cid, day, segment in rows:
            days, names = history.setdefault(cid, ([], []))
            days.append(day)
            names.append(segment)
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for cid, ordered_at, total in orders:
        days, names = history.get(cid, ([], []))
        at = bisect.bisect_right(days, ordered_at.date())
        segment = names[at - 1] if at else UNSEGMENTED
        key = (f"{ordered_at.year:04d}-{ordered_at.month:02d}", segment)
        totals[key] += Decimal(total)
        counts[key] += 1
    months = _months(first, last)
    seen = {s for _, s in totals}
    ordered = sorted(seen - {UNSEGMENTED}) + ([UNSEGMENTED] if UNSEGMENTED in seen else [])
    return Revenue(months, ordered, dict(totals), dict(counts))


def _months(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(moves: Migration, money: Revenue) -> str:
    """Both tables in one file: the migration matrix in long form, then revenue per segment and month."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["report", "from_segment", "to_segment", "month", "segment", "customers", "orders", "revenue"])
    for (source, target), n in sorted(moves.counts.items()):
        writer.writerow(["migration", _safe(source), _safe(target), "", "", n, "", ""])
    for (month, segment), total in sorted(money.totals.items()):
        writer.writerow(["revenue", "", "", month, _safe(segment), "", money.orders[(month, segment)], f"{total:.2f}"])
    return out.getvalue()
