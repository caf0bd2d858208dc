"""The reference HQ's sign-in: server-side sessions behind an opaque cookie.

Sessions live in ``hq_sessions`` so that deactivating a user over SCIM ends them at
once (the host contract's ``end_sessions``); the cookie holds only a random id whose
hash is stored, so a database leak reveals no usable session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from .models import HqSession, HqUser

COOKIE = "hq_session"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        _hasher.hash(password)  # same cost either way: no timing hint that the user exists
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class HqIdentity:
    user_id: int
    instance_id: int
    is_manager: bool
    login: str

    def principals(self) -> list[str]:
        principals = [f"hq-user:{self.user_id}", f"hq-instance:{self.instance_id}"]
        if self.is_manager:
            principals.append(f"hq-manager:{self.instance_id}")
        return principals


class HqSessionPolicy:
    def identity(self, request) -> HqIdentity | None:
        if "hq.identity" not in request.environ:
            request.environ["hq.identity"] = self._load(request)
        return request.environ["hq.identity"]

    def _load(self, request):
        session_id = request.cookies.get(COOKIE)
        if not session_id:
            return None
        row = request.dbsession.execute(
            select(HqUser)
            .join(HqSession, HqSession.user_id == HqUser.id)
            .where(HqSession.id_hash == _hash(session_id))
        ).scalar_one_or_none()
        if row is None or not row.active:
            return None
        return HqIdentity(row.id, row.instance_id, row.is_manager, row.login)

    def principals(self, request) -> list[str]:
        identity = self.identity(request)
        return identity.principals() if identity else []

    def authenticated_userid(self, request):
        identity = self.identity(request)
        return f"hq-user:{identity.user_id}" if identity else None

    def permits(self, request, context, permission):  # pragma: no cover - the composite decides
        raise NotImplementedError

    def remember(self, request, userid, **kw):
        """Start a session for HQ user ``userid``; returns its Set-Cookie header."""
        session_id = secrets.token_urlsafe(32)
        request.dbsession.add(HqSession(id_hash=_hash(session_id), user_id=userid))
        secure = "; Secure" if request.scheme == "https" else ""
        return [("Set-Cookie", f"{COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax{secure}")]

    def forget(self, request, **kw):
        session_id = request.cookies.get(COOKIE)
        if session_id:
            row = request.dbsession.get(HqSession, _hash(session_id))
            if row is not None:
                request.dbsession.delete(row)
        return [("Set-Cookie", f"{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")]
