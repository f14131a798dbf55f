"""Customer jobs: run an uploaded customer CSV import in the background, with its progress.

The upload page stores the file on a `CustomerImport` row and queues `run_customer_import`; the
progress page polls `progress(...)`. The import itself is one transaction (nothing half-written
if it fails part way), so its progress cannot live in the store until it commits: it goes to a
Redis hash, which holds nothing the store cannot do without (the report is in the store).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from contactcenter import clock
from contactcenter.app import runtime
from contactcenter.app.jobs import job
from contactcenter.contacts import csv_import
from contactcenter.contacts.models import CustomerImport
from contactcenter.db import transaction

log = logging.getLogger("contactcenter.app.tasks.customers")
PROGRESS_TTL_S = 24 * 3600


def progress_key(import_id: int) -> str:
    return f"customers:import:{import_id}:progress"


def progress(connection: Any, import_id: int) -> dict[str, Any]:
    """{"phase": reading|checking|writing, "done": rows, "total": rows} while the job runs; {}
    before it starts or once the key has gone."""
    raw = connection.get(progress_key(import_id))
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@job("low", retries=0, timeout=1800)
def run_customer_import(import_id: int) -> str:
    """Import the file of `import_id` unless it already ran; returns the import's status."""
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        record = session.get(CustomerImport, import_id)
        if record is None or record.status in ("done", "failed"):
            return record.status if record is not None else "missing"
        record.status, record.started_at = "running", clock.now()

    def report(phase: str, done: int, total: int) -> None:
        rt.redis.set(
            progress_key(import_id), json.dumps({"phase": phase, "done": done, "total": total}), ex=PROGRESS_TTL_S
        )

    report("reading", 0, 0)
    try:
        with transaction(rt.session_factory) as session:
            data = session.get_one(CustomerImport, import_id).data
        try:
            if data is None:
                raise csv_import.CustomerImportError("the uploaded file is no longer there; upload it again")
            # Every row is read and checked before the transaction that stores them opens: on
            # SQLite that transaction is the one writer while it lasts, so it should be short.
            checked = csv_import.read(data, rt.settings.default_region, report)
        except csv_import.CustomerImportError as exc:
            with transaction(rt.session_factory) as session:
                csv_import.fail(session.get_one(CustomerImport, import_id), str(exc))
            return "failed"
        with transaction(rt.session_factory) as session:
            record = session.get_one(CustomerImport, import_id)
            csv_import.store(session, record, checked, progress=report)
            return record.status
    except Exception as exc:
        # The import's transaction rolled back: nothing of the file was written. Say so.
        log.exception("customer import %s failed", import_id)
        with transaction(rt.session_factory) as session:
            record = session.get_one(CustomerImport, import_id)
            csv_import.fail(record, f"the import stopped ({type(exc).__name__}); nothing of the file was written")
        return "failed"
    finally:
        rt.redis.delete(progress_key(import_id))
