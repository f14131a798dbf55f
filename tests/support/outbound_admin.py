"""The campaign form as a supervisor fills it in: every field, as the page submits it."""

from __future__ import annotations

from typing import Any

HOSTILE = ("<script>alert(1)</script>", "' OR 1=1 --")


def campaign_form(name: str = "Spring renewals", **changes: Any) -> dict[str, Any]:
    """A valid submission of the campaign form; `changes` replace fields (None drops one)."""
    form: dict[str, Any] = {
        "name": name,
        "description": "Renewals before the winter",
        "dial_mode": "progressive",
        "rule_set": "US",
        "queue_id": "",
        "caller_id": "202-555-0100",
        "company_name": "Acme Energy",
        "callback_number": "800-555-0123",
        "safe_harbor_message": "",
        "window_start": "09:00",
        "window_end": "20:00",
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "holidays": "2026-12-25",
        "time_zone": "America/New_York",
        "allowed_regions": "",
        "abandon_cap": "3",
        "ring_timeout_s": "25",
        "max_dial_ratio": "3",
        "amd_enabled": "1",
        "amd_action": "hangup",
        "amd_message": "",
        "max_attempts": "3",
        "lead_order": "fifo",
        "retry_busy": "15",
        "retry_no-answer": "120",
        "retry_machine": "240",
        "retry_failed": "30",
        "retry_canceled": "30",
        "retry_abandoned": "60",
        "dispositions": "sale | Sale | final\ncallback | Call back later | retry 90\ndo_not_call | Do not call | dnc",
        "script": "Hello {name}, this is Acme Energy.",
    }
    for key, value in changes.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    return form
