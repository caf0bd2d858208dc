"""The audit trail: what each SCIM request changed, written in the request's transaction.

An :class:`AuditService` is built per request with the :class:`Actor` behind it (the
token of a SCIM call, the manager on the HQ page); the other services call
:meth:`AuditService.record` with what they changed. Failed requests are written
afterwards in a transaction of their own (:meth:`AuditService.record_failure`), since
theirs was rolled back. Without an actor (support's CLI) nothing is recorded: the
change was not Okta's doing.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select

from ..models.scim import ScimEvent, ScimUser, utcnow


class AuditAction(enum.StrEnum):
    """Every action the trail records; the values are stored (``scim_events.action``)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    #: A license group deleted by Okta: emptied and given its HQ name back.
    RESET = "reset"
    MEMBER_ADDED = "member_added"
    MEMBER_REMOVED = "member_removed"
    #: A member id Okta or Entra sent that names no user of this instance (deleted,
    #: another instance's, malformed): skipped so the rest of the group still syncs.
    #: ``changes`` holds it as ``{"unknown_member": id}``; ``user_id`` stays empty.
    MEMBER_SKIPPED = "member_skipped"
    LICENSE_GRANTED = "license_granted"
    LICENSE_REVOKED = "license_revoked"
    #: Support changed the paid seats of a license (``livepreso-scim seats set``).
    SEATS_CHANGED = "seats_changed"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    #: A request that was refused (4xx): why Okta's change did not happen.
    FAILED = "failed"
    #: A 404 for a user or group this instance deleted earlier: Okta reads (or deletes
    #: again) what it just deleted, routinely; not a failure.
    GONE = "gone"


@dataclass(frozen=True)
class Actor:
    """Who is writing: a token (SCIM) or a person (HQ, support), and the request."""

    token_id: str | None
    request: str  # "PATCH /scim/v2/acme/Users/…", "HQ: jane@acme.example"
    #: Shared by every event of one request, so the HQ page tells them as one sentence.
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


_INSERT_EVENT = insert(ScimEvent.__table__)


class AuditService:
    """The audit trail of one instance, written as ``actor``."""

    def __init__(self, db, instance_id: int, actor: Actor | None):
        self.db, self.instance_id, self.actor = db, instance_id, actor

    def record(self, action: AuditAction, resource_type: str, resource_id: str | None, label: str | None = None,
               users=None, changes=None) -> None:
        """Record one change; ``users`` as ``[(id, label), ...]`` makes one entry per user, in one statement.

        ``label`` names the resource as it is now (a group's displayName, a user's
        :func:`person_label`, a token's label), so the trail still names it once deleted.
        """
        if users is None:
            users = [(resource_id, label) if resource_type == "User" else (None, None)]
        self._insert(action, resource_type, resource_id, label, [(uid, ulabel, changes) for uid, ulabel in users])

    def record_each(self, action: AuditAction, resource_type: str, resource_id: str | None, label: str | None,
                    entries) -> None:
        """One entry per ``(user id, user label, changes)`` of ``entries``, in one statement."""
        self._insert(action, resource_type, resource_id, label, list(entries))

    def _insert(self, action, resource_type, resource_id, label, entries, status=None, detail=None) -> None:
        if self.actor is None or not entries:
            return
        now = utcnow()
        # On the connection, as Core: the ORM's bulk insert does the same with more work.
        self.db.connection().execute(
            _INSERT_EVENT,
            [
                {
                    "instance_id": self.instance_id,
                    "at": now,
                    "token_id": self.actor.token_id,
                    "request": self.actor.request[:1024],
                    "request_id": self.actor.request_id,
                    "action": action,
                    "resource_type": resource_type,
                    "resource_id": resource_id,
                    "resource_label": label,
                    "user_id": user_id,
                    "user_label": user_label,
                    "status": status,
                    "changes": changes,
                    "detail": detail,
                }
                for user_id, user_label, changes in entries
            ],
        )

    def record_failure(self, status: int, detail: str, resource: tuple[str, str] | None = None) -> None:
        """A request that failed (4xx): why Okta's change did not happen.

        ``resource`` (type, id) is the user or group a 404 was about: one this instance
        deleted earlier is recorded as GONE, with the name it had. Only this path pays
        the look-up (by the index on instance, resource id).
        """
        if self.actor is None:
            return
        # The detail may quote the client (a path segment, an attribute name), and
        # PostgreSQL's text holds no NUL.
        detail = detail.replace("\x00", "\\u0000")
        deleted = None
        if status == 404 and resource is not None:
            deleted = self.db.execute(
                select(ScimEvent.resource_label)
                .where(
                    ScimEvent.instance_id == self.instance_id,
                    ScimEvent.resource_id == resource[1],
                    ScimEvent.action == AuditAction.DELETE,
                )
                .order_by(ScimEvent.pk.desc())
                .limit(1)
            ).first()
        if deleted is None:
            self._insert(AuditAction.FAILED, None, None, None, [(None, None, None)], status, detail)
            return
        resource_type, resource_id = resource
        user = (resource_id, deleted.resource_label, None) if resource_type == "User" else (None, None, None)
        self._insert(AuditAction.GONE, resource_type, resource_id, deleted.resource_label, [user], status, detail)

    def events(self, user_id: str | None = None, since: dt.datetime | None = None,
               before_pk: int | None = None, limit: int = 50) -> list[ScimEvent]:
        """Newest first; ``before_pk`` continues a listing where its last page ended."""
        query = select(ScimEvent).where(ScimEvent.instance_id == self.instance_id)
        if user_id:
            query = query.where(ScimEvent.user_id == user_id)
        if since is not None:
            query = query.where(ScimEvent.at >= since)
        if before_pk is not None:
            query = query.where(ScimEvent.pk < before_pk)
        return list(self.db.scalars(query.order_by(ScimEvent.pk.desc()).limit(limit)))

    def last_event_at(self) -> dt.datetime | None:
        return self.db.scalar(select(func.max(ScimEvent.at)).where(ScimEvent.instance_id == self.instance_id))


def person_label(user_name: str, display_name: str | None = None, given_name: str | None = None,
                 family_name: str | None = None) -> str:
    """How HQ names a SCIM user: "Erin Evans (erin@acme.test)", or the userName alone.

    The display name, else given and family name; migration scim_0010 computes the same in SQL.
    """
    name = display_name or (f"{given_name} {family_name}" if given_name and family_name else None)
    return f"{name} ({user_name})" if name else user_name


#: The columns :func:`label_of` reads: added to a SELECT that already runs, so naming the
#: users of an event costs no statement of its own.
LABEL_COLUMNS = (ScimUser.user_name, ScimUser.display_name, ScimUser.name_given, ScimUser.name_family)


def label_of(row) -> str:
    """:func:`person_label` of a row selected with :data:`LABEL_COLUMNS` (or a ScimUser)."""
    return person_label(row.user_name, row.display_name, row.name_given, row.name_family)


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
