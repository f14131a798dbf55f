"""Do-not-call files: a CSV of numbers added to a list, with a report of what became of every row.

The same import serves the CLI (`contactcenter dnc import`), the DNC page and the REST API. A
national register (the UK's TPS, a US DNC registry extract) is imported into the internal list
with `source="national"`, so its entries block every campaign and can be told apart from the
company's own requests. Nothing is dropped silently: every row is imported, already listed, a
duplicate within the file, or rejected with its line number and why.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.dialer import dnc
from contactcenter.dialer.models import DncEntry
from contactcenter.errors import DomainError
from contactcenter.phones import InvalidPhoneNumber, normalize

# A do-not-call file is a list of numbers: a few megabytes holds hundreds of thousands of them.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 500_000
PHONE_HEADERS = ("phone", "number", "phone_number", "telephone", "msisdn")
SOURCES = ("manual", "import", "national", "disposition", "api")


class DncFileError(DomainError, ValueError):
    """The file as a whole cannot be read (too big, binary, not CSV, too many rows)."""

    kind = "unprocessable"
    code = "bad_dnc_file"


@dataclass
class DncImportReport:
    """What happened to every row of a do-not-call file."""

    rows: int = 0
    imported: int = 0
    already_listed: int = 0
    duplicates_in_file: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, raw, reason)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "already_listed": self.already_listed,
            "duplicates_in_file": self.duplicates_in_file,
            "rejected": [{"line": line, "value": raw, "reason": why} for line, raw, why in self.rejected],
        }


def decode(data: bytes, name: str = "the file") -> str:
    """The file's text, or a clear refusal for one too big, binary or not text at all."""
    if len(data) > MAX_FILE_BYTES:
        raise DncFileError(f"{name} is {len(data)} bytes; at most {MAX_FILE_BYTES} are accepted")
    if b"\x00" in data:
        raise DncFileError(f"{name} is not a text file (it holds NUL bytes)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DncFileError(f"{name} is neither UTF-8 nor Windows-1252 text")


def numbers_with_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, raw value) of the phone column: the one a header names, else the first."""
    reader = csv.reader(io.StringIO(text, newline=""))
    column = 0
    first = True
    for record in reader:
        line = reader.line_num
        if not record or not any(cell.strip() for cell in record):
            continue
        if first:
            first = False
            lowered = [cell.strip().lower() for cell in record]
            named = [i for i, cell in enumerate(lowered) if cell in PHONE_HEADERS]
            if named:
                column = named[0]
                continue
        yield line, (record[column] if column < len(record) else "").strip()


def import_text(
    session: Session,
    text: str,
    *,
    campaign_id: int | None = None,
    source: str = "import",
    reason: str = "CSV import",
    default_region: str = "US",
) -> DncImportReport:
    """Add the numbers of a CSV text to the internal list (campaign_id None) or a campaign's."""
    report = DncImportReport()
    seen: set[str] = set()
    fresh: list[str] = []
    try:
        for line, raw in numbers_with_lines(text):
            report.rows += 1
            if report.rows > MAX_ROWS:
                raise DncFileError(f"more than {MAX_ROWS} rows; split the file")
            try:
                e164 = normalize(raw, default_region)
            except InvalidPhoneNumber as exc:
                report.rejected.append((line, raw[:100], str(exc)))
                continue
            if e164 in seen:
                report.duplicates_in_file += 1
                continue
            seen.add(e164)
            fresh.append(e164)
    except csv.Error as exc:
        raise DncFileError(f"not a readable CSV file: {exc}") from None
    scope = DncEntry.campaign_id.is_(None) if campaign_id is None else DncEntry.campaign_id == campaign_id
    listed: set[str] = set()
    for i in range(0, len(fresh), 500):
        chunk = fresh[i : i + 500]
        listed |= set(session.scalars(select(DncEntry.phone).where(DncEntry.phone.in_(chunk), scope)))
    report.already_listed = len(listed)
    new = [n for n in fresh if n not in listed]
    added, bad = dnc.import_numbers(
        session, new, campaign_id=campaign_id, source=source, reason=reason, default_region=default_region
    )
    report.imported = added
    report.rejected.extend((0, raw, why) for raw, why in bad)  # normalised above: never expected
    return report
