"""Leader leases on the real Redis: one holder at a time, expiry hands the lease on, and a holder
that lost its lease can neither renew nor release the new leader's."""

from __future__ import annotations

import time

import pytest

from contactcenter.leases import LeaderLease

KEY = "{test}:leader"


def test_of_two_contenders_only_the_first_leads(redis_client):
    first, second = LeaderLease(redis_client, KEY, 5), LeaderLease(redis_client, KEY, 5)
    assert first.acquire_or_renew()
    assert not second.acquire_or_renew()
    assert first.acquire_or_renew()  # the leader keeps it
    assert first.holder() == first.token and first.held and not second.held


def test_renewing_restarts_the_ttl(redis_client):
    lease = LeaderLease(redis_client, KEY, 5)
    assert lease.acquire_or_renew()
    redis_client.pexpire(KEY, 100)
    assert lease.acquire_or_renew()
    assert 4000 < redis_client.pttl(KEY) <= 5000


def test_a_lease_that_is_not_renewed_expires_and_passes_on(redis_client):
    first, second = LeaderLease(redis_client, KEY, 0.1), LeaderLease(redis_client, KEY, 0.1)
    assert first.acquire_or_renew()
    time.sleep(0.25)
    assert second.acquire_or_renew()
    assert second.holder() == second.token


def test_a_holder_that_lost_the_lease_cannot_renew_it(redis_client):
    first, second = LeaderLease(redis_client, KEY, 5), LeaderLease(redis_client, KEY, 5)
    assert first.acquire_or_renew()
    redis_client.delete(KEY)  # the lease lapsed (a long pause: GC, a stalled VM)
    assert second.acquire_or_renew()
    assert not first.acquire_or_renew()
    assert not first.held
    assert second.holder() == second.token


def test_a_holder_that_lost_the_lease_cannot_release_it(redis_client):
    first, second = LeaderLease(redis_client, KEY, 5), LeaderLease(redis_client, KEY, 5)
    assert first.acquire_or_renew()
    redis_client.delete(KEY)
    assert second.acquire_or_renew()
    assert first.release() is False
    assert second.holder() == second.token


def test_release_hands_the_lease_to_the_next_contender_at_once(redis_client):
    first, second = LeaderLease(redis_client, KEY, 5), LeaderLease(redis_client, KEY, 5)
    assert first.acquire_or_renew()
    assert first.release() is True
    assert first.holder() is None
    assert second.acquire_or_renew()


@pytest.mark.parametrize("ttl_s", [0, -1])
def test_a_lease_needs_a_positive_ttl(redis_client, ttl_s):
    with pytest.raises(ValueError, match="positive TTL"):
        LeaderLease(redis_client, KEY, ttl_s)
