"""SCIM bearer tokens: issued once, stored as a hash, compared in constant time."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time

from sqlalchemy import bindparam, select, update

from ..models import is_autocommit
from ..models.upsert import insert_or_update
from ..models.scim import ScimInstance, ScimToken, ScimTraffic, utcnow
from ..security import TokenIdentity

PREFIX = "lpscim_"
_HEX = re.compile(r"[0-9a-f]+")
_ID_HEX = 16
#: How often a process writes a token's ``last_used_at`` and its request count: a
#: write on every read would turn each GET into a write transaction.
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


class TrafficCounter:
    """This process's authenticated requests per token, not yet added to ``scim_traffic``.

    One per application (``services._Factories``). The clock is per process and per token
    rather than read from the stored ``last_used_at``: with several processes each must
    flush its own counts, and only one of a burst of parallel requests may take the write
    (on SQLite the others would queue on the write lock for a read).
    """

    def __init__(self, interval: float = LAST_USED_GRANULARITY.total_seconds(), clock=time.monotonic):
        self.interval, self.clock = interval, clock
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}
        self._flushed: dict[str, float] = {}

    def count(self, token_id: str) -> int:
        """Count one request; the number to write now (this one included), or 0 for not yet."""
        with self._lock:
            pending = self._pending.get(token_id, 0) + 1
            now = self.clock()
            last = self._flushed.get(token_id)
            if last is not None and now - last < self.interval:
                self._pending[token_id] = pending
                return 0
            self._flushed[token_id] = now
            self._pending.pop(token_id, None)
            return pending

    def give_back(self, token_id: str, requests: int) -> None:
        """A write that was rolled back: keep its count for the next write, a minute on.

        Not the next request's: Okta's duplicate creates (409) come in runs, and each
        would pay the two statements again only to roll them back.
        """
        with self._lock:
            self._pending[token_id] = self._pending.get(token_id, 0) + requests


def _hash(token: str) -> str:
    # The secret has 256 bits of entropy, so a fast hash is enough; no salt is
    # needed because no two tokens share a secret.
    return hashlib.sha256(token.encode()).hexdigest()


class TokenService:
    """Issue, list, revoke and authenticate the SCIM tokens of every instance (a ``security.TokenAuthenticator``)."""

    def __init__(self, db, traffic: TrafficCounter | None = None, transaction_manager=None):
        # Without a counter (a service built by hand), nothing is counted or written.
        self.db, self.traffic, self.tm = db, traffic, transaction_manager

    def create(self, instance_id: int, label: str = "") -> tuple[ScimToken, str]:
        """Issue a token; the clear text is returned once and never stored."""
        token_id = secrets.token_hex(_ID_HEX // 2)
        token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        row = ScimToken(id=token_id, instance_id=instance_id, label=label, secret_hash=_hash(token))
        self.db.add(row)
        self.db.flush()
        return row, token

    def live_tokens(self, instance_id: int) -> list[ScimToken]:
        """The instance's tokens that are not revoked, oldest first."""
        return list(
            self.db.scalars(
                select(ScimToken)
                .where(ScimToken.instance_id == instance_id, ScimToken.revoked_at.is_(None))
                .order_by(ScimToken.created_at, ScimToken.id)
            )
        )

    def revoke(self, instance_id: int, token_id: str) -> bool:
        """Revoke at once; False when the instance has no such live token."""
        row = self.db.get(ScimToken, token_id)
        if row is None or row.instance_id != instance_id or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        return True

    def authenticate(self, token: str) -> TokenIdentity | None:
        """The identity a live token of a switched-on instance stands for, or None
        (RFC 6750 invalid_token)."""
        token_id = token_id_of(token)
        if token_id is None:
            return None
        row = self.db.connection().execute(_LIVE_TOKEN, {"token_id": token_id}).first()
        offered = _hash(token)
        stored = row.secret_hash if row is not None else "0" * len(offered)
        if not hmac.compare_digest(stored, offered) or row is None:
            return None
        if self.traffic is not None:
            requests = self.traffic.count(token_id)
            if requests:
                self._flush(token_id, row.instance_id, requests)
        return TokenIdentity(token_id=token_id, instance_id=row.instance_id)

    def _flush(self, token_id: str, instance_id: int, requests: int) -> None:
        """``last_used_at`` and this process's count for the hour: two statements a minute."""
        now = utcnow()
        self.db.execute(update(ScimToken).where(ScimToken.id == token_id).values(last_used_at=now))
        hour = now.replace(minute=0, second=0, microsecond=0)
        self.db.execute(
            insert_or_update(
                self.db, ScimTraffic,
                {"token_id": token_id, "hour": hour, "instance_id": instance_id, "requests": requests},
                keys=[ScimTraffic.token_id, ScimTraffic.hour],
                set_=lambda excluded: {"requests": ScimTraffic.requests + excluded.requests},
            )
        )
        if self.tm is not None and not is_autocommit(self.db):
            # A refused request's transaction is rolled back, and these counts with it.
            self.tm.get().addAfterAbortHook(lambda *_: self.traffic.give_back(token_id, requests))


def token_id_of(token: str) -> str | None:
    """The id part of a token of ours (not secret), read without the database; None if it is none."""
    if not token.startswith(PREFIX) or len(token) < len(PREFIX) + _ID_HEX + 2:
        return None
    token_id = token[len(PREFIX) : len(PREFIX) + _ID_HEX]
    if token[len(PREFIX) + _ID_HEX] != "_" or not _HEX.fullmatch(token_id):
        return None
    return token_id


#: A token is live while it is not revoked and its instance's switch is on. Asking both
#: in one statement spares every SCIM request a second round trip for the switch.
#: Table columns rather than ORM attributes, run on the session's connection: a plain
#: Core statement skips the ORM's per-execution work, which here costs more than the query.
_TOKENS, _SWITCHES = ScimToken.__table__.c, ScimInstance.__table__.c
_LIVE_TOKEN = (
    select(_TOKENS.instance_id, _TOKENS.secret_hash, _TOKENS.last_used_at)
    .join_from(ScimToken.__table__, ScimInstance.__table__, _SWITCHES.instance_id == _TOKENS.instance_id)
    .where(_TOKENS.id == bindparam("token_id"), _TOKENS.revoked_at.is_(None), _SWITCHES.enabled.is_(True))
)
