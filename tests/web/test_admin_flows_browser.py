"""The IVR flows page in headless Chromium: each flow drawn as an SVG by the vendored Mermaid."""

from __future__ import annotations

import pytest

from contactcenter.accounts.models import Role
from contactcenter.db import transaction
from tests.support.browser import log_in
from tests.support.factories import gen_agent, gen_queue

pytestmark = pytest.mark.browser

HOSTILE_FLOW = """flow: hostile
version: 1
start: hello
nodes:
  hello: {type: say, prompt: "<img src=x onerror=window.pwned=1> end]; click hello alert", next: agent}
  agent: {type: queue, queue: support}
"""


@pytest.fixture
def flows_page(committed_runtime, live_server, page, tmp_path):  # type: ignore[no-untyped-def]
    """Sam the supervisor on the IVR flows page, with the demo flow and a hostile one served."""
    from pathlib import Path

    rt = committed_runtime
    with transaction(rt.session_factory) as session:
        for name in ("support", "billing", "technical", "sales"):
            gen_queue(session, name)
        gen_agent(session, "sam", role=Role.SUPERVISOR)
    demo = Path(rt.settings.ivr_flows_dir) / "demo.yaml"
    (tmp_path / "demo.yaml").write_text(demo.read_text())
    (tmp_path / "hostile.yaml").write_text(HOSTILE_FLOW)
    rt.settings = rt.settings.with_overrides(ivr_flows_dir=str(tmp_path))
    assert all(r.accepted for r in rt.reload_flows())
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    log_in(page, live_server, "sam")
    page.goto(live_server + "/admin/flows")
    page.wait_for_function("document.body.dataset.flowsDrawn === 'yes'")
    return page, requests


def test_the_demo_flow_is_drawn_as_an_svg_with_its_node_names(flows_page, live_server):
    page, requests = flows_page
    svg = page.locator("#flow-acme-support figure.flow-graph svg")
    assert svg.count() == 1
    text = svg.text_content()
    for node in ("welcome_chime", "check_hours", "main_menu", "after_hours_notice", "leave_message", "goodbye"):
        assert node in text
    assert all(url.startswith(live_server) for url in requests), [u for u in requests if not u.startswith(live_server)]


def test_prompt_text_is_drawn_as_text_never_run(flows_page):
    page, _ = flows_page
    svg = page.locator("#flow-hostile figure.flow-graph svg")
    assert "onerror" in svg.text_content()
    assert page.evaluate("window.pwned") is None
    assert page.locator("#flow-hostile svg img").count() == 0
