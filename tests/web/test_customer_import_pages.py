"""Customer CSV import and export through the pages: upload (checked next to the fields), the job
with its progress, the report and the rejected rows; export of all or the current search.
Supervisors and admins only."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from contactcenter.accounts.models import Role
from contactcenter.app.tasks import customers as customer_tasks
from contactcenter.audit.models import AuditEntry
from contactcenter.contacts.models import Customer, CustomerImport
from tests.support.customers import csv_text
from tests.support.factories import gen_agent, gen_customer
from tests.support.web_client import log_in

HOSTILE = ("<script>alert(1)</script>", "' OR 1=1 --")


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    gen_agent(db, "alice", display_name="Alice Agent")
    gen_agent(db, "sam", role=Role.SUPERVISOR, display_name="Sam Supervisor")
    gen_customer(db, "Grace Hopper", ("+14155550100",), email="grace@navy.example", company="US Navy")
    db.commit()


def text(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.get_data(as_text=True)


def upload(client, content: str | bytes, *, filename: str = "customers.csv", on_duplicate: str = "update"):  # type: ignore[no-untyped-def]
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/customers/import",
        data={"file": (io.BytesIO(data), filename), "on_duplicate": on_duplicate},
        content_type="multipart/form-data",
    )


def import_id(resp) -> int:  # type: ignore[no-untyped-def]
    return int(re.search(r"/customers/imports/(\d+)$", resp.headers["Location"]).group(1))


def uploaded_and_run(client, content: str | bytes, **kw) -> int:  # type: ignore[no-untyped-def]
    resp = upload(client, content, **kw)
    assert resp.status_code == 303, text(resp)
    number = import_id(resp)
    customer_tasks.run_customer_import(number)  # what the worker does with the queued job
    return number


ROWS = csv_text(
    ("name", "email", "phone", "company"),
    [
        ("Ada Lovelace", "ada@engine.example", "+44 20 7946 0958", "Engines Ltd"),
        ("", "grace@navy.example", "(415) 555-0111", ""),
        ("Bad Number", "", "12", ""),
    ],
)


def test_an_agent_may_not_import_or_export(client, office):
    log_in(client, "alice")
    assert client.get("/customers/import").status_code == 403
    assert upload(client, ROWS).status_code == 403
    assert client.get("/customers/export.csv").status_code == 403


def test_the_upload_queues_the_job_and_the_page_waits_for_it(client, db, office, redis_client):
    log_in(client, "sam")
    resp = upload(client, ROWS)
    page = text(client.get(resp.headers["Location"]))
    assert "Waiting for a worker" in page and 'id="import-progress"' in page
    assert redis_client.llen("rq:queue:low") == 1


def test_the_progress_answers_with_the_status(client, office):
    log_in(client, "sam")
    number = import_id(upload(client, ROWS))
    assert client.get(f"/customers/imports/{number}/progress").get_json() == {"status": "queued"}
    customer_tasks.run_customer_import(number)
    assert client.get(f"/customers/imports/{number}/progress").get_json() == {"status": "done"}


def test_the_report_counts_new_updated_and_rejected_rows(client, office):
    log_in(client, "sam")
    number = uploaded_and_run(client, ROWS)
    page = text(client.get(f"/customers/imports/{number}"))
    counts = {
        k: re.search(rf'id="rows-{k}">(\d+)<', page).group(1) for k in ("total", "accepted", "updated", "rejected")
    }
    assert counts == {"total": "3", "accepted": "1", "updated": "1", "rejected": "1"}
    assert 'data-reason="bad_number"' in page and 'data-line="4"' in page


def test_the_report_lists_the_updated_rows_with_their_customer(client, office):
    log_in(client, "sam")
    number = uploaded_and_run(client, ROWS)
    page = text(client.get(f"/customers/imports/{number}", query_string={"outcome": "updated"}))
    assert 'data-line="3"' in page and "phones changed" in page


def test_the_rejected_rows_download_as_csv(client, office):
    log_in(client, "sam")
    number = uploaded_and_run(client, ROWS)
    resp = client.get(f"/customers/imports/{number}/rejected.csv")
    rows = list(csv.reader(io.StringIO(text(resp))))
    assert resp.mimetype == "text/csv" and [r[:2] for r in rows] == [["line", "reason"], ["4", "bad_number"]]


def test_a_broken_file_is_reported_and_nothing_is_written(client, db, office):
    log_in(client, "sam")
    number = uploaded_and_run(client, 'name,email\n"Ada,ada@engine.example\nAlan,alan@example.com\n')
    page = text(client.get(f"/customers/imports/{number}"))
    assert 'id="import-error"' in page and "quote left open" in page
    assert db.scalar(select(func.count(Customer.id))) == 1


def test_no_file_is_refused_next_to_the_field(client, db, office):
    log_in(client, "sam")
    resp = client.post("/customers/import", data={"on_duplicate": "update"}, content_type="multipart/form-data")
    assert resp.status_code == 400 and 'id="file-error"' in text(resp)
    assert db.scalar(select(func.count(CustomerImport.id))) == 0


def test_an_unknown_choice_for_matching_rows_is_refused_next_to_it(client, db, office):
    log_in(client, "sam")
    resp = upload(client, ROWS, on_duplicate="' OR 1=1 --")
    assert resp.status_code == 400 and 'id="on-duplicate-error"' in text(resp)
    assert db.scalar(select(func.count(CustomerImport.id))) == 0


def test_an_oversized_file_is_refused_with_a_clear_message(client, db, office):
    log_in(client, "sam")
    resp = upload(client, b"name\n" + b"x" * (16 * 1024 * 1024 + 10))
    assert resp.status_code == 413 and "larger than 16 MB" in text(resp) and 'id="file-error"' in text(resp)
    assert db.scalar(select(func.count(CustomerImport.id))) == 0


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_in_the_file_and_its_name_is_shown_escaped(client, db, office, hostile):
    log_in(client, "sam")
    content = csv_text(("name", "email", "phone", "company", hostile), [(hostile, hostile, hostile, hostile, hostile)])
    content += f"{hostile},,+12125550123,{hostile},{hostile}\n"
    number = uploaded_and_run(client, content, filename=f"{hostile}.csv")
    for outcome in ("rejected", "accepted"):
        page = text(client.get(f"/customers/imports/{number}", query_string={"outcome": outcome}))
        assert "<script>alert(1)" not in page
    assert "<script>alert(1)" not in text(client.get("/customers/import"))
    stored = db.scalars(select(Customer).where(Customer.name == hostile)).one()
    assert stored.company == hostile


def test_the_export_holds_every_customer_with_formulas_guarded(client, db, office):
    gen_customer(db, '=HYPERLINK("x")', ("+12125550123",))
    db.commit()
    log_in(client, "sam")
    resp = client.get("/customers/export.csv")
    rows = list(csv.reader(io.StringIO(text(resp))))
    assert resp.mimetype == "text/csv" and [r[1] for r in rows[1:]] == ["Grace Hopper", '\'=HYPERLINK("x")']


def test_the_export_of_a_search_holds_its_matches_and_is_audited(client, db, office):
    gen_customer(db, "Ada Lovelace", ("+442079460958",))
    db.commit()
    log_in(client, "sam")
    rows = list(csv.reader(io.StringIO(text(client.get("/customers/export.csv", query_string={"q": "navy"})))))
    assert [r[1] for r in rows[1:]] == ["Grace Hopper"]
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "customer.export")).one()
    assert entry.details == {"query": "navy"}


def test_the_customers_page_links_import_and_export_of_the_search(client, office):
    log_in(client, "sam")
    page = text(client.get("/customers", query_string={"q": "navy"}))
    assert 'href="/customers/import"' in page and 'href="/customers/export.csv?q=navy"' in page


def test_a_file_larger_than_a_form_uploads_with_the_csrf_token(app, db, office):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get("/login"))).group(1)
    client.post("/login", data={"username": "sam", "password": "correct-horse-battery", "csrf_token": token})
    big = csv_text(("name", "notes"), [(f"Customer {i}", "x" * 200) for i in range(10_000)])  # ~2 MB
    resp = client.post(
        "/customers/import",
        data={"file": (io.BytesIO(big.encode()), "big.csv"), "on_duplicate": "update", "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    assert db.scalars(select(CustomerImport.filename)).one() == "big.csv"
