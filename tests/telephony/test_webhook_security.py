"""Carrier webhooks: signatures, proxies, hostile input — refused requests write nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from contactcenter.contacts.models import CarrierEvent, Interaction
from tests.support.factories import call_sid, carrier_params, post_signed, sign


def _rows(db) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    return (db.scalar(select(func.count(Interaction.id))), db.scalar(select(func.count(CarrierEvent.id))))


def test_signed_incoming_call_is_answered_with_twiml(client, db):
    resp = post_signed(client, "/hooks/voice", carrier_params())
    assert resp.status_code == 200
    assert resp.mimetype == "text/xml"
    assert b"<Enqueue" in resp.data and b"<Say" in resp.data
    assert _rows(db) == (1, 1)


def test_missing_signature_is_refused_and_writes_nothing(client, db):
    resp = client.post("/hooks/voice", data=carrier_params())
    assert resp.status_code == 403
    assert _rows(db) == (0, 0)


def test_forged_signature_is_refused_and_writes_nothing(client, db):
    params = carrier_params()
    forged = sign("http://localhost/hooks/voice", params, token="someone-elses-token")
    resp = client.post("/hooks/voice", data=params, headers={"X-Twilio-Signature": forged})
    assert resp.status_code == 403
    assert _rows(db) == (0, 0)


def test_signature_over_other_params_is_refused(client, db):
    params = carrier_params()
    signature = sign("http://localhost/hooks/voice", params)
    tampered = dict(params, From="+19005550000")
    resp = client.post("/hooks/voice", data=tampered, headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 403
    assert _rows(db) == (0, 0)


def test_signature_for_public_url_accepted_behind_proxy(app, client, db):
    rt = app.extensions["contactcenter.app.runtime"]
    rt.settings = rt.settings.with_overrides(public_base_url="https://cc.example.com")
    params = carrier_params()
    # Twilio signed the public https URL; the proxy forwards to us over plain http on another host.
    signature = sign("https://cc.example.com/hooks/voice", params)
    resp = client.post(
        "/hooks/voice", data=params, headers={"X-Twilio-Signature": signature}, base_url="http://10.0.0.5:8000"
    )
    assert resp.status_code == 200
    assert b"https://cc.example.com/hooks/wait" in resp.data
    assert _rows(db) == (1, 1)


def test_signature_for_internal_url_refused_behind_proxy(app, client, db):
    rt = app.extensions["contactcenter.app.runtime"]
    rt.settings = rt.settings.with_overrides(public_base_url="https://cc.example.com")
    resp = post_signed(client, "/hooks/voice", carrier_params(), base="http://10.0.0.5:8000")
    assert resp.status_code == 403
    assert _rows(db) == (0, 0)


def test_webhook_for_another_account_is_refused(client, db):
    params = carrier_params(AccountSid="AC" + "0" * 32)
    assert post_signed(client, "/hooks/voice", params).status_code == 403
    assert _rows(db) == (0, 0)


def test_megabyte_body_is_refused_and_writes_nothing(client, db):
    params = carrier_params(Junk="x" * (1024 * 1024))
    resp = post_signed(client, "/hooks/voice", params)
    assert resp.status_code == 413
    assert _rows(db) == (0, 0)


def test_garbage_fields_are_refused_with_a_clear_message(client, db):
    bad_values = [
        {"CallSid": "'; DROP TABLE interactions; --"},
        {"CallSid": "<script>alert(1)</script>"},
        {"CallStatus": "exploded"},
        {"Direction": "sideways"},
        {"Digits": "1 OR 1=1"},
        {"From": "+1415\x00555"},
        {"CallDuration": "-5"},
        {"Timestamp": "yesterday-ish"},
        {"AccountSid": "not-an-account"},
    ]
    for override in bad_values:
        params = carrier_params(**override)
        resp = post_signed(client, "/hooks/status", params)
        assert resp.status_code == 400, override
        assert b"malformed webhook" in resp.data
        assert b"<script>" not in resp.data and b"DROP TABLE" not in resp.data
    assert _rows(db) == (0, 0)


def test_missing_call_sid_is_refused(client, db):
    params = carrier_params()
    del params["CallSid"]
    resp = post_signed(client, "/hooks/voice", params)
    assert resp.status_code == 400
    assert b"missing parameter CallSid" in resp.data
    assert _rows(db) == (0, 0)


def test_json_body_is_refused(client, db):
    resp = client.post("/hooks/voice", json=carrier_params())
    assert resp.status_code == 415
    assert _rows(db) == (0, 0)


def test_repeated_parameter_is_refused(client, db):
    params = carrier_params()
    signature = sign("http://localhost/hooks/voice", params)
    body = "&".join(f"{k}={v}" for k, v in params.items()) + "&From=%2B19005550000"
    resp = client.post(
        "/hooks/voice",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert resp.status_code in (400, 403)
    assert _rows(db) == (0, 0)


def test_status_for_unknown_call_is_404_and_writes_nothing(client, db):
    params = carrier_params(call_sid(), status="completed", CallDuration="12")
    resp = post_signed(client, "/hooks/status", params)
    assert resp.status_code == 404
    assert _rows(db) == (0, 0)


def test_wait_for_unknown_call_is_404(client, db):
    assert post_signed(client, "/hooks/wait", carrier_params(status="in-progress")).status_code == 404
    assert _rows(db) == (0, 0)
