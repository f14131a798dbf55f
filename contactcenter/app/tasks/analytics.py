"""Analytics jobs: recompute every customer's RFM segment and lifetime value.

Queued by `contactcenter analytics recompute --queue` (and runnable on a schedule); the work is
one transaction, so a worker that dies part way leaves the previous figures in place, and running
it twice just recomputes the same figures.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from contactcenter.analytics import rfm, services
from contactcenter.app import runtime
from contactcenter.app.jobs import job
from contactcenter.config import Settings
from contactcenter.db import transaction

log = logging.getLogger("contactcenter.app.tasks.analytics")


def recompute_with_settings(session: Session, settings: Settings) -> services.RecomputeReport:
    """Recompute with the company's rules and its choice about the hand-set service tier."""
    rules = rfm.parse_rules(settings.analytics_segment_rules) if settings.analytics_segment_rules else rfm.DEFAULT_RULES
    setter = services.set_service_tiers if settings.analytics_sets_segment else None
    return services.recompute(session, rules=rules, set_segment=setter)


@job("low", retries=1, timeout=3600)
def recompute_customer_models() -> dict[str, Any]:
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        report = recompute_with_settings(session, rt.settings)
    log.info("analytics recompute: %s", report.as_dict())
    return report.as_dict()
