"""Custom parameters on a browser's address: Twilio's query-string notation for a client
(`client:alice?task=CA…`), which the Voice SDK hands to the page as the call's customParameters."""

from __future__ import annotations

import pytest

from contactcenter.telephony.softphone import client_address, split_client_address
from contactcenter.telephony.webhooks import parse_call_event

TASK = "CA" + "a" * 32


def test_a_browser_address_carries_the_task():
    assert client_address("client:alice", task=TASK) == f"client:alice?task={TASK}"


def test_a_phone_number_is_dialled_as_it_is():
    assert client_address("+14155550100", task=TASK) == "+14155550100"


def test_a_sip_address_is_dialled_as_it_is():
    assert client_address("sip:alice@pbx.example.com", task=TASK) == "sip:alice@pbx.example.com"


def test_markup_in_a_parameter_is_escaped_not_passed_through():
    address = client_address("client:alice", task="<b>&x=1")
    assert "<" not in address and "&x" not in address
    assert split_client_address(address) == ("client:alice", {"task": "<b>&x=1"})


def test_oversized_parameters_are_refused():
    with pytest.raises(ValueError, match="few hundred"):
        client_address("client:alice", task="x" * 1000)


def test_an_address_without_parameters_splits_into_itself():
    assert split_client_address("client:alice") == ("client:alice", {})


def test_a_status_callback_keeps_the_browser_without_its_parameters():
    event = parse_call_event(
        "status",
        {
            "CallSid": "CA" + "b" * 32,
            "AccountSid": "AC" + "c" * 32,
            "CallStatus": "in-progress",
            "To": "client:" + "a" * 121 + "?task=" + TASK,
            "Direction": "outbound-api",
        },
    )
    assert event.to_number == "client:" + "a" * 121
