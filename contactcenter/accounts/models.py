from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter import clock
from contactcenter.db import Base

if TYPE_CHECKING:
    from contactcenter.acd.models import QueueMembership


class Role(str, enum.Enum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('agent','supervisor','admin')", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT.value)
    active: Mapped[bool] = mapped_column(default=True)
    # How the agent's audio is reached when a call is connected: "client:<identity>" or E.164.
    contact_uri: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Sessions opened with an older version are refused (contactcenter.accounts.sessions).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # How many tasks of each channel the router may give the agent at once, and whether a voice
    # call and other tasks may overlap (contactcenter.acd.interfaces.DEFAULT_CAPACITY).
    capacity_voice: Mapped[int] = mapped_column(default=1, server_default="1")
    capacity_chat: Mapped[int] = mapped_column(default=3, server_default="3")
    capacity_email: Mapped[int] = mapped_column(default=5, server_default="5")
    capacity_sms: Mapped[int] = mapped_column(default=5, server_default="5")
    voice_exclusive: Mapped[bool] = mapped_column(default=True, server_default=true())

    skills: Mapped[list[AgentSkill]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    memberships: Mapped[list[QueueMembership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR.value, Role.ADMIN.value)

    def skill_levels(self) -> dict[str, int]:
        return {s.skill.name: s.level for s in self.skills}

    def channel_capacity(self) -> dict[str, int]:
        return {
            "voice": self.capacity_voice,
            "chat": self.capacity_chat,
            "email": self.capacity_email,
            "sms": self.capacity_sms,
        }


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))


class AgentSkill(Base):
    __tablename__ = "agent_skills"
    __table_args__ = (
        UniqueConstraint("user_id", "skill_id"),
        CheckConstraint("level BETWEEN 1 AND 10", name="level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(default=5)

    user: Mapped[User] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship(lazy="joined")
