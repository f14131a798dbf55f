"""Collecting mail by IMAP (imapclient) for mailboxes hosted elsewhere (Microsoft 365, Gmail, …).

Each run of `fetch_once` asks every IMAP mailbox for unseen messages, files each one through
`contactcenter.mail.inbound` in its own transaction and only then flags it \\Seen on the server: a
message is never marked read before it is safely filed. If the store is away the message stays
unseen and is collected next time; if we crash between the commit and the flag, the next run files
it again and the Message-ID check makes that a no-op. A message that can never be filed (not an
e-mail) is flagged \\Seen and \\Flagged so a person can look at it in the mail program.

`watch` keeps collecting: with IMAP IDLE where the server offers it (mail arrives within seconds),
otherwise by polling.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from imapclient import IMAPClient
from sqlalchemy.orm import Session, sessionmaker

from contactcenter.app.mail_receiver import file_message
from contactcenter.db import transaction
from contactcenter.mail.mailboxes import fetched_by_imap
from contactcenter.mail.models import Mailbox
from contactcenter.mail.parsing import MAX_MESSAGE_BYTES

log = logging.getLogger("contactcenter.mail")

BATCH = 50  # messages fetched per round trip


@dataclass(frozen=True)
class Source:
    address: str
    host: str
    port: int
    security: str
    username: str
    password_env: str
    folder: str

    @classmethod
    def of(cls, box: Mailbox) -> Source:
        return cls(
            box.address,
            box.imap_host,
            box.imap_port,
            box.imap_security,
            box.imap_username,
            box.imap_password_env,
            box.imap_folder,
        )


@dataclass
class FetchReport:
    filed: int = 0
    kept_for_later: int = 0
    refused: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # mailbox → why it could not be read


def sources(factory: sessionmaker[Session]) -> list[Source]:
    with transaction(factory) as session:
        return [Source.of(box) for box in fetched_by_imap(session)]


def connect(source: Source, environ: Mapping[str, str] | None = None, timeout_s: float = 30) -> IMAPClient:
    env = os.environ if environ is None else environ
    password = env.get(source.password_env)
    if not password:
        raise LookupError(f"the environment variable {source.password_env} (IMAP password) is not set")
    context = ssl.create_default_context()
    client = IMAPClient(
        source.host, port=source.port, ssl=source.security == "ssl", ssl_context=context, timeout=timeout_s
    )
    if source.security == "starttls":
        client.starttls(context)
    client.login(source.username, password)
    client.select_folder(source.folder)
    return client


def collect(factory: sessionmaker[Session], client: IMAPClient, source: Source, report: FetchReport) -> None:
    """File every unseen message of the selected folder."""
    uids = client.search(["UNSEEN"])
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        sizes = client.fetch(batch, ["RFC822.SIZE"])
        small = [uid for uid in batch if sizes.get(uid, {}).get(b"RFC822.SIZE", 0) <= MAX_MESSAGE_BYTES]
        for uid in batch:
            if uid not in small:
                log.warning("IMAP message %s in %s is too large to file", uid, source.address)
                client.add_flags([uid], [b"\\Seen", b"\\Flagged"])
                report.refused += 1
        for uid, data in client.fetch(small, ["BODY.PEEK[]"]).items():
            raw = data.get(b"BODY[]")
            outcome = file_message(factory, raw if isinstance(raw, bytes) else b"", [source.address])
            if outcome.code < 400:
                client.add_flags([uid], [b"\\Seen"])
                report.filed += 1
            elif outcome.code < 500:
                report.kept_for_later += 1  # unseen: collected on the next run
            else:
                client.add_flags([uid], [b"\\Seen", b"\\Flagged"])
                report.refused += 1


def fetch_once(factory: sessionmaker[Session], environ: Mapping[str, str] | None = None) -> FetchReport:
    report = FetchReport()
    for source in sources(factory):
        try:
            client = connect(source, environ)
        except Exception as exc:  # noqa: BLE001 - one mailbox's trouble must not stop the others
            log.warning("cannot read mailbox %s: %s", source.address, exc)
            report.errors[source.address] = str(exc)[:300]
            continue
        try:
            collect(factory, client, source, report)
        except Exception as exc:  # noqa: BLE001
            log.warning("reading mailbox %s failed: %s", source.address, exc)
            report.errors[source.address] = str(exc)[:300]
        finally:
            try:
                client.logout()
            except Exception:  # noqa: BLE001 - the connection is gone already
                pass
    return report


def watch(factory: sessionmaker[Session], *, interval_s: float, stop: threading.Event) -> None:
    """Collect until `stop` is set: IDLE on the first mailbox that offers it between polls, so new
    mail is filed within seconds; other mailboxes are polled every `interval_s`."""
    while not stop.is_set():
        report = fetch_once(factory)
        if report.filed or report.refused or report.errors:
            log.info("mail fetched: %s filed, %s refused, errors %s", report.filed, report.refused, report.errors)
        _wait_for_mail(factory, interval_s, stop)


def _wait_for_mail(factory: sessionmaker[Session], interval_s: float, stop: threading.Event) -> None:
    found = sources(factory)
    if len(found) != 1:
        stop.wait(interval_s)
        return
    try:
        client = connect(found[0])
        try:
            if b"IDLE" not in client.capabilities():
                stop.wait(interval_s)
                return
            client.idle()
            client.idle_check(timeout=min(interval_s, 29 * 60))  # returns early when mail arrives
            client.idle_done()
        finally:
            client.logout()
    except Exception:  # noqa: BLE001 - fall back to waiting; the next fetch reports the trouble
        stop.wait(interval_s)
