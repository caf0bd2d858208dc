"""Provisioning users: SCIM resources in, HQ users kept in step through the host."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.exc import IntegrityError

from ..host import HostConflict, HostUserProfile
from ..models.listing import list_page
from ..models.maps import MULTI_COLUMNS, SCALAR_COLUMNS, USER_MAP
from ..models.reading import UserRecord, select_users, user_records
from ..models.scim import ScimUser, ScimUserValue, utcnow
from ..scim.errors import uniqueness
from ..scim.patch import apply_patch, parse_patch
from ..scim.query import ListQuery
from ..scim.schemas import CORE_USER, ENTERPRISE_USER, USER, deserialize_resource, format_datetime
from ..scim.serialize import Projection, project
from ..scim.text import user_name_key
from . import audit
from .audit import AuditAction
from .resources import ISSUED_ID, ParallelChange, ProvisioningService, UniqueName, bump_version, etag

#: The longest host key for a person ``scim_users.host_user_id`` holds (host.py).
MAX_HOST_KEY_LENGTH = 255
USER_NAME = UniqueName(ScimUser, "user_name_ci", "A user with userName '{name}' already exists.", user_name_key)


class UserService(ProvisioningService):
    """The users of one instance (RFC 7644 §3.3-§3.6, /Users)."""

    resource_type = USER
    patch_answers_no_content = False

    def get(self, user_id: str) -> UserRecord | None:
        """The instance's user with this id; another instance's id is simply unknown.

        One statement, the same for a read and a change: the user with its values and
        groups (``models/reading.py``), the groups with what license bookkeeping needs.
        """
        if not ISSUED_ID.fullmatch(user_id):
            return None  # not an id we issue: no need to ask the database
        records = user_records(self.db.connection().execute(_RECORD_BY_ID, {"id": user_id}))
        user = records[0] if records else None
        return user if user is not None and user.instance_id == self.instance_id else None

    def search(self, query: ListQuery) -> tuple[int, list[UserRecord]]:
        """GET /Users and POST /Users/.search (RFC 7644 §3.4.2, §3.4.3)."""
        return list_page(self.db, USER_MAP, self.instance_id, query, self.page_cursors)

    def render(self, rows: list[UserRecord], projection: Projection, base_url: str) -> list[dict]:
        """Users as resources (their values and groups came with them, see USER_MAP)."""
        groups_base = f"{base_url}/Groups" if projection.returns("groups") else None
        return [project(to_resource(u, f"{base_url}/Users/{u.id}", groups_base), projection) for u in rows]

    def create(self, body) -> UserRecord:
        """POST /Users (RFC 7644 §3.3).

        Two Core inserts and a record to render: Okta's hot path skips the ORM's unit of
        work, which cost more than the inserts themselves.
        """
        resource = deserialize_resource(USER, body)
        USER_NAME.check(self.db, self.instance_id, resource["userName"])
        columns = _columns_from(resource)
        host_user_id = self._provision(None, _host_profile(resource, columns["active"] is not False))
        now = utcnow()
        user = {
            "id": str(uuid.uuid4()),
            "instance_id": self.instance_id,
            "host_user_id": host_user_id,
            "user_name_ci": user_name_key(columns["user_name"]),
            "created_at": now,
            "updated_at": now,
            "version": 1,
            **columns,
        }
        connection = self.db.connection()
        try:
            user["pk"] = connection.execute(_INSERT_USER, user).scalar_one()
        except IntegrityError:  # a parallel create took the name after USER_NAME.check
            raise uniqueness(USER_NAME.message.format(name=columns["user_name"])) from None
        record = UserRecord(user)  # in no group yet: nothing to ask
        record.values = _insert_values(connection, record.pk, _value_rows(resource))
        self.audit.record(AuditAction.CREATE, "User", record.id, audit.label_of(record), changes=audit.diff({}, resource))
        return record

    def replace(self, user: UserRecord, body) -> UserRecord:
        """PUT /Users/{id} (RFC 7644 §3.5.1): the body replaces every writable attribute."""
        return self._write(user, deserialize_resource(USER, body))

    def patch(self, user: UserRecord, body) -> UserRecord:
        """PATCH /Users/{id} (RFC 7644 §3.5.2), applied whole or not at all.

        The operations run on the resource as a dict; the result then goes the way of a PUT.
        """
        before = to_resource(user, location="")
        patched = apply_patch(USER, before, parse_patch(USER, body))
        return self._write(user, deserialize_resource(USER, patched), before)

    def delete(self, user: UserRecord) -> None:
        """DELETE /Users/{id} (RFC 7644 §3.6): the SCIM resource goes, the HQ person stays, inactive."""
        self.licensing.user_deactivated(user)  # their seats go to whoever waits
        self.host.release_user(self.db, user.instance_id, user.host_user_id)
        self.audit.record(
            AuditAction.DELETE, "User", user.id, audit.label_of(user), changes={"userName": [user.user_name, None]}
        )
        # Its values and memberships go with it (ON DELETE CASCADE).
        self._require_row(self.db.connection().execute(_DELETE_USER, {"pk": user.pk}))

    def _write(self, user: UserRecord, resource: dict, before: dict | None = None) -> UserRecord:
        """Store a validated resource over ``user``; the host and licensing follow.

        Core statements on the loaded record, as ``create`` does: one UPDATE of the user's
        columns, and the values only when they changed. Okta's deactivation is this path.
        ``before`` is ``user`` as a resource, when the caller has built it already.
        """
        columns = _columns_from(resource)
        value_rows = _value_rows(resource)
        changed_columns = {k: v for k, v in columns.items() if getattr(user, k) != v}
        values_changed = value_rows != _current_value_rows(user)
        if not changed_columns and not values_changed:
            return user  # nothing to do: the version (and ETag) stays
        changes = audit.diff(before or to_resource(user, location=""), resource)
        if "user_name" in changed_columns:
            USER_NAME.check(self.db, user.instance_id, columns["user_name"], user.pk)
            changed_columns["user_name_ci"] = user_name_key(columns["user_name"])
        was_active = user.active is not False  # only an explicit false deactivates (RFC 7643 §4.1.1)
        is_active = columns["active"] is not False
        self._provision(user.host_user_id, _host_profile(resource, is_active))
        for column, value in changed_columns.items():
            setattr(user, column, value)
        bump_version(user)
        connection = self.db.connection()
        try:
            row = {"b_pk": user.pk, **{column: getattr(user, column) for column in _UPDATED}}
            self._require_row(connection.execute(_UPDATE_USER, row))
        except IntegrityError:  # a parallel rename took the name after USER_NAME.check
            raise uniqueness(USER_NAME.message.format(name=user.user_name)) from None
        if values_changed:
            connection.execute(_DELETE_VALUES, {"user_pk": user.pk})
            user.values = _insert_values(connection, user.pk, value_rows)
        self.audit.record(AuditAction.UPDATE, "User", user.id, audit.label_of(user), changes=changes)
        if was_active and not is_active:
            self.host.end_sessions(self.db, user.instance_id, user.host_user_id)
            self.licensing.user_deactivated(user)
        elif is_active and not was_active:
            self.licensing.user_reactivated(user)
        return user

    @staticmethod
    def _require_row(result) -> None:
        """A user deleted by a parallel request since it was read: run again (then a 404)."""
        if result.rowcount != 1:
            raise ParallelChange("a parallel request deleted the user")

    def _provision(self, host_user_id: str | None, profile: HostUserProfile) -> str:
        try:
            key = self.host.provision_user(self.db, self.instance_id, host_user_id, profile)
        except HostConflict as exc:
            raise uniqueness(str(exc)) from None
        except IntegrityError as exc:
            # Two requests for one new userName both passed USER_NAME.check, and the
            # host's own unique index refused the second once the first committed (where
            # writers do not take turns: PostgreSQL, or a host's own SQLite session). Run
            # the request again: its check now sees the first one's user and answers 409.
            raise ParallelChange("a parallel request provisioned the same person in the host") from exc
        if not isinstance(key, str) or not 0 < len(key) <= MAX_HOST_KEY_LENGTH:
            # A host bug, not the client's: a 500 that names it, before anything is stored.
            raise TypeError(f"Host.provision_user must return its key as text of 1 to 255 characters, not {key!r:.80}")
        return key


#: A user read by id, for GET and for a change alike. It selects by the id alone and
#: checks the instance on the row: with ``instance_id = ?`` in the WHERE clause, a planner
#: whose statistics predate the instance (or that has none) finds an index on
#: instance_id as cheap as the unique index on id, and walks the instance's whole user
#: list to find one user (test_query_plans).
_RECORD_BY_ID = select_users(ScimUser.id == bindparam("id"))
_USERS = ScimUser.__table__
_VALUES = ScimUserValue.__table__
#: Built once (building a statement costs more than running it), over every column a
#: resource sets: a change writes the whole row in one statement, whatever changed.
_UPDATED = (*SCALAR_COLUMNS.values(), "user_name_ci", "updated_at", "version")
_UPDATE_USER = update(_USERS).where(_USERS.c.pk == bindparam("b_pk")).values({c: bindparam(c) for c in _UPDATED})
_DELETE_USER = delete(_USERS).where(_USERS.c.pk == bindparam("pk"))
_INSERT_USER = insert(_USERS).returning(_USERS.c.pk)
_INSERT_VALUES = insert(_VALUES)
_DELETE_VALUES = delete(_VALUES).where(_VALUES.c.user_pk == bindparam("user_pk"))
#: Every value column, empty: each row of one executemany names the same columns.
_NO_VALUE = {column: None for columns in MULTI_COLUMNS.values() for column in columns.values()}


def _insert_values(connection, user_pk: int, value_rows: list[tuple]) -> list[SimpleNamespace]:
    """Store a user's multi-valued attributes (``_value_rows``) in one executemany; the rows as stored."""
    values = [
        {**_NO_VALUE, "user_pk": user_pk, "attribute": attribute, "position": position, **dict(value_columns)}
        for attribute, position, value_columns in value_rows
    ]
    if values:
        connection.execute(_INSERT_VALUES, values)
    return [SimpleNamespace(**value) for value in values]


