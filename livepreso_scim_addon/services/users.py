"""Provisioning users: SCIM resources in, HQ users kept in step through the host."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..host import HostConflict, HostUserProfile
from ..models.listing import list_page
from ..models.maps import MULTI_COLUMNS, SCALAR_COLUMNS, USER_MAP
from ..models.reading import UserRecord, UserRow, select_users, user_records
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

    def get(self, user_id: str, for_change: bool) -> UserRow | None:
        """The instance's user with this id; another instance's id is simply unknown.

        A read renders the user and changes nothing: a plain record (``models/reading.py``)
        costs less to load than the ORM entity that a change needs.
        """
        if not ISSUED_ID.fullmatch(user_id):
            return None  # not an id we issue: no need to ask the database
        if for_change:
            user = self.db.execute(_USER_BY_ID, {"id": user_id}).unique().scalar_one_or_none()
        else:
            records = user_records(self.db.connection().execute(_RECORD_BY_ID, {"id": user_id}))
            user = records[0] if records else None
        return user if user is not None and user.instance_id == self.instance_id else None

    def search(self, query: ListQuery) -> tuple[int, list[UserRow]]:
        """GET /Users and POST /Users/.search (RFC 7644 §3.4.2, §3.4.3)."""
        return list_page(self.db, USER_MAP, self.instance_id, query, self.page_cursors)

    def render(self, rows: list[UserRow], projection: Projection, base_url: str) -> list[dict]:
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
        values = [
            {**_NO_VALUE, "user_pk": user["pk"], "attribute": attribute, "position": position, **dict(value_columns)}
            for attribute, position, value_columns in _value_rows(resource)
        ]
        if values:
            connection.execute(_INSERT_VALUES, values)
        record = UserRecord(user)  # in no group yet: nothing to ask
        record.values = [SimpleNamespace(**value) for value in values]
        self.audit.record(AuditAction.CREATE, "User", record.id, audit.label_of(record), changes=audit.diff({}, resource))
        return record

    def replace(self, user: ScimUser, body) -> ScimUser:
        """PUT /Users/{id} (RFC 7644 §3.5.1): the body replaces every writable attribute."""
        return self._write(user, deserialize_resource(USER, body))

    def patch(self, user: ScimUser, body) -> ScimUser:
        """PATCH /Users/{id} (RFC 7644 §3.5.2), applied whole or not at all.

        The operations run on the resource as a dict; the result then goes the way of a PUT.
        """
        patched = apply_patch(USER, to_resource(user, location=""), parse_patch(USER, body))
        return self._write(user, deserialize_resource(USER, patched))

    def delete(self, user: ScimUser) -> None:
        """DELETE /Users/{id} (RFC 7644 §3.6): the SCIM resource goes, the HQ person stays, inactive."""
        self.licensing.user_deactivated(user)  # their seats go to whoever waits
        self.host.release_user(self.db, user.instance_id, user.host_user_id)
        self.audit.record(
            AuditAction.DELETE, "User", user.id, audit.label_of(user), changes={"userName": [user.user_name, None]}
        )
        self.db.delete(user)
        self.db.flush()

    def _write(self, user: ScimUser, resource: dict) -> ScimUser:
        """Store a validated resource over ``user``; the host and licensing follow."""
        columns = _columns_from(resource)
        value_rows = _value_rows(resource)
        changed_columns = {k: v for k, v in columns.items() if getattr(user, k) != v}
        values_changed = value_rows != _current_value_rows(user)
        if not changed_columns and not values_changed:
            return user  # nothing to do: the version (and ETag) stays
        changes = audit.diff(to_resource(user, location=""), resource)
        if "user_name" in changed_columns:
            USER_NAME.check(self.db, user.instance_id, columns["user_name"], user.pk)
            user.user_name_ci = user_name_key(columns["user_name"])
        was_active = user.is_active
        for column, value in changed_columns.items():
            setattr(user, column, value)
        if values_changed:
            user.values = [_value_row(row) for row in value_rows]
        bump_version(user)
        self._provision(user.host_user_id, _host_profile(resource, user.is_active))
        USER_NAME.flush(self.db, user.user_name)
        self.audit.record(AuditAction.UPDATE, "User", user.id, audit.label_of(user), changes=changes)
        if was_active and not user.is_active:
            self.host.end_sessions(self.db, user.instance_id, user.host_user_id)
            self.licensing.user_deactivated(user)
        elif user.is_active and not was_active:
            self.licensing.user_reactivated(user)
        return user

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


#: Every change to one user starts here: built once (building a statement costs more
#: than running it); its values and groups come in the same statement, joined.
#: Both lookups by id select by the id alone and check the instance on the row: with
#: ``instance_id = ?`` in the WHERE clause, a planner whose statistics predate the instance
#: (or that has none) finds an index on instance_id as cheap as the unique index on id,
#: and walks the instance's whole user list to find one user (test_query_plans).
_USER_BY_ID = (
    select(ScimUser)
    .options(joinedload(ScimUser.values), joinedload(ScimUser.groups))
    .where(ScimUser.id == bindparam("id"))
)
_RECORD_BY_ID = select_users(ScimUser.id == bindparam("id"))
_INSERT_USER = insert(ScimUser.__table__).returning(ScimUser.__table__.c.pk)
_INSERT_VALUES = insert(ScimUserValue.__table__)
#: Every value column, empty: each row of one executemany names the same columns.
_NO_VALUE = {column: None for columns in MULTI_COLUMNS.values() for column in columns.values()}


def to_resource(user: UserRow, location: str, groups_base: str | None = None) -> dict:
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


def _current_value_rows(user: ScimUser) -> list[tuple]:
    return [
        (
            row.attribute,
            position,
            tuple((col, getattr(row, col)) for col in MULTI_COLUMNS[row.attribute].values()),
        )
        for position, row in enumerate(user.values)
    ]


def _value_row(row: tuple) -> ScimUserValue:
    attribute, position, columns = row
    return ScimUserValue(attribute=attribute, position=position, **dict(columns))


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
