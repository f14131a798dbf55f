from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from contactcenter import clock
from contactcenter.config import SIMULATOR_ACCOUNT_SID, ConfigError, load_settings


def test_embedded_defaults_need_no_servers():
    s = load_settings({})
    assert s.database_url.startswith("sqlite:///")
    assert s.uses_embedded_redis
    assert s.carrier == "simulator" and s.twilio_account_sid == SIMULATOR_ACCOUNT_SID
    assert len(s.secret_key) >= 32


def test_twilio_carrier_requires_credentials_and_public_url():
    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID"):
        load_settings({"CARRIER": "twilio"})
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_settings({"CARRIER": "twilio", "TWILIO_ACCOUNT_SID": "AC" + "a" * 32, "TWILIO_AUTH_TOKEN": "t"})
    s = load_settings(
        {
            "CARRIER": "twilio",
            "TWILIO_ACCOUNT_SID": "AC" + "a" * 32,
            "TWILIO_AUTH_TOKEN": "t",
            "PUBLIC_BASE_URL": "https://cc.example.com/",
        }
    )
    assert s.public_base_url == "https://cc.example.com"


@pytest.mark.parametrize("env", [{"CARRIER": "pigeon"}, {"PUBLIC_BASE_URL": "ftp://x"}, {"MAX_WEBHOOK_BYTES": "lots"}])
def test_bad_settings_name_the_variable(env):
    with pytest.raises(ConfigError):
        load_settings(env)


def test_clock_follows_freezegun():
    with freeze_time("2026-03-08 06:59:00"):
        assert clock.now() == datetime(2026, 3, 8, 6, 59, tzinfo=UTC)


def test_manual_clock_drives_now():
    manual = clock.ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    with clock.using(manual):
        manual.advance(90)
        assert clock.now() == datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        manual.advance(-1)


def test_short_abandon_setting_is_checked():
    assert load_settings({"SHORT_ABANDON_S": "8"}).short_abandon_s == 8.0
    for bad in ("soon", "-1", "9999"):
        with pytest.raises(ConfigError, match="SHORT_ABANDON_S"):
            load_settings({"SHORT_ABANDON_S": bad})


def test_presence_lease_setting_is_checked():
    assert load_settings({}).presence_lease_s == 15.0
    assert load_settings({"PRESENCE_LEASE_S": "30"}).presence_lease_s == 30.0
    for bad in ("later", "0", "1e9", "nan"):
        with pytest.raises(ConfigError, match="PRESENCE_LEASE_S"):
            load_settings({"PRESENCE_LEASE_S": bad})
