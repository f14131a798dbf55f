"""Campaign settings are validated, rules are applied by default, and the lifecycle is explicit."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from contactcenter.dialer import campaigns
from contactcenter.dialer.campaigns import CampaignError
from contactcenter.dialer.compliance import UK, US, check_safe_harbor, safe_harbor_text
from contactcenter.dialer.models import CampaignStatus
from contactcenter.telephony.interfaces import Hangup, Say
from tests.support.dialer import gen_campaign
from tests.support.factories import gen_agent, gen_queue


def test_a_new_campaign_gets_the_rule_sets_defaults(db):
    campaign = gen_campaign(db, start=False)
    assert campaign.status == CampaignStatus.DRAFT.value
    assert campaign.rule_set == "US"
    assert campaign.abandon_cap == 0.03
    assert campaign.ring_timeout_s >= 15
    assert campaign.caller_id == "+12025550100"
    assert any(d.get("dnc") for d in campaign.dispositions)
    config = campaigns.pacing_config(campaign)
    assert config.mode == "predictive"
    assert config.period_s == US.period_s
    assert config.connect_within_s == 2.0
    assert not config.count_amd_false_positives


def test_uk_campaigns_count_amd_false_positives_and_use_day_periods(db):
    campaign = gen_campaign(db, "UK list", rule_set="UK", caller_id="+442071838750", callback_number="+442071838751")
    config = campaigns.pacing_config(campaign)
    assert config.period_s == UK.period_s == 86_400
    assert config.count_amd_false_positives
    assert campaign.time_zone == "Europe/London"


@pytest.mark.parametrize(
    "setting, message",
    [
        ({"abandon_cap": 0.05}, "abandonment cap"),
        ({"ring_timeout_s": 10}, "ring timeout"),
        ({"dial_mode": "turbo"}, "dial mode"),
        ({"rule_set": "FR"}, "unknown rule set"),
        ({"caller_id": "12"}, "caller ID"),
        ({"calling_window": {"start": "07:00"}}, "within 08:00-21:00"),
        ({"calling_window": {"end": "22:30"}}, "within 08:00-21:00"),
        ({"calling_window": {"regions": {"Atlantis": {"start": "09:00"}}}}, "unknown region"),
        ({"retry_delays": {"busy": -5}}, "retry delays"),
        ({"pacing": {"target_share": 3}}, "pacing target_share"),
        ({"pacing": {"warp": 1}}, "unknown pacing setting"),
        ({"dispositions": [{"code": "sale"}]}, "do-not-call"),
        ({"safe_harbor_message": "Hi, bye."}, "must name the company"),
        ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
        ({"max_dial_ratio": 50}, "max dial ratio"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(db, setting, message):
    with pytest.raises(CampaignError, match=message):
        gen_campaign(db, start=False, **setting)


def test_an_update_that_fails_validation_changes_nothing(db):
    campaign = gen_campaign(db, start=False)
    with pytest.raises(CampaignError):
        campaigns.update_campaign(db, campaign, abandon_cap=0.2)
    assert campaign.abandon_cap == 0.03
    campaigns.update_campaign(db, campaign, abandon_cap=0.02, dial_mode="progressive")
    assert campaign.abandon_cap == 0.02 and campaign.dial_mode == "progressive"


def test_lifecycle_start_pause_stop(db):
    with freeze_time("2026-01-05 15:00:00"):
        campaign = gen_campaign(db, start=False)
        campaigns.start_campaign(db, campaign)
        first_start = campaign.started_at
        assert campaign.status == "running"
    with freeze_time("2026-01-05 16:00:00"):
        campaigns.pause_campaign(db, campaign)
        assert campaign.status == "paused"
        with pytest.raises(CampaignError):
            campaigns.pause_campaign(db, campaign)
        campaigns.start_campaign(db, campaign)
        assert campaign.started_at == first_start  # periods keep counting from the first start
        campaigns.stop_campaign(db, campaign)
        assert campaign.status == "stopped"
        with pytest.raises(CampaignError):
            campaigns.start_campaign(db, campaign)
        with pytest.raises(CampaignError):
            campaigns.update_campaign(db, campaign, script="new")


def test_agents_come_from_the_queue_and_the_list(db):
    queue = gen_queue(db, "outbound")
    listed, member = gen_agent(db), gen_agent(db)
    from contactcenter.acd.models import QueueMembership

    db.add(QueueMembership(queue_id=queue.id, user_id=member.id))
    campaign = gen_campaign(db, queue_id=queue.id)
    campaigns.set_agents(db, campaign, [listed.id])
    assert campaigns.agent_ids(db, campaign) == sorted([listed.id, member.id])


def test_uk_periods_start_at_local_midnight_and_us_periods_at_the_first_start(db):
    with freeze_time("2026-07-01 13:30:00"):
        uk = gen_campaign(db, "UK", rule_set="UK", caller_id="+442071838750", callback_number="+442071838751")
        us = gen_campaign(db, "US")
    # 2026-07-01 00:00 in London (BST) is 2026-06-30 23:00 UTC.
    assert campaigns.period_origin(uk) == 1782860400.0
    assert campaigns.period_origin(us) == us.started_at.timestamp()


def test_the_safe_harbor_message_names_the_company_and_the_number(db):
    campaign = gen_campaign(db)
    instructions = campaigns.safe_harbor_instructions(campaign)
    assert isinstance(instructions[0], Say) and isinstance(instructions[-1], Hangup)
    text = instructions[0].text
    assert "Acme Energy" in text
    assert check_safe_harbor(text, "Acme Energy", "+18005550123") == []
    assert check_safe_harbor(safe_harbor_text("Acme", "+18005550123"), "Acme", "+18005550123") == []


def test_amd_settings_choose_twilios_machine_detection(db):
    hang_up = gen_campaign(db, "a", amd_action="hangup")
    message = gen_campaign(db, "b", amd_action="message", amd_message="Please call Acme Energy back.")
    off = gen_campaign(db, "c", amd_enabled=False)
    assert campaigns.machine_detection(hang_up) == "Enable"
    assert campaigns.machine_detection(message) == "DetectMessageEnd"
    assert campaigns.machine_detection(off) is None
    assert isinstance(campaigns.machine_instructions(message)[0], Say)
    assert campaigns.machine_instructions(hang_up) == [Hangup()]
