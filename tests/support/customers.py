"""Customer CSV files for the import and export tests: written out, imported, read back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from contactcenter.contacts import csv_import
from contactcenter.contacts.models import CustomerImport


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def import_text(
    session: Session, text: str | bytes, *, on_duplicate: str = "update", filename: str = "customers.csv"
) -> CustomerImport:
    """Upload and run an import as the job does; a refused file leaves the record failed."""
    data = text.encode() if isinstance(text, str) else text
    record = csv_import.create(session, data, filename=filename, on_duplicate=on_duplicate)
    try:
        csv_import.run(session, record)
    except csv_import.CustomerImportError as exc:
        csv_import.fail(record, str(exc))
    session.flush()
    return record


def outcomes(session: Session, record: CustomerImport) -> dict[int, tuple[str, str | None]]:
    """line -> (outcome, reason) for every row of the import."""
    from sqlalchemy import select

    from contactcenter.contacts.models import CustomerImportRow

    rows = session.scalars(select(CustomerImportRow).where(CustomerImportRow.import_id == record.id))
    return {r.line: (r.outcome, r.reason) for r in rows}
