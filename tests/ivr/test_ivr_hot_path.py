"""The cost of a menu answer: a caller moving through the IVR writes nothing to the store until
they leave it (queue, goodbye) or hang up, and then everything they did is there, once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from contactcenter.contacts.models import CarrierEvent, Interaction
from contactcenter.ivr.services import write_pending
from contactcenter.ivr.session import SessionStore
from contactcenter.telephony.webhooks import MAX_SPEECH
from contactcenter.tickets.services import open_ticket
from tests.support.factories import call_sid, carrier_params, gen_customer, gen_queue, post_signed

MENU_FLOW = """
flow: hot-path
version: 1
start: menu
nodes:
  menu:
    type: menu
    prompt: "For your open requests, press 1. For an agent, press 2. To hang up, press 3. To hear this again, press 9."
    options: {"1": lookup, "2": agent, "3": goodbye}
    repeat_key: "9"
    timeout: 5
    retries: 2
    on_invalid: agent
    on_timeout: agent
  lookup:
    type: lookup
    kind: open_tickets
    result: tickets
    next: result
    on_not_found: result
  result:
    type: say
    prompt: "You have {tickets}."
    next: menu
  agent:
    type: queue
    queue: support
    intent: talk to a person
    priority: 3
  goodbye:
    type: hangup
    prompt: "Goodbye."
