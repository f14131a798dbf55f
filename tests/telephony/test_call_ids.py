"""The three kinds of call id, each checked where it is used: carrier webhooks take only Twilio
call SIDs, the desktop's call controls any call id (simulator and callback keys too), the
knowledge panel any call id with '.' and ':' as well. Hostile and oversized ids are refused
everywhere."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from contactcenter.telephony import call_ids
from contactcenter.telephony.webhooks import MalformedWebhook, parse_call_event
from tests.support.factories import PASSWORD, gen_agent

TWILIO = "CA" + "0123456789abcdef" * 2
# id: (a Twilio call SID, any call id, a call id with dots and colons)
IDS = {
    TWILIO: (True, True, True),
    "CA" + "0123456789ABCDEF" * 2: (True, True, True),
    "CA" + "0" * 31: (False, True, True),
    "CA" + "0" * 33: (False, True, True),
    "CA" + "0" * 31 + "g": (False, True, True),
    "SIM00000001": (False, True, True),
    "cb-42_7": (False, True, True),
    "x" * 64: (False, True, True),
    "x" * 65: (False, False, False),
    "call.7": (False, False, True),
    "sim:7": (False, False, True),
    "CA'OR1=1--": (False, False, False),
    "<script>": (False, False, False),
    "a b": (False, False, False),
    "é": (False, False, False),
}


def test_each_pattern_accepts_what_its_name_says():
    accepted = {
        sid: (
            bool(call_ids.TWILIO_CALL_SID.match(sid)),
            bool(call_ids.CALL_ID.match(sid)),
            bool(call_ids.CALL_ID_DOTTED.match(sid)),
        )
        for sid in IDS
    }
    assert accepted == IDS
    assert not any(p.match("") for p in (call_ids.TWILIO_CALL_SID, call_ids.CALL_ID, call_ids.CALL_ID_DOTTED))


def _webhook_accepts(field: str, sid: str) -> bool:
    params = {"CallSid": TWILIO, "AccountSid": "AC" + "0" * 32, "CallStatus": "ringing", field: sid}
    try:
        parse_call_event("status", params)
    except MalformedWebhook as exc:
        assert field in str(exc)  # refused for this id, not for anything else
        return False
    return True


@pytest.mark.parametrize("field", ["CallSid", "ParentCallSid"])
def test_carrier_webhooks_take_only_twilio_call_sids(field):
    assert {sid: _webhook_accepts(field, sid) for sid in IDS} == {sid: kinds[0] for sid, kinds in IDS.items()}
    assert _webhook_accepts("CallSid", "") is False


@pytest.fixture
def agent_client(db, client):  # type: ignore[no-untyped-def]
    gen_agent(db, "alice")
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    return client


def test_desktop_call_controls_take_any_call_id(agent_client):
    statuses = {sid: agent_client.get(f"/desktop/calls/{quote(sid, safe='')}/controls").status_code for sid in IDS}
    assert 400 not in {statuses[sid] for sid, kinds in IDS.items() if kinds[1]}
    assert {sid for sid, status in statuses.items() if status == 400} == {
        sid for sid, kinds in IDS.items() if not kinds[1]
    }


def test_the_knowledge_panel_takes_call_ids_with_dots_and_colons(agent_client):
    statuses = {
        sid: agent_client.get(f"/desktop/knowledge/calls/{quote(sid, safe='')}/script").status_code for sid in IDS
    }
    assert {sid for sid, status in statuses.items() if status == 400} == {
        sid for sid, kinds in IDS.items() if not kinds[2]
    }
    assert {statuses[sid] for sid, kinds in IDS.items() if kinds[2]} == {404}
