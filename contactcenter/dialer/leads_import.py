"""Lead lists from CSV, with a validation report: every row is imported or rejected with a reason.

Columns are found by name (case and spacing ignored): the phone number (`phone`, `number`,
`phone_number`, `mobile`, `telephone`, `tel`), the name (`name`, `full_name`, or `first_name` +
`last_name`), an optional IANA time zone (`time_zone`, `timezone`, `tz`), an optional region or
US state (`state`, `region`, `province`), an optional `priority`; every other column is kept in
the lead's attributes.

Rejections (reason codes in `REASONS`): malformed CSV, oversized rows or fields, missing or
invalid numbers, duplicates (in the file or already in the campaign), numbers on a do-not-call
list, numbers outside the campaign's regions, unknown time zones, numbers whose time zones share
no calling window. Each rejected row is stored with its line number and raw text (capped at
`MAX_STORED_RAW` characters, flagged when cut), so nothing disappears. Text is stored as given
(control characters removed): names with markup or SQL are data, escaped where they are shown.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.dialer import dnc
from contactcenter.dialer.campaigns import rules_of, windows_of
from contactcenter.dialer.models import Campaign, Lead, LeadImport, LeadImportRejection, LeadStatus
from contactcenter.dialer.windows import in_regions, normalize_region, region_of
from contactcenter.errors import DomainError
from contactcenter.phones import MAX_RAW_LENGTH, InvalidPhoneNumber, normalize, time_zones

MAX_LINE_CHARS = 64 * 1024  # one physical line
MAX_RECORD_CHARS = 64 * 1024  # one CSV record (may span lines when quoted)
MAX_FIELD_CHARS = 4096
MAX_NAME_CHARS = 200
MAX_COLUMNS = 200
MAX_ROWS = 1_000_000
MAX_STORED_RAW = 2000
BATCH = 500

REASONS = {
    "malformed_row": "the CSV record could not be read",
    "row_too_long": f"the row is longer than {MAX_RECORD_CHARS} characters",
    "field_too_long": f"a field is longer than {MAX_FIELD_CHARS} characters",
    "too_many_fields": "more values than the header has columns",
    "missing_phone": "no phone number",
    "bad_number": "not a valid phone number",
    "duplicate_in_file": "the number appears earlier in the file",
    "duplicate_in_campaign": "the number is already a lead of the campaign",
    "dnc": "the number is on a do-not-call list",
    "outside_region": "the number is outside the campaign's calling regions",
    "bad_time_zone": "the time zone column is not an IANA time zone",
    "no_time_zone": "no time zone is known for the number",
    "no_calling_window": "the number's time zones share no calling window",
    "row_limit": f"the file has more than {MAX_ROWS} rows",
}

PHONE_COLUMNS = ("phone", "phone_number", "phonenumber", "number", "mobile", "telephone", "tel", "msisdn")
NAME_COLUMNS = ("name", "full_name", "fullname", "contact", "contact_name")
TZ_COLUMNS = ("time_zone", "timezone", "tz")
REGION_COLUMNS = ("state", "region", "province", "state_code")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class LeadImportError(DomainError, ValueError):
    """The file as a whole cannot be imported (no header, no phone column, ...)."""


@dataclass
class Problem:
    line: int
    reason: str
    detail: str
    raw: str
    raw_truncated: bool = False


@dataclass
class ImportReport:
    import_id: int | None
    campaign_id: int
    total_rows: int = 0
    imported: int = 0
    rejected: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    encoding: str = "utf-8"
    truncated: bool = False
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accounted(self) -> bool:
        """Every row read is either imported or rejected."""
        return self.imported + self.rejected == self.total_rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "campaign_id": self.campaign_id,
            "total_rows": self.total_rows,
            "imported": self.imported,
            "rejected": self.rejected,
            "by_reason": dict(sorted(self.by_reason.items())),
            "warnings": dict(sorted(self.warnings.items())),
            "encoding": self.encoding,
            "truncated": self.truncated,
            "examples": self.examples,
        }

    def summary_lines(self) -> list[str]:
        lines = [f"rows read: {self.total_rows}, imported: {self.imported}, rejected: {self.rejected}"]
        for reason, count in sorted(self.by_reason.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {reason}: {count} ({REASONS.get(reason, reason)})")
        for warning, count in sorted(self.warnings.items()):
            lines.append(f"  warning {warning}: {count}")
        if self.truncated:
            lines.append(f"  the file was cut at {MAX_ROWS} rows: the rest was not read")
        return lines


def _clean(text: str) -> str:
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", _clean(header).lower()).strip("_")


def decode(data: bytes) -> tuple[str, str]:
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


class _Lines:
    """Physical lines for the CSV reader, remembering the raw text of the current record."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.line_no = 0
        self.record: list[str] = []
        self.record_chars = 0
        self.oversized = False
        self.nul = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(MAX_LINE_CHARS + 1)
        if not line:
            raise StopIteration
        self.line_no += 1
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            # Swallow the rest of this physical line; the record is reported as too long.
            self.oversized = True
            while True:
                rest = self.stream.readline(MAX_LINE_CHARS)
                if not rest or rest.endswith("\n"):
                    break
            line = line[:MAX_LINE_CHARS] + "\n"
        if "\x00" in line:
            self.nul = True
            line = line.replace("\x00", "")
        room = MAX_RECORD_CHARS - self.record_chars
        self.record_chars += len(line)
        if len(line) <= room:
            self.record.append(line)
        else:
            self.oversized = True
            if room > 0:
                self.record.append(line[:room])
        return line

    def take(self) -> tuple[str, bool, bool]:
        raw = "".join(self.record)
        oversized, nul = self.oversized, self.nul
        self.record, self.record_chars, self.oversized, self.nul = [], 0, False, False
        return raw, oversized, nul


