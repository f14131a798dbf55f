"""The database is unreachable for a while (a TCP proxy in front of PostgreSQL drops every
connection): webhooks still answer the caller with a safe TwiML fallback, and what happened
during the outage — a call arriving, a call ending — is written once the database returns."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from contactcenter import clock
from contactcenter.app import outbox, runtime as runtime_mod, ticker
from contactcenter.app.runtime import Runtime
from contactcenter.contacts.models import CarrierEvent, Interaction
from contactcenter.db import make_engine, make_sessionmaker
from contactcenter.migrate import upgrade
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_queue
from tests.support.faults import TcpProxy, fresh_schema, postgres_base_url
from tests.support.store import delete_all_rows

pytestmark = pytest.mark.fault
SCHEMA = f"fault_outage_{os.getpid()}"


def _with(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    netloc_new = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
    return f"{parts.scheme}://{netloc_new}{parts.path}?options=-csearch_path%3D{SCHEMA}"


@pytest.fixture(scope="module")
def proxy() -> Iterator[TcpProxy]:
    base = postgres_base_url()
    parts = urlsplit(base)
    with fresh_schema(base, SCHEMA):
        tcp = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
        migrate = make_engine(_with(base, tcp.port))
        upgrade(migrate)
        migrate.dispose()
        yield tcp
        tcp.close()


@pytest.fixture
def proxied_engine(proxy: TcpProxy) -> Iterator[Engine]:
    proxy.up()
    engine = make_engine(_with(postgres_base_url(), proxy.port))
    delete_all_rows(engine)
    yield engine
    proxy.up()
    delete_all_rows(engine)
    engine.dispose()


@pytest.fixture
def runtime(settings, proxied_engine, redis_client) -> Iterator[Runtime]:  # type: ignore[no-untyped-def]
    """The app's database is the proxied PostgreSQL, committing for real."""
    rt = Runtime(
        settings=settings.with_overrides(ivr_flow=""),
        engine=proxied_engine,
        session_factory=make_sessionmaker(proxied_engine),
        redis=redis_client,
    )
    previous = runtime_mod.install(rt)
    with rt.session_factory.begin() as session:
        gen_queue(session, "support")
    ticker.tick_once(rt)  # the router built from the store
    yield rt
    runtime_mod.install(previous)


def _calls(runtime: Runtime) -> list[Interaction]:
    with runtime.session_factory() as session:
        return list(session.scalars(select(Interaction).order_by(Interaction.id)))


def test_caller_arriving_during_an_outage_is_asked_to_hold_then_served(carrier, runtime, proxy):
    proxy.down()
    caller = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 120")
    carrier.run_for(18)  # the carrier comes back every few seconds; the database is still away
    assert "having a short technical problem. Please stay on the line" in caller.heard_text()
    assert "Thank you for holding" in caller.heard_text()
    assert not caller.ended
    assert outbox.pending(runtime.redis) == 1  # the call's arrival, kept once for the store

    proxy.up()
    carrier.run_for(10)  # the carrier comes back to the same webhook and the call carries on
    assert "Please hold while we connect you" in caller.heard_text()
    assert runtime.acd.position(caller.sid).position == 1

    ticker.tick_once(runtime)  # the outbox replay finds the call already written: nothing twice
    assert outbox.pending(runtime.redis) == 0
    [call] = _calls(runtime)
    assert call.call_sid == caller.sid
    with runtime.session_factory() as session:
        starts = session.scalar(
            select(func.count(CarrierEvent.id)).where(CarrierEvent.dedupe_key == f"voice:{caller.sid}:start")
        )
    assert starts == 1


def test_call_ending_during_an_outage_is_written_when_the_database_returns(carrier, runtime, proxy):
    caller = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 20")
    carrier.run_for(5)
    assert runtime.acd.position(caller.sid).position == 1

    proxy.down()
    carrier.run_for(25)  # the caller hangs up while the database is away
    assert caller.ended
    carrier.run_for(30)
    restored_at = clock.now()
    proxy.up()
    [call] = _calls(runtime)
    assert call.ended_at is None  # not yet written

    ticker.tick_once(runtime)  # the leader replays the outbox
    [call] = _calls(runtime)
    assert call.outcome == "abandoned"
    assert call.ended_at <= restored_at - timedelta(seconds=25)  # when it happened, not when replayed
    assert runtime.acd.position(caller.sid).state == "abandoned"  # out of the line
    assert outbox.pending(runtime.redis) == 0
    ticker.tick_once(runtime)
    assert _calls(runtime)[0].ended_at == call.ended_at


