"""The call log and call pages follow the API's visibility rules: agents see the calls they
handled, of their queues, or linked to a ticket they can see; supervisors and admins see all."""

from __future__ import annotations

import pytest

from contactcenter.accounts.models import Role
from contactcenter.acd.models import QueueMembership
from contactcenter.contacts.models import Interaction
from tests.support.factories import call_sid, gen_agent, gen_queue
from tests.support.web_client import log_in


@pytest.fixture
def calls(db):  # type: ignore[no-untyped-def]
    support, billing = gen_queue(db, "support"), gen_queue(db, "billing")
    alice, bob = gen_agent(db, "alice"), gen_agent(db, "bob")
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    db.add_all(
        [QueueMembership(queue_id=support.id, user_id=alice.id), QueueMembership(queue_id=billing.id, user_id=bob.id)]
    )
    mine = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550101",
        to_number="+18005550100",
        queue_id=support.id,
    )
    theirs = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550202",
        to_number="+18005550100",
        queue_id=billing.id,
        agent_id=bob.id,
    )
    db.add_all([mine, theirs])
    db.commit()
    return mine, theirs


def test_call_log_shows_an_agent_only_their_calls(client, calls):
    mine, theirs = calls
    log_in(client, "alice")
    page = client.get("/").data.decode()
    assert mine.call_sid in page and theirs.call_sid not in page
    assert "1 in all" in page


def test_call_page_of_someone_elses_call_is_404_for_an_agent(client, calls):
    _, theirs = calls
    log_in(client, "alice")
    assert client.get(f"/calls/{theirs.id}").status_code == 404


def test_agent_opens_a_call_of_their_queue(client, calls):
    mine, _ = calls
    log_in(client, "alice")
    assert client.get(f"/calls/{mine.id}").status_code == 200


def test_supervisor_sees_every_call(client, calls):
    mine, theirs = calls
    log_in(client, "sam")
    page = client.get("/").data.decode()
    assert mine.call_sid in page and theirs.call_sid in page
    assert client.get(f"/calls/{theirs.id}").status_code == 200


def test_call_page_with_an_oversized_id_is_404(client, calls):
    log_in(client, "sam")
    assert client.get("/calls/99999999999999999999999").status_code == 404
