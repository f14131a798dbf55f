"""Collecting mail by IMAP from a real server (Dovecot)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from contactcenter.app.mail_fetcher import fetch_once
from contactcenter.app.runtime import Runtime
from contactcenter.db import transaction
from contactcenter.mail.mailboxes import ImapSource, MailboxError, add_mailbox
from contactcenter.tickets.models import Ticket, TicketComment
from tests.support.factories import gen_queue
from tests.support.imap_server import PASSWORD, ImapServer, imap_server
from tests.support.mail import gen_mail

USER = "support@example.com"
ENV = {"SUPPORT_IMAP_PASSWORD": PASSWORD}


@pytest.fixture(scope="module")
def server() -> Iterator[ImapServer]:
    with imap_server() as running:
        yield running


@pytest.fixture
def store(committed_runtime: Runtime, server: ImapServer) -> Runtime:
    # Each test reads a mailbox of its own (a fresh user), so the server needs no clean-up.
    import secrets

    user = f"support-{secrets.token_hex(4)}@example.com"
    with transaction(committed_runtime.session_factory) as session:
        gen_queue(session, "support")
        add_mailbox(
            session,
            user,
            queue="support",
            imap=ImapSource(server.host, user, "SUPPORT_IMAP_PASSWORD", server.port, "none"),
        )
    committed_runtime.user = user  # type: ignore[attr-defined]
    return committed_runtime


def _tickets(rt: Runtime) -> list[tuple[str, str]]:
    with transaction(rt.session_factory) as session:
        return [(t.subject, t.channel) for t in session.scalars(select(Ticket).order_by(Ticket.id))]


def test_unseen_mail_is_filed_and_then_marked_seen(store: Runtime, server: ImapServer) -> None:
    user = store.user  # type: ignore[attr-defined]
    server.append(user, gen_mail("Kettle", to=user))
    server.append(user, gen_mail("Toaster", to=user))
    report = fetch_once(store.session_factory, ENV)
    assert (report.filed, report.errors) == (2, {})
    assert _tickets(store) == [("Kettle", "email"), ("Toaster", "email")]
    assert all(b"\\Seen" in flags for flags in server.flags(user))


def test_a_second_run_files_only_new_mail(store: Runtime, server: ImapServer) -> None:
    user = store.user  # type: ignore[attr-defined]
    server.append(user, gen_mail("First", to=user, message_id="<first@example.org>"))
    fetch_once(store.session_factory, ENV)
    server.append(user, gen_mail("Re: First", "more", to=user, in_reply_to="<first@example.org>"))
    assert fetch_once(store.session_factory, ENV).filed == 1
    assert _tickets(store) == [("First", "email")]
    with transaction(store.session_factory) as session:
        assert len(list(session.scalars(select(TicketComment)))) == 2


def test_mail_already_read_in_the_mail_program_is_left_alone(store: Runtime, server: ImapServer) -> None:
    user = store.user  # type: ignore[attr-defined]
    server.append(user, gen_mail("Read already", to=user))
    client = server.client(user)
    client.select_folder("INBOX")
    client.add_flags(client.search(["ALL"]), [b"\\Seen"])
    client.logout()
    assert fetch_once(store.session_factory, ENV).filed == 0


def test_an_unreadable_message_is_flagged_for_a_person(store: Runtime, server: ImapServer) -> None:
    user = store.user  # type: ignore[attr-defined]
    server.append(user, b"Subject: no sender at all\r\n\r\nbody\r\n")
    report = fetch_once(store.session_factory, ENV)
    assert (report.filed, report.refused) == (0, 1)
    assert server.flags(user) == [(b"\\Flagged", b"\\Seen")]


def test_a_wrong_password_is_reported_per_mailbox(store: Runtime) -> None:
    report = fetch_once(store.session_factory, {"SUPPORT_IMAP_PASSWORD": "wrong"})
    assert report.filed == 0 and store.user in report.errors  # type: ignore[attr-defined]


def test_a_missing_password_variable_is_reported(store: Runtime) -> None:
    report = fetch_once(store.session_factory, {})
    assert "SUPPORT_IMAP_PASSWORD" in report.errors[store.user]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "source",
    [
        ImapSource("imap example com", "u", "PW"),
        ImapSource("imap.example.com", "u", "PW", port=0),
        ImapSource("imap.example.com", "u", "PW", security="tls9"),
        ImapSource("imap.example.com", "", "PW"),
        ImapSource("imap.example.com", "u", "lower-case; rm -rf /"),
        ImapSource("imap.example.com", "u", "PW", folder="INBOX\r\nA1 LOGOUT"),
    ],
)
def test_imap_settings_are_checked(db, source: ImapSource) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MailboxError):
        add_mailbox(db, "support@example.com", imap=source)
