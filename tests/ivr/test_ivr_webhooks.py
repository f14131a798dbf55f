"""IVR webhooks one at a time: replays, expired sessions, hostile input, masking."""

from __future__ import annotations

from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from contactcenter.contacts.models import CarrierEvent, Interaction
from contactcenter.ivr.session import SessionStore
from tests.support.constants import BUSINESS_HOURS
from tests.support.factories import call_sid, carrier_params, gen_queue, post_signed

SENSITIVE_FLOW = """
flow: pin-check
version: 2
start: pin
nodes:
  pin:
    type: collect
    prompt: "Enter your PIN, then press pound."
    variable: pin
    min_length: 4
    max_length: 4
    pattern: "[0-9]{4}"
    sensitive: true
    timeout: 5
    retries: 1
    next: agent
    on_invalid: agent
    on_timeout: agent
  agent:
    type: queue
    queue: support
    intent: account access
"""


@pytest.fixture
def center(db, runtime):  # type: ignore[no-untyped-def]
    for name in ("support", "billing", "technical", "sales"):
        gen_queue(db, name)
    runtime.reload_flows()
    with freeze_time(BUSINESS_HOURS):  # the demo flow checks opening hours
        yield


def _start(client, sid):  # type: ignore[no-untyped-def]
    return post_signed(client, "/hooks/voice", carrier_params(sid))


def _press(client, sid, step, digits):  # type: ignore[no-untyped-def]
    return post_signed(client, f"/hooks/ivr?step={step}", carrier_params(sid, status="in-progress", Digits=digits))


def _call(db, sid) -> Interaction:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalars(select(Interaction).where(Interaction.call_sid == sid)).one()


def test_repeated_gather_does_not_advance_the_menu_twice(center, client, db, runtime):
    sid = call_sid()
    _start(client, sid)
    first = _press(client, sid, 0, "1")  # English → main menu
    again = _press(client, sid, 0, "1")  # the carrier retries the same request
    assert b"For order status" in first.data and b"For order status" in again.data
    assert SessionStore(runtime.redis).load(sid).step == 1
    call = _call(db, sid)
    assert [e["node"] for e in call.ivr_path].count("main_menu") == 1
    assert db.scalar(select(func.count(CarrierEvent.id)).where(CarrierEvent.dedupe_key.like("ivr:%"))) == 1


def test_a_stale_step_reprompts_without_moving(center, client, db, runtime):
    sid = call_sid()
    _start(client, sid)
    _press(client, sid, 0, "1")
    _press(client, sid, 1, "2")  # billing → queued
    stale = _press(client, sid, 0, "1")
    assert b"<Enqueue" in stale.data  # already waiting for an agent: stays there
    assert _call(db, sid).ivr_exit == "queued"


def test_expired_session_restarts_at_the_root(center, client, db, runtime):
    sid = call_sid()
    _start(client, sid)
    SessionStore(runtime.redis).drop(sid)
    resp = _press(client, sid, 0, "1")
    assert resp.status_code == 200
    assert b"For English, press 1" in resp.data
    assert SessionStore(runtime.redis).load(sid).step == 0


def test_ivr_webhook_for_unknown_call_is_404(center, client, db):
    resp = _press(client, call_sid(), 0, "1")
    assert resp.status_code == 404
    assert db.scalar(select(func.count(Interaction.id))) == 0


@pytest.mark.parametrize("query", ["", "?step=", "?step=-1", "?step=abc", "?step=1;DROP", "?step=99999999999"])
def test_bad_step_is_400(center, client, db, query):
    sid = call_sid()
    _start(client, sid)
    resp = post_signed(client, f"/hooks/ivr{query}", carrier_params(sid, status="in-progress", Digits="1"))
    assert resp.status_code == 400
    assert _call(db, sid).ivr_path[-1]["node"] == "choose_language"


@pytest.mark.parametrize("digits", ["<script>", "1' OR '1'='1", "9" * 65])
def test_hostile_digits_are_400_and_change_nothing(center, client, db, runtime, digits):
    sid = call_sid()
    _start(client, sid)
    resp = _press(client, sid, 0, digits)
    assert resp.status_code == 400
    assert SessionStore(runtime.redis).load(sid).step == 0


def test_sensitive_entry_is_masked_in_the_path(db, runtime, client, tmp_path: Path):
    gen_queue(db, "support")
    (tmp_path / "pin.yaml").write_text(SENSITIVE_FLOW)
    runtime.settings = runtime.settings.with_overrides(ivr_flows_dir=str(tmp_path), ivr_flow="pin-check")
    runtime.reload_flows()
    sid = call_sid()
    _start(client, sid)
    resp = _press(client, sid, 0, "4321")
    assert b"<Enqueue" in resp.data
    call = _call(db, sid)
    assert "4321" not in str(call.ivr_path) and "4321" not in str(call.ivr_variables)
    assert any(e.get("input") == "****" for e in call.ivr_path)
    assert call.ivr_flow_version == 2 and call.intent == "account access"


def test_invalid_flow_edit_keeps_the_last_valid_version_serving(db, runtime, client, tmp_path: Path):
    gen_queue(db, "support")
    flow_file = tmp_path / "pin.yaml"
    flow_file.write_text(SENSITIVE_FLOW)
    runtime.settings = runtime.settings.with_overrides(ivr_flows_dir=str(tmp_path), ivr_flow="pin-check")
    runtime.reload_flows()
    flow_file.write_text(SENSITIVE_FLOW.replace("version: 2", "version: 3").replace("next: agent", "next: nowhere"))
    [result] = runtime.reload_flows()
    assert not result.accepted
    assert runtime.ivr_flow().version == 2
    sid = call_sid()
    assert b"Enter your PIN" in _start(client, sid).data