@dataclass
class _Columns:
    names: list[str]
    phone: int
    name: int | None
    first: int | None
    last: int | None
    tz: int | None
    region: int | None
    priority: int | None


def _columns(header: Sequence[str]) -> tuple[_Columns, list[str]]:
    if not header or not any(h.strip() for h in header):
        raise LeadImportError("the first line must be a header naming the columns (e.g. phone,name)")
    if len(header) > MAX_COLUMNS:
        raise LeadImportError(f"the header has {len(header)} columns; at most {MAX_COLUMNS} are accepted")
    warnings = []
    names: list[str] = []
    for i, raw in enumerate(header):
        key = _key(raw)[:64] or f"column_{i + 1}"
        if key in names:
            warnings.append("duplicate_column")
            key = f"{key}_{i + 1}"
        names.append(key)

    def find(options: Sequence[str]) -> int | None:
        for option in options:
            if option in names:
                return names.index(option)
        return None

    phone = find(PHONE_COLUMNS)
    if phone is None:
        raise LeadImportError(f"no phone column: name one of {', '.join(PHONE_COLUMNS)}")
    return (
        _Columns(
            names,
            phone,
            find(NAME_COLUMNS),
            find(("first_name", "firstname", "given_name")),
            find(("last_name", "lastname", "surname", "family_name")),
            find(TZ_COLUMNS),
            find(REGION_COLUMNS),
            find(("priority",)),
        ),
        warnings,
    )


@dataclass
class _Candidate:
    line: int
    raw: str
    phone: str
    name: str
    zones: list[str]
    zone_source: str
    region: str | None
    country: str | None
    priority: int
    attributes: dict[str, Any]


