"""The API token page in headless Chromium: an admin creates a token, sees it once, revokes it."""

from __future__ import annotations

import pytest

from contactcenter.accounts.models import Role
from contactcenter.db import transaction
from tests.support.browser import log_in
from tests.support.factories import gen_agent

pytestmark = pytest.mark.browser


@pytest.fixture
def people(committed_runtime):  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        gen_agent(session, "ann", role=Role.ADMIN, display_name="Ann Admin")
        gen_agent(session, "alice", display_name="Alice Agent")


def test_create_shows_the_token_once_then_revoke(people, live_server, page):
    log_in(page, live_server, "ann")
    page.wait_for_selector("header nav")
    page.click("header nav details.menu summary")
    page.click("header nav >> text=API tokens")
    page.wait_for_selector("form#token-form")
    page.fill("form#token-form input[name=name]", "CRM <sync>")
    page.select_option("form#token-form select[name=user_id]", label="alice (agent)")
    page.check("form#token-form input[name=read_only]")
    page.click("form#token-form button[type=submit]")

    secret = page.locator("#new-token-secret").inner_text()
    assert secret.startswith("cct_")
    row = page.locator("table#tokens tbody tr", has_text="CRM <sync>")
    assert "alice" in row.inner_text() and "read-only" in row.inner_text() and "never" in row.inner_text()
    api = page.request.get(live_server + "/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert api.status == 200 and api.json()["username"] == "alice"

    page.goto(live_server + "/admin/tokens")  # shown once: not on the page any more
    assert page.locator("#new-token-secret").count() == 0 and secret not in page.content()

    page.locator("table#tokens tbody tr", has_text="CRM <sync>").locator("button", has_text="Revoke").click()
    page.wait_for_selector(".flash.info")
    assert "revoked" in page.locator("table#tokens tbody tr", has_text="CRM <sync>").locator("td.state").inner_text()
    assert page.request.get(live_server + "/api/me", headers={"Authorization": f"Bearer {secret}"}).status == 401
