"""The customer portal as a customer uses it: forms filled like a person, links from the mail."""

from __future__ import annotations

import re
import time
from typing import Any

from itsdangerous import TimestampSigner
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.mail.models import MailMessage

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
LINK = re.compile(r"/help/link/([A-Za-z0-9_-]+)")


class _Earlier(TimestampSigner):
    def __init__(self, secret: str, seconds_ago: int) -> None:
        super().__init__(secret, salt="portal-form")
        self.seconds_ago = seconds_ago

    def get_timestamp(self) -> int:
        return int(time.time()) - self.seconds_ago


def form_started(app: Any, seconds_ago: int = 30) -> str:
    """The signed start time of a request form shown `seconds_ago` (a person takes a while)."""
    return _Earlier(app.config["SECRET_KEY"], seconds_ago).sign(b"contact").decode()


def request_form(app: Any, **fields: Any) -> dict[str, Any]:
    form = {
        "name": "Ann Lee",
        "email": "ann@example.org",
        "subject": "Parcel never came",
        "message": "Order 1187 was due on Monday.",
        "started": form_started(app),
        "website": "",
    }
    form.update(fields)
    return form


def mailed_link(session: Session, to: str) -> str:
    """The token of the last sign-in link mailed to `to`."""
    session.expire_all()
    for message in session.scalars(select(MailMessage).order_by(MailMessage.id.desc())):
        if to in (message.to_addresses or []) and message.note == "portal sign-in link":
            found = LINK.search(message.body_text)
            assert found is not None
            return found.group(1)
    raise AssertionError(f"no sign-in link was mailed to {to}")