def import_leads(
    session: Session,
    campaign: Campaign,
    stream: IO[str],
    *,
    filename: str = "",
    source: str = "cli",
    encoding: str = "utf-8",
    progress: Callable[[int], None] | None = None,
    max_rows: int = MAX_ROWS,
) -> ImportReport:
    """Read `stream` (CSV text) into leads of `campaign`; flushes, the caller commits.

    Raises LeadImportError when the file as a whole is unusable (the LeadImport row then says
    so); otherwise returns the report, with every row imported or rejected.
    """
    record = LeadImport(campaign_id=campaign.id, source=source[:16], filename=filename[:255], started_at=clock.now())
    session.add(record)
    session.flush()
    report = ImportReport(record.id, campaign.id, encoding=encoding)
    lines = _Lines(stream)
    reader = csv.reader(lines, strict=False)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_CHARS * 2))
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise LeadImportError("the file is empty") from None
        except csv.Error as exc:
            raise LeadImportError(f"the header line cannot be read: {exc}") from None
        lines.take()
        columns, header_warnings = _columns(header)
    except LeadImportError as exc:
        record.status, record.error, record.finished_at = "failed", str(exc), clock.now()
        session.flush()
        raise
    warnings: Counter[str] = Counter(header_warnings)
    by_reason: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    rules = rules_of(campaign)
    allowed = campaign.allowed_regions or list(rules.default_regions)
    windows = windows_of(campaign)
    region = campaign.default_region or rules.default_region
    seen: dict[str, int] = {}
    window_cache: dict[tuple[tuple[str, ...], str | None], bool] = {}
    batch: list[_Candidate] = []
    now = clock.now()

    def reject(line: int, reason: str, detail: str, raw: str) -> None:
        by_reason[reason] += 1
        cut = len(raw) > MAX_STORED_RAW
        session.add(
            LeadImportRejection(
                import_id=record.id,
                line=line,
                reason=reason,
                detail=detail[:255],
                raw=raw[:MAX_STORED_RAW],
                raw_truncated=cut,
            )
        )
        if len(examples) < 50:
            examples.append({"line": line, "reason": reason, "detail": detail[:255]})

    def flush_batch() -> None:
        if not batch:
            return
        phones = [c.phone for c in batch]
        existing = set(
            session.scalars(select(Lead.phone).where(Lead.campaign_id == campaign.id, Lead.phone.in_(phones)))
        )
        hits = dnc.check_many(session, phones, campaign.id, now)
        customers = _customers_by_phone(session, phones)
        for c in batch:
            if c.phone in existing:
                reject(c.line, "duplicate_in_campaign", f"{c.phone} is already a lead", c.raw)
            elif c.phone in hits:
                hit = hits[c.phone]
                reject(c.line, "dnc", f"{c.phone} is on the {hit.list} do-not-call list", c.raw)
            else:
                session.add(
                    Lead(
                        campaign_id=campaign.id,
                        phone=c.phone,
                        name=c.name,
                        time_zones=c.zones,
                        time_zone_source=c.zone_source,
                        region=c.region,
                        country=c.country,
                        attributes=c.attributes,
                        status=LeadStatus.READY.value,
                        priority=c.priority,
                        customer_id=customers.get(c.phone),
                        import_id=record.id,
                        line=c.line,
                        created_at=now,
                        updated_at=now,
                    )
                )
                report.imported += 1
        session.flush()
        batch.clear()

    while True:
        start_line = lines.line_no + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raw, _, _ = lines.take()
            report.total_rows += 1
            reject(start_line, "malformed_row", str(exc), raw)
            continue
        raw, oversized, had_nul = lines.take()
        if not row or not any(cell.strip() for cell in row):
            if raw.strip():
                report.total_rows += 1
                reject(start_line, "missing_phone", "the row is empty", raw)
            continue  # blank lines are not rows
        report.total_rows += 1
        if report.total_rows > max_rows:
            report.total_rows -= 1
            report.truncated = True
            remaining = 1 + sum(1 for _ in reader)
            warnings["rows_not_read"] += remaining
            break
        if progress is not None and report.total_rows % 100 == 0:
            progress(report.total_rows)
        if had_nul:
            warnings["nul_removed"] += 1
        if oversized:
            reject(start_line, "row_too_long", f"the row is longer than {MAX_RECORD_CHARS} characters", raw)
            continue
        if len(row) > len(columns.names):
            extra = row[len(columns.names) :]
            if any(cell.strip() for cell in extra):
                reject(start_line, "too_many_fields", f"{len(row)} values for {len(columns.names)} columns", raw)
                continue
            warnings["trailing_empty_fields"] += 1
            row = row[: len(columns.names)]
        if any(len(cell) > MAX_FIELD_CHARS for cell in row):
            reject(start_line, "field_too_long", f"a field is longer than {MAX_FIELD_CHARS} characters", raw)
            continue
        row = row + [""] * (len(columns.names) - len(row))
        key_fields = [
            i
            for i in (columns.phone, columns.name, columns.first, columns.last, columns.tz, columns.region)
            if i is not None
        ]
        if lines.line_no > start_line and any("\n" in row[i] or "\r" in row[i] for i in key_fields):
            # A quoted value ran over several lines: most likely a quote left open, which
            # would hide the following rows inside this one. Reject it, with all its lines.
            reject(
                start_line,
                "malformed_row",
                f"line break inside a quoted field (lines {start_line}-{lines.line_no}); unbalanced quote?",
                raw,
            )
            continue
        phone_raw = _clean(row[columns.phone])
        if not phone_raw:
            reject(start_line, "missing_phone", "the phone column is empty", raw)
            continue
        if len(phone_raw) > MAX_RAW_LENGTH:
            reject(start_line, "bad_number", "the phone number is too long", raw)
            continue
        try:
            phone = normalize(phone_raw, region)
        except InvalidPhoneNumber as exc:
            reject(start_line, "bad_number", str(exc), raw)
            continue
        if phone in seen:
            reject(start_line, "duplicate_in_file", f"{phone} first appears on line {seen[phone]}", raw)
            continue
        seen[phone] = start_line
        country, number_region = region_of(phone)
        if not in_regions(phone, country, allowed):
            reject(
                start_line,
                "outside_region",
                f"{phone} is in {country or 'an unknown region'}; the campaign calls {', '.join(allowed)}",
                raw,
            )
            continue
        lead_region = number_region
        if columns.region is not None and _clean(row[columns.region]):
            given = normalize_region(_clean(row[columns.region]), country)
            if given is None:
                warnings["unknown_region"] += 1
            else:
                lead_region = given
        zone_source = "number"
        if columns.tz is not None and _clean(row[columns.tz]):
            tz_text = _clean(row[columns.tz])
            try:
                ZoneInfo(tz_text)
            except (ZoneInfoNotFoundError, ValueError):
                reject(start_line, "bad_time_zone", f"{tz_text[:64]!r} is not an IANA time zone", raw)
                continue
            zones = [tz_text]
            zone_source = "lead"
        else:
            zones = list(time_zones(phone))
            if not zones:
                reject(start_line, "no_time_zone", f"no time zone is known for {phone}", raw)
                continue
        key = (tuple(zones), lead_region)
        if key not in window_cache:
            window_cache[key] = windows.has_opening(zones, lead_region, now)
        if not window_cache[key]:
            reject(start_line, "no_calling_window", f"{len(zones)} time zone(s) with no common calling window", raw)
            continue
        name = _name(row, columns)
        if len(name) > MAX_NAME_CHARS:
            warnings["name_shortened"] += 1
            name = name[:MAX_NAME_CHARS]
        priority = 0
        if columns.priority is not None and row[columns.priority].strip():
            try:
                priority = max(-1000, min(1000, int(row[columns.priority].strip())))
            except ValueError:
                warnings["bad_priority"] += 1
        used = {
            i
            for i in (
                columns.phone,
                columns.name,
                columns.first,
                columns.last,
                columns.tz,
                columns.region,
                columns.priority,
            )
            if i is not None
        }
        attributes = {
            columns.names[i]: _clean(row[i]) for i in range(len(columns.names)) if i not in used and row[i].strip()
        }
        batch.append(
            _Candidate(start_line, raw, phone, name, zones, zone_source, lead_region, country, priority, attributes)
        )
        if len(batch) >= BATCH:
            flush_batch()
    flush_batch()
    report.rejected = sum(by_reason.values())
    report.by_reason = dict(by_reason)
    report.warnings = dict(warnings)
    report.examples = examples
    record.rows_total = report.total_rows
    record.rows_imported = report.imported
    record.rows_rejected = report.rejected
    record.counts = {
        "rejected": report.by_reason,
        "warnings": report.warnings,
        "encoding": encoding,
        "truncated": report.truncated,
    }
    record.status = "done"
    record.finished_at = clock.now()
    session.flush()
    if progress is not None:
        progress(report.total_rows)
    return report


