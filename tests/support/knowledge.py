"""Helpers for the desktop script / FAQ tests: a logged-in agent with a call that is theirs."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

from contactcenter.contacts.models import Interaction
from contactcenter.scripts.models import CallScript
from contactcenter.scripts.services import ScriptFields, save_script
from tests.support.factories import call_sid

WELCOME: dict[str, Any] = {
    "start": "greet",
    "steps": {
        "greet": {
            "say": "Hello {customer.first_name}, thanks for calling.",
            "kind": "choice",
            "question": "Is this about an existing order?",
            "options": [
                {"value": "yes", "label": "Yes", "next": "order"},
                {"value": "no", "label": "No", "next": "general"},
            ],
        },
        "order": {"say": "Let me find it.", "kind": "text", "question": "What is the order number?", "next": "close"},
        "general": {"say": "How can I help today?", "kind": "info", "next": "close"},
        "close": {"say": "Thank you, {customer.name}!", "kind": "end"},
    },
}

WELCOME_YAML = """start: greet
steps:
  greet:
    say: "Hello {customer.first_name}, thanks for calling."
    kind: choice
    question: "Is this about an existing order?"
    options:
      - {value: "yes", label: "Yes", next: order}
      - {value: "no", label: "No", next: close}
  order: {say: "Let me find it.", kind: text, question: "What is the order number?", next: close}
  close: {say: "Thank you!", kind: end}
"""


def gen_welcome_script(session: Session, **kw: Any) -> CallScript:
    kw.setdefault("is_default", True)
    return save_script(
        session,
        ScriptFields(
            name=kw.pop("name", "welcome"), title=kw.pop("title", "Welcome"), definition=copy.deepcopy(WELCOME), **kw
        ),
    )


def gen_call_for(session: Session, agent_id: int | None, **kw: Any) -> Interaction:
    call = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550100",
        to_number="+18005550100",
        agent_id=agent_id,
        **kw,
    )
    session.add(call)
    session.flush()
    return call
