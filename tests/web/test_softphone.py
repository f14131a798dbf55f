"""The softphone's routes: Voice SDK tokens for the signed-in staff only, the simulated device
acting only as the signed-in person, and the contact choice (browser, phone, SIP) validated."""

from __future__ import annotations

import re

import jwt
import pytest
from sqlalchemy import select

from contactcenter import clock
from contactcenter.accounts.models import User
from contactcenter.audit.models import AuditEntry
from tests.support.factories import PASSWORD, gen_staff
from tests.support.web_client import logged_in

KEY_SID = "SK" + "a" * 32
KEY_SECRET = "softphone-test-key-secret-of-32-bytes"
APP_SID = "AP" + "b" * 32


@pytest.fixture
def office(db, runtime):  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(
        twilio_api_key_sid=KEY_SID, twilio_api_key_secret=KEY_SECRET, twilio_twiml_app_sid=APP_SID
    )
    return gen_staff(db)


def _claims(resp) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == 200, resp.data
    return jwt.decode(resp.get_json()["token"], KEY_SECRET, algorithms=["HS256"])


def test_an_agents_token_names_them(app, office):
    claims = _claims(logged_in(app, "alice").post("/desktop/voice-token"))
    assert claims["grants"]["identity"] == "alice"


def test_the_token_allows_incoming_calls_and_the_outgoing_app(app, office):
    claims = _claims(logged_in(app, "alice").post("/desktop/voice-token"))
    voice = claims["grants"]["voice"]
    assert voice["incoming"] == {"allow": True}
    assert voice["outgoing"]["application_sid"] == APP_SID


def test_the_token_is_signed_with_the_api_key_for_the_account(app, office, runtime):
    claims = _claims(logged_in(app, "alice").post("/desktop/voice-token"))
    assert (claims["iss"], claims["sub"]) == (KEY_SID, runtime.settings.twilio_account_sid)


def test_the_token_lives_an_hour(app, office):
    claims = _claims(logged_in(app, "alice").post("/desktop/voice-token"))
    assert claims["exp"] - claims["nbf"] == 3600
    assert abs(claims["nbf"] - clock.now().timestamp()) < 60


def test_a_supervisor_gets_a_token_to_listen_in(app, office):
    claims = _claims(logged_in(app, "sam").post("/desktop/voice-token"))
    assert claims["grants"]["identity"] == "sam"


def test_an_admin_gets_a_token_to_listen_in_from_the_board(app, office):
    claims = _claims(logged_in(app, "ann").post("/desktop/voice-token"))
    assert claims["grants"]["identity"] == "ann"


def test_nobody_signed_out_gets_a_token(client, office):
    resp = client.post("/desktop/voice-token")
    assert resp.status_code in (302, 401) and b"eyJ" not in resp.data


def test_without_an_api_key_the_token_is_refused_clearly(app, office, runtime):
    runtime.settings = runtime.settings.with_overrides(twilio_api_key_sid="", twilio_api_key_secret="")
    resp = logged_in(app, "alice").post("/desktop/voice-token")
    assert resp.status_code == 503
    assert resp.get_json()["error"]["code"] == "voice_token_unconfigured"


def test_the_token_needs_the_pages_csrf_token(app, office):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert client.post("/desktop/voice-token").status_code == 400


# ----------------------------------------------------------------------------- where calls ring


def _contact(db, username: str) -> str | None:
    db.expire_all()
    return db.scalar(select(User.contact_uri).where(User.username == username))


def test_an_agent_chooses_a_phone_number(app, office, db):
    resp = logged_in(app, "alice").post("/desktop/contact", json={"kind": "phone", "value": "(415) 555-0100"})
    assert resp.status_code == 200 and resp.get_json()["rings_browser"] is False
    assert _contact(db, "alice") == "+14155550100"


def test_an_agent_chooses_a_sip_address(app, office, db):
    logged_in(app, "alice").post("/desktop/contact", json={"kind": "sip", "value": "alice@pbx.example.com"})
    assert _contact(db, "alice") == "sip:alice@pbx.example.com"


def test_an_agent_goes_back_to_the_browser(app, office, db):
    alice = logged_in(app, "alice")
    alice.post("/desktop/contact", json={"kind": "phone", "value": "+14155550100"})
    resp = alice.post("/desktop/contact", json={"kind": "browser", "value": "ignored"})
    assert resp.get_json()["rings_browser"] is True and _contact(db, "alice") == "client:alice"


def test_the_contact_change_is_audited(app, office, db):
    logged_in(app, "alice").post("/desktop/contact", json={"kind": "phone", "value": "+14155550100"})
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "user.contact")).one()
    assert entry.details["to"] == "+14155550100"


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "phone", "value": "not a number"},
        {"kind": "phone", "value": "'; DROP TABLE users; --"},
        {"kind": "sip", "value": "<script>alert(1)</script>"},
        {"kind": "sip", "value": "a" * 129},
        {"kind": "pager", "value": "+14155550100"},
        {"kind": ["phone"], "value": "+14155550100"},
    ],
)
def test_a_bad_contact_is_refused_and_the_old_one_kept(app, office, db, body):
    resp = logged_in(app, "alice").post("/desktop/contact", json=body)
    assert resp.status_code == 400 and resp.get_json()["error"]["message"]
    assert _contact(db, "alice") == "client:alice"


