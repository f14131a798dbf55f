"""Ticket changes made outside a web request (jobs, the ticker) still reach open ticket views: the
worker process announces them on the channel the web processes relay."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from contactcenter.app import wiring
from contactcenter.db import transaction
from contactcenter.tickets.services import open_ticket
from contactcenter.tickets.views import TICKETS_CHANGED_CHANNEL


@pytest.fixture(autouse=True)
def _announcer(redis_client):  # type: ignore[no-untyped-def]
    wiring.announce_ticket_changes(redis_client)
    yield
    wiring.stop_announcing_ticket_changes()


def _listen(redis_client):  # type: ignore[no-untyped-def]
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(TICKETS_CHANGED_CHANNEL)
    pubsub.get_message(timeout=1.0)  # the subscription's confirmation
    return pubsub


def test_a_commit_that_changed_a_ticket_is_announced_once(committed_runtime, redis_client):  # type: ignore[no-untyped-def]
    pubsub = _listen(redis_client)
    with transaction(committed_runtime.session_factory) as session:
        open_ticket(session, "Router keeps dropping")
    assert pubsub.get_message(timeout=2.0)["data"] == b"1"
    assert pubsub.get_message(timeout=0.3) is None
    pubsub.close()


def test_a_commit_that_changed_no_ticket_is_not_announced(committed_runtime, redis_client):  # type: ignore[no-untyped-def]
    pubsub = _listen(redis_client)
    with transaction(committed_runtime.session_factory) as session:
        session.execute(text("SELECT 1"))
    assert pubsub.get_message(timeout=0.5) is None
    pubsub.close()
