"""Customers from CSV, with a validation report: every row is accepted, updated or rejected.

Columns are found by name (case, spaces and punctuation ignored): the name (`name`,
`full_name`, `customer`, or `first_name` + `last_name`), `email`, one or more phone columns
(`phone`, `phones`, `mobile`, `work_phone`, `phone_2`, ...; a cell may hold several numbers
separated by `;`, `,` or `|`), `segment`, `company`, `time_zone`. The `id`, `created_at` and
`updated_at` columns of an export are read past; every other column is kept in the customer's
attributes. A file exported from the customers page imports back as it is (the `'` that guards
cells against spreadsheet formulas is taken off again).

Numbers are read into E.164 (`contactcenter.phones`), in the default region when written without
a country code. A row whose number or e-mail address (any case) is already on file matches that
customer: with `on_duplicate="update"` the row's non-blank cells update them (numbers are added,
never removed), with `"reject"` the row is rejected naming the customer. A row matching two
different customers, or repeating a number, address or customer of an earlier row, is rejected.

A broken file — not text, no header, a quote left open, more than `MAX_ROWS` rows — is refused
as a whole and nothing is written: every row is read and checked before the first one is stored.
Then all of it is written in the caller's one transaction, so a failure part way leaves nothing
behind either. Text is stored as given (control characters removed): markup or SQL in a name is
data, escaped where it is shown.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from contactcenter import clock, phones
from contactcenter.contacts import customers as customers_mod
from contactcenter.contacts.customers import (
    MAX_COMPANY,
    MAX_EMAIL,
    MAX_NAME,
    SEGMENTS,
    CustomerError,
    check_time_zone,
)
from contactcenter.contacts.models import Customer, CustomerImport, CustomerImportRow, CustomerPhone
from contactcenter.errors import DomainError

MAX_ROWS = 200_000
MAX_COLUMNS = 100
MAX_FIELD_CHARS = 4096
MAX_PHONES_PER_ROW = 20
MAX_STORED_RAW = 2000
CHUNK = 1000  # rows per lookup and per progress report
ANALYZE_AFTER = 5000  # rows written by one import past which PostgreSQL's statistics are refreshed
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE_COLUMN = re.compile(
    r"^(phone|phones|phone_number|phone_numbers|phonenumber|number|mobile|mobile_phone|cell|cell_phone"
    r"|telephone|tel|work_phone|home_phone|msisdn)(_\d+)?$"
)
NAME_COLUMNS = ("name", "full_name", "fullname", "customer", "customer_name", "contact", "contact_name")
EMAIL_COLUMNS = ("email", "e_mail", "email_address", "mail")
SEGMENT_COLUMNS = ("segment", "tier")
COMPANY_COLUMNS = ("company", "company_name", "organisation", "organization", "employer", "account_name")
TZ_COLUMNS = ("time_zone", "timezone", "tz")
SKIPPED_COLUMNS = ("id", "customer_id", "created_at", "updated_at")
GUARDED = ("=", "+", "-", "@", "\t", "\r")

REASONS = {
    "too_many_fields": "more values than the header has columns",
    "field_too_long": f"a value is longer than {MAX_FIELD_CHARS} characters",
    "missing_name": "no name, and no number or e-mail address of a customer on file",
    "name_too_long": f"the name is longer than {MAX_NAME} characters",
    "bad_email": "not a valid e-mail address",
    "bad_number": "not a valid phone number",
    "too_many_numbers": f"more than {MAX_PHONES_PER_ROW} phone numbers",
    "bad_segment": f"the segment is not one of {', '.join(SEGMENTS)}",
    "company_too_long": f"the company is longer than {MAX_COMPANY} characters",
    "bad_time_zone": "not a time zone name such as Europe/Paris",
    "duplicate_in_file": "the same number, e-mail address or customer is on an earlier row",
    "already_on_file": "the number or e-mail address belongs to a customer on file",
    "matches_several": "the numbers and e-mail address belong to different customers on file",
}
OUTCOMES = ("accepted", "updated", "rejected")

Progress = Callable[[str, int, int], None]


class CustomerImportError(DomainError, ValueError):
    """The file as a whole cannot be imported; nothing of it was written."""


@dataclass
class _Row:
    line: int
    raw: str
    name: str
    email: str | None
    numbers: list[str]
    segment: str | None
    company: str | None
    time_zone: str | None
    attributes: dict[str, str]


@dataclass
class _Rejected:
    line: int
    raw: str
    name: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Checked:
    """Every row of a file read and checked on its own, before the store is involved."""

    rows: list[_Row | _Rejected]
    encoding: str


@dataclass
class Report:
    """What an import did, row by row counted; stored on the CustomerImport row too."""

    import_id: int
    total_rows: int = 0
    accepted: int = 0
    updated: int = 0
    rejected: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)

    @property
    def accounted(self) -> bool:
        return self.accepted + self.updated + self.rejected == self.total_rows


@dataclass(frozen=True)
class _Columns:
    names: list[str]
    name: int | None
    first: int | None
    last: int | None
    email: int | None
    phones: list[int]
    segment: int | None
    company: int | None
    tz: int | None
    attributes: list[int]


def clean(text: str) -> str:
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


def unguard(text: str) -> str:
    """A cell as it was before an export guarded it against formulas ("'=x" → "=x")."""
    return text[1:] if text[:1] == "'" and text[1:2] in GUARDED else text


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", clean(header).lower()).strip("_")


def decode(data: bytes) -> tuple[str, str]:
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252, else Latin-1.
    A file with NUL bytes is not a CSV file (a spreadsheet saved as .xlsx, an image...)."""
    if b"\x00" in data:
        raise CustomerImportError("this is not a CSV text file (it holds binary data); save it as CSV and try again")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _columns(header: Sequence[str]) -> _Columns:
    if not header or not any(h.strip() for h in header):
        raise CustomerImportError("the first line must be a header naming the columns (e.g. name,email,phone)")
    if len(header) > MAX_COLUMNS:
        raise CustomerImportError(f"the header has {len(header)} columns; at most {MAX_COLUMNS} are accepted")
    names: list[str] = []
    for i, raw in enumerate(header):
        key = _key(raw)[:64] or f"column_{i + 1}"
        if key in names:
            key = f"{key}_{i + 1}"
        names.append(key)

    def find(options: Sequence[str]) -> int | None:
        return next((names.index(o) for o in options if o in names), None)

    cols = _Columns(
        names=names,
        name=find(NAME_COLUMNS),
        first=find(("first_name", "firstname", "given_name")),
        last=find(("last_name", "lastname", "surname", "family_name")),
        email=find(EMAIL_COLUMNS),
        phones=[i for i, n in enumerate(names) if _PHONE_COLUMN.match(n)],
        segment=find(SEGMENT_COLUMNS),
        company=find(COMPANY_COLUMNS),
        tz=find(TZ_COLUMNS),
        attributes=[],
    )
    used = {
        i for i in (cols.name, cols.first, cols.last, cols.email, cols.segment, cols.company, cols.tz) if i is not None
    }
    used |= set(cols.phones)
    attributes = [i for i, n in enumerate(names) if i not in used and n not in SKIPPED_COLUMNS]
    cols = replace(cols, attributes=attributes)
    if cols.name is None and cols.first is None and cols.last is None and cols.email is None and not cols.phones:
        raise CustomerImportError(
            "no column to import by: name one column name (or first_name/last_name), email or phone"
        )
    return cols


