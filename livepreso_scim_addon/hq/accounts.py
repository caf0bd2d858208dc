"""Passwords and break-glass managers: what support does to HQ people (``livepreso-hq``)."""

from __future__ import annotations

from sqlalchemy import select

from .models import HqUser
from .security import hash_password

#: The shortest password support may set.
MIN_PASSWORD_LENGTH = 8


def find_person(db, instance_id: int, login: str) -> HqUser | None:
    """The instance's HQ person signing in as ``login`` (case-insensitively), or None."""
    return db.scalar(select(HqUser).where(HqUser.instance_id == instance_id, HqUser.login_ci == login.lower()))


def set_password(db, instance_id: int, login: str, password: str) -> HqUser | None:
    """Let an existing HQ person (Okta's or HQ's own) sign in with this password; None if nobody has that login."""
    person = find_person(db, instance_id, login)
    if person is not None:
        person.password_hash = hash_password(password)
        db.flush()
    return person


def create_break_glass_manager(db, instance_id: int, email: str, password: str) -> HqUser:
    """A manager who keeps HQ access without the Manager license, with this password.

    An existing HQ person with that login becomes one (and gets the password); nobody
    else changes. For when the identity provider is out: support makes few of these.
    """
    person = find_person(db, instance_id, email)
    if person is None:
        person = HqUser(instance_id=instance_id, login=email, login_ci=email.lower(), email=email)
        db.add(person)
    person.break_glass_manager = True
    person.password_hash = hash_password(password)
    db.flush()
    return person
