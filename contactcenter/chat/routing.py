"""A web chat through the ACD: it waits, is offered and accepted like a call.

The chat is a task in the same router under the id `chat-<id>` (see `acd.services.CHAT_PREFIX`),
so skills, priorities, offers with their countdown and ring-no-answer all apply unchanged; on
accept no carrier leg is placed and the desktop opens the conversation instead. A chat takes one
of its agent's chat places (capacity per channel; see `acd.interfaces.DEFAULT_CAPACITY`), so an
agent holds several at once, each offered, accepted and wrapped up on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.acd.interfaces import CHAT, CallRecord, Outcome
from contactcenter.acd.models import Queue
from contactcenter.acd.services import AcdService, chat_id_of, chat_key
from contactcenter.chat import services as chats
from contactcenter.chat.models import Chat, ChatStatus


@dataclass(frozen=True)
class Waiting:
    """What the visitor is told while no agent has joined."""

    position: int | None  # 1 = next; None when the router does not know the chat (yet)
    ewt_seconds: float | None


def enqueue(session: Session, acd: AcdService, chat: Chat) -> Outcome | None:
    """Offer the new chat to the agents of its queue (None: there is no queue at all)."""
    queue = session.get(Queue, chat.queue_id) if chat.queue_id else None
    if queue is None:
        return None
    return acd.enqueue_chat(chat.id, queue, chat.created_at)


def open_tasks(session: Session) -> list[CallRecord]:
    """The router's tasks for chats still going, for rebuilding it after a Redis restart: waiting
    chats in their place in line, chats with an agent keeping that agent busy."""
    tasks = []
    rows = session.execute(
        select(Chat, Queue.name)
        .join(Queue, Queue.id == Chat.queue_id)
        .where(Chat.status.in_((ChatStatus.WAITING.value, ChatStatus.ACTIVE.value)))
        .order_by(Chat.id)
    )
    for chat, queue_name in rows:
        active = chat.status == ChatStatus.ACTIVE.value and chat.agent_id is not None
        tasks.append(
            CallRecord(
                call_sid=chat_key(chat.id),
                queue=queue_name,
                enqueued_at=chat.created_at.timestamp(),
                attributes={"chat": chat.id},
                agent_id=str(chat.agent_id) if active else None,
                connected_at=chat.accepted_at.timestamp() if active and chat.accepted_at else None,
                channel=CHAT,
            )
        )
    return tasks


def waiting(acd: AcdService, chat: Chat) -> Waiting | None:
    if chat.status != ChatStatus.WAITING.value:
        return None
    where = acd.position(chat_key(chat.id))
    if where is None:
        return Waiting(None, None)
    return Waiting(where.position, where.ewt_seconds)


def accepted(session: Session, outcome: Outcome, agent_id: int) -> Chat | None:
    """After the agent accepted an offer: if it was a chat, it is theirs now."""
    if not outcome.ok:
        return None
    for event in outcome.events:
        if event.get("type") == "call.updated" and event.get("state") == "connected":
            chat_id = chat_id_of(str(event.get("call_sid", "")))
            if chat_id is not None:
                return chats.joined(session, chat_id, agent_id)
    return None


def end(session: Session, acd: AcdService, chat: Chat, *, by: str, agent_id: int | None = None) -> bool:
    """End the chat and free its place in the router: a waiting chat leaves the queue (the
    visitor gave up), a chat with an agent completes and the agent goes to wrap-up."""
    was = chat.status
    if not chats.end(session, chat, by=by, agent_id=agent_id):
        return False
    if was == ChatStatus.WAITING.value:
        acd.remove(chat_key(chat.id), "abandoned")
    elif chat.agent_id is not None:
        acd.complete(chat_key(chat.id), chat.agent_id)
    return True


def wrapping_up(session: Session, agent_id: int, since: datetime) -> Chat | None:
    """The chat an agent in wrap-up is wrapping up: theirs, ended since the wrap-up began."""
    return session.scalars(
        select(Chat)
        .where(Chat.agent_id == agent_id, Chat.status == ChatStatus.ENDED.value, Chat.ended_at >= since)
        .order_by(Chat.ended_at.desc())
        .limit(1)
    ).first()


def agent_chat(session: Session, task_id: str | None) -> Chat | None:
    """The chat a router task id (an offer's or the agent's current one) names."""
    chat_id = chat_id_of(task_id)
    return session.get(Chat, chat_id) if chat_id is not None else None