def _raw(row: Sequence[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(row)
    return out.getvalue().rstrip("\r\n")[:MAX_STORED_RAW]


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, values) of each non-blank record; a malformed file raises."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CustomerImportError(
                f"line {reader.line_num}: the CSV cannot be read ({exc}); is a quote left open?"
            ) from None
        if row and any(cell.strip() for cell in row):
            yield line, row
        line = reader.line_num + 1


def _split_numbers(cell: str) -> list[str]:
    return [n.strip() for n in re.split(r"[;|,\n]", cell) if n.strip()]


def _check(line: int, row: list[str], cols: _Columns, region: str) -> _Row | _Rejected:
    raw = _raw(row)

    def rejected(reason: str, detail: str, name: str = "") -> _Rejected:
        return _Rejected(line, raw, name[:MAX_NAME], reason, detail[:255])

    if len(row) > len(cols.names):
        if any(cell.strip() for cell in row[len(cols.names) :]):
            return rejected("too_many_fields", f"{len(row)} values for {len(cols.names)} columns")
        row = row[: len(cols.names)]
    if any(len(cell) > MAX_FIELD_CHARS for cell in row):
        return rejected("field_too_long", REASONS["field_too_long"])
    row = [unguard(clean(cell)) for cell in row] + [""] * (len(cols.names) - len(row))
    if cols.name is not None and row[cols.name]:
        name = row[cols.name]
    else:
        name = " ".join(row[i] for i in (cols.first, cols.last) if i is not None and row[i])
    if len(name) > MAX_NAME:
        return rejected("name_too_long", f"the name has {len(name):,} characters; at most {MAX_NAME}", name)
    email = row[cols.email] if cols.email is not None and row[cols.email] else None
    if email is not None and (len(email) > MAX_EMAIL or not EMAIL.match(email)):
        return rejected("bad_email", f"{email[:80]!r} is not an e-mail address", name)
    numbers: list[str] = []
    for i in cols.phones:
        for typed in _split_numbers(row[i]):
            try:
                e164 = phones.normalize(typed, region)
            except phones.InvalidPhoneNumber as exc:
                return rejected("bad_number", f"{typed[:40]!r}: {exc}", name)
            if e164 not in numbers:
                numbers.append(e164)
    if len(numbers) > MAX_PHONES_PER_ROW:
        return rejected("too_many_numbers", f"{len(numbers)} numbers; at most {MAX_PHONES_PER_ROW}", name)
    segment = row[cols.segment].lower() if cols.segment is not None and row[cols.segment] else None
    if segment is not None and segment not in SEGMENTS:
        return rejected("bad_segment", f"{segment[:40]!r} is not one of {', '.join(SEGMENTS)}", name)
    company = " ".join(row[cols.company].split()) if cols.company is not None and row[cols.company] else None
    if company is not None and len(company) > MAX_COMPANY:
        return rejected("company_too_long", f"the company has {len(company):,} characters; at most {MAX_COMPANY}", name)
    time_zone = None
    if cols.tz is not None and row[cols.tz]:
        try:
            time_zone = check_time_zone(row[cols.tz])
        except CustomerError as exc:
            return rejected("bad_time_zone", str(exc), name)
    attributes = {cols.names[i]: row[i] for i in cols.attributes if row[i]}
    return _Row(line, raw, name, email, numbers, segment, company, time_zone, attributes)


