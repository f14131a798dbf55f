"""Setting up the addresses customers write to."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.acd.models import Queue
from contactcenter.errors import DomainError, Kind
from contactcenter.mail.models import Mailbox

# A practical address check (local@domain.tld, no spaces or angle brackets): the mail server is
# the final judge, this keeps typing mistakes and header injection out.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$")
MAX_SIGNATURE = 2000
MAX_NAME = 120


class MailboxError(DomainError, ValueError):
    kind: Kind = "invalid"
    code = "mailbox_invalid"


def check_address(address: object) -> str:
    if not isinstance(address, str) or len(address.strip()) > 254 or not _ADDRESS.match(address.strip()):
        raise MailboxError("give an e-mail address such as support@example.com")
    return address.strip().lower()


def add_mailbox(
    session: Session, address: str, *, display_name: str = "", queue: str | None = None, signature: str = ""
) -> Mailbox:
    address = check_address(address)
    if session.scalar(select(Mailbox.id).where(Mailbox.address == address)) is not None:
        raise MailboxError(f"{address} is already a mailbox")
    name_ok = isinstance(display_name, str) and len(display_name.strip()) <= MAX_NAME
    if not name_ok or any(c in display_name for c in "\r\n<>"):
        raise MailboxError(f"the sender name is at most {MAX_NAME} characters on one line")
    if not isinstance(signature, str) or len(signature) > MAX_SIGNATURE:
        raise MailboxError(f"the signature is at most {MAX_SIGNATURE} characters")
    queue_id = None
    if queue:
        queue_id = session.scalar(select(Queue.id).where(Queue.name == queue))
        if queue_id is None:
            raise MailboxError(f"there is no queue {queue!r}")
    mailbox = Mailbox(
        address=address, display_name=display_name.strip(), queue_id=queue_id, signature=signature.strip()
    )
    session.add(mailbox)
    session.flush()
    return mailbox


def remove_mailbox(session: Session, address: str) -> bool:
    mailbox = session.scalar(select(Mailbox).where(Mailbox.address == address.strip().lower()))
    if mailbox is None:
        return False
    session.delete(mailbox)
    session.flush()
    return True


def mailboxes(session: Session) -> list[Mailbox]:
    return list(session.scalars(select(Mailbox).order_by(Mailbox.address)))
