"""The outgoing mail server, over SMTP (smtplib): the production `MailTransport`.

Refusals are sorted the way SMTP means them: a 4xx reply, a dropped connection or an unreachable
server is temporary (the sending job retries with back-off); a 5xx reply is final and is shown on
the ticket for a person to act on (a mistyped address, a rejected message).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from contactcenter.mail.outbound import TemporaryFailure

SECURITY = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int = 587
    username: str = ""
    password: str = field(default="", repr=False)
    security: str = "starttls"
    timeout_s: float = 30.0

    def send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as client:
                if self.username:
                    client.login(self.username, self.password)
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items())
            if all(400 <= code < 500 for code in codes):
                raise TemporaryFailure(f"recipient deferred: {detail}") from exc
            raise smtplib.SMTPException(f"recipient refused: {detail}") from exc
        except smtplib.SMTPResponseException as exc:
            text = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                raise TemporaryFailure(f"mail server deferred: {text}") from exc
            raise smtplib.SMTPException(f"mail server refused: {text}") from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise TemporaryFailure(f"mail server unreachable: {exc}") from exc
        if refused:
            raise smtplib.SMTPException(f"some recipients refused: {', '.join(refused)}")

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=ssl.create_default_context())
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        if self.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client


def _text(raw: bytes | str) -> str:
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))[:300]
