"""Call scripts and the FAQ knowledge base shown on the agent desktop.

A script's steps live in one JSON `definition` (validated by `contactcenter.scripts.services`
before it is stored), so an edit replaces the whole script at once and a call that already
started keeps answers keyed by step id. Which calls a script serves is said by its campaign,
its queue, its IVR intents, or `is_default`; the chooser applies them in that order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter import clock
from contactcenter.db import Base


class FaqArticle(Base):
    __tablename__ = "faq_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    published: Mapped[bool] = mapped_column(default=True)
    # The language it is written in (a BCP 47 tag such as "en" or "pt-BR"): the help center
    # shows customers the articles of the language they pick.
    language: Mapped[str] = mapped_column(String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class CallScript(Base):
    """What the agent reads and asks on a call: steps, questions, branches on the answers."""

    __tablename__ = "call_scripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable handle: campaigns name their script by it (`Campaign.script`), answers record it.
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # {"start": step id, "steps": {id: {"say", "kind", "options" | "next", ...}}}
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("dialer_campaigns.id", ondelete="SET NULL"), index=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"), index=True)
    # IVR intents (Interaction.intent) the script serves, e.g. ["billing", "refund"].
    intents: Mapped[list[Any]] = mapped_column(default=list)
    # Served when nothing more specific applies; at most one active default is used (lowest id).
    is_default: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
