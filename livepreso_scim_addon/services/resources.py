"""What the users and groups services share: the resource-service protocol, ids, versions, names.

Every SCIM resource type is served by one set of views (``views/resources.py``) over a
service that satisfies :class:`ResourceService`; Users and Groups differ only where
SCIM makes them differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Protocol

import transaction.interfaces
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from ..host import Host
from ..models.listing import PageCursors
from ..models.scim import utcnow
from ..scim.errors import uniqueness
from ..scim.query import ListQuery
from ..scim.schemas import ResourceType
from ..scim.serialize import Projection
from .audit import AuditService
from .licensing import LicenseService

#: The form of the ids this add-on issues (UUID 4); anything else is unknown without a query.
ISSUED_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class ResourceService(Protocol):
    """One resource type of one instance, as the generic SCIM views use it (RFC 7644 §3)."""

    resource_type: ClassVar[ResourceType]
    #: PATCH answers 204 No Content unless the query asks for attributes (Groups).
    patch_answers_no_content: ClassVar[bool]

    def get(self, resource_id: str) -> Any | None:
        """The resource with this id, or None: what GET renders and what a change works on."""

    def search(self, query: ListQuery) -> tuple[int, list]:
        """(totalResults, the page's rows) for a list or search (RFC 7644 §3.4.2)."""

    def render(self, rows: list, projection: Projection, base_url: str) -> list[dict]:
        """Rows as SCIM resources; loads related rows in batches, and only what is returned."""

    def create(self, body) -> Any:
        """POST (RFC 7644 §3.3)."""

    def replace(self, row, body) -> Any:
        """PUT (RFC 7644 §3.5.1)."""

    def patch(self, row, body) -> Any:
        """PATCH (RFC 7644 §3.5.2), whole or not at all."""

    def delete(self, row) -> None:
        """DELETE (RFC 7644 §3.6)."""


class ProvisioningService:
    """What the users and groups services are built from: one instance's session, host,
    licensing and audit trail, and the page cursors of its imports."""

    def __init__(self, db, host: Host, instance_id: int, licensing: LicenseService, audit: AuditService,
                 page_cursors: PageCursors | None = None):
        self.db, self.host, self.instance_id = db, host, instance_id
        self.licensing, self.audit, self.page_cursors = licensing, audit, page_cursors


class ParallelChange(transaction.interfaces.TransientError):
    """A parallel request changed what this one relied on: the request runs again
    (pyramid_tm marks transaction's TransientError retryable for pyramid_retry), and the
    next attempt sees the other's commit."""


def etag(row) -> str:
    """A resource's version as a weak ETag (RFC 7644 §3.14)."""
    return f'W/"{row.version}"'


def bump_version(row) -> None:
    """The resource changed: a new lastModified and version (so a new ETag)."""
    row.updated_at = utcnow()
    row.version += 1


@dataclass(frozen=True)
class UniqueName:
    """A name unique within an instance by its key (a userName: ``user_name_key``; a
    group's displayName: lower-cased).

    The service checks first, for a clear message; the unique index on the stored key
    catches a parallel request that took the name in between, with the same 409.
    """

    model: type
    attribute: str  # the mapped column holding the name's key
    message: str  # "... '{name}' ..."
    key: Callable[[str], str] = str.lower
    def check(self, db, instance_id: int, name: str, own_pk: int | None = None) -> None:
        """409 uniqueness when another resource of the instance has this name."""
        parameters = {"instance_id": instance_id, "key": self.key(name)}
        if own_pk is None:
            taken = db.connection().execute(self._taken, parameters).first()
        else:
            taken = db.connection().execute(self._taken_by_another, {**parameters, "own_pk": own_pk}).first()
        if taken is not None:
            raise uniqueness(self.message.format(name=name))

    @cached_property
    def _taken(self):
        """Built once, over the table (no ORM work per check): Okta checks before every create."""
        table = self.model.__table__
        return select(table.c.pk).where(
            table.c.instance_id == bindparam("instance_id"), table.c[self.attribute] == bindparam("key")
        ).limit(1)

    @cached_property
    def _taken_by_another(self):
        """The same for a rename: the resource may keep its own name."""
        return self._taken.where(self.model.__table__.c.pk != bindparam("own_pk"))

    def flush(self, db, name: str) -> None:
        """Flush, turning the unique index's refusal into the same 409."""
        try:
            db.flush()
        except IntegrityError:
            raise uniqueness(self.message.format(name=name)) from None
