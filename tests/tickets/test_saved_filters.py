"""Saved filters: kept per person under a name, shared by supervisors, counted in each viewer's scope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contactcenter.tickets import saved_filters
from contactcenter.tickets.models import SavedTicketFilter
from contactcenter.tickets.saved_filters import SavedFilterError
from tests.support.ticket_office import gen_ticket_office, viewer


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    return gen_ticket_office(db)


def test_a_saved_filter_is_listed_for_its_owner_with_its_count(db, office):
    me = viewer(office["alice"])
    record = saved_filters.save(db, me, "My billing", {"tag": "billing"})
    listed = saved_filters.listed(db, me)
    assert [(s.id, s.name, s.shared) for s in listed] == [(record.id, "My billing", False)]
    assert saved_filters.counts(db, me, listed) == {record.id: 1}


def test_a_private_filter_is_not_listed_for_anyone_else(db, office):
    saved_filters.save(db, viewer(office["alice"]), "Mine", {"status": "open"})
    assert saved_filters.listed(db, viewer(office["bob"])) == []


def test_a_shared_filter_counts_only_what_each_viewer_may_see(db, office):
    shared = saved_filters.save(db, viewer(office["sam"]), "Billing", {"tag": "billing"}, shared=True)
    sam, alice = viewer(office["sam"]), viewer(office["alice"])
    assert saved_filters.counts(db, sam, saved_filters.listed(db, sam)) == {shared.id: 2}
    assert saved_filters.counts(db, alice, saved_filters.listed(db, alice)) == {shared.id: 1}


def test_agents_may_not_share_a_filter(db, office):
    with pytest.raises(SavedFilterError, match="only supervisors and admins share"):
        saved_filters.save(db, viewer(office["alice"]), "Everyone's", {"status": "open"}, shared=True)


def test_saving_under_the_same_name_replaces_the_filters(db, office):
    me = viewer(office["alice"])
    first = saved_filters.save(db, me, "Work", {"status": "open"})
    second = saved_filters.save(db, me, "Work", {"priority": "high"})
    assert first.id == second.id and second.filters == {"priority": "high"}


@pytest.mark.parametrize(
    "name, values, message",
    [
        ("", {"status": "open"}, "give the filter a name"),
        ("x" * 81, {"status": "open"}, "at most 80 characters"),
        ("Nothing", {}, "set at least one filter"),
        ("Bad", {"status": "bogus"}, "status must be one of"),
        ("Bad", {"queue": "1' OR 1=1 --"}, "queue must be chosen"),
    ],
)
def test_a_refused_filter_is_not_stored(db, office, name, values, message):
    with pytest.raises(SavedFilterError, match=message):
        saved_filters.save(db, viewer(office["alice"]), name, values)
    assert db.scalar(select(func.count(SavedTicketFilter.id))) == 0


def test_the_owner_deletes_their_filter(db, office):
    me = viewer(office["alice"])
    record = saved_filters.save(db, me, "Work", {"status": "open"})
    assert saved_filters.delete(db, me, record.id) == "Work"
    assert saved_filters.listed(db, me) == []


def test_an_agent_may_not_delete_a_filter_someone_shared(db, office):
    shared = saved_filters.save(db, viewer(office["sam"]), "Billing", {"tag": "billing"}, shared=True)
    with pytest.raises(SavedFilterError, match="only supervisors and admins remove"):
        saved_filters.delete(db, viewer(office["alice"]), shared.id)


def test_another_persons_private_filter_does_not_exist_for_deleting(db, office):
    private = saved_filters.save(db, viewer(office["bob"]), "Bob's", {"status": "open"})
    with pytest.raises(SavedFilterError, match="no such saved filter"):
        saved_filters.delete(db, viewer(office["sam"]), private.id)


def test_a_stored_value_no_longer_accepted_narrows_to_nothing(db, office):
    me = viewer(office["sam"])
    record = saved_filters.save(db, me, "Odd", {"status": "open"})
    record.filters = {"status": "vanished"}
    db.flush()
    assert saved_filters.counts(db, me, saved_filters.listed(db, me)) == {record.id: 0}
