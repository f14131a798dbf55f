"""Charts as inline SVG, drawn on the server: grouped bars and lines over categories, with
labelled axes, a legend and a <title> on every bar and point (the browser shows it as a tooltip,
screen readers read it). No script and no chart library, so the reports render the same in every
browser, print, and need nothing from a CDN.

Every text that reaches the markup goes through `escape`; the pages put an accessible table of the
same figures beside each chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563")
WIDTH, HEIGHT = 760, 290
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 40, 56
CHAR_PX = 7.0  # average width of a character of the 12px labels, to space them out


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value:.1%}"
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.1f}"


def _nice_max(value: float, percent: bool) -> float:
    """A round top for the y axis at or above `value` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    if percent and value <= 1:
        return 1.0 if value > 0.5 else math.ceil(value * 10) / 10
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _ticks(top: float, count: int = 5) -> list[float]:
    return [top * i / count for i in range(count + 1)]


def _label_step(categories: Sequence[str], plot_w: float) -> int:
    """Show every n-th category label so the labels do not overlap."""
    if not categories:
        return 1
    widest = max(len(c) for c in categories) * CHAR_PX + 12
    per = plot_w / len(categories)
    return max(1, math.ceil(widest / per))


LEGEND_ROW = 18


def _legend_layout(
    entries: Sequence[tuple[str, str, bool]],
) -> list[tuple[tuple[str, str, bool], float, int]]:
    """Each legend entry with its x and row: entries go left to right and wrap before the edge."""
    out = []
    x, row = float(LEFT), 0
    for entry in entries:
        width = 18 + len(entry[0]) * CHAR_PX + 18
        if x > LEFT and x + width > WIDTH - RIGHT:
            x, row = float(LEFT), row + 1
        out.append((entry, x, row))
        x += width
    return out


class _Canvas:
    def __init__(
        self,
        title: str,
        categories: Sequence[str],
        top_value: float,
        percent: bool,
        legend: Sequence[tuple[str, str, bool]],
    ) -> None:
        self.parts: list[str] = []
        self.legend_items = _legend_layout(legend)
        rows = max((row for _, _, row in self.legend_items), default=0) + 1
        # A legend of several rows makes the chart taller rather than the plot shorter.
        self.top_px = TOP + LEGEND_ROW * (rows - 1)
        self.height = HEIGHT + LEGEND_ROW * (rows - 1)
        self.categories = list(categories)
        self.percent = percent
        self.top = _nice_max(top_value, percent)
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = HEIGHT - TOP - BOTTOM
        self.title = title

    def y(self, value: float) -> float:
        return self.top_px + self.plot_h - (value / self.top) * self.plot_h

    def slot(self) -> float:
        return self.plot_w / max(1, len(self.categories))

    def x_center(self, index: int) -> float:
        return LEFT + self.slot() * (index + 0.5)

    def axes(self, x_label: str, y_label: str) -> None:
        fmt = (lambda v: f"{v:.0%}") if self.percent else (lambda v: _fmt(v, False))
        for tick in _ticks(self.top):
            y = self.y(tick)
            self.parts.append(
                f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e5e7eb"/>'
                f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(tick))}</text>'
            )
        base = self.top_px + self.plot_h
        self.parts.append(
            f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#6b7280"/>'
            f'<line class="axis" x1="{LEFT}" y1="{self.top_px}" x2="{LEFT}" y2="{base}" stroke="#6b7280"/>'
        )
        step = _label_step(self.categories, self.plot_w)
        for i, category in enumerate(self.categories):
            if i % step:
                continue
            self.parts.append(
                f'<text class="tick x" x="{self.x_center(i):.1f}" y="{base + 16}" text-anchor="middle">'
                f"{escape(category)}</text>"
            )
        self.parts.append(
            f'<text class="axis-label x" x="{LEFT + self.plot_w / 2:.1f}" y="{self.height - 8}" text-anchor="middle">'
            f"{escape(x_label)}</text>"
            f'<text class="axis-label y" x="14" y="{self.top_px + self.plot_h / 2:.1f}" text-anchor="middle" '
            f'transform="rotate(-90 14 {self.top_px + self.plot_h / 2:.1f})">{escape(y_label)}</text>'
        )

    def legend(self) -> None:
        """Swatches and names above the plot, in rows from the left."""
        items = []
        for (name, colour, dashed), x, row in self.legend_items:
            y = 14 + LEGEND_ROW * row
            mark = (
                f'<line x1="{x:.1f}" y1="{y}" x2="{x + 14:.1f}" y2="{y}" stroke="{colour}" stroke-width="2" '
                'stroke-dasharray="4 3"/>'
                if dashed
                else f'<rect x="{x:.1f}" y="{y - 6}" width="12" height="12" rx="2" fill="{colour}"/>'
            )
            items.append(f'<g class="legend-item">{mark}<text x="{x + 18:.1f}" y="{y + 4}">{escape(name)}</text></g>')
        self.parts.append(f'<g class="legend">{"".join(items)}</g>')

    def reference(self, name: str, value: float) -> None:
        y = self.y(min(value, self.top))
        self.parts.append(
            f'<line class="reference" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#111827" '
            f'stroke-width="1.5" stroke-dasharray="6 4"><title>{escape(name)}: {escape(_fmt(value, self.percent))}'
            "</title></line>"
        )

    def render(self, chart_id: str, summary: str) -> Markup:
        return Markup(
            f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {self.height}" role="img" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
            'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{escape(chart_id)}-title">{escape(self.title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(summary)}</desc>' + "".join(self.parts) + "</svg>"
        )