"""

CALLER = "+14155550123"


@pytest.fixture
def line(db, runtime, tmp_path: Path):  # type: ignore[no-untyped-def]
    gen_queue(db, "support")
    customer = gen_customer(db, phones=[CALLER])
    open_ticket(db, "Where is my order?", customer_id=customer.id)
    db.commit()
    (tmp_path / "hot.yaml").write_text(MENU_FLOW)
    runtime.settings = runtime.settings.with_overrides(ivr_flows_dir=str(tmp_path), ivr_flow="hot-path")
    runtime.reload_flows()
    return runtime


def _start(client, sid):  # type: ignore[no-untyped-def]
    assert post_signed(client, "/hooks/voice", carrier_params(sid, from_=CALLER)).status_code == 200


def _press(client, sid, step, digits=None, **extra):  # type: ignore[no-untyped-def]
    params = carrier_params(sid, status="in-progress", from_=CALLER, **extra)
    if digits is not None:
        params["Digits"] = digits
    resp = post_signed(client, f"/hooks/ivr?step={step}", params)
    assert resp.status_code == 200, resp.data
    return resp


def _hang_up(client, sid):  # type: ignore[no-untyped-def]
    params = carrier_params(sid, status="completed", from_=CALLER, CallDuration="30", SequenceNumber="9")
    assert post_signed(client, "/hooks/status", params).status_code == 204


def _call(db, sid) -> Interaction:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalars(select(Interaction).where(Interaction.call_sid == sid)).one()


def _menu_inputs(call: Interaction) -> list[str]:
    return [e["input"] for e in call.ivr_path if e["node"] == "menu" and "input" in e]


def _ivr_events(db, sid) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        db.scalars(
            select(CarrierEvent.dedupe_key)
            .where(CarrierEvent.dedupe_key.like(f"ivr:{sid}:%"))
            .order_by(CarrierEvent.id)
        )
    )


def test_a_menu_answer_inside_the_ivr_writes_nothing_to_the_store(line, client, db):
    sid = call_sid()
    _start(client, sid)
    _press(client, sid, 0, "9")  # the first answer moves the call to in-progress: written
    writes: list[str] = []

    def watch(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(line.engine, "before_cursor_execute", watch)
    try:
        resp = _press(client, sid, 1, "1")  # a CRM lookup, and back to the menu
    finally:
        event.remove(line.engine, "before_cursor_execute", watch)
    assert b"You have one open request" in resp.data
    assert writes == []


def test_a_menu_repeat_inside_the_ivr_does_not_touch_the_store_at_all(line, client, db):
    sid = call_sid()
    _start(client, sid)
    _press(client, sid, 0, "9")
    statements: list[str] = []

    def watch(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(line.engine, "before_cursor_execute", watch)
    try:
        resp = _press(client, sid, 1, "9")
    finally:
        event.remove(line.engine, "before_cursor_execute", watch)
    assert b"To hear this again, press 9" in resp.data
    assert statements == []


def test_a_late_menu_answer_after_the_hang_up_is_answered_with_a_hang_up(line, client, db):
    sid = call_sid()
    _start(client, sid)
    _press(client, sid, 0, "9")
    _hang_up(client, sid)
    late = _press(client, sid, 1, "1")
    assert b"<Hangup" in late.data
    assert _menu_inputs(_call(db, sid)) == ["9"]


def test_a_caller_who_hangs_up_in_the_ivr_keeps_their_whole_path(line, client, db):
    sid = call_sid()
    _start(client, sid)
    for step, digits in enumerate(["9", "1", "9", "1"]):
        _press(client, sid, step, digits)
    _hang_up(client, sid)
    call = _call(db, sid)
    assert _menu_inputs(call) == ["9", "1", "9", "1"]
    assert [e["result"] for e in call.ivr_path if e["node"] == "lookup"] == ["found", "found"]
    assert call.ivr_variables == {"tickets": "one open request"}
    assert call.ivr_exit == "caller-hung-up"
    assert _ivr_events(db, sid) == [f"ivr:{sid}:gather:{step}" for step in range(4)]
    assert SessionStore(line.redis).pending(sid) == []


def test_leaving_for_a_queue_writes_the_path_intent_and_priority(line, client, db):
    sid = call_sid()
    _start(client, sid)
    _press(client, sid, 0, "1")
    resp = _press(client, sid, 1, "2")
    assert b"<Enqueue" in resp.data
    call = _call(db, sid)
    assert _menu_inputs(call) == ["1", "2"]
    assert [e["node"] for e in call.ivr_path] == ["menu", "menu", "lookup", "result", "menu", "menu", "agent"]
    assert (call.ivr_exit, call.intent, call.priority) == ("queued", "talk to a person", 3)
    assert call.queued_at is not None
    assert SessionStore(line.redis).pending(sid) == []


def test_a_goodbye_in_the_ivr_writes_the_path(line, client, db):
    sid = call_sid()
    _start(client, sid)
    _press(client, sid, 0, "9")
    resp = _press(client, sid, 1, "3")
    assert b"<Hangup" in resp.data
    call = _call(db, sid)
    assert _menu_inputs(call) == ["9", "3"] and call.ivr_exit == "completed"


def test_a_carrier_retry_of_a_menu_answer_is_answered_again_and_stored_once(line, client, db, runtime):
    sid = call_sid()
    _start(client, sid)
    _press(client, sid, 0, "9")
    first = _press(client, sid, 1, "1")
    again = _press(client, sid, 1, "1")  # the carrier did not hear our answer and resends
    assert b"For your open requests" in first.data and b"For your open requests" in again.data
    assert SessionStore(runtime.redis).load(sid).step == 2
    _hang_up(client, sid)
    call = _call(db, sid)
    assert _menu_inputs(call) == ["9", "1"]
    assert _ivr_events(db, sid) == [f"ivr:{sid}:gather:0", f"ivr:{sid}:gather:1"]


@pytest.mark.parametrize("speech", ["'); DROP TABLE interactions; --", "<script>alert(1)</script>", "x" * 5000])
def test_hostile_speech_on_a_menu_answer_is_kept_as_text(line, client, db, speech):
    sid = call_sid()
    _start(client, sid)
    _press(client, sid, 0, "9")
    resp = post_signed(
        client, "/hooks/ivr?step=1", carrier_params(sid, status="in-progress", from_=CALLER, SpeechResult=speech)
    )
    if len(speech) > MAX_SPEECH:
        assert resp.status_code == 400  # oversized: refused before anything is kept
    else:
        assert resp.status_code == 200 and b"<script>" not in resp.data
    _hang_up(client, sid)
    call = _call(db, sid)
    assert db.scalar(select(func.count(Interaction.id))) == 1
    expected = ["9"] if len(speech) > MAX_SPEECH else ["9", speech[:64]]
    assert _menu_inputs(call) == expected


def test_pending_turns_stay_in_redis_until_the_store_has_them(line, client, db):
    sid = call_sid()
    _start(client, sid)
    _press(client, sid, 0, "9")
    _press(client, sid, 1, "9")
    store = SessionStore(line.redis)
    assert len(store.pending(sid)) == 1
    call = _call(db, sid)
    write_pending(db, store, call)
    db.rollback()  # the store failed: nothing was written, nothing is forgotten
    assert len(store.pending(sid)) == 1
    call = _call(db, sid)
    write_pending(db, store, call)
    db.commit()
    assert store.pending(sid) == []
    assert _menu_inputs(_call(db, sid)) == ["9", "9"]


def test_the_ivr_answers_with_urls_of_the_host_it_was_called_on(line, client, db):
    sid = call_sid()
    assert (
        post_signed(client, "/hooks/voice", carrier_params(sid, from_=CALLER), base="http://a.example").status_code
        == 200
    )
    params = carrier_params(sid, status="in-progress", from_=CALLER, Digits="9")
    resp = post_signed(client, "/hooks/ivr?step=0", params, base="http://b.example")
    assert resp.status_code == 200
    assert b'action="http://b.example/hooks/ivr?step=1"' in resp.data


def test_a_new_public_base_url_is_used_by_the_next_webhook(line, client, db):
    sid = call_sid()
    _start(client, sid)
    line.settings = line.settings.with_overrides(public_base_url="https://cc.example.com")
    params = carrier_params(sid, status="in-progress", from_=CALLER, Digits="9")
    resp = post_signed(client, "/hooks/ivr?step=0", params, base="https://cc.example.com")
    assert resp.status_code == 200
    assert b'action="https://cc.example.com/hooks/ivr?step=1"' in resp.data


def test_many_hosts_keep_the_webhook_url_cache_small(line, app, client, db):
    for n in range(40):  # without PUBLIC_BASE_URL, the Host header names the host
        sid = call_sid()
        resp = post_signed(client, "/hooks/voice", carrier_params(sid, from_=CALLER), base=f"http://h{n}.example")
        assert resp.status_code == 200
    assert 0 < len(app.extensions["contactcenter.hook_urls"]) <= 16


def test_an_unreadable_pending_entry_is_skipped_and_the_rest_is_written(line, client, db):
    sid = call_sid()
    _start(client, sid)
    _press(client, sid, 0, "9")
    _press(client, sid, 1, "9")
    pending = f"ivr:pending:{sid}"
    extra_field = json.dumps(
        {
            "event": {
                "dedupe_key": f"ivr:{sid}:gather:1",
                "kind": "voice",
                "call_status": None,
                "params": {},
                "received_at": "2026-01-01T00:00:00+00:00",
                "interaction_id": 1,
                "evil": "'); DROP TABLE interactions; --",
            }
        }
    )
    line.redis.rpush(pending, "not json", "[1, 2]", '{"event": {"dedupe_key": "x"}}', extra_field)
    _hang_up(client, sid)
    call = _call(db, sid)
    assert _menu_inputs(call) == ["9", "9"] and call.ivr_exit == "caller-hung-up"
    assert _ivr_events(db, sid) == [f"ivr:{sid}:gather:0", f"ivr:{sid}:gather:1"]


def test_a_self_service_lookup_outside_a_transaction_does_not_wait_for_a_writer(committed_runtime):
    from sqlalchemy import text

    from contactcenter.db import transaction
    from contactcenter.ivr.services import CrmSelfService

    rt = committed_runtime
    with transaction(rt.session_factory) as setup:
        customer = gen_customer(setup, phones=[CALLER])
        ticket = open_ticket(setup, "Where is my order?", customer_id=customer.id)
        customer_id, ticket_id = customer.id, ticket.id
    with rt.engine.connect() as writer:  # another webhook holds the write lock meanwhile
        if rt.engine.dialect.name == "sqlite":
            writer.execute(text("SELECT 1"))  # a webhook's transaction begins IMMEDIATE: the write lock
        else:
            writer.execute(text("LOCK TABLE tickets IN EXCLUSIVE MODE"))
        with rt.session_factory() as session:
            crm = CrmSelfService(session)
            assert crm.open_tickets(customer_id, "en-US") == "one open request"
            assert crm.ticket_status(str(ticket_id), customer_id, "en-US") == "received, and waiting for a first reply"
            assert crm.account_summary(customer_id, "en-US").startswith("account for Grace Hopper")
            assert not session.in_transaction()
        writer.rollback()


def test_a_hang_up_kept_through_a_database_outage_writes_the_path_when_replayed(line, client, db):
    from contactcenter.app import outbox

    sid = call_sid()
    _start(client, sid)
    _press(client, sid, 0, "9")
    _press(client, sid, 1, "1")  # kept in Redis only
    hang_up = carrier_params(sid, status="completed", from_=CALLER, CallDuration="30", SequenceNumber="9")
    line.redis.delete(outbox.OUTBOX_KEY)
    assert outbox.write(line.redis, "status", "status", hang_up)  # what the fallback keeps in an outage
    assert outbox.replay(line) == 1
    call = _call(db, sid)
    assert _menu_inputs(call) == ["9", "1"] and call.ivr_exit == "caller-hung-up"
    assert _ivr_events(db, sid) == [f"ivr:{sid}:gather:0", f"ivr:{sid}:gather:1"]