def read(data: bytes, default_region: str = "US", progress: Progress | None = None) -> Checked:
    """Every row of the file, checked on its own (no store needed); raises CustomerImportError
    for a file that cannot be imported at all."""
    text, encoding = decode(data)
    records = _records(text)
    try:
        _, header = next(records)
    except StopIteration:
        raise CustomerImportError("the file is empty") from None
    cols = _columns(header)
    checked: list[_Row | _Rejected] = []
    for line, row in records:
        if len(checked) >= MAX_ROWS:
            raise CustomerImportError(f"the file has more than {MAX_ROWS:,} rows; split it into smaller files")
        checked.append(_check(line, row, cols, default_region))
        if progress is not None and len(checked) % CHUNK == 0:
            progress("reading", len(checked), 0)
    return Checked(checked, encoding)


def _owners(session: Session, rows: Sequence[_Row]) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Customers on file owning these rows' numbers, and those holding their e-mail addresses."""
    numbers = sorted({n for r in rows for n in r.numbers})
    emails = sorted({r.email.lower() for r in rows if r.email})
    by_number: dict[str, int] = {}
    for start in range(0, len(numbers), 500):
        part = numbers[start : start + 500]
        by_number.update(
            session.execute(
                select(CustomerPhone.e164, CustomerPhone.customer_id).where(CustomerPhone.e164.in_(part))
            ).all()
        )
    by_email: dict[str, list[int]] = {}
    for start in range(0, len(emails), 500):
        part = emails[start : start + 500]
        for email, customer_id in session.execute(
            select(func.lower(Customer.email), Customer.id).where(func.lower(Customer.email).in_(part))
        ):
            by_email.setdefault(email, []).append(customer_id)
    return by_number, by_email