def to_resource(user: UserRecord, location: str, groups_base: str | None = None) -> dict:
    """The SCIM representation of a user (RFC 7643 §4.1); ``groups_base`` None leaves out its groups."""
    resource: dict = {"schemas": [CORE_USER], "id": user.id}
    for (urn, attr, sub), column in SCALAR_COLUMNS.items():
        value = getattr(user, column)
        if value is None:
            continue
        target = resource.setdefault(urn, {}) if urn else resource
        if sub is None:
            target[attr] = value
        else:
            target.setdefault(attr, {})[sub] = value
    if ENTERPRISE_USER in resource:
        resource["schemas"].append(ENTERPRISE_USER)
    for row in user.values:
        columns = MULTI_COLUMNS[row.attribute]
        element = {sub: getattr(row, column) for sub, column in columns.items()}
        resource.setdefault(row.attribute, []).append({k: v for k, v in element.items() if v is not None})
    if groups_base is not None and user.groups:
        resource["groups"] = [
            {"value": group.id, "$ref": f"{groups_base}/{group.id}", "display": group.display_name, "type": "direct"}
            for group in user.groups
        ]
    resource["meta"] = {
        "resourceType": "User",
        "created": format_datetime(user.created_at),
        "lastModified": format_datetime(user.updated_at),
        "location": location,
        "version": etag(user),
    }
    return resource


