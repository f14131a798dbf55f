"""Quality management in headless Chromium, end to end: an admin builds a scorecard form; a
supervisor opens a recorded call, plays its recording and scores it beside the player; the agent
sees the score and its comments and acknowledges it; the report shows the agent. Each new page
passes the axe check and is photographed at both screen sizes."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcenter.db import transaction
from tests.support.accessibility import assert_accessible
from tests.support.browser import log_in, screenshots
from tests.support.quality import make_quality_floor

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "quality"


@pytest.fixture
def recorded_call(committed_runtime):  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        floor = make_quality_floor(session, with_form=False)
        return floor.call.id


def _as(browser, live_server, username):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, username)
    return context, page


def _build_form(page, live_server):  # type: ignore[no-untyped-def]
    page.goto(live_server + "/quality/forms/new")
    page.fill("input[name=name]", "Support <b>calls</b>")
    rows = [
        ("Opening", "Greeted the caller by name", "10", "yes_no", "", False),
        ("Compliance", "Verified the caller's identity", "20", "yes_no", "", True),
        ("Soft skills", "Showed empathy", "30", "scale", "5", False),
    ]
    for n, (section, text, weight, kind, scale, auto_fail) in enumerate(rows):
        page.fill(f"input[name=q{n}_section]", section)
        page.fill(f"input[name=q{n}_text]", text)
        page.fill(f"input[name=q{n}_weight]", weight)
        page.select_option(f"select[name=q{n}_type]", kind)
        if scale:
            page.fill(f"input[name=q{n}_scale]", scale)
        if auto_fail:
            page.check(f"input[name=q{n}_auto_fail]")
    page.fill("input[name=q3_text]", "A question weighing nothing")
    page.fill("input[name=q3_weight]", "0")
    page.click("#form-builder button[type=submit]")
    page.wait_for_selector("#builder-error")
    assert "The weight is a whole number from 1 to 100." in page.inner_text("#question-rows tr[data-row='3']")
    assert_accessible(page)
    screenshots(page, SHOTS, "form-builder-error")
    page.fill("input[name=q3_text]", "")
    page.fill("input[name=q3_weight]", "")
    page.click("#form-builder button[type=submit]")
    page.wait_for_selector("text=Form saved (version 1).")
    assert_accessible(page)
    screenshots(page, SHOTS, "form-builder")
    page.goto(live_server + "/quality/forms")
    assert "Support <b>calls</b>" in page.inner_text("#scorecard-forms")
    assert_accessible(page)
    screenshots(page, SHOTS, "forms")


def test_a_call_is_scored_while_listening_and_the_agent_and_report_see_it(
    committed_runtime, recorded_call, live_server, page, browser
):
    log_in(page, live_server, "ann")
    _build_form(page, live_server)

    context, sam = _as(browser, live_server, "sam")
    try:
        sam.goto(f"{live_server}/calls/{recorded_call}")
        sam.click("a.evaluate-link")
        sam.wait_for_selector("#scorecard")
        assert sam.inner_text("#eval-agent") == "Alice Agent"
        sam.wait_for_function("document.querySelector('audio.recording-player').readyState >= 1")
        assert sam.evaluate("document.querySelector('audio.recording-player').duration") == pytest.approx(6, abs=0.5)
        sam.evaluate("() => { const a = document.querySelector('audio.recording-player'); a.muted = true; a.play(); }")
        sam.wait_for_function("document.querySelector('audio.recording-player').currentTime > 0.3")
        questions = sam.locator("fieldset.question")
        assert questions.count() == 3
        questions.nth(0).locator("input[value=yes]").check()
        questions.nth(1).locator("input[value=yes]").check()
        questions.nth(2).locator("input[value='3']").check()
        questions.nth(2).locator("textarea").fill("Could have apologised for the wait")
        sam.fill("textarea[name=comment]", "A good call overall")
        assert_accessible(sam)
        screenshots(sam, SHOTS, "evaluate")
        sam.click("#submit-evaluation")
        sam.wait_for_selector(".evaluation-score .score")
        assert sam.inner_text(".evaluation-score .score") == "80 %"
        assert_accessible(sam)
    finally:
        context.close()

    context, alice = _as(browser, live_server, "alice")
    try:
        alice.goto(live_server + "/quality/mine")
        row = alice.inner_text("#my-evaluations tbody tr")
        assert "80 %" in row and "Sam Supervisor" in row and "Support <b>calls</b>" in row
        assert "Could have apologised for the wait" in alice.inner_text("article.evaluation")
        assert_accessible(alice)
        screenshots(alice, SHOTS, "mine")
        alice.click("article.evaluation button[value=acknowledge]")
        alice.wait_for_selector(".agent-answer[data-status=acknowledged]")
    finally:
        context.close()

    context, sam = _as(browser, live_server, "sam")
    try:
        sam.goto(live_server + "/quality/report")
        assert "Alice Agent" in sam.inner_text("#quality-agents")
        assert "80.0 %" in sam.inner_text("#quality-agents")
        assert sam.locator("#quality-agents-chart circle").count() == 1
        assert sam.inner_text("#total-evaluations") == "1"
        assert_accessible(sam)
        screenshots(sam, SHOTS, "report")
    finally:
        context.close()
