"""Accessibility checks in Chromium: axe-core (vendored in web/static/vendor) run on the open page.

`assert_accessible(page)` fails with a readable list when axe finds a serious or critical
violation (missing labels, contrast too low, broken ARIA...); minor and moderate ones are left
to review. The script is read from the repository, never from a CDN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "web" / "static" / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_violations(page: Any, context: str = "body") -> list[dict[str, Any]]:
    """Every violation axe reports for `context` (a CSS selector) in the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        """async (context) => {
            const r = await window.axe.run(document.querySelector(context), { resultTypes: ["violations"] });
            return { violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })) })) };
        }""",
        context,
    )
    return list(result["violations"])


def assert_accessible(page: Any, context: str = "body") -> None:
    """No serious or critical axe violation in `context`."""
    blocking = [v for v in axe_violations(page, context) if v["impact"] in BLOCKING]
    if blocking:
        lines = []
        for v in blocking:
            lines.append(f"{v['impact']}: {v['id']} — {v['help']}")
            lines.extend(f"    {n['target']}: {n['summary']}" for n in v["nodes"][:5])
        raise AssertionError("accessibility violations:\n" + "\n".join(lines))
