from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from contactcenter.app.mail_receiver import MailListener, file_message
from contactcenter.app.runtime import Runtime
from contactcenter.db import make_engine, make_sessionmaker, transaction
from contactcenter.mail.mailboxes import add_mailbox
from contactcenter.mail.models import MailMessage
from contactcenter.mail.parsing import MAX_MESSAGE_BYTES
from contactcenter.tickets.models import Ticket
from tests.support.factories import gen_queue
from tests.support.mail import free_port, gen_mail


@pytest.fixture
def store(committed_runtime: Runtime) -> Runtime:
    with transaction(committed_runtime.session_factory) as session:
        gen_queue(session, "support")
        add_mailbox(session, "support@example.com", queue="support")
    return committed_runtime


@pytest.fixture(params=[True, False], ids=["lmtp", "smtp"])
def listener(request: pytest.FixtureRequest, store: Runtime) -> Iterator[tuple[smtplib.SMTP, Runtime]]:
    server = MailListener(store.session_factory, host="127.0.0.1", port=free_port(), lmtp=request.param)
    server.start()
    client = (smtplib.LMTP if request.param else smtplib.SMTP)("127.0.0.1", server.port)
    yield client, store
    client.close()
    server.stop()


def _tickets(rt: Runtime) -> list[Ticket]:
    with transaction(rt.session_factory) as session:
        return list(session.scalars(select(Ticket)))


def test_a_message_delivered_to_the_listener_is_filed(listener) -> None:  # type: ignore[no-untyped-def]
    client, rt = listener
    assert client.sendmail("ann@example.org", ["support@example.com"], gen_mail()) == {}
    [ticket] = _tickets(rt)
    assert (ticket.subject, ticket.channel) == ("My kettle broke", "email")


def test_an_unknown_recipient_is_refused_at_rcpt(listener) -> None:  # type: ignore[no-untyped-def]
    client, rt = listener
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.sendmail("ann@example.org", ["sales@example.com"], gen_mail())
    assert refused.value.recipients["sales@example.com"][0] == 550
    assert _tickets(rt) == []


def test_an_oversized_message_is_refused(listener) -> None:  # type: ignore[no-untyped-def]
    client, rt = listener
    big = gen_mail(body="x" * 1000) + b"y" * (MAX_MESSAGE_BYTES + 10)
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused, smtplib.SMTPServerDisconnected)):
        client.sendmail("ann@example.org", ["support@example.com"], big)
    assert _tickets(rt) == []


def test_an_unreadable_message_is_refused_for_good(store: Runtime) -> None:
    outcome = file_message(store.session_factory, b"To: support@example.com\r\n\r\nno sender", ["support@example.com"])
    assert outcome.code == 554 and outcome.exit_status == 65


def test_with_the_store_away_the_mail_server_is_told_to_retry(tmp_path) -> None:  # type: ignore[no-untyped-def]
    away = make_sessionmaker(make_engine(f"sqlite:///{tmp_path}/missing/nowhere.db"))
    outcome = file_message(away, gen_mail(), ["support@example.com"])
    assert (outcome.code, outcome.exit_status) == (451, 75)


def test_a_retried_delivery_is_filed_once(store: Runtime) -> None:
    raw = gen_mail(message_id="<retry@example.org>")
    assert file_message(store.session_factory, raw, ["support@example.com"]).code == 250
    again = file_message(store.session_factory, raw, ["support@example.com"])
    assert again.code == 250 and "already received" in again.text
    with transaction(store.session_factory) as session:
        assert len(list(session.scalars(select(MailMessage)))) == 1
