"""Web chats: starting one, messages in order and exactly once, the agent joining, the end,
the satisfaction answer and the transcript by e-mail.

Every message is filed as a public comment on the chat's ticket in the same transaction as the
message, so the ticket's timeline is the transcript as it happens. Sequence numbers come from one
atomic `UPDATE … RETURNING` on the chat row, so two writers never get the same number, and a
visitor's message that comes again with the same client id (a resend after a network drop)
returns the message stored the first time.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from email.utils import make_msgid

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.chat.models import Chat, ChatAuthor, ChatMessage, ChatStatus
from contactcenter.contacts.customers import check_email, create_customer
from contactcenter.contacts.models import Customer
from contactcenter.errors import DomainError, Kind
from contactcenter.mail.models import Mailbox, MailMessage
from contactcenter.mail.outbound import queue_message
from contactcenter.tickets import services as tickets, surveys
from contactcenter.tickets.models import CommentAuthor, Ticket, TicketSurvey

MAX_NAME = 200
MAX_EMAIL = 254
MAX_MESSAGE = 2000
MAX_COMMENT = surveys.MAX_COMMENT
MAX_AFTER = 500  # messages returned at once to a widget catching up
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
TOKEN_SALT = "web-chat"
SURVEY_CHANNEL = "chat"


class ChatError(DomainError, ValueError):
    """Something the visitor or agent sent cannot be taken (the message says what)."""

    kind: Kind = "invalid"
    code = "chat_invalid"


class ChatTokenError(DomainError, LookupError):
    """The chat token is not one we signed, or its chat is gone."""

    kind: Kind = "forbidden"
    code = "chat_token_invalid"


class ChatEnded(DomainError, RuntimeError):
    kind: Kind = "conflict"
    code = "chat_ended"


@dataclass(frozen=True)
class Posted:
    message: ChatMessage
    created: bool  # False: the same client id was stored before (a resend)


def _text(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise ChatError(f"{what} must be text")
    text = value.strip()
    if not text:
        raise ChatError(f"{what} is empty")
    if len(text) > limit:
        raise ChatError(f"{what} is longer than {limit} characters")
    if "\x00" in text:
        raise ChatError(f"{what} contains a character that cannot be stored")
    return text


def check_email_address(value: object) -> str:
    email = _text(value, "e-mail address", MAX_EMAIL)
    if not EMAIL.match(email):
        raise ChatError("e-mail address is not valid")
    return check_email(email) or email


def queue_for(session: Session, name: object) -> Queue | None:
    """The queue the widget names; an unknown or missing name gets the default (first) queue."""
    if isinstance(name, str) and name:
        found = session.scalar(select(Queue).where(Queue.name == name[:64]))
        if found is not None:
            return found
    return session.scalars(select(Queue).order_by(Queue.id).limit(1)).first()


def customer_by_email(session: Session, email: str) -> Customer | None:
    return session.scalars(
        select(Customer).where(func.lower(Customer.email) == email.lower()).order_by(Customer.id).limit(1)
    ).first()


def start(
    session: Session, *, name: object, email: object, question: object, queue: object = None, origin: str = ""
) -> Chat:
    """A new chat: the customer found (or created) by e-mail, a "chat" ticket, the question as
    its first message. Nothing is stored when any field is refused."""
    visitor = _text(name, "name", MAX_NAME)
    address = check_email_address(email)
    first = _text(question, "question", MAX_MESSAGE)
    target = queue_for(session, queue)
    customer = customer_by_email(session, address) or create_customer(session, visitor, email=address)
    ticket = tickets.open_ticket(
        session,
        f"Chat with {visitor}"[:255],
        description=first[: tickets.MAX_TEXT],
        customer_id=customer.id,
        queue_id=target.id if target is not None else None,
        channel="chat",
    )
    chat = Chat(
        nonce=secrets.token_hex(8),
        status=ChatStatus.WAITING.value,
        queue_id=target.id if target is not None else None,
        customer_id=customer.id,
        ticket_id=ticket.id,
        visitor_name=visitor,
        visitor_email=address,
        origin=origin[:200],
        created_at=clock.now(),
    )
    session.add(chat)
    session.flush()
    post(session, chat, ChatAuthor.VISITOR, first, client_id="question")
    return chat


def token(chat: Chat, secret_key: str) -> str:
    """What the widget keeps (sessionStorage) and shows on every request: the chat, signed."""
    return str(URLSafeSerializer(secret_key, salt=TOKEN_SALT).dumps([chat.id, chat.nonce]))


def from_token(session: Session, raw: object, secret_key: str) -> Chat:
    if not isinstance(raw, str) or not raw or len(raw) > 200:
        raise ChatTokenError("this chat is not valid")
    try:
        chat_id, nonce = URLSafeSerializer(secret_key, salt=TOKEN_SALT).loads(raw)
    except (BadSignature, TypeError, ValueError) as exc:
        raise ChatTokenError("this chat is not valid") from exc
    chat = session.get(Chat, chat_id) if isinstance(chat_id, int) else None
    if chat is None or not secrets.compare_digest(chat.nonce, str(nonce)):
        raise ChatTokenError("this chat is not valid")
    return chat


def post(
    session: Session,
    chat: Chat,
    author: ChatAuthor,
    body: object,
    *,
    client_id: object = None,
    author_id: int | None = None,
) -> Posted:
    """Store one message with the chat's next sequence number and file it on the ticket."""
    text = _text(body, "message", MAX_MESSAGE)
    if client_id is not None and (not isinstance(client_id, str) or not CLIENT_ID.match(client_id)):
        raise ChatError("client id must be 1 to 64 letters, digits, - or _")
    if client_id is not None:
        known = _by_client_id(session, chat.id, client_id)
        if known is not None:
            return Posted(known, created=False)
    if chat.status == ChatStatus.ENDED.value and author is not ChatAuthor.SYSTEM:
        raise ChatEnded("this chat has ended")
    try:
        with session.begin_nested():
            seq = session.execute(
                update(Chat).where(Chat.id == chat.id).values(last_seq=Chat.last_seq + 1).returning(Chat.last_seq)
            ).scalar_one()
            message = ChatMessage(
                chat_id=chat.id,
                seq=seq,
                author=author.value,
                author_id=author_id,
                client_id=client_id,
                body=text,
                created_at=clock.now(),
            )
            session.add(message)
            session.flush()
    except IntegrityError:
        # The same resend raced us on another process: theirs is the one.
        winner = _by_client_id(session, chat.id, str(client_id)) if client_id is not None else None
        if winner is None:
            raise
        return Posted(winner, created=False)
    session.refresh(chat, ["last_seq"])
    ticket = session.get(Ticket, chat.ticket_id) if chat.ticket_id else None
    if ticket is not None:
        kind = {
            ChatAuthor.VISITOR: CommentAuthor.CUSTOMER,
            ChatAuthor.AGENT: CommentAuthor.AGENT,
            ChatAuthor.SYSTEM: CommentAuthor.SYSTEM,
        }[author]
        comment = tickets.add_comment(
            session, ticket, text, public=author is not ChatAuthor.SYSTEM, author_id=author_id, author_kind=kind.value
        )
        message.comment_id = comment.id
        session.flush()
    return Posted(message, created=True)


