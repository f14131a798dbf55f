"""/admin/orders: admins upload order files (report by line, nothing half-imported), queue a
recompute; the customer page and the screen pop show the stored figures."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from contactcenter.accounts.models import Role
from contactcenter.analytics import services
from contactcenter.analytics.models import Order
from contactcenter.calls import screen_pop
from contactcenter.contacts.models import Interaction
from tests.support.analytics import gen_shop
from tests.support.customers import csv_text
from tests.support.factories import call_sid, gen_agent, gen_customer
from tests.support.web_client import log_in

HEADER = ("order_id", "customer_id", "ordered_at", "amount", "currency")


@pytest.fixture
def admin(db, client):  # type: ignore[no-untyped-def]
    gen_agent(db, "ada", role=Role.ADMIN)
    gen_agent(db, "alice")
    db.commit()
    log_in(client, "ada")
    return client


def _upload(client, content: str | bytes, filename: str = "orders.csv"):  # type: ignore[no-untyped-def]
    data = content.encode() if isinstance(content, str) else content
    return client.post("/admin/orders", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def test_a_clean_file_is_imported_and_its_report_shown(admin, db):
    grace = gen_customer(db)
    db.commit()
    resp = _upload(admin, csv_text(HEADER, [("A-1", grace.id, "2026-03-01", "10", "USD")]))
    assert resp.status_code == 302 and re.search(r"/admin/orders/imports/\d+$", resp.headers["Location"])
    page = admin.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Imported 1 orders from 1 rows" in page


def test_a_file_with_problems_imports_nothing_and_lists_them_escaped(admin, db):
    grace = gen_customer(db)
    db.commit()
    rows = [("A-1", grace.id, "2026-03-01", "10", "USD"), ("<script>x</script>", grace.id, "2026-03-01", "-1", "USD")]
    resp = _upload(admin, csv_text(HEADER, rows))
    page = admin.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Nothing was imported" in page and "the amount is negative" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert db.scalar(select(func.count()).select_from(Order)) == 0


def test_a_file_that_is_not_csv_is_refused_on_the_page(admin):
    resp = _upload(admin, b"\xff\xfe\x00binary")
    assert resp.status_code == 400 and "not UTF-8" in resp.get_data(as_text=True)


def test_an_upload_without_a_file_is_refused(admin):
    resp = admin.post("/admin/orders", data={}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "Choose a CSV file" in resp.get_data(as_text=True)


def test_agents_cannot_open_the_orders_page(client, db):
    gen_agent(db, "alice")
    db.commit()
    log_in(client, "alice")
    assert client.get("/admin/orders").status_code == 403


def test_the_customer_page_shows_value_tier_and_segment(admin, db):
    ids = gen_shop(db, customers=60)
    services.recompute(db)
    db.commit()
    page = admin.get(f"/customers/{ids[0]}").get_data(as_text=True)
    assert 'id="customer-value"' in page and "Value:" in page and "Segment:" in page


def test_the_screen_pop_carries_the_stored_figures(db):
    ids = gen_shop(db, customers=60)
    services.recompute(db)
    call = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550100",
        to_number="+18005550100",
        customer_id=ids[0],
    )
    db.add(call)
    db.flush()
    pop = screen_pop.build(db, call.call_sid)
    figures = pop["customer"]["analytics"]
    assert figures["value_tier"] and 0 <= figures["p_alive"] <= 1 and figures["segment"]


def test_the_recompute_button_queues_the_job_that_stores_the_figures(admin, db):
    from contactcenter.analytics.models import CustomerModelScore
    from contactcenter.app.tasks.analytics import recompute_customer_models

    ids = gen_shop(db, customers=60)
    db.commit()
    resp = admin.post("/admin/orders/recompute")
    assert resp.status_code == 302
    result = recompute_customer_models()  # what the worker does with the queued job
    assert result["rfm_scored"] == len(ids) and result["clv_error"] is None
    # RFM and lifetime value for everyone; churn risk for those still active; offers for buyers.
    stored = db.scalar(select(func.count()).select_from(CustomerModelScore))
    assert stored == 2 * len(ids) + result["churn_scored"] + result["offers_scored"]