def test_status_callback_for_an_unknown_call_is_kept_aside_not_retried_forever(runtime, proxy):
    from tests.support.factories import carrier_params

    outbox.write(runtime.redis, "status", "status", carrier_params(status="completed"))
    assert outbox.replay(runtime) == 1
    assert outbox.pending(runtime.redis) == 0
    assert runtime.redis.llen(outbox.DEAD_KEY) == 1


HUMAN = "+12125550103"


def test_campaign_call_answered_during_an_outage_hears_the_safe_harbor_and_counts_as_abandoned(carrier, runtime, proxy):  # type: ignore[no-untyped-def]
    import io

    from contactcenter.acd.models import QueueMembership
    from contactcenter.acd.services import AcdService
    from contactcenter.app.services import pacer_worker
    from contactcenter.dialer import campaigns, ledger_records
    from contactcenter.dialer.leads_import import import_leads
    from contactcenter.dialer.models import DialAttempt
    from contactcenter.dialer.pacer_worker import drain_events
    from contactcenter.telephony.simulator import Callee
    from tests.support.factories import gen_agent

    with runtime.session_factory.begin() as session:
        sales = gen_queue(session, "sales")
        alice = gen_agent(session, "alice")
        session.flush()
        session.add(QueueMembership(queue_id=sales.id, user_id=alice.id))
        campaign = campaigns.create_campaign(
            session,
            name="Spring renewals",
            dial_mode="progressive",
            queue_id=sales.id,
            caller_id="+12025550100",
            company_name="Acme Energy",
            callback_number="+18005550123",
        )
        campaigns.start_campaign(session, campaign)
        import_leads(session, campaign, io.StringIO(f"name,phone\nHuman Hal,{HUMAN}\n", newline=""))
        campaign_id, alice_id = campaign.id, alice.id
        message = campaigns.safe_harbor_instructions(campaign)[0].text
    with runtime.session_factory.begin() as session:
        acd = AcdService(session, runtime.acd)
        acd.sync_configuration()
        acd.set_state(alice_id, "available")
    carrier.set_callee(HUMAN, Callee(answer="human", ring_s=3, talk_s=120))
    worker = pacer_worker(runtime, "http://cc.test")
    [placed] = worker.step(drain_events(runtime.redis, 0))[campaign_id].placed

    proxy.down()  # the person answers while the database is away
    carrier.run_for(20)
    hal = carrier.call(placed)
    assert message in hal.heard_text() and "Acme Energy" in hal.heard_text()
    assert hal.ended  # no retry loop: past 2 s without an agent the call is abandoned
    kept = [outbox.Entry.decode(raw) for raw in runtime.redis.lrange(outbox.OUTBOX_KEY, 0, -1)]
    assert [e.endpoint for e in kept].count("dialer_answer") == 1  # the answer, and every status callback
    assert kept[-1].endpoint == "dialer_status" and kept[-1].params["CallStatus"] == "completed"

    proxy.up()
    ticker.tick_once(runtime)
    assert outbox.pending(runtime.redis) == 0
    with runtime.session_factory() as session:
        attempt = session.scalars(select(DialAttempt).where(DialAttempt.call_sid == placed)).one()
        assert attempt.answered_at is not None and attempt.abandoned and attempt.safe_harbor_played
        assert attempt.connected_at is None and attempt.ended_at is not None
        call = session.scalars(select(Interaction).where(Interaction.call_sid == placed)).one()
        assert call.is_ended and call.outcome == "abandoned"
        report = ledger_records.abandonment_report(session, session.get(type(campaign), campaign_id))
        assert (report["live_answered"], report["abandoned"]) == (1, 1)
    assert runtime.acd.call_snapshot(placed) is None  # never left waiting in the campaign's queue
