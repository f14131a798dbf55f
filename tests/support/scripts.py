"""Script definitions and calls for the script and FAQ tests."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

from contactcenter.contacts.models import Interaction
from contactcenter.scripts.models import CallScript
from contactcenter.scripts.services import ScriptFields, save_script
from tests.support.factories import call_sid

ORDER_SCRIPT: dict[str, Any] = {
    "start": "greet",
    "steps": {
        "greet": {
            "say": "Hello {customer.first_name}, this is {agent.first_name}.",
            "kind": "choice",
            "question": "Is this about an existing order?",
            "options": [
                {"value": "yes", "label": "Yes", "next": "order"},
                {"value": "no", "label": "No", "next": "general"},
            ],
        },
        "order": {
            "say": "Account {ivr.account_number} on file.",
            "kind": "text",
            "question": "What is the order number?",
            "next": "close",
        },
        "general": {"say": "How can I help today?", "kind": "info", "next": "close"},
        "close": {"say": "Thank you, {customer.name}!", "kind": "end"},
    },
}


def definition(**changes: Any) -> dict[str, Any]:
    """A deep copy of ORDER_SCRIPT with `steps` entries replaced (None removes a step)."""
    data = copy.deepcopy(ORDER_SCRIPT)
    for step_id, step in changes.items():
        if step is None:
            data["steps"].pop(step_id)
        else:
            data["steps"][step_id] = step
    return data


def gen_script(session: Session, name: str = "orders", **kw: Any) -> CallScript:
    kw.setdefault("title", name.title())
    kw.setdefault("definition", copy.deepcopy(ORDER_SCRIPT))
    return save_script(session, ScriptFields(name=name, **kw))


def gen_call(session: Session, **kw: Any) -> Interaction:
    kw.setdefault("direction", "inbound")
    kw.setdefault("from_number", "+14155550100")
    kw.setdefault("to_number", "+18005550100")
    call = Interaction(call_sid=call_sid(), **kw)
    session.add(call)
    session.flush()
    return call


def gen_campaign(session: Session, name: str = "Spring renewals", **kw: Any) -> Any:
    from contactcenter.dialer import campaigns

    return campaigns.create_campaign(
        session, name=name, caller_id="+12025550100", company_name="Acme Energy", callback_number="+18005550123", **kw
    )


def gen_dialed_call(session: Session, campaign: Any, **kw: Any) -> Interaction:
    """An outbound call placed by `campaign`'s dialer (linked through its DialAttempt)."""
    from contactcenter.dialer.models import DialAttempt

    call = gen_call(session, direction="outbound", **kw)
    session.add(
        DialAttempt(
            campaign_id=campaign.id,
            phone=call.to_number,
            caller_id="+12025550100",
            mode="progressive",
            call_sid=call.call_sid,
            interaction_id=call.id,
        )
    )
    session.flush()
    return call
