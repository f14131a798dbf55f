"""The SVG charts: axes with labels, a legend, a <title> tooltip per bar and point, gaps for
missing values, thinned axis labels, and every text escaped."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from web.charts import Series, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))


def titles(markup: str) -> list[str]:
    return [el.text or "" for el in parse(markup).iter(f"{SVG}title")]


def test_bar_chart_has_a_tooltip_per_bar():
    chart = bar_chart(
        "c",
        "Calls",
        ["10:00", "10:15"],
        [Series("Offered", [4, 2]), Series("Answered", [3, 2])],
        x_label="Interval",
        y_label="Calls",
    )
    assert len(parse(chart).findall(f".//{SVG}rect")) == 4 + 2  # four bars, two legend swatches
    assert "Offered · 10:00: 4" in titles(chart) and "Answered · 10:15: 2" in titles(chart)


def test_chart_names_itself_for_screen_readers():
    chart = parse(bar_chart("calls", "Calls per hour", ["a"], [Series("x", [1])], x_label="Hour", y_label="Calls"))
    assert chart.get("role") == "img" and chart.get("aria-labelledby") == "calls-title calls-desc"
    assert chart.find(f"{SVG}title").text == "Calls per hour"


def test_axes_are_labelled():
    chart = bar_chart("c", "Calls", ["a"], [Series("x", [7])], x_label="Interval start", y_label="Calls")
    labels = [el.text for el in parse(chart).iter(f"{SVG}text") if "axis-label" in (el.get("class") or "")]
    assert labels == ["Interval start", "Calls"]


def test_y_axis_ends_on_a_round_number_above_the_largest_value():
    chart = bar_chart("c", "Calls", ["a"], [Series("x", [7])], x_label="X", y_label="Y")
    ticks = [el.text for el in parse(chart).iter(f"{SVG}text") if el.get("class") == "tick"]
    assert ticks == ["0", "2", "4", "6", "8", "10"]


def test_percent_axis_runs_to_100_percent():
    chart = line_chart("c", "SL", ["a", "b"], [Series("q", [0.8, 0.9])], x_label="X", y_label="SL", percent=True)
    ticks = [el.text for el in parse(chart).iter(f"{SVG}text") if el.get("class") == "tick"]
    assert ticks[-1] == "100%" and "q · b: 90.0%" in titles(chart)


def test_legend_names_every_series_and_the_reference_line():
    chart = bar_chart(
        "c", "Abandon", ["a"], [Series("Rate", [0.01])], x_label="X", y_label="Y", percent=True, reference=("Cap", 0.03)
    )
    legend = parse(chart).find(f".//{SVG}g[@class='legend']")
    assert [el.text for el in legend.iter(f"{SVG}text")] == ["Rate", "Cap"]
    assert "Cap: 3.0%" in titles(chart)


def test_line_breaks_where_a_value_is_missing():
    chart = line_chart(
        "c", "SL", list("abcde"), [Series("q", [0.5, 0.6, None, 0.7, 0.8])], x_label="X", y_label="Y", percent=True
    )
    assert len(parse(chart).findall(f".//{SVG}polyline")) == 2 and len(parse(chart).findall(f".//{SVG}circle")) == 4


def test_tooltips_name_the_category_in_full():
    chart = bar_chart(
        "c", "Calls", ["06-15"], [Series("Offered", [1])], x_label="Day", y_label="Calls", tooltips=["2026-06-15"]
    )
    assert "Offered · 2026-06-15: 1" in titles(chart)


def test_crowded_axis_shows_every_nth_label():
    categories = [f"06-15 {h:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45)]
    chart = bar_chart("c", "Calls", categories, [Series("x", [1] * len(categories))], x_label="X", y_label="Y")
    shown = [el.text for el in parse(chart).iter(f"{SVG}text") if el.get("class") == "tick x"]
    assert 4 <= len(shown) < 20 and shown[0] == "06-15 00:00"


def test_no_data_still_draws_the_axes():
    chart = bar_chart("c", "Calls", [], [Series("x", [])], x_label="X", y_label="Y")
    assert len(parse(chart).findall(f".//{SVG}line")) >= 2


def test_every_text_is_escaped():
    hostile = "<script>alert(1)</script>"
    chart = str(
        bar_chart(
            "c", hostile, [hostile], [Series(hostile, [1])], x_label=hostile, y_label=hostile, reference=(hostile, 1)
        )
    )
    assert "<script>" not in chart and "&lt;script&gt;" in chart
    assert re.search(r"<title>&lt;script&gt;alert\(1\)&lt;/script&gt; · ", chart)


def test_a_long_legend_wraps_and_the_chart_grows_to_hold_it():
    many = [Series(f"queue number {n}", [n]) for n in range(12)]
    short = parse(bar_chart("c", "Calls", ["a"], many[:1], x_label="X", y_label="Y"))
    tall = parse(bar_chart("c", "Calls", ["a"], many, x_label="X", y_label="Y"))
    rows = {el.get("y") for el in tall.find(f".//{SVG}g[@class='legend']").iter(f"{SVG}text")}
    assert len(rows) >= 2
    assert float(tall.get("viewBox").split()[3]) > float(short.get("viewBox").split()[3])


def test_a_zero_bar_is_a_sliver_on_the_axis():
    chart = parse(bar_chart("c", "Rate", ["a", "b"], [Series("x", [0, 1])], x_label="X", y_label="Y"))
    zero = next(r for r in chart.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None)
    assert float(zero.get("height")) == 2.0 and zero.find(f"{SVG}title").text == "x · a: 0"
