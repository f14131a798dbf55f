"""Uploads larger than a form (lead lists, do-not-call files) get through the app-wide CSRF check:
the page's own body limit is raised before that check reads the form."""

from __future__ import annotations

import io
import re

import pytest

from contactcenter.accounts.models import Role
from tests.support.dialer import gen_campaign
from tests.support.factories import PASSWORD, gen_agent

BIG_ROWS = 40_000  # about 1.5 MB: past the 1 MB form limit, inside the upload limits


@pytest.fixture
def signed_in(app, db):  # type: ignore[no-untyped-def]
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    campaign = gen_campaign(db, "Spring", start=False)
    db.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": "sam", "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client, token, campaign


def _csv() -> bytes:
    return ("phone,name\n" + "".join(f"+1202555{i % 10000:04d},Lead number {i}\n" for i in range(BIG_ROWS))).encode()


def test_a_lead_list_larger_than_a_form_uploads(signed_in):  # type: ignore[no-untyped-def]
    client, token, campaign = signed_in
    body = _csv()
    assert len(body) > 1_000_000
    resp = client.post(
        f"/admin/dialer/{campaign.id}/leads",
        data={"file": (io.BytesIO(body), "leads.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert resp.status_code not in (400, 413), resp.status_code


def test_a_do_not_call_file_larger_than_a_form_uploads(signed_in):  # type: ignore[no-untyped-def]
    client, token, _campaign = signed_in
    resp = client.post(
        "/admin/dnc/import",
        data={
            "list": "internal",
            "kind": "own",
            "reason": "",
            "file": (io.BytesIO(_csv()), "own.csv"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.status_code
