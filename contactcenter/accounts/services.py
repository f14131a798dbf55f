"""Creating users and checking their passwords."""

from __future__ import annotations

import re
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from contactcenter.accounts.models import AgentSkill, Role, User
from contactcenter.acd.models import Skill

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8
# Spend the same time on unknown users as on known ones, so timing does not reveal usernames.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A user cannot be created or changed as asked."""


def get_or_create_skill(session: Session, name: str) -> Skill:
    skill = session.scalar(select(Skill).where(Skill.name == name))
    if skill is None:
        skill = Skill(name=name)
        session.add(skill)
        session.flush()
    return skill


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    role: Role | str = Role.AGENT,
    display_name: str | None = None,
    email: str | None = None,
    skills: Mapping[str, int] | None = None,
    contact_uri: str | None = None,
) -> User:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError("username: 2–64 characters of a-z, 0-9, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must be at least {MIN_PASSWORD} characters")
    role_value = Role(role).value
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"username {username!r} is taken")
    user = User(
        username=username,
        display_name=(display_name or username)[:120],
        email=email,
        password_hash=generate_password_hash(password),
        role=role_value,
        contact_uri=contact_uri or f"client:{username}",
    )
    for name, level in (skills or {}).items():
        if not 1 <= int(level) <= 10:
            raise AccountError(f"skill level for {name!r} must be 1 to 10")
        user.skills.append(AgentSkill(skill=get_or_create_skill(session, name), level=int(level)))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None
