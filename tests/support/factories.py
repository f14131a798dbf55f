"""Test data helpers that read like the domain: gen_customer, gen_agent, gen_queue, carrier_params."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from contactcenter.accounts.models import Role, User
from contactcenter.accounts.services import create_user, get_or_create_skill
from contactcenter.acd.models import Queue, QueueSkill
from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN
from contactcenter.contacts.customers import create_customer
from contactcenter.contacts.models import Customer
from contactcenter.telephony.signatures import SignatureChecker

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery"


def call_sid() -> str:
    return "CA" + secrets.token_hex(16)


def gen_customer(
    session: Session, name: str = "Grace Hopper", phones: tuple[str, ...] = ("+14155550100",), **kw: Any
) -> Customer:
    return create_customer(session, name, phones, **kw)


def gen_agent(session: Session, username: str | None = None, role: Role = Role.AGENT, **kw: Any) -> User:
    return create_user(session, username or f"agent{next(_counter)}", PASSWORD, role=role, **kw)


def gen_staff(session: Session) -> dict[str, User]:
    """A small office: ann the admin, alice the agent, sam the supervisor (committed)."""
    staff = {
        "ann": gen_agent(session, "ann", role=Role.ADMIN),
        "alice": gen_agent(session, "alice"),
        "sam": gen_agent(session, "sam", role=Role.SUPERVISOR),
    }
    session.commit()
    return staff


def gen_queue(session: Session, name: str = "support", skills: Mapping[str, int] | None = None, **kw: Any) -> Queue:
    queue = Queue(name=name, display_name=kw.pop("display_name", name.title()), **kw)
    for skill, level in (skills or {}).items():
        queue.required_skills.append(QueueSkill(skill=get_or_create_skill(session, skill), min_level=level))
    session.add(queue)
    session.flush()
    return queue


def carrier_params(
    sid: str | None = None,
    *,
    status: str = "ringing",
    from_: str = "+14155550100",
    to: str = "+18005550199",
    **extra: str,
) -> dict[str, str]:
    """What Twilio posts for a voice webhook (and, with CallStatus etc., a status callback)."""
    params = {
        "CallSid": sid or call_sid(),
        "AccountSid": SIMULATOR_ACCOUNT_SID,
        "From": from_,
        "To": to,
        "CallStatus": status,
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        "Caller": from_,
        "Called": to,
    }
    params.update(extra)
    return params


def sign(url: str, params: Mapping[str, str], token: str = SIMULATOR_AUTH_TOKEN) -> str:
    return SignatureChecker(token).sign(url, params)


def post_signed(
    client: Any,
    path: str,
    params: Mapping[str, str],
    *,
    base: str = "http://localhost",
    headers: Mapping[str, str] | None = None,
) -> Any:
    """POST as the carrier would: form-encoded and signed over the full URL."""
    all_headers = {"X-Twilio-Signature": sign(base + path, params)}
    all_headers.update(headers or {})
    return client.post(path, data=dict(params), headers=all_headers, base_url=base)


def gen_member(session: Session, user: User, queue: Queue) -> None:
    """Put `user` in `queue` (agents see the tickets of the queues they belong to)."""
    from contactcenter.acd.models import QueueMembership

    session.add(QueueMembership(user_id=user.id, queue_id=queue.id))
    session.flush()


def gen_ticket(session: Session, subject: str = "Printer on fire", *, status: str = "new", **kw: Any) -> Any:
    """A ticket opened through the domain service (so its trail and SLA clocks exist), then moved
    to `status` along allowed transitions."""
    from contactcenter.tickets.services import change_status, open_ticket

    ticket = open_ticket(session, subject, **kw)
    path = {
        "new": [],
        "open": ["open"],
        "pending": ["open", "pending"],
        "on_hold": ["open", "on_hold"],
        "solved": ["open", "solved"],
        "closed": ["open", "solved", "closed"],
    }[status]
    for step in path:
        change_status(session, ticket, step, actor_id=kw.get("actor_id"))
    return ticket


def gen_call(session: Session, **kw: Any) -> Any:
    """A finished inbound call, as the webhooks would have left it."""
    from contactcenter import clock
    from contactcenter.contacts.models import Interaction

    now = clock.now()
    values: dict[str, Any] = {
        "call_sid": call_sid(),
        "direction": "inbound",
        "from_number": "+14155550100",
        "to_number": "+18005550199",
        "status": "completed",
        "arrived_at": now,
        "answered_at": now,
        "ended_at": now,
        "duration_s": 95,
    }
    values.update(kw)
    call = Interaction(**values)
    session.add(call)
    session.flush()
    return call