@dataclass
class _Plan:
    """What the store will receive: new customers, changes to customers on file, the report."""

    creates: list[_Row] = field(default_factory=list)
    updates: dict[int, _Row] = field(default_factory=dict)
    rejected: list[_Rejected] = field(default_factory=list)


def _plan(session: Session, checked: Sequence[_Row | _Rejected], on_duplicate: str, progress: Progress | None) -> _Plan:
    plan = _Plan()
    first_number: dict[str, int] = {}
    first_email: dict[str, int] = {}
    first_customer: dict[int, int] = {}
    total = len(checked)
    for start in range(0, total, CHUNK):
        chunk = checked[start : start + CHUNK]
        by_number, by_email = _owners(session, [r for r in chunk if isinstance(r, _Row)])
        for row in chunk:
            if isinstance(row, _Rejected):
                plan.rejected.append(row)
                continue

            def reject(reason: str, detail: str, row: _Row = row) -> None:
                plan.rejected.append(_Rejected(row.line, row.raw, row.name[:MAX_NAME], reason, detail[:255]))

            email_key = row.email.lower() if row.email else None
            earlier = next((first_number[n] for n in row.numbers if n in first_number), None)
            if earlier is None and email_key is not None:
                earlier = first_email.get(email_key)
            if earlier is not None:
                reject("duplicate_in_file", f"the same number or e-mail address is on line {earlier}")
                continue
            owners = {by_number[n] for n in row.numbers if n in by_number}
            if email_key is not None:
                owners |= set(by_email.get(email_key, []))
            if len(owners) > 1:
                listed = ", ".join(f"#{o}" for o in sorted(owners))
                reject("matches_several", f"the row matches customers {listed}; merge them first")
                continue
            owner = next(iter(owners), None)
            if owner is not None and owner in first_customer:
                reject("duplicate_in_file", f"customer #{owner} is updated by line {first_customer[owner]}")
                continue
            if owner is not None and on_duplicate == "reject":
                reject("already_on_file", f"matches customer #{owner}")
                continue
            if owner is None and not row.name:
                reject("missing_name", "a new customer needs a name")
                continue
            for n in row.numbers:
                first_number[n] = row.line
            if email_key is not None:
                first_email[email_key] = row.line
            if owner is None:
                plan.creates.append(row)
            else:
                first_customer[owner] = row.line
                plan.updates[owner] = row
        if progress is not None:
            progress("checking", min(start + CHUNK, total), total)
    return plan


