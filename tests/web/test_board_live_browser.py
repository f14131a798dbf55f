"""The board and the wallboard in headless Chromium, live over the app's sockets: sorting and
filtering the agent grid, tiles coloured by the queue's thresholds (with an icon and a word),
an alert acknowledged by one supervisor stops flashing on every board, and the wallboard follows
a caller who starts waiting. Screenshots at 1400×900 and 1024×768 go to $SCREENSHOT_DIR."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService
from contactcenter.audit.models import AuditEntry
from contactcenter.db import transaction
from tests.support.board_floor import team_with, thresholds_on
from tests.support.browser import log_in
from tests.support.factories import gen_agent, gen_queue

pytestmark = pytest.mark.browser
SIZES = ((1400, 900), (1024, 768))


@pytest.fixture
def floor(committed_runtime, live_server):  # type: ignore[no-untyped-def]
    rt = committed_runtime
    with transaction(rt.session_factory) as session:
        support = gen_queue(session, "support", display_name="Support")
        billing = gen_queue(session, "billing", display_name="Billing")
        people = {
            "alice": gen_agent(session, "alice", skills={"support": 5}, display_name="Alice"),
            "bob": gen_agent(session, "bob", skills={"billing": 5}, display_name="Bob"),
            "carol": gen_agent(session, "carol", skills={"support": 5}, display_name="Carol"),
        }
        gen_agent(session, "sam", role=Role.SUPERVISOR, display_name="Sam")
        gen_agent(session, "sue", role=Role.SUPERVISOR, display_name="Sue")
        gen_agent(session, "ada", role=Role.ADMIN, display_name="Ada")
        session.flush()
        for name, queue in (("alice", support), ("bob", billing), ("carol", support)):
            session.add(QueueMembership(queue_id=queue.id, user_id=people[name].id))
        team_with(session, "Red", people["alice"], people["bob"])
        team_with(session, "Blue", people["carol"])
        thresholds_on(session, support, waiting=(1, 2))
        ids = {name: user.id for name, user in people.items()}
    with transaction(rt.session_factory) as session:
        acd = AcdService(session, rt.acd)
        acd.sync_configuration()
        acd.set_state(ids["bob"], "break", "lunch")
        acd.set_state(ids["carol"], "break", "training")
    rt.acd_configured = True
    return live_server, ids


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


def _open(browser, base: str, path: str, who: str = "sam", size=(1400, 900)):  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    page.set_default_timeout(15_000)
    log_in(page, base, who)
    page.goto(base + path)
    if not path.endswith("/settings"):
        page.wait_for_function("document.getElementById('connection').textContent === 'live'")
    return page


def _names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all("#agents tbody td.name", "cells => cells.map(c => c.textContent)")


def _rows_ready(page, n: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        f"document.querySelectorAll('#agents tbody tr').length === {n}"
        " && [...document.querySelectorAll('#agents td.team')].some(c => c.textContent === 'Red')"
    )


def test_clicking_a_header_sorts_the_grid_and_says_so(floor, browser):
    base, _ids = floor
    page = _open(browser, base, "/board")
    _rows_ready(page, 3)
    assert _names(page) == ["Alice", "Bob", "Carol"]
    page.click("#agents th[data-sort=name] button")
    assert _names(page) == ["Carol", "Bob", "Alice"]
    assert page.get_attribute("#agents th[data-sort=name]", "aria-sort") == "descending"
    page.click("#agents th[data-sort=team] button")
    assert _names(page)[0] == "Carol"  # Blue before Red
    assert page.get_attribute("#agents th[data-sort=team]", "aria-sort") == "ascending"
    assert page.get_attribute("#agents th[data-sort=name]", "aria-sort") == "none"
    page.context.close()


def test_the_grid_filters_by_team_and_by_queue(floor, browser):
    base, _ids = floor
    page = _open(browser, base, "/board")
    _rows_ready(page, 3)
    page.select_option("#filter-team", "Red")
    assert _names(page) == ["Alice", "Bob"]
    page.select_option("#filter-queue", "support")
    assert _names(page) == ["Alice"]
    assert page.text_content("#agent-count") == "1 of 3 agents shown"
    page.select_option("#filter-team", "")
    assert _names(page) == ["Alice", "Carol"]
    page.context.close()


def test_states_read_as_words(floor, browser):
    base, _ids = floor
    page = _open(browser, base, "/board")
    _rows_ready(page, 3)
    states = page.eval_on_selector_all("#agents tbody td.state", "cells => cells.map(c => c.textContent)")
    assert "On break (lunch)" in states and "Logged out" in states
    assert not any("_" in s for s in states)
    page.context.close()


def test_a_tile_turns_warning_then_critical_as_callers_wait(floor, browser, committed_runtime):
    base, _ids = floor
    page = _open(browser, base, "/board")
    tile = '[data-queue="support"]'
    page.wait_for_selector(f"{tile}[data-level=ok]")
    committed_runtime.acd.enqueue("CA" + "1" * 32, "support")
    page.wait_for_selector(f"{tile}[data-level=warn]")
    assert "Warning" in page.text_content(f"{tile} .badge")  # a word, not colour alone
    committed_runtime.acd.enqueue("CA" + "2" * 32, "support")
    page.wait_for_selector(f"{tile}[data-level=critical]")
    assert "Critical" in page.text_content(f"{tile} .badge")
    assert "Critical" in page.text_content(f"{tile} [data-level=critical]")
    page.wait_for_selector("#alerts .alert.flashing[data-key='support:waiting.critical']")
    for size in SIZES:
        page.set_viewport_size({"width": size[0], "height": size[1]})
        _shot(page, "board-critical")
    page.context.close()


def test_an_acknowledged_alert_stops_flashing_on_every_board(floor, browser, committed_runtime):
    base, _ids = floor
    mine = _open(browser, base, "/board", "sam")
    theirs = _open(browser, base, "/board", "sue", size=(1024, 768))
    committed_runtime.acd.enqueue("CA" + "3" * 32, "support")
    alert = "#alerts .alert[data-key='support:waiting.warn']"
    for page in (mine, theirs):
        page.wait_for_selector(f"{alert}.flashing")
    mine.click(f"{alert} button.ack")
    for page in (mine, theirs):
        page.wait_for_selector(f"{alert}.acknowledged")
        assert "Acknowledged by Sam" in page.text_content(alert)
        assert page.query_selector(f"{alert}.flashing") is None
    _shot(theirs, "board-acknowledged")
    with committed_runtime.session_factory() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "board.alert_acknowledged"))
        assert entry is not None and entry.actor_name == "sam" and entry.object_id == "support:waiting.warn"
    mine.context.close()
    theirs.context.close()


def test_the_wallboard_follows_a_caller_who_starts_waiting(floor, browser, committed_runtime):
    base, _ids = floor
    wall = _open(browser, base, "/board/wall")
    waiting = '[data-queue="support"] [data-field="waiting"]'
    wall.wait_for_function(
        f"document.querySelector('{waiting}') && document.querySelector('{waiting}').textContent === '0'"
    )
    committed_runtime.acd.enqueue("CA" + "4" * 32, "support")
    wall.wait_for_function(f"document.querySelector('{waiting}').textContent === '1'")
    wall.wait_for_selector('[data-queue="support"][data-level=warn]')
    assert wall.query_selector("button.ack, select, .set-state") is None  # no controls on the wall
    assert wall.url.endswith("/board/wall")
    for size in SIZES:
        wall.set_viewport_size({"width": size[0], "height": size[1]})
        _shot(wall, "wallboard")
    wall.context.close()


def test_an_admin_sets_thresholds_and_sees_the_tile_follow(floor, browser):
    base, _ids = floor
    page = _open(browser, base, "/board/settings", "ada")
    form = "form.thresholds[data-queue=billing]"
    page.fill(f"{form} input[name=service_level_warn]", "80")
    page.fill(f"{form} input[name=service_level_critical]", "60")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("text=Thresholds saved.")
    assert page.input_value(f"{form} input[name=service_level_warn]") == "80"
    for size in SIZES:
        page.set_viewport_size({"width": size[0], "height": size[1]})
        _shot(page, "board-settings")
    page.fill(f"{form} input[name=waiting_warn]", "<b>9</b>")
    page.fill(f"{form} input[name=waiting_critical]", "3")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("#form-error")
    assert "must be a number" in page.text_content("#form-error")
    page.context.close()
