"""Web chats as a visitor starts them, and an agent team that takes them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue, QueueMembership
from contactcenter.chat import services as chats
from contactcenter.chat.models import Chat
from tests.support.factories import gen_agent, gen_queue


def visitor_chat(session: Session, **overrides: Any) -> Chat:
    values: dict[str, Any] = {
        "name": "Ada Visitor",
        "email": "ada@example.com",
        "question": "Where is my order?",
        "queue": "support",
    }
    values.update(overrides)
    return chats.start(session, **values)


def chat_team(session: Session, queue_name: str = "support") -> tuple[Queue, User]:
    """A queue with one agent in it who may take its chats."""
    queue = gen_queue(session, queue_name)
    agent = gen_agent(session, "alice", display_name="Alice", skills={queue_name: 5})
    session.add(QueueMembership(queue_id=queue.id, user_id=agent.id))
    session.flush()
    return queue, agent