def _write_creates(session: Session, record_id: int, rows: list[_Row], progress: Progress | None, total: int) -> None:
    now = clock.now()
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        ids = list(
            session.scalars(
                # render_nulls: rows are sent in batches only while they name the same columns;
                # without it every change in which cells are blank would start a new statement.
                insert(Customer)
                .returning(Customer.id, sort_by_parameter_order=True)
                .execution_options(render_nulls=True),
                [
                    {
                        "name": r.name,
                        "email": r.email,
                        "segment": r.segment or "standard",
                        "company": r.company,
                        "time_zone": r.time_zone,
                        "attributes": r.attributes,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for r in part
                ],
            )
        )
        numbers = [
            {"customer_id": cid, "e164": n, "label": "mobile"}
            for cid, r in zip(ids, part, strict=True)
            for n in r.numbers
        ]
        if numbers:
            session.execute(insert(CustomerPhone).execution_options(render_nulls=True), numbers)
        session.execute(
            insert(CustomerImportRow).execution_options(render_nulls=True),
            [
                {
                    "import_id": record_id,
                    "line": r.line,
                    "outcome": "accepted",
                    "customer_id": cid,
                    "name": r.name,
                    "reason": None,
                    "detail": f"new customer #{cid}",
                    "raw": "",
                }
                for cid, r in zip(ids, part, strict=True)
            ],
        )
        if progress is not None:
            progress("writing", start + len(part), total)


def _write_updates(
    session: Session, record_id: int, updates: dict[int, _Row], progress: Progress | None, done: int, total: int
) -> list[int]:
    """Apply the rows to the customers they match; returns the customers whose segment changed."""
    now = clock.now()
    items = sorted(updates.items())
    segment_changed: list[int] = []
    for start in range(0, len(items), CHUNK):
        part = items[start : start + CHUNK]
        current = {
            c.id: c
            for c in session.execute(
                select(
                    Customer.id,
                    Customer.name,
                    Customer.email,
                    Customer.segment,
                    Customer.company,
                    Customer.time_zone,
                    Customer.attributes,
                ).where(Customer.id.in_([cid for cid, _ in part]))
            )
        }
        have = set(
            session.execute(
                select(CustomerPhone.customer_id, CustomerPhone.e164).where(
                    CustomerPhone.customer_id.in_([cid for cid, _ in part])
                )
            )
        )
        changes: list[dict[str, Any]] = []
        new_numbers: list[dict[str, Any]] = []
        report: list[dict[str, Any]] = []
        for cid, row in part:
            old = current[cid]
            values = {
                "name": row.name or old.name,
                "email": row.email or old.email,
                "segment": row.segment or old.segment,
                "company": row.company or old.company,
                "time_zone": row.time_zone or old.time_zone,
                "attributes": {**(old.attributes or {}), **row.attributes},
            }
            changed = [k for k, v in values.items() if v != getattr(old, k)]
            added = [n for n in row.numbers if (cid, n) not in have]
            if "segment" in changed:
                segment_changed.append(cid)
            if changed:  # a row that brings nothing new leaves the customer (and updated_at) alone
                changes.append({"id": cid, **values, "updated_at": now})
            new_numbers.extend({"customer_id": cid, "e164": n, "label": "mobile"} for n in added)
            if added:
                changed.append("phones")
            detail = f"customer #{cid}: " + (", ".join(changed) + " changed" if changed else "nothing new")
            report.append(
                {
                    "import_id": record_id,
                    "line": row.line,
                    "outcome": "updated",
                    "customer_id": cid,
                    "name": values["name"][:MAX_NAME],
                    "reason": None,
                    "detail": detail[:255],
                    "raw": "",
                }
            )
        if changes:
            session.execute(update(Customer), changes)
        if new_numbers:
            session.execute(insert(CustomerPhone).execution_options(render_nulls=True), new_numbers)
        session.execute(insert(CustomerImportRow).execution_options(render_nulls=True), report)
        if progress is not None:
            progress("writing", done + start + len(part), total)
    return segment_changed


def run(
    session: Session,
    record: CustomerImport,
    *,
    default_region: str = "US",
    progress: Progress | None = None,
) -> Report:
    """Import the file held by `record` (flushes; the caller commits).

    Raises CustomerImportError, with nothing but the record's status written, for a file that
    cannot be imported; then the caller commits the record as failed.
    """
    if record.data is None:
        raise CustomerImportError("the uploaded file is no longer there; upload it again")
    checked = read(record.data, default_region, progress)
    return store(session, record, checked, progress=progress)


def store(session: Session, record: CustomerImport, checked: Checked, *, progress: Progress | None = None) -> Report:
    """Match the checked rows against the customers on file and write them (flushes; the
    caller commits). Split from `read` so a job can read the file before it opens the
    transaction: on SQLite the transaction holds the one write lock while it lasts."""
    record.encoding = checked.encoding
    rows = checked.rows
    plan = _plan(session, rows, record.on_duplicate, progress)
    total = len(plan.creates) + len(plan.updates)
    _write_creates(session, record.id, plan.creates, progress, total)
    segment_changed = _write_updates(session, record.id, plan.updates, progress, len(plan.creates), total)
    rejected = sorted(plan.rejected, key=lambda r: r.line)
    for start in range(0, len(rejected), CHUNK):
        session.execute(
            insert(CustomerImportRow).execution_options(render_nulls=True),
            [
                {
                    "import_id": record.id,
                    "line": r.line,
                    "outcome": "rejected",
                    "customer_id": None,
                    "name": r.name,
                    "reason": r.reason,
                    "detail": r.detail,
                    "raw": r.raw,
                }
                for r in rejected[start : start + CHUNK]
            ],
        )
    by_reason: dict[str, int] = {}
    for r in rejected:
        by_reason[r.reason] = by_reason.get(r.reason, 0) + 1
    report = Report(record.id, len(rows), len(plan.creates), len(plan.updates), len(rejected), by_reason)
    record.rows_total, record.rows_accepted = report.total_rows, report.accepted
    record.rows_updated, record.rows_rejected = report.updated, report.rejected
    record.counts = {"rejected": dict(sorted(by_reason.items()))}
    record.status, record.finished_at, record.data = "done", clock.now(), None
    session.flush()
    if total >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # Thousands of new rows in one go: until autovacuum gets to it, the planner would think
        # the tables small and scan them for the next import's lookups instead of the indexes.
        session.execute(text("ANALYZE customers, customer_phones"))
    session.expire_all()
    for cid in segment_changed:
        customer = session.get(Customer, cid)
        if customer is not None:
            customers_mod.notify_segment_changed(session, customer)
    return report


def fail(record: CustomerImport, error: str) -> None:
    """Mark the import refused, with why; its file is dropped (nothing of it was written)."""
    record.status, record.error, record.finished_at, record.data = "failed", error[:2000], clock.now(), None


def create(
    session: Session, data: bytes, *, filename: str = "", on_duplicate: str = "update", created_by_id: int | None = None
) -> CustomerImport:
    """An import waiting for its job, holding the uploaded file (flushes)."""
    if on_duplicate not in ("update", "reject"):
        raise CustomerImportError("choose whether rows matching a customer on file update them or are rejected")
    record = CustomerImport(
        filename=filename[:255], data=data, on_duplicate=on_duplicate, created_by_id=created_by_id, status="queued"
    )
    session.add(record)
    session.flush()
    return record


def rows_of(
    session: Session, import_id: int, outcome: str, *, limit: int = 100, offset: int = 0
) -> list[CustomerImportRow]:
    query = (
        select(CustomerImportRow)
        .where(CustomerImportRow.import_id == import_id, CustomerImportRow.outcome == outcome)
        .order_by(CustomerImportRow.line)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


def rejections_csv(session: Session, import_id: int) -> str:
    """The rejected rows as CSV, each with its line and reason, cells guarded against formulas."""
    from contactcenter.contacts.csv_export import safe_cell

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "reason", "detail", "row"])
    rows = session.scalars(
        select(CustomerImportRow)
        .where(CustomerImportRow.import_id == import_id, CustomerImportRow.outcome == "rejected")
        .order_by(CustomerImportRow.line)
    )
    for r in rows:
        writer.writerow([r.line, r.reason, safe_cell(r.detail), safe_cell(r.raw)])
    return out.getvalue()
