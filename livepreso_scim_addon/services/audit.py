"""The audit trail: what each SCIM request changed, written in the request's transaction.

The SCIM views put an :class:`Actor` on the session (``begin``); services then call
:func:`record` with what they changed. Failed requests are written afterwards in a
transaction of their own (:func:`record_failure`), since theirs was rolled back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, insert, select

from ..models.scim import ScimEvent, utcnow

_ACTOR = "scim.actor"


@dataclass(frozen=True)
class Actor:
    """Who is writing: one token of one instance, in one request."""

    instance_id: int
    token_id: str | None
    request: str  # "PATCH /scim/v2/acme/Users/…"


def begin(db, actor: Actor) -> None:
    db.info[_ACTOR] = actor


def record(db, action: str, resource_type: str, resource_id: str | None, user_ids=None, changes=None) -> None:
    """Record one change; ``user_ids`` (several) makes one entry per user, in one statement."""
    actor = db.info.get(_ACTOR)
    if actor is None:
        return  # a change made outside a SCIM request (support's CLI): not Okta's doing
    now = utcnow()
    users = list(user_ids) if user_ids is not None else [resource_id if resource_type == "User" else None]
    if not users:
        return
    db.execute(
        insert(ScimEvent),
        [
            {
                "instance_id": actor.instance_id,
                "at": now,
                "token_id": actor.token_id,
                "request": actor.request[:1024],
                "action": action,
                "resource_type": resource_type,
                "resource_id": resource_id,
                "user_id": user_id,
                "status": None,
                "changes": changes,
                "detail": None,
            }
            for user_id in users
        ],
    )


def record_failure(db, actor: Actor, status: int, detail: str) -> None:
    """A request that failed (4xx): why Okta's change did not happen."""
    db.add(
        ScimEvent(
            instance_id=actor.instance_id,
            at=utcnow(),
            token_id=actor.token_id,
            request=actor.request[:1024],
            action="failed",
            status=status,
            # The detail may quote the client (a path segment, an attribute name), and
            # PostgreSQL's text holds no NUL.
            detail=detail.replace("\x00", "\\u0000"),
        )
    )


def events(db, instance_id: int, user_id: str | None = None, since: dt.datetime | None = None,
           before_pk: int | None = None, limit: int = 50) -> list[ScimEvent]:
    """Newest first; ``before_pk`` continues a listing where its last page ended."""
    query = select(ScimEvent).where(ScimEvent.instance_id == instance_id)
    if user_id:
        query = query.where(ScimEvent.user_id == user_id)
    if since is not None:
        query = query.where(ScimEvent.at >= since)
    if before_pk is not None:
        query = query.where(ScimEvent.pk < before_pk)
    return list(db.scalars(query.order_by(ScimEvent.pk.desc()).limit(limit)))


def last_event_at(db, instance_id: int) -> dt.datetime | None:
    return db.scalar(select(func.max(ScimEvent.at)).where(ScimEvent.instance_id == instance_id))


#: Attributes never written to the trail: computed, read-only, or secret.
_NOT_RECORDED = {"schemas", "id", "meta", "groups", "members", "password"}


def flatten(resource: dict) -> dict:
    """``{"name": {"givenName": "J"}}`` as ``{"name.givenName": "J"}``; extensions by URN."""
    flat = {}
    for key, value in resource.items():
        if key in _NOT_RECORDED:
            continue
        if isinstance(value, dict):
            separator = ":" if ":" in key else "."
            for sub, sub_value in value.items():
                flat[f"{key}{separator}{sub}"] = sub_value
        else:
            flat[key] = value
    return flat


def diff(before: dict, after: dict) -> dict:
    """Each changed attribute with ``[old, new]``."""
    old, new = flatten(before), flatten(after)
    return {k: [old.get(k), new.get(k)] for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)}
