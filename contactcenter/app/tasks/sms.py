"""RQ job that hands a ticket's text reply to the carrier, retried while the carrier is away.

The reply was stored before the job was queued; once the carrier has taken it (it has a
MessageSid) a retry does nothing, so a customer never gets the same text twice from a retry.
The carrier's status callbacks (web.sms_hooks) then carry it to "delivered" or "undelivered".
"""

from __future__ import annotations

import logging
from typing import cast

from contactcenter.app import runtime
from contactcenter.app.jobs import job
from contactcenter.db import transaction
from contactcenter.sms import outbound
from contactcenter.sms.models import SmsMessage
from contactcenter.telephony.messaging import Messaging

log = logging.getLogger("contactcenter.sms")

RETRY_INTERVALS = (10, 60, 300, 900)


def status_callback_url(base_url: str | None) -> str | None:
    """Where the carrier reports a text's progress (None: no public address to be told at)."""
    return f"{base_url.rstrip('/')}/hooks/sms/status" if base_url else None


@job("default", retries=len(RETRY_INTERVALS), retry_intervals=RETRY_INTERVALS)
def send_sms(message_id: int) -> bool:
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        message = session.get(SmsMessage, message_id, with_for_update=True)
        if message is None:
            return False
        try:
            carrier = cast(Messaging, rt.telephony)  # the Twilio adapter (or the simulator behind it)
            sent = outbound.send(session, message, carrier, status_callback_url(rt.settings.public_base_url))
        except outbound.TemporarySmsFailure:
            session.commit()  # keep the attempt and its error on the ticket, then let RQ retry
            raise
    if not sent:
        log.warning("text refused for good", extra={"sms_id": message_id})
    return sent
