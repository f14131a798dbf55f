"""The staffing calculator page: the agents a forecast needs and the staffings around that answer,
with the figures `contactcenter erlang` prints; every input checked next to itself."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from contactcenter.app.commands.acd import erlang
from tests.support.factories import gen_staff
from tests.support.sla_forms import HOSTILE
from tests.support.web_client import logged_in

FORECAST = {"calls_per_hour": "200", "aht": "180", "sl_target": "80", "target_seconds": "20"}


@pytest.fixture
def supervisor(app, db):  # type: ignore[no-untyped-def]
    gen_staff(db)
    return logged_in(app, "sam")


def cli(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(erlang, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def rows(html: str) -> dict[int, list[str]]:
    """The table's cells by agent count."""
    found = re.findall(r'<tr data-agents="(\d+)"[^>]*>(.*?)</tr>', html, re.S)
    return {int(n): [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)] for n, body in found}


def error_of(html: str, key: str) -> str | None:
    found = re.search(rf'id="error-{re.escape(key)}"[^>]*>([^<]*)<', html)
    return found.group(1) if found else None


def test_the_empty_form_asks_for_a_forecast(supervisor):
    page = supervisor.get("/staffing").data.decode()
    assert 'id="staffing-form"' in page and 'id="staffing-table"' not in page and 'value="80"' in page


def test_the_answer_is_the_agents_the_command_prints(supervisor):
    page = supervisor.get("/staffing", query_string=FORECAST).data.decode()
    expected = cli("--calls-per-hour", "200", "--aht", "180", "--sl-target", "0.8", "--target-seconds", "20")
    assert re.search(r'id="agents-needed">(\d+)<', page).group(1) == str(expected["agents"])
    assert "contactcenter erlang --calls-per-hour 200 --aht 180 --sl-target 0.8 --target-seconds 20" in page


def test_the_table_around_the_answer_has_the_command_figures(supervisor):
    table = rows(supervisor.get("/staffing", query_string=FORECAST).data.decode())
    answer = cli("--calls-per-hour", "200", "--aht", "180", "--sl-target", "0.8", "--target-seconds", "20")["agents"]
    assert sorted(table) == list(range(answer - 3, answer + 5))
    for agents, cells in table.items():
        figures = cli("--calls-per-hour", "200", "--aht", "180", "--agents", str(agents), "--target-seconds", "20")
        assert cells[1] == f"{figures['service_level'] * 100:.2f}%"
        assert cells[3] == f"{figures['p_wait']:.4f}"
        assert cells[-1] == f"{figures['occupancy'] * 100:.1f}%"
        assert cells[2] == ("unstable" if figures["asa_seconds"] is None else f"{figures['asa_seconds']:.2f} s")


def test_with_a_patience_the_page_uses_erlang_a_and_shows_abandonment(supervisor):
    page = supervisor.get("/staffing", query_string={**FORECAST, "patience": "120"}).data.decode()
    expected = cli(
        "--calls-per-hour", "200", "--aht", "180", "--sl-target", "0.8", "--target-seconds", "20", "--patience", "120"
    )
    assert re.search(r'id="agents-needed">(\d+)<', page).group(1) == str(expected["agents"])
    assert "Abandon rate" in page
    assert rows(page)[expected["agents"]][4] == f"{expected['p_abandon'] * 100:.2f}%"


def test_each_bad_input_is_shown_next_to_it(supervisor):
    resp = supervisor.get(
        "/staffing", query_string={"calls_per_hour": "-5", "aht": "abc", "sl_target": "100", "target_seconds": ""}
    )
    page = resp.data.decode()
    assert resp.status_code == 400 and 'id="staffing-table"' not in page
    assert "above 0" in error_of(page, "calls_per_hour") and "a number" in error_of(page, "aht")
    assert "up to 99.99" in error_of(page, "sl_target") and "required" in error_of(page, "target_seconds")


def test_too_much_traffic_is_refused_clearly(supervisor):
    resp = supervisor.get("/staffing", query_string={**FORECAST, "calls_per_hour": "1000000"})
    assert resp.status_code == 400 and "erlangs" in error_of(resp.data.decode(), "calls_per_hour")


def test_an_oversized_input_is_refused_clearly(supervisor):
    resp = supervisor.get("/staffing", query_string={**FORECAST, "aht": "9" * 500})
    assert resp.status_code == 400 and "too long" in error_of(resp.data.decode(), "aht")


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_every_input_is_shown_escaped(supervisor, text):
    resp = supervisor.get("/staffing", query_string={name: text for name in (*FORECAST, "patience")})
    page = resp.data.decode()
    assert resp.status_code == 400 and "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page or "&#39; OR 1=1 --" in page
