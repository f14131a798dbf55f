"""Admins and supervisors see every IVR flow, drawn, and the files that were refused."""

from __future__ import annotations

import pytest

from contactcenter.accounts.models import Role
from factories import PASSWORD, gen_agent, gen_queue


@pytest.fixture
def staff(db, runtime, client):  # type: ignore[no-untyped-def]
    for name in ("support", "billing", "technical", "sales"):
        gen_queue(db, name)
    runtime.reload_flows()
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    gen_agent(db, "alice")
    return client


def _login(client, username):  # type: ignore[no-untyped-def]
    client.post("/login", data={"username": username, "password": PASSWORD})


def test_supervisor_sees_the_demo_flow_drawn(staff):
    _login(staff, "sam")
    page = staff.get("/admin/flows")
    assert page.status_code == 200
    assert b"acme-support" in page.data and b"answering inbound calls" in page.data
    svg = staff.get("/admin/flows/acme-support.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data and b"main_menu" in svg.data
    mermaid = staff.get("/admin/flows/acme-support.mmd")
    assert mermaid.data.startswith(b"flowchart TD")


def test_agents_cannot_open_admin_pages(staff):
    _login(staff, "alice")
    assert staff.get("/admin/flows").status_code == 403
    assert staff.get("/admin/flows/acme-support.svg").status_code == 403


@pytest.mark.parametrize("name", ["nope", "..%2F..%2Fetc%2Fpasswd", "<script>"])
def test_unknown_flow_is_404(staff, name):
    _login(staff, "sam")
    assert staff.get(f"/admin/flows/{name}.svg").status_code == 404


def test_refused_flow_is_listed_with_its_problems(staff, runtime, tmp_path):
    (tmp_path / "broken.yaml").write_text("flow: broken\nversion: 1\nstart: a\nnodes:\n  a: {type: say, prompt: hi, next: b}\n")
    runtime.settings = runtime.settings.with_overrides(ivr_flows_dir=str(tmp_path))
    runtime.reload_flows()
    _login(staff, "sam")
    page = staff.get("/admin/flows")
    assert b"Refused files" in page.data and b"broken.yaml" in page.data