def _by_client_id(session: Session, chat_id: int, client_id: str) -> ChatMessage | None:
    return session.scalar(select(ChatMessage).where(ChatMessage.chat_id == chat_id, ChatMessage.client_id == client_id))


def after(session: Session, chat: Chat, seq: object) -> list[ChatMessage]:
    """The messages after `seq` (what a reconnecting widget missed), oldest first."""
    if isinstance(seq, str) and seq.isdigit() and len(seq) < 10:
        seq = int(seq)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ChatError("after must be a whole number of 0 or more")
    return list(
        session.scalars(
            select(ChatMessage)
            .where(ChatMessage.chat_id == chat.id, ChatMessage.seq > seq)
            .order_by(ChatMessage.seq)
            .limit(MAX_AFTER)
        )
    )


def agent_name(session: Session, agent_id: int | None) -> str:
    agent = session.get(User, agent_id) if agent_id else None
    return (agent.display_name or agent.username) if agent is not None else ""


def joined(session: Session, chat_id: int, agent_id: int) -> Chat | None:
    """The agent accepted the chat's offer: the chat is theirs and the visitor is told who."""
    chat = session.get(Chat, chat_id)
    if chat is None or chat.status != ChatStatus.WAITING.value:
        return chat
    chat.status, chat.agent_id, chat.accepted_at = ChatStatus.ACTIVE.value, agent_id, clock.now()
    ticket = session.get(Ticket, chat.ticket_id) if chat.ticket_id else None
    if ticket is not None and ticket.assignee_id is None:
        tickets.update_ticket(session, ticket, {"assignee_id": agent_id}, actor_id=agent_id)
    post(session, chat, ChatAuthor.SYSTEM, f"{agent_name(session, agent_id)} joined the chat")
    return chat


