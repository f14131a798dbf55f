"""`contactcenter mail …`: e-mail into tickets from a shell.

contactcenter mail mailbox add support@example.com [--name "Acme Support"] [--queue support] [--signature …]
    [--imap-host imap.example.com --imap-user support@example.com --imap-password-env SUPPORT_IMAP_PASSWORD
     [--imap-port 993] [--imap-security ssl|starttls|none] [--imap-folder INBOX]]
contactcenter mail mailbox list [--json]
contactcenter mail mailbox remove support@example.com
contactcenter mail receive [--host 127.0.0.1] [--port 2525] [--lmtp]   # a listener the mail server delivers to
contactcenter mail deliver --to support@example.com [FILE]            # one message from a file or stdin
contactcenter mail fetch [--once] [--interval 60]                      # collect IMAP mailboxes' unseen mail

`deliver` exits with the codes mail servers' pipe transports understand (sysexits): 0 filed,
65 unreadable, 67 unknown mailbox, 75 try again later (the store is away).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from typing import Any

import click

from contactcenter.app.commands.outbound import _store, _Text


@click.group()
def mail() -> None:
    """E-mail into tickets: mailboxes, the receiving listener, one-message delivery."""


@mail.group()
def mailbox() -> None:
    """The addresses customers write to."""


@mailbox.command("add")
@click.argument("address", type=_Text(254))
@click.option("--name", "display_name", default="", type=_Text(120), help="the sender name on replies")
@click.option("--queue", default=None, type=_Text(64), help="new conversations go to this queue")
@click.option("--signature", default="", help="appended to replies sent from this mailbox")
@click.option("--imap-host", default="", type=_Text(255), help="collect this mailbox's mail from this IMAP server")
@click.option("--imap-port", default=None, type=click.IntRange(1, 65535), help="default 993 (ssl) or 143")
@click.option("--imap-security", default="ssl", type=click.Choice(["ssl", "starttls", "none"]), show_default=True)
@click.option("--imap-user", default="", type=_Text(254))
@click.option("--imap-password-env", default="", type=_Text(64), help="the environment variable with the password")
@click.option("--imap-folder", default="INBOX", type=_Text(200), show_default=True)
def mailbox_add(
    address: str,
    display_name: str,
    queue: str | None,
    signature: str,
    imap_host: str,
    imap_port: int | None,
    imap_security: str,
    imap_user: str,
    imap_password_env: str,
    imap_folder: str,
) -> None:
    from contactcenter.mail.mailboxes import ImapSource, MailboxError, add_mailbox

    imap = None
    if imap_host:
        port = imap_port or (993 if imap_security == "ssl" else 143)
        imap = ImapSource(imap_host, imap_user, imap_password_env, port, imap_security, imap_folder)
    try:
        with _store() as session:
            box = add_mailbox(session, address, display_name=display_name, queue=queue, signature=signature, imap=imap)
            click.echo(f"mailbox {box.address} added" + (f" (new conversations to queue {queue})" if queue else ""))
    except MailboxError as exc:
        raise click.BadParameter(str(exc)) from exc


@mailbox.command("list")
@click.option("--json", "as_json", is_flag=True)
def mailbox_list(as_json: bool) -> None:
    from contactcenter.acd.models import Queue
    from contactcenter.mail.mailboxes import mailboxes

    with _store() as session:
        rows: list[dict[str, Any]] = []
        for box in mailboxes(session):
            queue = session.get(Queue, box.queue_id) if box.queue_id else None
            rows.append(
                {
                    "address": box.address,
                    "name": box.display_name,
                    "queue": queue.name if queue else None,
                    "imap": f"{box.imap_username}@{box.imap_host}:{box.imap_port}/{box.imap_folder}"
                    if box.imap_host
                    else None,
                }
            )
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(f"{row['address']:40} {row['name'] or '-':24} {row['queue'] or '-':16} {row['imap'] or 'delivered'}")
    if not rows:
        click.echo("no mailboxes yet: contactcenter mail mailbox add support@example.com --queue support")


@mailbox.command("remove")
@click.argument("address", type=_Text(254))
def mailbox_remove(address: str) -> None:
    from contactcenter.mail.mailboxes import remove_mailbox

    with _store() as session:
        if not remove_mailbox(session, address):
            raise click.BadParameter(f"{address} is not a mailbox")
    click.echo(f"mailbox {address} removed")


@mail.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=2525, show_default=True, type=click.IntRange(1, 65535))
@click.option("--lmtp", is_flag=True, help="speak LMTP (for Postfix/Exim lmtp transports) instead of SMTP")
def receive(host: str, port: int, lmtp: bool) -> None:
    """Listen for mail from the organisation's mail server and file it into tickets."""
    from contactcenter.app import runtime
    from contactcenter.app.mail_receiver import MailListener

    listener = MailListener(runtime.current().session_factory, host=host, port=port, lmtp=lmtp)
    listener.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly, as on Ctrl-C
    click.echo(f"receiving {'LMTP' if lmtp else 'SMTP'} on {host}:{port}", nl=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        listener.stop()


@mail.command()
@click.option("--to", "recipients", multiple=True, required=True, type=_Text(254), help="the mailbox it was sent to")
@click.argument("source", type=click.File("rb"), default="-")
def deliver(recipients: tuple[str, ...], source: Any) -> None:
    """File one message (RFC 5322, as the mail server hands it over) into tickets."""
    from contactcenter.app import runtime
    from contactcenter.app.mail_receiver import file_message
    from contactcenter.mail.parsing import MAX_MESSAGE_BYTES

    raw = source.read(MAX_MESSAGE_BYTES + 1)
    if len(raw) > MAX_MESSAGE_BYTES:
        click.echo(f"refused: the message is larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB", err=True)
        sys.exit(65)
    outcome = file_message(runtime.current().session_factory, raw, list(recipients))
    click.echo(outcome.text, err=outcome.code >= 400)
    sys.exit(outcome.exit_status)


@mail.command()
@click.option("--once", is_flag=True, help="collect once and exit (for cron), instead of watching")
@click.option("--interval", default=60, show_default=True, type=click.IntRange(5, 3600), help="seconds between polls")
@click.option("--json", "as_json", is_flag=True)
def fetch(once: bool, interval: int, as_json: bool) -> None:
    """Collect unseen mail of the IMAP mailboxes into tickets (IDLE where the server offers it)."""
    import threading

    from contactcenter.app import runtime
    from contactcenter.app.mail_fetcher import fetch_once, watch

    factory = runtime.current().session_factory
    if once:
        report = fetch_once(factory)
        if as_json:
            click.echo(json.dumps(vars(report)))
        else:
            click.echo(f"{report.filed} filed, {report.kept_for_later} kept for later, {report.refused} refused")
            for address, why in report.errors.items():
                click.echo(f"{address}: {why}", err=True)
        sys.exit(1 if report.errors else 0)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"collecting mail every {interval} s (IDLE where offered)")
    try:
        watch(factory, interval_s=interval, stop=stop)
    except KeyboardInterrupt:
        pass
