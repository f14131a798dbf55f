"""The worker's wiring: SQL-backed lead claims and one dialer per running campaign.

Lives apart from the campaign rules so the pacer worker depends on the store only through
`SqlLeadSource` and `CampaignDialers`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from contactcenter import clock
from contactcenter.db import transaction
from contactcenter.dialer.campaigns import machine_detection, pacing_config, period_origin
from contactcenter.dialer.compliance import LedgerCounts
from contactcenter.dialer.dial_gate import claim_leads, claim_owned_callbacks
from contactcenter.dialer.dialing import CallUrls, CampaignDialer, Dialer, LeadClaim
from contactcenter.dialer.ledger_records import in_flight_calls, ledger_counts
from contactcenter.dialer.models import Campaign, CampaignStatus
from contactcenter.dialer.outcomes import mark_place_failed, mark_placed
from contactcenter.dialer.pacer import Pacer
from contactcenter.dialer.pacing_vocabulary import AgentPool, OnAnswered


class SqlLeadSource:
    """The `LeadSource` of the worker: each claim is its own short transaction."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def claim(self, campaign_id: int, count: int, now: float, agent_id: str | None = None) -> list[LeadClaim]:
        at = datetime.fromtimestamp(now, clock.UTC)
        with transaction(self.session_factory) as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                return []
            agent = int(agent_id) if agent_id is not None and str(agent_id).isdigit() else None
            return claim_leads(session, campaign, count, at, agent_id=agent)

    def claim_owned(
        self, campaign_id: int, agent_ids: Iterable[str], count: int, now: float
    ) -> list[tuple[str, LeadClaim]]:
        """Due callbacks of these free agents, one each (`claim_owned_callbacks`)."""
        owners = [int(a) for a in agent_ids if str(a).isdigit()]
        if not owners:
            return []
        at = datetime.fromtimestamp(now, clock.UTC)
        with transaction(self.session_factory) as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                return []
            return [(str(owner), claim) for owner, claim in claim_owned_callbacks(session, campaign, owners, count, at)]

    def dialed(self, claim: LeadClaim, call_id: str, now: float) -> None:
        with transaction(self.session_factory) as session:
            mark_placed(session, claim.attempt_id, call_id, datetime.fromtimestamp(now, clock.UTC))

    def failed(self, claim: LeadClaim, error: str, now: float) -> None:
        with transaction(self.session_factory) as session:
            mark_place_failed(session, claim.attempt_id, error, datetime.fromtimestamp(now, clock.UTC))


class CampaignDialers:
    """The dialers of the running campaigns, kept in step with the SQL store.

    A campaign's pacer survives while its settings stay the same; a new leader rebuilds each
    pacer from the records (period ledger, calls in flight) before its first decision.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        telephony: Dialer | Callable[[], Dialer],
        pool: AgentPool,
        *,
        urls: CallUrls | None = None,
        on_answered: OnAnswered | None = None,
        reload_s: float = 5.0,
        reconcile_s: float = 60.0,
        on_reload: Callable[[list[Campaign]], None] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.on_reload = on_reload
        self.telephony = telephony
        self.pool = pool
        self.urls = urls or CallUrls()
        self.on_answered = on_answered
        self.reload_s = reload_s
        self.reconcile_s = reconcile_s
        self._reconciled_at = -math.inf
        self.leads = SqlLeadSource(session_factory)
        self._dialers: dict[int, tuple[Any, CampaignDialer]] = {}
        self._loaded_at = -math.inf
        self._lock = threading.Lock()

    def __call__(self) -> dict[int, CampaignDialer]:
        now = clock.timestamp()
        with self._lock:
            if now - self._loaded_at >= self.reload_s:
                self._reload()
                self._loaded_at = now
            return {cid: dialer for cid, (_, dialer) in self._dialers.items()}

    def _reload(self) -> None:
        now = clock.timestamp()
        reconcile = now - self._reconciled_at >= self.reconcile_s
        if reconcile:
            self._reconciled_at = now
        with transaction(self.session_factory) as session:
            running = list(session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING.value)))
            fresh: dict[int, tuple[Any, CampaignDialer]] = {}
            for campaign in running:
                config = pacing_config(campaign)
                key = (config, period_origin(campaign), machine_detection(campaign), campaign.ring_timeout_s)
                known = self._dialers.get(campaign.id)
                if known is not None and known[0] == key:
                    fresh[campaign.id] = known
                    if reconcile:
                        _reconcile(known[1].pacer, ledger_counts(session, campaign))
                    continue
                pacer = Pacer(config, campaign_id=campaign.id, period_origin=key[1])
                pacer.restore(ledger_counts(session, campaign), in_flight_calls(session, campaign))
                dialer = CampaignDialer(
                    pacer,
                    self.leads,
                    self.telephony,
                    self.pool,
                    ring_timeout_s=campaign.ring_timeout_s,
                    machine_detection=key[2],
                    urls=self.urls,
                    on_answered=self.on_answered,
                )
                fresh[campaign.id] = (key, dialer)
            self._dialers = fresh
            if self.on_reload is not None:
                self.on_reload(running)


def _reconcile(pacer: Pacer, recorded: LedgerCounts) -> None:
    """Bring a long-lived pacer's ledger in line with the records, on the cautious side.

    Events may be lost (a full event list, a crash between write and publish) or not applied yet;
    the ledger then takes the smaller live count and the larger abandoned and machine counts of
    memory and records, so a disagreement can only make the pacer more careful.
    """
    current = pacer.ledger.counts
    if current.period != recorded.period:
        return
    pacer.ledger.restore(
        LedgerCounts(
            current.period,
            min(current.live_answered, recorded.live_answered),
            max(current.abandoned, recorded.abandoned),
            max(current.machine_verdicts, recorded.machine_verdicts),
        )
    )
