"""The reference HQ's sign-in: server-side sessions behind an opaque cookie, and throttling.

Sessions live in ``hq_sessions`` so that deactivating a user over SCIM ends them at
once (the host contract's ``end_sessions``), and so does losing the Manager license
(``license_revoked``); the cookie holds only a random id whose
hash is stored, so a database leak reveals no usable session. A session ends after
``hq.session_idle_minutes`` without a request or ``hq.session_max_hours`` after sign-in,
and signing in ends whatever session the browser presented before (session fixation).

Failed password sign-ins are rows in ``hq_login_failures`` (several processes serve HQ,
so the count lives in the database): too many within ``hq.login_window_seconds`` for
one account, or from one client address, refuse further attempts until the oldest of
them leaves the window.

Who is a manager of an instance is read with the session, in the same query: whoever
holds a license that grants HQ access (``hq/licenses.py``, the Manager group Okta or
Entra links), or a break-glass manager made by support; an inactive person is nobody.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass, fields

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, exists, func, or_, select, update
from webob.cookies import make_cookie

from .licenses import HQ_ACCESS_LICENSES
from .models import HqLoginFailure, HqSession, HqUser, UserLicense, utcnow

COOKIE = "hq_session"
_hasher = PasswordHasher()
#: How stale ``last_seen_at`` may get before a request writes it again: a write on
#: every page view would turn each read into a write transaction.
LAST_SEEN_GRANULARITY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class HqSettings:
    """The reference HQ's ``hq.*`` settings, parsed once."""

    #: failed sign-ins to one account (instance and login) within the window before a lock-out
    login_max_failures: int = 5
    #: failed sign-ins from one client address within the window (higher: offices share addresses)
    login_max_failures_per_address: int = 20
    login_window_seconds: int = 900
    session_idle_minutes: int = 30
    session_max_hours: int = 12

    @classmethod
    def from_settings(cls, settings: dict) -> HqSettings:
        values = {}
        for field in fields(cls):
            raw = settings.get(f"hq.{field.name}")
            values[field.name] = field.default if raw in (None, "") else int(raw)
            if values[field.name] < 1:
                raise ValueError(f"hq.{field.name} must be a positive number, not {raw!r}")
        return cls(**values)

    @property
    def login_window(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.login_window_seconds)

    @property
    def session_idle(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.session_idle_minutes)

    @property
    def session_max(self) -> dt.timedelta:
        return dt.timedelta(hours=self.session_max_hours)


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


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- throttling -------------------------------------------------------------------


@dataclass(frozen=True)
class SignInAttempt:
    """Who is trying: the account typed (hashed) and the client's address."""

    account_hash: str
    client_addr: str

    @classmethod
    def of(cls, request, instance_id: int, login: str) -> SignInAttempt:
        # REMOTE_ADDR, not WebOb's client_addr: that one reads the first X-Forwarded-For
        # entry, which any client writes. Behind a trusted proxy waitress sets REMOTE_ADDR
        # from the entry the proxy added.
        address = (request.remote_addr or "")[: HqLoginFailure.client_addr.type.length]
        return cls(_hash(f"{instance_id}:{login.lower()}"), address)


def retry_after(db, settings: HqSettings, attempt: SignInAttempt) -> int | None:
    """Seconds until this account and address may try again, or None if they may now.

    Locked-out attempts are not recorded, so a lock-out ends one window after the
    failures that caused it, however long someone keeps trying. Parallel attempts may
    all pass this check before any failure is recorded: the limit holds to within the
    number of requests in flight, which the server's threads bound.
    """
    now = utcnow()
    waits = []
    for column, value, limit in (
        (HqLoginFailure.account_hash, attempt.account_hash, settings.login_max_failures),
        (HqLoginFailure.client_addr, attempt.client_addr, settings.login_max_failures_per_address),
    ):
        count, oldest = db.execute(
            select(func.count(), func.min(HqLoginFailure.failed_at)).where(
                column == value, HqLoginFailure.failed_at > now - settings.login_window
            )
        ).one()
        if count >= limit:
            waits.append(max(1, math.ceil((oldest + settings.login_window - now).total_seconds())))
    return max(waits, default=None)


def record_failure(db, settings: HqSettings, attempt: SignInAttempt) -> None:
    """Count a failed sign-in, and forget those that no longer count (the table stays small)."""
    now = utcnow()
    db.execute(delete(HqLoginFailure).where(HqLoginFailure.failed_at <= now - settings.login_window))
    db.add(HqLoginFailure(account_hash=attempt.account_hash, client_addr=attempt.client_addr, failed_at=now))


