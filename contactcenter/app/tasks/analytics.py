"""Analytics jobs: recompute every customer's RFM segment, lifetime value, churn risk and offers.

Queued by `contactcenter analytics recompute --queue` (and runnable on a schedule); the work is
one transaction, so a worker that dies part way leaves the previous figures in place, and running
it twice just recomputes the same figures.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.analytics import features, rfm, risk_and_offers, services
from contactcenter.analytics.churn import WINDOW_WEEKS
from contactcenter.app import runtime
from contactcenter.app.analytics_contacts import ticket_events
from contactcenter.app.jobs import job
from contactcenter.config import Settings
from contactcenter.db import transaction

log = logging.getLogger("contactcenter.app.tasks.analytics")


def recompute_with_settings(session: Session, settings: Settings) -> services.RecomputeReport:
    """Recompute with the company's rules and its choice about the hand-set service tier."""
    rules = rfm.parse_rules(settings.analytics_segment_rules) if settings.analytics_segment_rules else rfm.DEFAULT_RULES
    setter = services.set_service_tiers if settings.analytics_sets_segment else None
    now = clock.now()
    orders = services.order_rows(session, until=now)  # read once for every model
    report = services.recompute(session, as_of=now, rules=rules, set_segment=setter, orders=orders)
    since = now - timedelta(weeks=2 * WINDOW_WEEKS, days=features.RECENT_DAYS)
    risk = risk_and_offers.recompute(
        session, as_of=now, ticket_events=ticket_events(session, since, now), orders=orders
    )
    report.churn_scored, report.churn_error = risk.churn_scored, risk.churn_error
    report.offers_scored, report.offers_error = risk.offers_scored, risk.offers_error
    report.seconds = round(report.seconds + risk.seconds, 3)
    return report


@job("low", retries=1, timeout=3600)
def recompute_customer_models() -> dict[str, Any]:
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        report = recompute_with_settings(session, rt.settings)
    log.info("analytics recompute: %s", report.as_dict())
    return report.as_dict()
