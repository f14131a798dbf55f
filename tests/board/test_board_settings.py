"""Teams, thresholds and acknowledgements in the store: checked before they are written, one team
per agent, an acknowledgement kept while its alert holds and closed when it stops."""

from __future__ import annotations

import pytest

from contactcenter.board import services as board_settings
from contactcenter.board.calls import current_calls, masked
from contactcenter.board.models import AlertAck
from contactcenter.board.services import BoardError
from tests.support.board_floor import call_in_progress, team_with, thresholds_on
from tests.support.factories import gen_agent, gen_queue


@pytest.fixture
def floor(db):  # type: ignore[no-untyped-def]
    return {
        "support": gen_queue(db, "support", display_name="Support"),
        "alice": gen_agent(db, "alice", display_name="Alice"),
        "bob": gen_agent(db, "bob", display_name="Bob"),
        "sam": gen_agent(db, "sam", display_name="Sam", role=board_settings.Role.SUPERVISOR),
    }


def test_an_agent_is_in_one_team_at_a_time(db, floor):
    team_with(db, "Red", floor["alice"])
    blue = team_with(db, "Blue", floor["alice"])
    assert board_settings.agent_teams(db) == {str(floor["alice"].id): "Blue"}
    assert board_settings.team_of(db, floor["alice"].id).id == blue.id


def test_an_agent_can_leave_every_team(db, floor):
    team_with(db, "Red", floor["alice"])
    board_settings.set_agent_team(db, floor["alice"].id, None)
    assert board_settings.agent_teams(db) == {}


def test_removing_a_team_frees_its_agents(db, floor):
    red = team_with(db, "Red", floor["alice"], floor["bob"])
    board_settings.delete_team(db, red.id)
    assert board_settings.agent_teams(db) == {} and board_settings.teams(db) == []


def test_only_agents_join_teams(db, floor):
    red = team_with(db, "Red")
    with pytest.raises(BoardError) as err:
        board_settings.set_agent_team(db, floor["sam"].id, red.id)
    assert err.value.code == "not_an_agent"


@pytest.mark.parametrize("name", ["", "   ", "<script>x</script>", "x" * 65, "Red'; DROP TABLE teams; --"])
def test_bad_team_names_are_refused(db, floor, name):
    with pytest.raises(BoardError):
        board_settings.create_team(db, name)
    assert board_settings.teams(db) == []


def test_a_team_name_is_taken_once(db, floor):
    team_with(db, "Red")
    with pytest.raises(BoardError) as err:
        board_settings.create_team(db, "Red")
    assert err.value.kind == "conflict"


def test_thresholds_are_saved_and_replaced(db, floor):
    thresholds_on(db, floor["support"], waiting=(5, 10))
    thresholds_on(db, floor["support"], waiting=(3, 6), service_level=(0.8, 0.7))
    saved = board_settings.thresholds_by_queue(db)["support"]
    assert (saved["waiting"].warn, saved["waiting"].critical) == (3, 6)
    assert saved["service_level"].critical == 0.7


def test_a_threshold_set_to_none_is_removed(db, floor):
    thresholds_on(db, floor["support"], waiting=(5, 10))
    board_settings.save_thresholds(db, floor["support"].id, {"waiting": None})
    assert board_settings.thresholds_by_queue(db) == {}


def test_one_bad_threshold_writes_none_of_them(db, floor):
    with pytest.raises(BoardError):
        thresholds_on(db, floor["support"], waiting=(5, 10), longest_wait_s=(60, 30))
    assert board_settings.thresholds_by_queue(db) == {}


def test_an_acknowledgement_records_who_and_when(db, floor):
    ack, new = board_settings.acknowledge(db, floor["sam"], "support:long_wait", {"support:long_wait"})
    assert new and ack.by == "Sam" and ack.at > 0
    assert board_settings.active_acks(db)["support:long_wait"] == ack


def test_a_second_acknowledgement_keeps_the_first(db, floor):
    first, _ = board_settings.acknowledge(db, floor["sam"], "support:long_wait", {"support:long_wait"})
    again, new = board_settings.acknowledge(db, floor["alice"], "support:long_wait", {"support:long_wait"})
    assert not new and again == first


def test_an_alert_that_no_longer_holds_cannot_be_acknowledged(db, floor):
    with pytest.raises(BoardError) as err:
        board_settings.acknowledge(db, floor["sam"], "support:long_wait", set())
    assert err.value.kind == "not_found"


@pytest.mark.parametrize("key", ["<img src=x>", "a' OR 1=1 --", "x" * 500, ""])
def test_a_key_that_is_no_alert_is_refused(db, floor, key):
    with pytest.raises(BoardError):
        board_settings.acknowledge(db, floor["sam"], key, {key})
    assert db.query(AlertAck).count() == 0


def test_an_acknowledgement_closes_when_its_alert_stops(db, floor):
    board_settings.acknowledge(db, floor["sam"], "support:long_wait", {"support:long_wait"})
    assert board_settings.clear_acks(db, holding=set()) == 1
    assert board_settings.active_acks(db) == {}
    _ack, new = board_settings.acknowledge(db, floor["sam"], "support:long_wait", {"support:long_wait"})
    assert new  # the next time it starts, it is a new alert to acknowledge


@pytest.mark.parametrize(
    "number,shown",
    [
        ("+447700900123", "+44 •••• 0123"),
        ("+14155550100", "+1 •••• 0100"),
        ("client:alice", "internal"),
        ("123", "••••"),
        (None, "unknown"),
    ],
)
def test_callers_are_masked(number, shown):
    assert masked(number) == shown


def test_a_call_in_progress_shows_its_masked_caller_queue_and_direction(db, floor):
    call = call_in_progress(db, floor["alice"], floor["support"], from_number="+447700900123")
    [(sid, details)] = current_calls(db).items()
    assert sid == call.call_sid
    assert details["caller"] == "+44 •••• 0123" and details["queue_name"] == "Support"
    assert details["direction"] == "inbound" and details["answered_at"] is not None


def test_an_outbound_call_shows_the_number_called(db, floor):
    call_in_progress(db, floor["alice"], floor["support"], direction="outbound", to_number="+14155550142")
    [details] = current_calls(db).values()
    assert details["direction"] == "outbound" and details["caller"] == "+1 •••• 0142"


def test_ended_calls_are_not_current(db, floor):
    call_in_progress(db, floor["alice"], floor["support"], ended_at=board_settings.clock.now())
    assert current_calls(db) == {}
