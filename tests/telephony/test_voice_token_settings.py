"""The softphone's settings: an API key (both halves) and a TwiML app, each checked on load."""

from __future__ import annotations

import pytest

from contactcenter.config import ConfigError, load_settings

KEY = {"TWILIO_API_KEY_SID": "SK" + "1" * 32, "TWILIO_API_KEY_SECRET": "s" * 32}


def test_an_api_key_and_twiml_app_are_read():
    settings = load_settings({**KEY, "TWILIO_TWIML_APP_SID": "AP" + "2" * 32})
    assert (settings.twilio_api_key_sid, settings.twilio_twiml_app_sid) == (KEY["TWILIO_API_KEY_SID"], "AP" + "2" * 32)


def test_the_key_secret_never_shows_in_the_settings_repr():
    assert "s" * 32 not in repr(load_settings(KEY))


@pytest.mark.parametrize(
    "env",
    [
        {"TWILIO_API_KEY_SID": "AC" + "1" * 32, "TWILIO_API_KEY_SECRET": "x"},
        {"TWILIO_API_KEY_SID": "SK<script>", "TWILIO_API_KEY_SECRET": "x"},
        {"TWILIO_API_KEY_SID": "SK" + "1" * 32},
        {"TWILIO_TWIML_APP_SID": "AP' OR 1=1"},
    ],
)
def test_a_malformed_softphone_setting_names_its_variable(env):
    with pytest.raises(ConfigError, match="TWILIO_"):
        load_settings(env)
