"""Numbers and moments that several test folders must agree on."""

from __future__ import annotations

from datetime import UTC, datetime

# The center's published number: the carrier simulator routes it to the app's voice webhook.
CENTER_NUMBER = "+18005550100"
# A Monday, 10:00 in New York: inside the demo flow's business hours.
BUSINESS_HOURS = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
