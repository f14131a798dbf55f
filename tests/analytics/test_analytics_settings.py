"""The analytics settings: currencies orders may be in, whether RFM sets the service tier, rules."""

from __future__ import annotations

import pytest

from contactcenter.app.tasks.analytics import recompute_with_settings
from contactcenter.config import ConfigError, Settings, load_settings
from contactcenter.contacts.models import Customer
from tests.support.analytics import gen_shop


def test_currencies_default_to_usd():
    assert load_settings({}).analytics_currencies == ("USD",)


def test_currencies_are_read_as_upper_case_codes():
    assert load_settings({"ANALYTICS_CURRENCIES": "usd, eur"}).analytics_currencies == ("USD", "EUR")


@pytest.mark.parametrize("value", ["dollars", "US", "USD;EUR", ",", "€UR"])
def test_a_bad_currency_list_names_the_variable(value):
    with pytest.raises(ConfigError, match="ANALYTICS_CURRENCIES"):
        load_settings({"ANALYTICS_CURRENCIES": value})


def test_rfm_sets_the_tier_only_when_turned_on():
    assert load_settings({}).analytics_sets_segment is False
    assert load_settings({"ANALYTICS_SETS_SEGMENT": "true"}).analytics_sets_segment is True


def test_a_bad_switch_value_is_refused():
    with pytest.raises(ConfigError, match="ANALYTICS_SETS_SEGMENT"):
        load_settings({"ANALYTICS_SETS_SEGMENT": "maybe"})


def test_the_recompute_uses_the_company_rules_and_switch(db):
    ids = gen_shop(db, customers=40)
    settings = Settings(analytics_sets_segment=True, analytics_segment_rules='[{"name": "all", "tier": "gold"}]')
    report = recompute_with_settings(db, settings)
    assert report.segments_changed == len(ids)
    assert {db.get(Customer, cid).segment for cid in ids} == {"gold"}
