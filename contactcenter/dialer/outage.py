"""Campaign calls while the SQL store is unreachable: the safe-harbor message, and the record later.

A person who answers a campaign call must hear an agent within 2 s or the recorded safe-harbor
message (who called, a number to call back). With the store away no agent can be connected in
time and the campaign cannot be read, so each running campaign's message is kept in Redis by the
pacer (rebuilt every few seconds from the store) and the webhook plays it from there. What
happened is kept in the webhook outbox and written when the store returns: the person answered,
heard the message and was not connected, so the call counts as abandoned in the campaign's rate.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import redis
from redis.typing import EncodableT, FieldT

from contactcenter.telephony.interfaces import Hangup, Instruction, Say

log = logging.getLogger("contactcenter.dialer.outage")
SAFE_HARBOR_KEY = "dialer:safe-harbor"  # campaign id -> the message its abandoned calls hear
# Without the campaign's own message (Redis away too, or a campaign never loaded): an apology
# that at least does not leave the person in silence. Logged as an error: it names no seller.
UNKNOWN_CAMPAIGN_MESSAGE = "We are sorry, we cannot connect your call right now. We will try again later. Goodbye."


def remember(client: redis.Redis, campaigns: Iterable[Any]) -> None:
    """Keep the running campaigns' safe-harbor messages where a webhook finds them without SQL."""
    from contactcenter.dialer.campaigns import campaign_safe_harbor_text

    messages: dict[FieldT, EncodableT] = {str(c.id): campaign_safe_harbor_text(c) for c in campaigns}
    if messages:
        client.hset(SAFE_HARBOR_KEY, mapping=messages)


def safe_harbor_while_store_away(client: redis.Redis, campaign_id: int | None) -> list[Instruction]:
    """What an answered campaign call hears when nobody can be connected and the store is away."""
    text = None
    if campaign_id is not None:
        try:
            raw = client.hget(SAFE_HARBOR_KEY, str(campaign_id))
            text = raw.decode() if isinstance(raw, bytes) else raw
        except redis.exceptions.RedisError:
            text = None
    if not text:
        log.error("no safe-harbor message known for campaign %s while the store is away", campaign_id)
        text = UNKNOWN_CAMPAIGN_MESSAGE
    return [Say(text), Hangup()]