def _top(series: Sequence[Series], reference: float | None) -> float:
    values = [v for s in series for v in s.values if v is not None]
    if reference is not None:
        values.append(reference)
    return max(values, default=0.0)


def _legend(series: Sequence[Series], reference: tuple[str, float] | None) -> list[tuple[str, str, bool]]:
    """(name, colour, dashed) per series, and the reference line last."""
    entries = [(s.name, PALETTE[i % len(PALETTE)], False) for i, s in enumerate(series)]
    if reference is not None:
        entries.append((reference[0], "#111827", True))
    return entries


def _tip(series: Series, category: str, value: float, percent: bool) -> str:
    return str(escape(f"{series.name} · {category}: {_fmt(value, percent)}"))


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    percent: bool = False,
    reference: tuple[str, float] | None = None,
    tooltips: Sequence[str] | None = None,
) -> Markup:
    """Grouped bars: one group per category, one bar per series. `tooltips` (one per category)
    names the category in full where the axis shows it shortened."""
    canvas = _Canvas(
        title, categories, _top(series, reference[1] if reference else None), percent, _legend(series, reference)
    )
    canvas.axes(x_label, y_label)
    slot = canvas.slot()
    width = min(56.0, max(1.0, slot * 0.8 / max(1, len(series))))
    inset = (slot - width * len(series)) / 2
    for s_index, s in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        bars = []
        for i, value in enumerate(s.values):
            if value is None:
                continue
            x = LEFT + slot * i + inset + width * s_index
            y = canvas.y(value)
            # A zero gets a sliver on the axis, so it can be seen and hovered rather than missing.
            height = max(2.0, canvas.top_px + canvas.plot_h - y)
            y = min(y, canvas.top_px + canvas.plot_h - height)
            name = tooltips[i] if tooltips else categories[i]
            bars.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{colour}">'
                f"<title>{_tip(s, name, value, percent)}</title></rect>"
            )
        canvas.parts.append(f'<g class="series" data-series="{escape(s.name)}">{"".join(bars)}</g>')
    if reference is not None:
        canvas.reference(*reference)
    canvas.legend()
    return canvas.render(chart_id, f"{title}: bars per {x_label.lower()}, one colour per series as the legend says")


def line_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    percent: bool = False,
    reference: tuple[str, float] | None = None,
    tooltips: Sequence[str] | None = None,
) -> Markup:
    """One line per series over the categories; a missing value breaks the line."""
    canvas = _Canvas(
        title, categories, _top(series, reference[1] if reference else None), percent, _legend(series, reference)
    )
    canvas.axes(x_label, y_label)
    for s_index, s in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        runs: list[list[str]] = [[]]
        points = []
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x, y = canvas.x_center(i), canvas.y(value)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            name = tooltips[i] if tooltips else categories[i]
            points.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{_tip(s, name, value, percent)}</title></circle>"
            )
        lines = "".join(
            f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2"/>'
            for run in runs
            if len(run) > 1
        )
        canvas.parts.append(f'<g class="series" data-series="{escape(s.name)}">{lines}{"".join(points)}</g>')
    if reference is not None:
        canvas.reference(*reference)
    canvas.legend()
    return canvas.render(chart_id, f"{title}: one line per series as the legend says, over {x_label.lower()}")
