"""The SLA editor forms as a browser posts them, for the web tests of the SLA pages."""

from __future__ import annotations

from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OFFICE = {day: "09:00-17:00" for day in WEEKDAYS[:5]}
HOSTILE = ("<script>alert(1)</script>", "' OR 1=1 --")


def calendar_form(
    name: str = "NY office", time_zone: str = "America/New_York", holidays: str = "", **hours: str
) -> dict[str, str]:
    """A calendar's inputs: Monday to Friday 09:00-17:00 unless `hours` says otherwise per day."""
    form = {"name": name, "time_zone": time_zone, "holidays": holidays, "action": "save"}
    for day in WEEKDAYS:
        form[f"hours_{day}"] = hours.get(day, OFFICE.get(day, ""))
    return form


def policy_form(name: str = "Standard", **overrides: Any) -> dict[str, Any]:
    """A policy's inputs: 4 h first response and 24 h resolution for any priority, calendar hours."""
    form: dict[str, Any] = {
        "name": name,
        "position": "100",
        "active": "1",
        "calendar_id": "",
        "target_first_response_any": "4h",
        "target_resolution_any": "24h",
        "warn_before": "30m",
        "on_breach_assignee_id": "",
        "on_breach_queue_id": "",
        "action": "save",
    }
    form.update(overrides)
    return form
