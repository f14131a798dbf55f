"""Jobs for the worker-kill tests, declared with the project's own `@job` decorator.

Each one announces that it started, then waits for the test's word at a chosen point so the
test can kill its worker right there. Like every job in the project it is idempotent: it looks
in the store before it writes.
"""

from __future__ import annotations

import os
import time

from sqlalchemy import select

from contactcenter.app import runtime
from contactcenter.app.jobs import job
from contactcenter.contacts.customers import create_customer
from contactcenter.contacts.models import CustomerPhone
from contactcenter.db import transaction


def _hold(key: str) -> None:
    """Wait (at most a minute) until the test pushes `key`."""
    redis = runtime.current().redis
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if redis.lpop(key) is not None:
            return
        time.sleep(0.05)


@job("default", retries=2, retry_intervals=(1,))
def register_customer(name: str, phone: str, hold_before: str = "", hold_after: str = "") -> str:
    """Create a customer unless one has the number; may pause before or after committing."""
    rt = runtime.current()
    rt.redis.rpush(f"fault:attempts:{phone}", os.getpid())
    if hold_before:
        _hold(hold_before)
    with transaction(rt.session_factory) as session:
        if session.scalar(select(CustomerPhone).where(CustomerPhone.e164 == phone)) is not None:
            return "already-there"
        create_customer(session, name, (phone,))
    if hold_after:
        _hold(hold_after)
    return "created"