def _columns_from(resource: dict) -> dict:
    values = {}
    for (urn, attr, sub), column in SCALAR_COLUMNS.items():
        source = resource.get(urn, {}) if urn else resource
        value = source.get(attr)
        if sub is not None:
            value = value.get(sub) if isinstance(value, dict) else None
        values[column] = value
    return values


def _value_rows(resource: dict) -> list[tuple]:
    """The multi-valued attributes as comparable tuples, in order."""
    rows = []
    for attribute, columns in MULTI_COLUMNS.items():
        for position, element in enumerate(resource.get(attribute, [])):
            rows.append((attribute, position, tuple((col, element.get(sub)) for sub, col in columns.items())))
    return rows


def _current_value_rows(user: UserRecord) -> list[tuple]:
    return [
        (
            row.attribute,
            position,
            tuple((col, getattr(row, col)) for col in MULTI_COLUMNS[row.attribute].values()),
        )
        for position, row in enumerate(user.values)
    ]


def _host_profile(resource: dict, active: bool) -> HostUserProfile:
    emails = resource.get("emails", [])
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else {})
    name = resource.get("name", {})
    return HostUserProfile(
        login=resource["userName"],
        email=primary.get("value"),
        given_name=name.get("givenName"),
        family_name=name.get("familyName"),
        display_name=resource.get("displayName"),
        active=active,
    )
