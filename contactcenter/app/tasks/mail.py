"""RQ job that sends a ticket's e-mail reply, retried with back-off while the server defers it.

The reply was stored with its Message-ID before the job was queued, so every attempt sends the
same message; its status and the last error are on the message, which the ticket shows. When the
retries run out (or the server refuses for good) the message stays "failed" with the reason, and
an agent can send it again from the ticket.
"""

from __future__ import annotations

import logging

from contactcenter.app import runtime
from contactcenter.app.jobs import job
from contactcenter.app.services import mail_transport
from contactcenter.db import transaction
from contactcenter.mail import outbound
from contactcenter.mail.models import MailMessage

log = logging.getLogger("contactcenter.mail")

# About 2 h of tries in all: a mail server being restarted or a greylisting peer lets it through.
RETRY_INTERVALS = (30, 120, 600, 1800, 3600)


@job("default", retries=len(RETRY_INTERVALS), retry_intervals=RETRY_INTERVALS)
def send_mail(mail_id: int) -> bool:
    rt = runtime.current()
    transport = mail_transport(rt.settings)
    with transaction(rt.session_factory) as session:
        message = session.get(MailMessage, mail_id, with_for_update=True)
        if message is None:
            return False
        if transport is None:
            message.status = "failed"
            message.note = "no outgoing mail server is set up (SMTP_HOST)"
            return False
        try:
            sent = outbound.send(session, message, transport)
        except outbound.TemporaryFailure:
            session.commit()  # keep the attempt and its error on the ticket, then let RQ retry
            raise
    if not sent:
        log.warning("e-mail refused for good", extra={"mail_id": mail_id})
    return sent
