"""What the heartbeat's leader does after a fault, before each tick.

- Redis lost the router's state (a restart without persistence, a failover to an empty replica,
  a first start): rebuild it from the store — waiting calls and web chats in their original
  order, agent states (busy with a call or a chat), queue configuration.
- Webhooks that arrived while the database was unreachable wait in the outbox: replay them.
- A web process that stopped renewing its lease (killed hard) takes its desktop sockets with it.
- Agents whose desktop lost its connection and did not come back within the grace period go
  not ready, and an offer they held goes back to the head of the line.

Each step runs in a transaction of its own, so one failing (the database still away) leaves the
others and the tick itself to run.
"""

from __future__ import annotations

import logging

from contactcenter import clock
from contactcenter.app.runtime import Runtime
from contactcenter.app.services import Services
from contactcenter.db import transaction
from contactcenter.failure_log import FailureLog

log = logging.getLogger("contactcenter.app.recovery")
BUILT_KEY = "built"  # set in the router's namespace once its state was built from the store


def rebuild_if_lost(runtime: Runtime) -> bool:
    """Rebuild the router from the store when its marker key is gone; True when it rebuilt."""
    marker = runtime.acd.key(BUILT_KEY)
    if runtime.redis.exists(marker):
        return False
    from contactcenter.chat.routing import open_tasks

    with transaction(runtime.session_factory) as session:
        outcome = Services(runtime, session).acd.rebuild(open_tasks(session))
    runtime.redis.set(marker, repr(clock.timestamp()))
    runtime.acd_configured = True
    log.warning("ACD state rebuilt from the store%s", f"; skipped: {outcome.reason}" if outcome.reason else "")
    return True


_failures = FailureLog(log)


def before_tick(runtime: Runtime) -> None:
    """Every recovery step, each guarded so that one failure does not stop the others."""
    for step in (rebuild_if_lost, _replay_outbox, _forget_dead_web_processes, _expire_presence):
        name = f"recovery step {step.__name__}"
        try:
            step(runtime)
        except Exception as exc:  # noqa: BLE001 - the database or Redis may still be away; next tick retries
            _failures.failed(name, exc)
        else:
            _failures.succeeded(name)


def _replay_outbox(runtime: Runtime) -> int:
    from contactcenter.app import outbox

    return outbox.replay(runtime)


def _forget_dead_web_processes(runtime: Runtime) -> int:
    from contactcenter.app import presence

    return presence.forget_dead_processes(runtime.redis)


def _expire_presence(runtime: Runtime) -> int:
    from contactcenter.app import presence

    return presence.expire_due(runtime)
