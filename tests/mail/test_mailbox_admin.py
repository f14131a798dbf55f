"""The admin page for mailboxes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.mail.mailboxes import add_mailbox
from contactcenter.mail.models import Mailbox
from tests.support.factories import gen_queue, gen_staff
from tests.support.web_client import log_in


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    staff = gen_staff(db)
    gen_queue(db, "support")
    db.commit()
    return staff


def _add(client, **fields: str):  # type: ignore[no-untyped-def]
    return client.post("/admin/mailboxes", data={"address": "support@example.com", **fields})


def test_an_admin_adds_a_mailbox_collected_by_imap(client, db, office) -> None:  # type: ignore[no-untyped-def]
    log_in(client, "ann")
    resp = _add(
        client,
        display_name="Acme Support",
        queue="support",
        signature="Acme",
        imap_host="imap.example.com",
        imap_username="support@example.com",
        imap_password_env="IMAP_PASSWORD",
        imap_security="ssl",
    )
    assert resp.status_code == 303
    box = db.scalar(select(Mailbox))
    assert (box.address, box.imap_host, box.imap_port, box.imap_password_env) == (
        "support@example.com",
        "imap.example.com",
        993,
        "IMAP_PASSWORD",
    )
    page = client.get("/admin/mailboxes").get_data(as_text=True)
    assert "IMAP support@example.com @ imap.example.com:993" in page


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"address": "not an address"}, "e-mail address"),
        ({"address": "x@example.com\r\nBcc: victim@example.com"}, "e-mail address"),
        ({"queue": "nope"}, "no queue"),
        ({"imap_host": "imap.example.com", "imap_username": "u", "imap_password_env": "x; rm -rf /"}, "environment"),
        (
            {"imap_host": "imap.example.com", "imap_username": "u", "imap_password_env": "PW", "imap_port": "99999"},
            "port",
        ),
        ({"display_name": "<script>alert(1)</script>"}, "sender name"),
        ({"signature": "x" * 50_000}, "far too long"),
    ],
)
def test_bad_input_is_refused_with_the_form_kept(client, db, office, fields, message) -> None:  # type: ignore[no-untyped-def]
    log_in(client, "ann")
    resp = _add(client, **fields)
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert db.scalar(select(Mailbox.id)) is None


def test_an_admin_removes_a_mailbox(client, db, office) -> None:  # type: ignore[no-untyped-def]
    box = add_mailbox(db, "old@example.com")
    db.commit()
    log_in(client, "ann")
    assert client.post(f"/admin/mailboxes/{box.id}/delete").status_code == 303
    assert db.scalar(select(Mailbox.id)) is None
    assert client.post(f"/admin/mailboxes/{box.id}/delete").status_code == 404


@pytest.mark.parametrize("username", ["alice", "sam"])
def test_only_admins_manage_mailboxes(client, office, username) -> None:  # type: ignore[no-untyped-def]
    log_in(client, username)
    assert client.get("/admin/mailboxes").status_code == 403
    assert _add(client).status_code == 403
