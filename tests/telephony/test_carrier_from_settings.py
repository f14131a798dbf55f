"""The carrier adapter built from settings reaches a simulator listening on a port."""

from __future__ import annotations

from contactcenter.app.runtime import build_telephony
from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN, Settings
from contactcenter.telephony.simulator import HttpTransport, SimulatedCarrier, SimulatorServer
from contactcenter.telephony.twilio_adapter import TwilioTelephony


def test_simulator_url_setting_points_the_twilio_client_at_the_simulator():
    carrier = SimulatedCarrier(HttpTransport())
    with SimulatorServer(carrier) as api:
        settings = Settings(
            carrier="simulator",
            simulator_url=api.url,
            twilio_account_sid=SIMULATOR_ACCOUNT_SID,
            twilio_auth_token=SIMULATOR_AUTH_TOKEN,
        )
        telephony = build_telephony(settings)
        assert isinstance(telephony, TwilioTelephony)
        placed = telephony.place_call("+14155550100", "+18005550100", "http://127.0.0.1:9/hooks/voice")
        assert telephony.fetch_call(placed.call_sid).to_number == "+14155550100"


def test_twilio_carrier_uses_the_real_client():
    settings = Settings(
        carrier="twilio",
        twilio_account_sid="AC" + "a" * 32,
        twilio_auth_token="token",
        public_base_url="https://cc.example.com",
    )
    telephony = build_telephony(settings)
    assert isinstance(telephony, TwilioTelephony) and telephony.account_sid == "AC" + "a" * 32
