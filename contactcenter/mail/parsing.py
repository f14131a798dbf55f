"""Reading an e-mail as received: the parts a ticket needs, and whether anyone should answer it.

Standard `email` package with the modern policy (it decodes charsets and encoded words); the new
text of a reply is what `email_reply_parser` keeps once quoted history and signatures are cut;
HTML is kept only as `nh3` sanitised it (no scripts, styles, event handlers or remote content).
Attachments are kept within limits and only of types an agent's browser opens safely.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import html
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, MIMEPart
from email.utils import getaddresses, parseaddr

import nh3
from email_reply_parser import EmailReplyParser

from contactcenter.errors import DomainError, Kind

MAX_MESSAGE_BYTES = 25 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 20
MAX_TEXT = 100_000
# What is kept as an attachment; anything else (executables, HTML, archives) is named on the
# ticket but not stored.
ALLOWED_TYPES = {
    "application/pdf",
    "text/plain",
    "text/csv",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/msword",
    "application/vnd.ms-excel",
}
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_SYSTEM_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)@", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,900}>")


class MailError(DomainError, ValueError):
    """The message cannot be read at all (nothing is filed)."""

    kind: Kind = "invalid"
    code = "mail_unreadable"


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str
    in_reply_to: str | None
    references: list[str]
    from_address: str
    from_name: str
    to_addresses: list[str]
    subject: str
    full_text: str
    new_text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)
    # Attachments left out, each with why ("virus.exe: not a type we keep").
    refused: list[str] = field(default_factory=list)
    # Why nobody should answer it (an auto-reply, a bounce, list mail); None for a person's mail.
    automatic: str | None = None


def parse(raw: bytes) -> ParsedMail:
    if not isinstance(raw, bytes | bytearray) or not raw.strip():
        raise MailError("the message is empty")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MailError(f"the message is larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB")
    try:
        message = email.message_from_bytes(bytes(raw), policy=email.policy.default)
    except Exception as exc:  # noqa: BLE001 - the parser is lenient; anything it raises means unreadable
        raise MailError("the message could not be read") from exc
    assert isinstance(message, EmailMessage)
    from_name, from_address = parseaddr(_header(message, "From"))
    from_address = from_address.strip().lower()
    if "@" not in from_address or len(from_address) > 254:
        raise MailError("the message has no usable sender (From)")
    full_text, html_part = _bodies(message)
    attachments, refused = _attachments(message)
    return ParsedMail(
        message_id=_message_id(message, raw),
        in_reply_to=_first_id(_header(message, "In-Reply-To")),
        references=_MESSAGE_ID.findall(_header(message, "References"))[-50:],
        from_address=from_address,
        from_name=from_name.strip()[:200],
        to_addresses=[a.lower() for _, a in getaddresses([_header(message, "To"), _header(message, "Cc")]) if "@" in a][
            :50
        ],
        subject=" ".join(_header(message, "Subject").split())[:998],
        full_text=full_text[:MAX_TEXT],
        new_text=_new_text(full_text)[:MAX_TEXT],
        html=html_part,
        attachments=attachments,
        refused=refused,
        automatic=_automatic(message, from_address),
    )


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a malformed header reads as absent
        return ""
    return str(value) if value is not None else ""


def _message_id(message: EmailMessage, raw: bytes) -> str:
    found = _first_id(_header(message, "Message-ID"))
    if found:
        return found
    # No Message-ID (some scripts send none): one derived from the content, so a redelivery of
    # the same bytes is still recognised as the same message.
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>"


def _first_id(value: str) -> str | None:
    match = _MESSAGE_ID.search(value)
    return match.group(0) if match else None


def _bodies(message: EmailMessage) -> tuple[str, str]:
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    html_text = _content(html_part) if html_part is not None else ""
    safe_html = nh3.clean(html_text) if html_text else ""
    if text_part is not None:
        text = _content(text_part)
    elif html_text:
        # Only HTML: its text, tags dropped (block ends become line breaks first).
        spaced = re.sub(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", "\n", html_text)
        text = html.unescape(nh3.clean(spaced, tags=set()))
    else:
        text = ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip(), safe_html


def _content(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):  # an unknown charset or broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _new_text(full_text: str) -> str:
    try:
        reply = EmailReplyParser.parse_reply(full_text)
    except Exception:  # noqa: BLE001 - the library's regexes are best effort
        reply = ""
    return (reply or full_text).strip()


def _attachments(message: EmailMessage) -> tuple[list[Attachment], list[str]]:
    kept: list[Attachment] = []
    refused: list[str] = []
    for part in message.iter_attachments():
        filename = _safe_filename(part.get_filename() or "attachment")
        content_type = part.get_content_type().lower()
        if content_type not in ALLOWED_TYPES:
            refused.append(f"{filename}: not a type we keep ({content_type})")
            continue
        if len(kept) >= MAX_ATTACHMENTS:
            refused.append(f"{filename}: more than {MAX_ATTACHMENTS} attachments")
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            refused.append(f"{filename}: unreadable")
            continue
        if len(data) > MAX_ATTACHMENT_BYTES:
            refused.append(f"{filename}: larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
            continue
        kept.append(Attachment(filename, content_type, data))
    return kept, refused


def _safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:255] or "attachment"


def _automatic(message: EmailMessage, from_address: str) -> str | None:
    """Why this mail must not open a ticket or be answered (RFC 3834, RFC 3464 and common
    practice), or None."""
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted[:40]}"
    if message.get_content_type() == "multipart/report":
        return "a delivery or read report"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond"):
        value = _header(message, name).strip().lower()
        if value:
            return f"{name}: {value[:40]}"
    if _header(message, "List-Id") or _header(message, "List-Unsubscribe"):
        return "mailing-list mail"
    if _SYSTEM_SENDERS.match(from_address):
        return f"sent by {from_address.split('@', 1)[0]}"
    if _header(message, "Return-Path").strip() == "<>":
        return "a bounce (empty return path)"
    return None