def clear_failures(db, attempt: SignInAttempt) -> None:
    """A successful sign-in resets its account's count (not its address's)."""
    db.execute(delete(HqLoginFailure).where(HqLoginFailure.account_hash == attempt.account_hash))


# --- sessions ---------------------------------------------------------------------


def _session_cookie(request, session_id: str | None) -> tuple[str, str]:
    """Set-Cookie for the session id, or (``None``) its deletion; Secure under https."""
    cookie = make_cookie(
        COOKIE, session_id, path="/", httponly=True, samesite="Lax", secure=request.scheme == "https"
    )
    return ("Set-Cookie", cookie)


def _expired(settings: HqSettings, now: dt.datetime):
    """Sessions past the idle or the absolute timeout."""
    return or_(HqSession.last_seen_at < now - settings.session_idle, HqSession.created_at < now - settings.session_max)


@dataclass(frozen=True)
class HqIdentity:
    user_id: int
    instance_id: int
    login: str
    #: Holds a license that grants HQ access (the instance's Manager license group).
    licensed_manager: bool = False
    #: Made a manager by support (``livepreso-hq manager create``), license or not.
    break_glass_manager: bool = False

    @property
    def is_manager(self) -> bool:
        return self.licensed_manager or self.break_glass_manager

    def principals(self) -> list[str]:
        principals = [f"hq-user:{self.user_id}", f"hq-instance:{self.instance_id}"]
        if self.is_manager:
            principals.append(f"hq-manager:{self.instance_id}")
        return principals


#: The signed-in person behind a session id, and whether a license makes them a manager:
#: one statement per request, whatever the number of permission checks.
_SESSION_USER = (
    select(
        HqUser.id,
        HqUser.instance_id,
        HqUser.login,
        HqUser.active,
        HqUser.break_glass_manager,
        exists()
        .where(UserLicense.user_id == HqUser.id, UserLicense.license.in_(sorted(HQ_ACCESS_LICENSES)))
        .label("licensed_manager"),
        HqSession.created_at,
        HqSession.last_seen_at,
    )
    .join(HqSession, HqSession.user_id == HqUser.id)
)


class HqSessionPolicy:
    def identity(self, request) -> HqIdentity | None:
        if "hq.identity" not in request.environ:
            request.environ["hq.identity"] = self._load(request)
        return request.environ["hq.identity"]

    def _load(self, request):
        session_id = request.cookies.get(COOKIE)
        if not session_id:
            return None
        db, settings = request.dbsession, request.registry["hq.settings"]
        id_hash = _hash(session_id)
        row = db.execute(_SESSION_USER.where(HqSession.id_hash == id_hash)).one_or_none()
        if row is None:
            return None
        now = utcnow()
        if row.last_seen_at < now - settings.session_idle or row.created_at < now - settings.session_max:
            # Not deleted here: the request goes on to a redirect whose transaction is
            # rolled back. The next sign-in, anyone's, deletes expired rows.
            return None
        if now - row.last_seen_at > LAST_SEEN_GRANULARITY:
            db.execute(update(HqSession).where(HqSession.id_hash == id_hash).values(last_seen_at=now))
        if not row.active:  # never a manager, never signed in
            return None
        return HqIdentity(row.id, row.instance_id, row.login, bool(row.licensed_manager), bool(row.break_glass_manager))

    def principals(self, request) -> list[str]:
        identity = self.identity(request)
        return identity.principals() if identity else []

    def authenticated_userid(self, request):
        identity = self.identity(request)
        return f"hq-user:{identity.user_id}" if identity else None

    def permits(self, request, context, permission):  # pragma: no cover - the composite decides
        raise NotImplementedError

    def remember(self, request, userid, **kw):
        """Start a session for HQ user ``userid`` under a new id; returns its Set-Cookie header.

        The session the browser presented, if any, ends: an id planted in the browser
        before sign-in (session fixation) never becomes a signed-in session. Expired
        sessions of anyone are deleted here too, so the table holds live sessions only.
        """
        db, now = request.dbsession, utcnow()
        self._end_presented_session(request)
        db.execute(delete(HqSession).where(_expired(request.registry["hq.settings"], now)))
        session_id = secrets.token_urlsafe(32)
        db.add(HqSession(id_hash=_hash(session_id), user_id=int(userid), created_at=now, last_seen_at=now))
        return [_session_cookie(request, session_id)]

    def forget(self, request, **kw):
        self._end_presented_session(request)
        return [_session_cookie(request, None)]

    def _end_presented_session(self, request) -> None:
        session_id = request.cookies.get(COOKIE)
        if session_id:
            request.dbsession.execute(delete(HqSession).where(HqSession.id_hash == _hash(session_id)))
