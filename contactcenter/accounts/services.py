"""Creating users and checking their passwords."""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from contactcenter.accounts.models import AgentSkill, Role, Skill, User
from contactcenter.accounts.sessions import end_sessions
from contactcenter.errors import DomainError
from contactcenter.phones import try_normalize

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8
# Spend the same time on unknown users as on known ones, so timing does not reveal usernames.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(DomainError, ValueError):
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


# -- administration (the admin pages) ---------------------------------------------------------------

MAX_DISPLAY_NAME = 120
MAX_CONTACT_URI = 128
_CONTACT = re.compile(r"^(client:[A-Za-z0-9._-]{1,120}|\+[1-9]\d{6,14}|sip:[^\s<>\"']{3,120})$")
_SKILL = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def check_contact_uri(value: str) -> str:
    """Where an agent's audio is reached: `client:<identity>`, an E.164 number or a SIP URI."""
    value = (value or "").strip()
    if not _CONTACT.match(value):
        raise AccountError("contact URI: client:<identity>, +<E.164 number> or sip:<address>")
    return value


CONTACT_KINDS = ("browser", "phone", "sip")


def contact_from_choice(kind: str, value: str, username: str, default_region: str = "US") -> str:
    """The contact URI for a person's choice: their browser (`client:<username>`, the softphone
    in the desktop), a phone number (any common way of writing it, stored as E.164) or a SIP URI."""
    value = (value or "").strip()
    if len(value) > MAX_CONTACT_URI:
        raise AccountError(f"contact: at most {MAX_CONTACT_URI} characters")
    if kind == "browser":
        return check_contact_uri(f"client:{username}")
    if kind == "phone":
        number = try_normalize(value, default_region) if value else None
        if number is None:
            raise AccountError("phone number: write it with its country code, e.g. +14155550100")
        return check_contact_uri(number)
    if kind == "sip":
        uri = value if value.lower().startswith("sip:") else f"sip:{value}"
        try:
            return check_contact_uri(uri)
        except AccountError:
            raise AccountError("SIP address: sip:user@host, without spaces or quotes") from None
    raise AccountError("contact: choose browser, phone or sip")


def contact_choice(contact_uri: str | None, username: str) -> tuple[str, str]:
    """How `contact_uri` reads as a choice: ("browser", ""), ("phone", "+1…"), ("sip", "sip:…");
    another client identity than the person's own is shown as what it is."""
    uri = contact_uri or f"client:{username}"
    if uri == f"client:{username}":
        return "browser", ""
    if uri.startswith("+"):
        return "phone", uri
    if uri.startswith("sip:"):
        return "sip", uri
    return "client", uri


def update_user(
    session: Session,
    user: User,
    *,
    display_name: str | None = None,
    role: Role | str | None = None,
    contact_uri: str | None = None,
    email: str | None = None,
) -> User:
    """Change what an admin may change about a user; the first bad value raises AccountError."""
    if display_name is not None:
        name = display_name.strip()
        if not name or len(name) > MAX_DISPLAY_NAME:
            raise AccountError(f"display name: 1–{MAX_DISPLAY_NAME} characters")
        user.display_name = name
    if role is not None:
        try:
            new_role = Role(role).value
        except ValueError:
            raise AccountError("role must be agent, supervisor or admin") from None
        if new_role != user.role:
            user.role = new_role
            end_sessions(session, user)  # what their open pages may do has changed
    if contact_uri is not None:
        user.contact_uri = check_contact_uri(contact_uri)
    if email is not None:
        email = email.strip()
        if email and (len(email) > 254 or "@" not in email):
            raise AccountError("email: an address with @, at most 254 characters")
        user.email = email or None
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must be at least {MIN_PASSWORD} characters")
    user.password_hash = generate_password_hash(password)
    end_sessions(session, user)  # whoever knew the old password is signed out too


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivated users cannot log in and their open sessions end; their history stays."""
    was_active, user.active = user.active, bool(active)
    if was_active and not user.active:
        end_sessions(session, user)
    session.flush()


def check_skill_name(name: str) -> str:
    name = (name or "").strip().lower()
    if not _SKILL.match(name):
        raise AccountError(f"skill {name!r}: 1–64 characters of a-z, 0-9, '.', '_' or '-'")
    return name


def set_skills(session: Session, user: User, skills: Mapping[str, int]) -> None:
    """Replace the user's skills with `skills` (name → level 1–10); unknown skills are created."""
    wanted: dict[str, int] = {}
    for name, level in skills.items():
        name = check_skill_name(name)
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
            raise AccountError(f"skill level for {name!r} must be 1 to 10")
        wanted[name] = level
    keep = []
    for item in user.skills:
        if item.skill.name in wanted:
            item.level = wanted.pop(item.skill.name)
            keep.append(item)
    user.skills[:] = keep
    for name, level in sorted(wanted.items()):
        user.skills.append(AgentSkill(skill=get_or_create_skill(session, name), level=level))
    session.flush()


def create_skill(session: Session, name: str, description: str = "") -> Skill:
    name = check_skill_name(name)
    if session.scalar(select(Skill.id).where(Skill.name == name)) is not None:
        raise AccountError(f"skill {name!r} exists")
    if len(description) > 255:
        raise AccountError("description: at most 255 characters")
    skill = Skill(name=name, description=description.strip() or None)
    session.add(skill)
    session.flush()
    return skill
