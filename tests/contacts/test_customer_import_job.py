"""The customer import job: runs an uploaded file once, reports progress in Redis while it runs,
and leaves nothing half-written when it fails part way."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contactcenter.app.tasks import customers as customer_tasks
from contactcenter.contacts import csv_import
from contactcenter.contacts.models import Customer, CustomerImport
from tests.support.customers import csv_text

ROWS = csv_text(("name", "phone"), [("Ada Lovelace", "+442079460958"), ("Alan Turing", "+12125550123")])


@pytest.fixture
def queued(db, runtime):  # type: ignore[no-untyped-def]
    record = csv_import.create(db, ROWS.encode(), filename="people.csv")
    db.commit()
    return record.id


def test_the_job_imports_the_file_and_drops_it(db, queued):
    assert customer_tasks.run_customer_import(queued) == "done"
    record = db.get(CustomerImport, queued)
    assert (record.rows_accepted, record.data) == (2, None)


def test_a_finished_import_is_not_run_again(db, queued):
    customer_tasks.run_customer_import(queued)
    assert customer_tasks.run_customer_import(queued) == "done"
    assert db.scalar(select(func.count(Customer.id))) == 2


def test_progress_is_reported_while_the_rows_are_stored(db, queued, redis_client, monkeypatch):
    seen: list[dict] = []
    real = csv_import.store

    def watching(*args, **kw):  # type: ignore[no-untyped-def]
        seen.append(customer_tasks.progress(redis_client, queued))
        return real(*args, **kw)

    monkeypatch.setattr(csv_import, "store", watching)
    customer_tasks.run_customer_import(queued)
    assert seen[0]["phase"] == "reading" and customer_tasks.progress(redis_client, queued) == {}


def test_a_failure_part_way_writes_nothing_and_the_import_says_so(db, queued, monkeypatch):
    def broken(*_args, **_kw):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(csv_import, "_write_updates", broken)  # after the new customers were inserted
    assert customer_tasks.run_customer_import(queued) == "failed"
    db.expire_all()
    record = db.get(CustomerImport, queued)
    assert "nothing of the file was written" in record.error
    assert db.scalar(select(func.count(Customer.id))) == 0
