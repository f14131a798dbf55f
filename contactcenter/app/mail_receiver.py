"""Receiving mail: an SMTP or LMTP listener (aiosmtpd) and a one-message pipe, both filing into
the ticket store through `contactcenter.mail.inbound`.

A mail server on the premises delivers to the listener (Postfix `lmtp:inet:host:port`, Exim's
lmtp transport) or pipes each message to `contactcenter mail deliver`. Nothing is lost on a bad
day: a message is acknowledged only after its transaction committed; while the store is away the
answer is a temporary failure (451, or exit 75 for the pipe), so the mail server keeps the message
and tries again. Unknown recipients are refused at RCPT (550) — the sending server bounces, we
never do — and unreadable or oversized messages are refused with a permanent error.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from sqlalchemy.orm import Session, sessionmaker

from contactcenter.db import transaction
from contactcenter.mail import inbound
from contactcenter.mail.parsing import MAX_MESSAGE_BYTES, MailError

log = logging.getLogger("contactcenter.mail")

# sysexits(3): what a mail server's pipe transport understands.
EX_OK, EX_DATAERR, EX_NOUSER, EX_TEMPFAIL = 0, 65, 67, 75


@dataclass
class Outcome:
    code: int  # an SMTP reply code
    text: str

    @property
    def exit_status(self) -> int:
        if self.code < 400:
            return EX_OK
        if self.code < 500:
            return EX_TEMPFAIL
        return EX_NOUSER if self.code == 550 else EX_DATAERR

    def reply(self) -> str:
        enhanced = {250: "2.0.0", 451: "4.3.0", 550: "5.1.1", 554: "5.6.0"}.get(self.code, "")
        return f"{self.code} {enhanced} {self.text}".replace("  ", " ")


def file_message(factory: sessionmaker[Session], raw: bytes, recipients: list[str]) -> Outcome:
    """Deliver one message; the outcome says how to answer the mail server."""
    try:
        with transaction(factory) as session:
            delivery = inbound.deliver(session, raw, recipients)
            where = (
                f"filed on ticket #{delivery.ticket.id}"
                if delivery.ticket is not None
                else f"kept, not filed ({delivery.message.note.removeprefix('not filed: ')})"
            )
    except inbound.UnknownMailbox as exc:
        return Outcome(550, str(exc))
    except MailError as exc:
        return Outcome(554, str(exc))
    except Exception:  # noqa: BLE001 - the store is away or broke: the mail server must try again
        log.exception("could not file a received e-mail; the mail server will retry")
        return Outcome(451, "cannot file the message now, try again later")
    log.info("e-mail received %s", where)
    return Outcome(250, where + (" (already received)" if delivery.duplicate else ""))


class MailHandler:
    """aiosmtpd handler: recipients checked at RCPT, messages filed at DATA (off the event loop)."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        try:
            known = await asyncio.get_running_loop().run_in_executor(None, self._is_mailbox, address)
        except Exception:  # noqa: BLE001 - the store is away: defer, do not bounce
            log.exception("could not look up a mailbox")
            return "451 4.3.0 cannot check the recipient now, try again later"
        if not known:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")
        outcome = await asyncio.get_running_loop().run_in_executor(
            None, file_message, self.factory, data, list(envelope.rcpt_tos)
        )
        if isinstance(server, LMTP):
            # LMTP answers once per recipient; the message is filed once for all of them.
            return "\r\n".join(outcome.reply() for _ in envelope.rcpt_tos)
        return outcome.reply()

    def _is_mailbox(self, address: str) -> bool:
        with transaction(self.factory) as session:
            return inbound.is_mailbox(session, address)


class MailListener(Controller):
    """The listener in a thread of its own (`start()` / `stop()`), speaking SMTP or LMTP."""

    def __init__(self, factory: sessionmaker[Session], *, host: str, port: int, lmtp: bool = False) -> None:
        self.lmtp = lmtp
        super().__init__(
            MailHandler(factory),
            hostname=host,
            port=port,
            data_size_limit=MAX_MESSAGE_BYTES,
            decode_data=False,
            server_hostname="contactcenter",
        )

    def factory(self) -> SMTP:
        server_class = LMTP if self.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)