def test_an_oversized_contact_body_is_refused(app, office, db):
    resp = logged_in(app, "alice").post("/desktop/contact", json={"kind": "sip", "value": "a" * 10_000})
    assert resp.status_code == 413 and _contact(db, "alice") == "client:alice"


def test_a_contact_body_that_is_not_json_is_refused(app, office):
    resp = logged_in(app, "alice").post("/desktop/contact", data="kind=phone", content_type="text/plain")
    assert resp.status_code == 400


def test_an_admin_chooses_where_their_listening_in_rings(app, office, db):
    resp = logged_in(app, "ann").post("/desktop/contact", json={"kind": "phone", "value": "+14155550177"})
    assert resp.status_code == 200 and _contact(db, "ann") == "+14155550177"


def test_nobody_signed_out_drives_a_device(client, office, carrier):
    carrier.browser_devices = True
    resp = client.post("/desktop/device")
    assert resp.status_code in (302, 401) and "ann" not in carrier._devices  # noqa: SLF001


# ----------------------------------------------------------------------------- the simulated device


def test_the_desktop_registers_its_simulated_device(app, office, carrier):
    carrier.browser_devices = True
    resp = logged_in(app, "alice").post("/desktop/device")
    assert resp.status_code == 201 and resp.get_json() == {"identity": "alice", "calls": []}
    assert carrier.device("alice").identity == "alice"


def test_a_carrier_without_devices_says_its_agents_answer(app, office, carrier):
    resp = logged_in(app, "alice").post("/desktop/device")
    assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "no_simulated_device"


def test_a_malformed_call_id_is_refused(app, office, carrier):
    carrier.browser_devices = True
    alice = logged_in(app, "alice")
    alice.post("/desktop/device")
    assert alice.post("/desktop/device/calls/'%20OR%201=1/answer").status_code == 400


def test_an_unknown_device_action_is_not_found(app, office, carrier):
    carrier.browser_devices = True
    alice = logged_in(app, "alice")
    alice.post("/desktop/device")
    assert alice.post(f"/desktop/device/calls/CA{'0' * 32}/explode").status_code == 404


def test_a_call_that_never_rang_this_device_is_not_found(app, office, carrier):
    carrier.browser_devices = True
    alice = logged_in(app, "alice")
    alice.post("/desktop/device")
    resp = alice.post(f"/desktop/device/calls/CA{'0' * 32}/answer")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "device_not_found"


def test_the_desktop_page_says_where_calls_ring(app, office):
    page = logged_in(app, "alice").get("/desktop").get_data(as_text=True)
    assert 'id="softphone-config"' in page and '"identity": "alice"' in page


def test_the_board_loads_the_softphone_for_a_supervisor(app, office):
    page = logged_in(app, "sam").get("/board").get_data(as_text=True)
    assert "desktop/softphone.js" in page and '"identity": "sam"' in page


def test_the_board_loads_the_softphone_for_an_admin(app, office):
    page = logged_in(app, "ann").get("/board").get_data(as_text=True)
    assert "desktop/softphone.js" in page and '"identity": "ann"' in page


def test_the_page_loads_the_voice_sdk_only_with_twilio(app, office, runtime):
    assert "twilio-voice.min.js" not in logged_in(app, "alice").get("/desktop").get_data(as_text=True)
    runtime.settings = runtime.settings.with_overrides(carrier="twilio")
    assert "vendor/twilio-voice.min.js" in logged_in(app, "alice").get("/desktop").get_data(as_text=True)


# ----------------------------------------------------------------------------- the admin's choice


def _admin_saves(app, db, value_fields):  # type: ignore[no-untyped-def]
    alice = db.scalars(select(User).where(User.username == "alice")).one()
    form = {"action": "save", "display_name": "Alice", "role": "agent", "skills": "", **value_fields}
    return logged_in(app, "ann").post(f"/admin/people/{alice.id}", data=form)


def test_an_admin_sends_an_agents_calls_to_a_phone(app, office, db):
    resp = _admin_saves(app, db, {"contact_kind": "phone", "contact_value": "415 555 0100"})
    assert resp.status_code in (200, 303) and _contact(db, "alice") == "+14155550100"


def test_an_admin_puts_an_agent_back_on_the_browser(app, office, db):
    _admin_saves(app, db, {"contact_kind": "phone", "contact_value": "+14155550100"})
    _admin_saves(app, db, {"contact_kind": "browser", "contact_value": "+14155550100"})
    assert _contact(db, "alice") == "client:alice"


def test_an_admins_hostile_contact_is_refused(app, office, db):
    resp = _admin_saves(app, db, {"contact_kind": "sip", "contact_value": '"><script>alert(1)</script>'})
    assert resp.status_code == 400 and b"<script>alert(1)" not in resp.data
    assert _contact(db, "alice") == "client:alice"


def test_the_admin_page_shows_the_choice(app, office, db):
    alice = db.scalars(select(User).where(User.username == "alice")).one()
    page = logged_in(app, "ann").get(f"/admin/people/{alice.id}").get_data(as_text=True)
    assert 'name="contact_kind"' in page and 'value="browser" selected' in page


def test_with_no_simulator_to_reach_the_device_is_unavailable_not_an_error(app, office):
    resp = logged_in(app, "alice").post("/desktop/device")  # no carrier attached, no SIMULATOR_URL
    assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "no_simulated_device"
