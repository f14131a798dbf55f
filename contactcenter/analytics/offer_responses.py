"""What customers said to the offers agents made on calls, and the acceptance rate.

An agent answers for their own call only: the response is filed against the call, its customer,
the product and the agent, with the version of the model that proposed the offer, so the rate
can be read per model. Clicking "accepted" after "offered" adds a row: the trail is the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.analytics.models import OFFER_RESPONSES, CustomerModelScore, OfferResponse, Product
from contactcenter.contacts.models import Interaction
from contactcenter.errors import DomainError, Kind


class OfferResponseError(DomainError):
    def __init__(self, code: str, message: str, kind: Kind) -> None:
        super().__init__(message, code=code, kind=kind)


def record(session: Session, *, call_sid: str, agent_id: int, product_id: int, response: str) -> OfferResponse:
    if response not in OFFER_RESPONSES:
        raise OfferResponseError("bad_response", f"response must be one of {', '.join(OFFER_RESPONSES)}", "invalid")
    call = session.scalar(select(Interaction).where(Interaction.call_sid == call_sid))
    if call is None:
        raise OfferResponseError("no_such_call", "no such call", "not_found")
    if call.agent_id != agent_id:
        raise OfferResponseError("not_your_call", "this call is not yours", "forbidden")
    if call.customer_id is None:
        raise OfferResponseError("no_customer", "this call has no customer to make an offer to", "unprocessable")
    product = session.get(Product, product_id)
    if product is None:
        raise OfferResponseError("no_such_product", "no such product", "not_found")
    if not product.offer_eligible:
        raise OfferResponseError("not_offerable", "this product may not be offered", "unprocessable")
    version = session.scalar(
        select(CustomerModelScore.model_version).where(
            CustomerModelScore.customer_id == call.customer_id, CustomerModelScore.model == "next_offer"
        )
    )
    row = OfferResponse(
        interaction_id=call.id,
        customer_id=call.customer_id,
        product_id=product.id,
        response=response,
        agent_id=agent_id,
        model_version=version,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def responses_for_call(session: Session, interaction_id: int) -> dict[int, str]:
    """Each product's latest response on a call."""
    rows = session.execute(
        select(OfferResponse.product_id, OfferResponse.response)
        .where(OfferResponse.interaction_id == interaction_id)
        .order_by(OfferResponse.id)
    )
    return {pid: response for pid, response in rows}


@dataclass
class Acceptance:
    offers: int  # distinct (call, product) pairs with any response
    accepted: int
    declined: int
    # The same per version of the model that proposed the offer ("" where none was stored), so
    # a new version's offers are judged by how customers take them, beside the offline figures.
    by_version: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return _rate(self.accepted, self.declined)

    def as_dict(self) -> dict[str, Any]:
        return {
            "offers": self.offers,
            "accepted": self.accepted,
            "declined": self.declined,
            "rate": self.rate,
            "by_version": {
                v: dict(c, rate=_rate(c.get("accepted", 0), c.get("declined", 0))) for v, c in self.by_version.items()
            },
        }


def _rate(accepted: int, declined: int) -> float | None:
    decided = accepted + declined
    return round(accepted / decided, 4) if decided else None


def acceptance(session: Session, since: datetime | None = None) -> Acceptance:
    """Acceptance among decided offers, each (call, product) counted once by its latest answer."""
    latest = select(func.max(OfferResponse.id).label("id")).group_by(
        OfferResponse.interaction_id, OfferResponse.product_id
    )
    if since is not None:
        latest = latest.where(OfferResponse.created_at >= since)
    sub = latest.subquery()
    rows = session.execute(
        select(OfferResponse.model_version, OfferResponse.response, func.count())
        .join(sub, sub.c.id == OfferResponse.id)
        .group_by(OfferResponse.model_version, OfferResponse.response)
    ).all()
    totals: dict[str, int] = {}
    by_version: dict[str, dict[str, int]] = {}
    for version, response, n in rows:
        totals[response] = totals.get(response, 0) + n
        counts = by_version.setdefault(version or "", {"offers": 0, "accepted": 0, "declined": 0})
        counts["offers"] += n
        if response in counts:
            counts[response] += n
    return Acceptance(
        offers=sum(totals.values()),
        accepted=totals.get("accepted", 0),
        declined=totals.get("declined", 0),
        by_version=by_version,
    )


def live_offers(session: Session, candidates: list[dict[str, Any]], limit: int = 3) -> list[dict[str, Any]]:
    """The stored candidates still in stock and eligible now, best first: one query by id."""
    ids = [int(c["product_id"]) for c in candidates if isinstance(c, dict) and "product_id" in c]
    if not ids:
        return []
    products = {
        p.id: p
        for p in session.scalars(
            select(Product).where(Product.id.in_(ids), Product.in_stock.is_(True), Product.offer_eligible.is_(True))
        )
    }
    return [
        {"product_id": pid, "sku": products[pid].sku, "name": products[pid].name} for pid in ids if pid in products
    ][:limit]
