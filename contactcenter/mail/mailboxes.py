"""Setting up the addresses customers write to."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
IMAP_SECURITY = ("ssl", "starttls", "none")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class MailboxError(DomainError, ValueError):
    kind: Kind = "invalid"
    code = "mailbox_invalid"


@dataclass(frozen=True)
class ImapSource:
    """Where a mailbox's mail is collected by IMAP; the password is read from the environment
    variable `password_env` when fetching, never stored."""

    host: str
    username: str
    password_env: str
    port: int = 993
    security: str = "ssl"
    folder: str = "INBOX"

    def checked(self) -> ImapSource:
        if not _HOST.match(self.host or ""):
            raise MailboxError("the IMAP server must be a host name such as imap.example.com")
        if not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise MailboxError("the IMAP port must be between 1 and 65535")
        if self.security not in IMAP_SECURITY:
            raise MailboxError(f"IMAP security must be one of {', '.join(IMAP_SECURITY)}")
        if not self.username or len(self.username) > 254 or _CONTROL.search(self.username):
            raise MailboxError("give the IMAP user name (at most 254 characters, one line)")
        if not _ENV_NAME.match(self.password_env or ""):
            raise MailboxError("name the environment variable holding the IMAP password, e.g. SUPPORT_IMAP_PASSWORD")
        if not self.folder or len(self.folder) > 200 or _CONTROL.search(self.folder):
            raise MailboxError("the IMAP folder is 1 to 200 characters on one line")
        return self


def check_address(address: object) -> str:
    if not isinstance(address, str) or len(address.strip()) > 254 or not _ADDRESS.match(address.strip()):
        raise MailboxError("give an e-mail address such as support@example.com")
    return address.strip().lower()


def add_mailbox(
    session: Session,
    address: str,
    *,
    display_name: str = "",
    queue: str | None = None,
    signature: str = "",
    imap: ImapSource | None = None,
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
    if imap is not None:
        source = imap.checked()
        mailbox.imap_host, mailbox.imap_port, mailbox.imap_security = source.host, source.port, source.security
        mailbox.imap_username, mailbox.imap_password_env = source.username, source.password_env
        mailbox.imap_folder = source.folder
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


def fetched_by_imap(session: Session) -> list[Mailbox]:
    return list(session.scalars(select(Mailbox).where(Mailbox.imap_host != "").order_by(Mailbox.address)))
