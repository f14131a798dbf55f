"""Desktop sockets recorded under the web process holding them, and forgotten with a dead one."""

from __future__ import annotations

from contactcenter import clock
from contactcenter.app import presence


def _lease(redis_client, lease_s: float = 30.0) -> presence.ProcessLease:  # type: ignore[no-untyped-def]
    lease = presence.ProcessLease(redis_client, lease_s)
    lease.renew()
    return lease


def _die(redis_client, lease: presence.ProcessLease) -> None:  # type: ignore[no-untyped-def]
    redis_client.delete(presence.ALIVE_PREFIX + lease.process_id)  # as its lease running out does


def test_sockets_of_a_dead_process_are_forgotten_and_their_agent_is_due_at_once(redis_client):  # type: ignore[no-untyped-def]
    dead, alive = _lease(redis_client), _lease(redis_client)
    presence.connected(redis_client, 7, "s1", dead.process_id)
    presence.connected(redis_client, 8, "s2", alive.process_id)
    _die(redis_client, dead)

    assert presence.forget_dead_processes(redis_client) == 1
    assert not presence.is_connected(redis_client, 7)
    assert presence.is_connected(redis_client, 8)
    assert redis_client.zscore(presence.GONE_KEY, "7") <= clock.timestamp()
    assert redis_client.zscore(presence.GONE_KEY, "8") is None
    assert redis_client.smembers(presence.PROCESSES_KEY) == {alive.process_id.encode()}


def test_an_agent_reconnected_to_another_process_stays_connected(redis_client):  # type: ignore[no-untyped-def]
    dead, other = _lease(redis_client), _lease(redis_client)
    presence.connected(redis_client, 7, "s1", dead.process_id)
    presence.connected(redis_client, 7, "s9", other.process_id)  # the desktop came back elsewhere
    _die(redis_client, dead)

    assert presence.forget_dead_processes(redis_client) == 0
    assert presence.is_connected(redis_client, 7)
    assert redis_client.zscore(presence.GONE_KEY, "7") is None


def test_an_agent_who_closed_their_socket_keeps_their_own_grace_period(redis_client):  # type: ignore[no-untyped-def]
    dead = _lease(redis_client)
    presence.connected(redis_client, 7, "s1", dead.process_id)
    assert presence.disconnected(redis_client, 7, "s1", 10.0, dead.process_id)
    due = redis_client.zscore(presence.GONE_KEY, "7")
    _die(redis_client, dead)

    assert presence.forget_dead_processes(redis_client) == 0
    assert redis_client.zscore(presence.GONE_KEY, "7") == due


def test_a_live_process_is_left_alone(redis_client):  # type: ignore[no-untyped-def]
    lease = _lease(redis_client)
    presence.connected(redis_client, 7, "s1", lease.process_id)
    assert presence.forget_dead_processes(redis_client) == 0
    assert presence.is_connected(redis_client, 7)


def test_a_lease_renews_itself_and_ends_with_its_owner(redis_client):  # type: ignore[no-untyped-def]
    import gc
    import time

    lease = presence.ProcessLease(redis_client, lease_s=2.0)
    lease.ensure_started()
    key = presence.ALIVE_PREFIX + lease.process_id
    time.sleep(2.5)  # past the lease: only its renewals keep the key
    assert redis_client.exists(key)
    thread = lease._thread  # noqa: SLF001 - the renewing thread itself is what is checked
    del lease
    gc.collect()
    thread.join(timeout=2)
    assert not thread.is_alive()