def _name(row: Sequence[str], columns: _Columns) -> str:
    if columns.name is not None and row[columns.name].strip():
        return _clean(row[columns.name])
    parts = [_clean(row[i]) for i in (columns.first, columns.last) if i is not None and row[i].strip()]
    return " ".join(parts)


def _customers_by_phone(session: Session, phones: Sequence[str]) -> dict[str, int]:
    from contactcenter.contacts.models import CustomerPhone

    rows = session.execute(
        select(CustomerPhone.e164, CustomerPhone.customer_id).where(CustomerPhone.e164.in_(list(phones)))
    )
    return {e164: customer_id for e164, customer_id in rows}


def import_bytes(session: Session, campaign: Campaign, data: bytes, **kwargs: Any) -> ImportReport:
    """The web upload path: bytes in any common encoding."""
    text, encoding = decode(data)
    return import_leads(session, campaign, io.StringIO(text, newline=""), encoding=encoding, **kwargs)


def rejections_csv(session: Session, import_id: int) -> str:
    """The rejected rows as CSV (cells that a spreadsheet would run as formulas are neutralised)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "reason", "detail", "raw", "raw_truncated"])
    rows = session.scalars(
        select(LeadImportRejection).where(LeadImportRejection.import_id == import_id).order_by(LeadImportRejection.line)
    )
    for r in rows:
        writer.writerow([r.line, r.reason, _safe_cell(r.detail), _safe_cell(r.raw.rstrip("\r\n")), r.raw_truncated])
    return out.getvalue()


def _safe_cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
