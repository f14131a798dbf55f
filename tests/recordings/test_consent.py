"""Consent rules: per queue, per campaign and per caller region (the country of the customer's
number). The region's rule wins (it is the law where the caller is), then the campaign's, then
the queue's; no rule means neither an announcement nor a recording. Rules refuse bad input."""

from __future__ import annotations

import pytest

from contactcenter import clock
from contactcenter.recordings.interfaces import DEFAULT_ANNOUNCEMENT, InvalidRecordingRule
from contactcenter.recordings.services import RecordingService
from tests.support.dialer import gen_attempt, gen_campaign
from tests.support.factories import gen_call, gen_queue
from tests.support.recordings import gen_rule

GERMAN_CALLER = "+4930901820"
US_CALLER = "+14155550100"


@pytest.fixture
def support(db):  # type: ignore[no-untyped-def]
    return gen_queue(db, "support")


def _consent(db, call):  # type: ignore[no-untyped-def]
    return RecordingService(db).consent(call)


def test_no_rule_neither_announces_nor_records(db, support):
    consent = _consent(db, gen_call(db, queue_id=support.id))
    assert (consent.mode, consent.announcement, consent.decided_by) == ("off", None, "default")


def test_a_queue_rule_records_with_its_announcement_and_retention(db, support):
    gen_rule(db, "queue", support.id, "record", announcement="We record calls.", retention_days=90)
    consent = _consent(db, gen_call(db, queue_id=support.id))
    assert (consent.records, consent.announcement, consent.retention_days) == (True, "We record calls.", 90)


def test_a_rule_without_its_own_words_uses_the_standard_announcement(db, support):
    gen_rule(db, "queue", support.id, "announce")
    consent = _consent(db, gen_call(db, queue_id=support.id))
    assert (consent.records, consent.announcement) == (False, DEFAULT_ANNOUNCEMENT)


def test_the_callers_region_overrides_the_queue(db, support):
    gen_rule(db, "queue", support.id, "record")
    gen_rule(db, "region", "DE", "announce", announcement="Dieses Gespräch wird nicht aufgezeichnet.")
    consent = _consent(db, gen_call(db, queue_id=support.id, from_number=GERMAN_CALLER))
    assert (consent.mode, consent.decided_by) == ("announce", "region:DE")


def test_a_region_rule_applies_only_to_callers_from_there(db, support):
    gen_rule(db, "queue", support.id, "record")
    gen_rule(db, "region", "DE", "off")
    assert _consent(db, gen_call(db, queue_id=support.id, from_number=US_CALLER)).records


def test_retention_comes_from_the_queue_even_when_the_region_decides(db, support):
    gen_rule(db, "queue", support.id, "record", retention_days=30)
    gen_rule(db, "region", "US", "record", announcement="Recorded.")
    consent = _consent(db, gen_call(db, queue_id=support.id))
    assert (consent.decided_by, consent.retention_days) == ("region:US", 30)


def test_an_outbound_call_is_judged_by_the_called_partys_region(db, support):
    gen_rule(db, "region", "DE", "off")
    gen_rule(db, "queue", support.id, "record")
    call = gen_call(db, queue_id=support.id, direction="outbound", from_number=US_CALLER, to_number=GERMAN_CALLER)
    assert _consent(db, call).mode == "off"


def test_a_campaign_rule_overrides_the_queue(db, support):
    campaign = gen_campaign(db)
    attempt = gen_attempt(db, campaign, clock.now(), answered=True, connected=True)
    gen_rule(db, "queue", support.id, "off")
    gen_rule(db, "campaign", campaign.id, "record", announcement="This sales call is recorded.")
    call = gen_call(db, queue_id=support.id, call_sid=attempt.call_sid, direction="outbound")
    consent = _consent(db, call)
    assert (consent.records, consent.decided_by) == (True, f"campaign:{campaign.id}")


def test_setting_a_rule_again_replaces_it(db, support):
    gen_rule(db, "queue", support.id, "record")
    gen_rule(db, "queue", support.id, "off")
    assert [(r.scope, r.mode) for r in RecordingService(db).rules()] == [("queue", "off")]


def test_a_lower_case_region_is_kept_upper_case(db):
    assert gen_rule(db, "region", "de", "off").target == "DE"


@pytest.mark.parametrize(
    ("scope", "target", "mode", "extra"),
    [
        ("planet", "1", "record", {}),
        ("queue", "1", "always", {}),
        ("region", "XX", "off", {}),
        ("region", "D'E", "off", {}),
        ("region", "<script>", "off", {}),
        ("queue", "1; DROP TABLE recording_rules", "record", {}),
        ("campaign", "abc", "record", {}),
        ("queue", "1", "record", {"announcement": "x" * 501}),
        ("queue", "1", "record", {"retention_days": 0}),
        ("queue", "1", "record", {"retention_days": 100_000}),
    ],
)
def test_rules_that_cannot_work_are_refused(db, scope, target, mode, extra):
    with pytest.raises(InvalidRecordingRule):
        RecordingService(db).set_rule(scope, target, mode, **extra)
    assert RecordingService(db).rules() == []
