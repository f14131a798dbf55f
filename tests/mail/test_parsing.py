from __future__ import annotations

import pytest

from contactcenter.mail.parsing import MAX_ATTACHMENT_BYTES, MAX_MESSAGE_BYTES, MailError, parse
from tests.support.mail import gen_mail


def test_reads_sender_subject_and_identifiers() -> None:
    mail = parse(gen_mail(message_id="<abc@example.org>", in_reply_to="<x@y>", references="<w@y> <x@y>"))
    assert (mail.from_address, mail.from_name) == ("ann@example.org", "Ann Example")
    assert mail.subject == "My kettle broke"
    assert mail.message_id == "<abc@example.org>"
    assert mail.in_reply_to == "<x@y>"
    assert mail.references == ["<w@y>", "<x@y>"]
    assert mail.automatic is None


def test_quoted_history_is_cut_from_the_new_text() -> None:
    body = (
        "Still broken, sorry.\n\nOn Mon, 7 Dec 2026 at 10:00, Support <support@example.com> wrote:\n> Try the fuse.\n"
    )
    mail = parse(gen_mail(body=body))
    assert mail.new_text == "Still broken, sorry."
    assert "Try the fuse" in mail.full_text


def test_encoded_subject_and_latin1_body_are_decoded() -> None:
    raw = (
        b"From: =?utf-8?q?Ren=C3=A9e?= <renee@example.fr>\r\nTo: support@example.com\r\n"
        b"Subject: =?iso-8859-1?q?Caf=E9_froid?=\r\nMessage-ID: <c@example.fr>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"Le caf\xe9 est froid.\r\n"
    )
    mail = parse(raw)
    assert mail.subject == "Café froid"
    assert mail.from_name == "Renée"
    assert mail.new_text == "Le café est froid."


def test_html_is_sanitised_and_gives_the_text_when_there_is_no_plain_part() -> None:
    raw = (
        b"From: ann@example.org\r\nTo: support@example.com\r\nSubject: hi\r\nMessage-ID: <h@example.org>\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p onclick="steal()">Hello<script>alert(1)</script></p><p>Second &amp; last</p>'
        b'<img src="https://tracker.example/pixel.gif">'
    )
    mail = parse(raw)
    assert "script" not in mail.html and "onclick" not in mail.html
    assert "Hello" in mail.new_text and "Second & last" in mail.new_text
    assert "alert" not in mail.new_text


def test_allowed_attachments_are_kept_and_others_named() -> None:
    mail = parse(
        gen_mail(
            attachments=[
                ("receipt.pdf", "application/pdf", b"%PDF-1.4 ..."),
                ("../../etc/evil.exe", "application/x-msdownload", b"MZ..."),
            ]
        )
    )
    assert [(a.filename, a.content_type) for a in mail.attachments] == [("receipt.pdf", "application/pdf")]
    assert mail.refused == ["evil.exe: not a type we keep (application/x-msdownload)"]


def test_an_oversized_attachment_is_left_out() -> None:
    mail = parse(gen_mail(attachments=[("big.pdf", "application/pdf", b"0" * (MAX_ATTACHMENT_BYTES + 1))]))
    assert mail.attachments == []
    assert "larger than" in mail.refused[0]


@pytest.mark.parametrize(
    "headers, why",
    [
        ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted"),
        ({"Precedence": "bulk"}, "Precedence"),
        ({"X-Autoreply": "yes"}, "X-Autoreply"),
        ({"List-Id": "<news.example.org>"}, "mailing-list"),
    ],
)
def test_automatic_mail_is_recognised(headers: dict[str, str], why: str) -> None:
    mail = parse(gen_mail(headers=headers))
    assert mail.automatic is not None and why in mail.automatic


def test_a_delivery_report_from_the_mailer_daemon_is_automatic() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example.org\r\nTo: support@example.com\r\nSubject: Undelivered\r\n"
        b"Message-ID: <b@mx>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n\r\nThe message could not be delivered.\r\n--XX--\r\n"
    )
    assert parse(raw).automatic == "a delivery or read report"


def test_auto_submitted_no_is_a_person() -> None:
    assert parse(gen_mail(headers={"Auto-Submitted": "no"})).automatic is None


def test_a_message_without_message_id_gets_a_stable_one() -> None:
    raw = b"From: ann@example.org\r\nTo: support@example.com\r\nSubject: x\r\n\r\nbody\r\n"
    assert parse(raw).message_id == parse(raw).message_id
    assert parse(raw).message_id.endswith("@no-message-id.invalid>")


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"To: support@example.com\r\nSubject: no sender\r\n\r\nhi", "sender"),
        (b"From: not an address\r\n\r\nhi", "sender"),
    ],
)
def test_unreadable_messages_are_refused(raw: bytes, message: str) -> None:
    with pytest.raises(MailError, match=message):
        parse(raw)


def test_an_oversized_message_is_refused() -> None:
    with pytest.raises(MailError, match="larger than"):
        parse(b"From: a@b.c\r\n\r\n" + b"x" * MAX_MESSAGE_BYTES)


def test_header_injection_in_the_subject_stays_one_line() -> None:
    raw = b"From: ann@example.org\r\nSubject: hi\r\n\tBcc: victim@example.com\r\nMessage-ID: <i@x>\r\n\r\nbody"
    mail = parse(raw)
    assert "\n" not in mail.subject and "\r" not in mail.subject
