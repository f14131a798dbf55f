"""Signatures are checked over the URL exactly as the carrier called it.

Twilio signs the URL it requested, percent-escapes and all: `%7E`, `%C3%A9` or `%2F` in a query
must be checked as sent, not as a decoded and re-encoded copy. The signatures here come from
Twilio's own `RequestValidator`, over the URL as the carrier would call it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from contactcenter.config import SIMULATOR_AUTH_TOKEN
from contactcenter.contacts.models import Interaction
from tests.support.factories import carrier_params

QUERIES = [
    "x=%7Eprofile",  # an escaped tilde
    "name=Ren%C3%A9e",  # UTF-8, escaped
    "path=a%2Fb",  # an escaped slash
    "q=a+b&r=%2B1%20415",  # plus and escaped space side by side
    "tag=%7E&who=Jos%C3%A9&dir=x%2Fy%2Fz",
]


def _twilio_signature(url: str, params: dict[str, str], token: str = SIMULATOR_AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def _calls(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count(Interaction.id)))


def _public(app, base: str) -> None:  # type: ignore[no-untyped-def]
    rt = app.extensions["contactcenter.app.runtime"]
    rt.settings = rt.settings.with_overrides(public_base_url=base)


@pytest.mark.parametrize("query", QUERIES)
def test_signature_over_the_raw_query_string_is_accepted(client, db, query):
    params = carrier_params()
    url = f"http://localhost/hooks/voice?{query}"
    resp = client.post(
        f"/hooks/voice?{query}", data=params, headers={"X-Twilio-Signature": _twilio_signature(url, params)}
    )
    assert resp.status_code == 200
    assert _calls(db) == 1


@pytest.mark.parametrize("query", QUERIES)
def test_signature_over_the_raw_query_string_is_accepted_behind_a_proxy(app, client, db, query):
    _public(app, "https://cc.example.com/contact")
    params = carrier_params()
    url = f"https://cc.example.com/contact/hooks/voice?{query}"
    resp = client.post(
        f"/hooks/voice?{query}",
        data=params,
        base_url="http://10.0.0.5:8000",
        headers={"X-Twilio-Signature": _twilio_signature(url, params)},
    )
    assert resp.status_code == 200
    assert _calls(db) == 1


def test_signature_over_a_decoded_copy_of_the_query_is_refused(client, db):
    params = carrier_params()
    signed_decoded = _twilio_signature("http://localhost/hooks/voice?name=René&x=~", params)
    resp = client.post("/hooks/voice?name=Ren%C3%A9&x=%7E", data=params, headers={"X-Twilio-Signature": signed_decoded})
    assert resp.status_code == 403
    assert _calls(db) == 0


def test_forged_signature_over_the_raw_query_is_refused(client, db):
    params = carrier_params()
    url = "http://localhost/hooks/voice?name=Ren%C3%A9e"
    forged = _twilio_signature(url, params, token="someone-elses-token")
    resp = client.post("/hooks/voice?name=Ren%C3%A9e", data=params, headers={"X-Twilio-Signature": forged})
    assert resp.status_code == 403
    assert _calls(db) == 0


def test_signature_for_another_query_is_refused(client, db):
    params = carrier_params()
    signature = _twilio_signature("http://localhost/hooks/voice?path=a%2Fb", params)
    resp = client.post("/hooks/voice?path=a%2Fc", data=params, headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 403
    assert _calls(db) == 0


@pytest.mark.parametrize("query", ["x=%ZZ", "x=%C3", "x=%00%27%3Cscript%3E", "x=" + "%41" * 4000])
def test_malformed_or_hostile_query_with_a_bad_signature_is_refused(client, db, query):
    params = carrier_params()
    resp = client.post(
        f"/hooks/voice?{query}",
        data=params,
        headers={"X-Twilio-Signature": _twilio_signature("http://localhost/hooks/voice", params)},
    )
    assert resp.status_code == 403
    assert b"<script>" not in resp.data
    assert _calls(db) == 0


@pytest.mark.parametrize("query", ["x=%ZZ", "x=%C3", "x=%00%27%3Cscript%3E"])
def test_malformed_query_signed_as_sent_is_checked_as_sent(client, db, query):
    params = carrier_params()
    url = f"http://localhost/hooks/voice?{query}"
    resp = client.post(
        f"/hooks/voice?{query}", data=params, headers={"X-Twilio-Signature": _twilio_signature(url, params)}
    )
    assert resp.status_code == 200
    assert _calls(db) == 1


def test_checker_accepts_a_signature_over_the_url_with_the_default_port_added():
    from contactcenter.telephony.signatures import SignatureChecker

    params = {"CallSid": "CA" + "1" * 32, "Digits": "1"}
    signed_with_port = _twilio_signature("https://cc.example.com:443/hooks/ivr?step=2", params)
    checker = SignatureChecker(SIMULATOR_AUTH_TOKEN)
    assert checker.is_valid("https://cc.example.com/hooks/ivr?step=2", params, signed_with_port)
    assert checker.is_valid(
        "https://cc.example.com/hooks/ivr?step=2",
        params,
        _twilio_signature("https://cc.example.com/hooks/ivr?step=2", params),
    )


@pytest.mark.parametrize("signature", ["", "x" * 257, "not-it=", "Zm9v\u00e9"])
def test_checker_refuses_missing_oversized_wrong_and_non_ascii_signatures(signature: str):
    from contactcenter.telephony.signatures import SignatureChecker

    params = {"CallSid": "CA" + "1" * 32}
    assert not SignatureChecker(SIMULATOR_AUTH_TOKEN).is_valid("https://cc.example.com/hooks/voice", params, signature)