def end(session: Session, chat: Chat, *, by: str, agent_id: int | None = None) -> bool:
    """End the chat (visitor or agent); False when it had ended already."""
    if chat.status == ChatStatus.ENDED.value:
        return False
    who = "The visitor" if by == "visitor" else agent_name(session, agent_id) or "The agent"
    post(session, chat, ChatAuthor.SYSTEM, f"{who} ended the chat")
    chat.status, chat.ended_by, chat.ended_at = ChatStatus.ENDED.value, by, clock.now()
    session.flush()
    return True


def wrap_up(session: Session, chat: Chat, notes: object, *, agent_id: int) -> None:
    """The agent's closing notes, kept on the ticket as an internal note (none: nothing added)."""
    if notes is None or (isinstance(notes, str) and not notes.strip()):
        return
    text = _text(notes, "notes", tickets.MAX_TEXT)
    ticket = session.get(Ticket, chat.ticket_id) if chat.ticket_id else None
    if ticket is not None:
        tickets.add_comment(session, ticket, f"Chat wrap-up: {text}", public=False, author_id=agent_id)


def rate(session: Session, chat: Chat, score: object, comment: object) -> TicketSurvey:
    """The visitor's 1–5 answer after the chat, recorded as the ticket's survey (channel "chat")."""
    if chat.status != ChatStatus.ENDED.value:
        raise ChatError("the chat can be rated once it has ended")
    ticket = session.get(Ticket, chat.ticket_id) if chat.ticket_id else None
    if ticket is None:
        raise ChatError("this chat has no ticket to rate")
    if comment is None:
        comment = ""
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise ChatError(f"the comment must be text of at most {MAX_COMMENT} characters")
    survey = surveys.create(session, ticket, SURVEY_CHANNEL)
    return surveys.answer(session, survey, score, comment)


def transcript(session: Session, chat: Chat) -> str:
    lines = [f"Your chat with us on {clock.as_utc(chat.created_at):%Y-%m-%d %H:%M} UTC", ""]
    for message in session.scalars(select(ChatMessage).where(ChatMessage.chat_id == chat.id).order_by(ChatMessage.seq)):
        when = f"{clock.as_utc(message.created_at):%H:%M}"
        if message.author == ChatAuthor.VISITOR.value:
            who = chat.visitor_name
        elif message.author == ChatAuthor.AGENT.value:
            who = agent_name(session, message.author_id) or "Agent"
        else:
            lines.append(f"[{when}] — {message.body}")
            continue
        lines.append(f"[{when}] {who}: {message.body}")
    return "\n".join(lines) + "\n"


def mail_transcript(session: Session, chat: Chat) -> MailMessage | None:
    """Queue the transcript to the visitor's address (None: no mailbox to send from)."""
    mailbox = session.scalars(select(Mailbox).order_by(Mailbox.id).limit(1)).first()
    if mailbox is None:
        return None
    return queue_message(
        session,
        mailbox,
        chat.visitor_email,
        f"Transcript of your chat [#{chat.ticket_id}]" if chat.ticket_id else "Transcript of your chat",
        transcript(session, chat),
        message_id=make_msgid(domain=mailbox.address.rsplit("@", 1)[-1]),
        ticket_id=chat.ticket_id,
        note="chat transcript",
    )


def existing_rating(session: Session, chat: Chat) -> TicketSurvey | None:
    if chat.ticket_id is None:
        return None
    return session.scalar(select(TicketSurvey).where(TicketSurvey.ticket_id == chat.ticket_id))


@dataclass(frozen=True)
class Canned:
    id: int
    name: str
    text: str


def canned_responses(session: Session) -> list[Canned]:
    """The macros whose text is meant for the customer, offered as canned chat answers."""
    from contactcenter.tickets import macros

    return [Canned(m.id, m.name, m.comment) for m in macros.listed(session) if m.comment_public and m.comment.strip()]
