"""Sign-in links for "my requests": mailed to the address, good once, for half an hour.

Asking for a link answers the same whether or not the address has requests with us, so the form
tells nobody who our customers are; a link is only mailed when there is something to show. The
page a link opens asks to continue before it is used, so a mail scanner that opens links does
not spend it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from email.utils import make_msgid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.errors import DomainError, Kind
from contactcenter.mail.models import Mailbox, MailMessage
from contactcenter.mail.outbound import queue_message
from contactcenter.portal.models import PortalLink
from contactcenter.portal.requests import tickets_of

LINK_LIFETIME = timedelta(minutes=30)
MAX_OPEN_LINKS = 3  # unused, unexpired links per address: more requests mail nothing new


class PortalLinkError(DomainError, LookupError):
    kind: Kind = "not_found"
    code = "portal_link_invalid"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/help/link/{token}"


def request_link(session: Session, email: str, *, base_url: str) -> MailMessage | None:
    """Mail a sign-in link to `email` if it has requests with us; None when nothing was mailed."""
    if not tickets_of(session, email):
        return None
    now = clock.now()
    open_links = session.scalar(
        select(func.count(PortalLink.id)).where(
            PortalLink.email == email, PortalLink.used_at.is_(None), PortalLink.expires_at > now
        )
    )
    if (open_links or 0) >= MAX_OPEN_LINKS:
        return None
    mailbox = session.scalars(select(Mailbox).order_by(Mailbox.id).limit(1)).first()
    if mailbox is None:
        return None
    token = secrets.token_urlsafe(32)
    session.add(PortalLink(email=email, token_hash=_hash(token), created_at=now, expires_at=now + LINK_LIFETIME))
    text = "\n".join(
        [
            "Hello,",
            "",
            "here is your link to see your requests with us and answer them:",
            "",
            link_url(base_url, token),
            "",
            "It works once, for the next 30 minutes. If you did not ask for it, ignore this mail.",
        ]
    )
    return queue_message(
        session,
        mailbox,
        email,
        "Your link to your requests",
        text,
        message_id=make_msgid(domain=mailbox.address.rsplit("@", 1)[-1]),
        note="portal sign-in link",
    )


def _live(session: Session, token: str) -> PortalLink:
    if not token or len(token) > 100:
        raise PortalLinkError("this link is not valid")
    link = session.scalar(select(PortalLink).where(PortalLink.token_hash == _hash(token)))
    if link is None:
        raise PortalLinkError("this link is not valid")
    if link.used_at is not None:
        raise PortalLinkError("this link was used already; ask for a new one")
    if link.expires_at <= clock.now():
        raise PortalLinkError("this link has expired; ask for a new one")
    return link


def check(session: Session, token: str) -> str:
    """The address a link is for, without using it (the page that asks to continue)."""
    return _live(session, token).email


def use(session: Session, token: str) -> str:
    """Spend the link; the address it signs in."""
    link = _live(session, token)
    link.used_at = clock.now()
    session.flush()
    return link.email
