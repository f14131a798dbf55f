"""Do-not-call lists: the internal (company-wide) list and one per campaign.

Numbers are stored in E.164. The internal list applies to every campaign; a campaign's list only
to that campaign. Entries may expire (`expires_at`), e.g. a consumer's request honoured for a set
time; an expired entry no longer blocks. Every dial passes `check` at dial time (not only at
import): a number added while a lead waits is still never called.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.dialer.models import DncEntry
from contactcenter.phones import InvalidPhoneNumber, normalize

INTERNAL = "internal"
_CHUNK = 500


@dataclass(frozen=True)
class DncHit:
    phone: str
    list: str  # "internal" or "campaign"
    entry_id: int
    source: str
    reason: str

    @property
    def decision_reason(self) -> str:
        return "dnc_internal" if self.list == INTERNAL else "dnc_campaign"


def _e164(raw: str, default_region: str) -> str:
    return normalize(raw, default_region)


def _active(at: datetime):  # type: ignore[no-untyped-def]
    return or_(DncEntry.expires_at.is_(None), DncEntry.expires_at > at)


def add(
    session: Session,
    phone: str,
    *,
    campaign_id: int | None = None,
    source: str = "manual",
    reason: str = "",
    added_by_id: int | None = None,
    expires_at: datetime | None = None,
    default_region: str = "US",
) -> DncEntry:
    """Put a number on the internal list (campaign_id None) or a campaign's; idempotent.

    Adding a number that is already listed keeps the entry and lifts any expiry (a new request
    never shortens an old one).
    """
    e164 = _e164(phone, default_region)
    query = select(DncEntry).where(DncEntry.phone == e164)
    query = query.where(DncEntry.campaign_id.is_(None) if campaign_id is None else DncEntry.campaign_id == campaign_id)
    entry = session.scalars(query.limit(1)).first()
    if entry is not None:
        if entry.expires_at is not None and (expires_at is None or expires_at > entry.expires_at):
            entry.expires_at = expires_at
        return entry
    entry = DncEntry(
        phone=e164,
        campaign_id=campaign_id,
        source=source[:32],
        reason=(reason or "")[:255],
        added_by_id=added_by_id,
        created_at=clock.now(),
        expires_at=expires_at,
    )
    session.add(entry)
    session.flush()
    return entry


def remove(session: Session, phone: str, *, campaign_id: int | None = None, default_region: str = "US") -> bool:
    e164 = _e164(phone, default_region)
    query = select(DncEntry).where(DncEntry.phone == e164)
    query = query.where(DncEntry.campaign_id.is_(None) if campaign_id is None else DncEntry.campaign_id == campaign_id)
    entries = list(session.scalars(query))
    for entry in entries:
        session.delete(entry)
    session.flush()
    return bool(entries)


def check_many(
    session: Session, phones: Iterable[str], campaign_id: int | None, at: datetime | None = None
) -> dict[str, DncHit]:
    """Hits among E.164 `phones` on the internal list or campaign `campaign_id`'s (internal wins)."""
    at = at or clock.now()
    wanted = sorted(set(phones))
    hits: dict[str, DncHit] = {}
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i : i + _CHUNK]
        scope: ColumnElement[bool] = DncEntry.campaign_id.is_(None)
        if campaign_id is not None:
            scope = or_(scope, DncEntry.campaign_id == campaign_id)
        rows = session.scalars(select(DncEntry).where(DncEntry.phone.in_(chunk), scope, _active(at)))
        for entry in rows:
            hit = DncHit(
                entry.phone, INTERNAL if entry.campaign_id is None else "campaign", entry.id, entry.source, entry.reason
            )
            if entry.phone not in hits or hit.list == INTERNAL:
                hits[entry.phone] = hit
    return hits


def check(session: Session, phone: str, campaign_id: int | None, at: datetime | None = None) -> DncHit | None:
    """The entry that forbids calling `phone` (E.164) for this campaign now, if any."""
    return check_many(session, [phone], campaign_id, at).get(phone)


def import_numbers(
    session: Session,
    numbers: Iterable[str],
    *,
    campaign_id: int | None = None,
    source: str = "import",
    reason: str = "",
    default_region: str = "US",
) -> tuple[int, list[tuple[str, str]]]:
    """Add many numbers; returns (added or already listed, [(raw, why not)] for bad numbers)."""
    count, bad = 0, []
    for raw in numbers:
        try:
            add(session, raw, campaign_id=campaign_id, source=source, reason=reason, default_region=default_region)
            count += 1
        except InvalidPhoneNumber as exc:
            bad.append((raw, str(exc)))
    return count, bad
