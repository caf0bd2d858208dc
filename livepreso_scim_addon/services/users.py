"""Provisioning users: SCIM resources in, HQ users kept in step through the host."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..host import Host, HostConflict, HostUserProfile
from ..models.listing import list_page
from ..models.maps import MULTI_COLUMNS, SCALAR_COLUMNS, USER_MAP
from ..models.reading import UserRecord, select_users, user_records
from ..models.scim import ScimUser, ScimUserValue, utcnow
from ..scim.errors import uniqueness
from ..scim.patch import apply_patch
from ..scim.query import ListQuery
from ..scim.schemas import CORE_USER, ENTERPRISE_USER, USER, deserialize_resource, format_datetime
from . import audit, licensing

#: The form of the ids this add-on issues; anything else is unknown without a query.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def read_user(db, instance_id: int, user_id: str) -> UserRecord | None:
    """The instance's user with this SCIM id, read to be shown (no ORM entity), or None."""
    if not UUID.fullmatch(user_id):
        return None
    records = user_records(db.connection().execute(_RECORD_BY_ID, {"id": user_id}))
    return records[0] if records and records[0].instance_id == instance_id else None


# Both lookups by id select by the id alone and check the instance on the row: with
# ``instance_id = ?`` in the WHERE clause, a planner whose statistics predate the instance
# (or that has none) finds an index on instance_id as cheap as the unique index on id,
# and walks the instance's whole user list to find one user (test_query_plans).
_RECORD_BY_ID = select_users(ScimUser.id == bindparam("id"))


def get_user(db, instance_id: int, user_id: str) -> ScimUser | None:
    """The instance's user with this SCIM id, to be changed; another instance's id is simply unknown."""
    if not UUID.fullmatch(user_id):
        return None  # not an id we issue: no need to ask the database
    user = db.execute(_USER_BY_ID, {"id": user_id}).unique().scalar_one_or_none()
    return user if user is not None and user.instance_id == instance_id else None


#: Every change to one user starts here: built once (building a statement costs more
#: than running it); its values and groups come in the same statement, joined.
_USER_BY_ID = (
    select(ScimUser)
    .options(joinedload(ScimUser.values), joinedload(ScimUser.groups))
    .where(ScimUser.id == bindparam("id"))
)


def etag(user: ScimUser) -> str:
    return f'W/"{user.version}"'


def to_resource(user: ScimUser, location: str, groups_base: str | None = None) -> dict:
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


def _check_unique(db, instance_id: int, user_name: str, user_pk: int | None) -> None:
    query = select(ScimUser.pk).where(
        ScimUser.instance_id == instance_id, ScimUser.user_name_ci == user_name.lower()
    )
    if user_pk is not None:
        query = query.where(ScimUser.pk != user_pk)
    if db.scalar(query.limit(1)) is not None:
        raise uniqueness(f"A user with userName '{user_name}' already exists.")


def _flush(db, user_name: str) -> None:
    # A parallel request may have taken the userName between our check and the
    # insert; the unique index catches that, and the client gets the same 409.
    try:
        db.flush()
    except IntegrityError:
        raise uniqueness(f"A user with userName '{user_name}' already exists.") from None


def create_user(db, host: Host, instance_id: int, body) -> ScimUser:
    """POST /Users (RFC 7644 §3.3)."""
    resource = deserialize_resource(USER, body)
    _check_unique(db, instance_id, resource["userName"], None)
    columns = _columns_from(resource)
    try:
        host_user_id = host.provision_user(
            db, instance_id, None, _host_profile(resource, columns["active"] is not False)
        )
    except HostConflict as exc:
        raise uniqueness(str(exc)) from None
    now = utcnow()
    user = ScimUser(
        id=str(uuid.uuid4()),
        instance_id=instance_id,
        host_user_id=host_user_id,
        user_name_ci=columns["user_name"].lower(),
        created_at=now,
        updated_at=now,
        version=1,
        **columns,
    )
    user.values = [_value_row(row) for row in _value_rows(resource)]
    db.add(user)
    _flush(db, user.user_name)
    audit.record(db, "create", "User", user.id, changes=audit.diff({}, resource))
    return user


def _value_row(row: tuple) -> ScimUserValue:
    attribute, position, columns = row
    return ScimUserValue(attribute=attribute, position=position, **dict(columns))


def replace_user(db, host: Host, user: ScimUser, body) -> ScimUser:
    """PUT /Users/{id} (RFC 7644 §3.5.1): the body replaces every writable attribute."""
    return _store(db, host, user, deserialize_resource(USER, body))


def patch_user(db, host: Host, user: ScimUser, body) -> ScimUser:
    """PATCH /Users/{id} (RFC 7644 §3.5.2), applied whole or not at all."""
    current = to_resource(user, location="")
    patched = apply_patch(USER, current, body)
    return _store(db, host, user, deserialize_resource(USER, patched))


def _store(db, host: Host, user: ScimUser, resource: dict) -> ScimUser:
    columns = _columns_from(resource)
    value_rows = _value_rows(resource)
    changed_columns = {k: v for k, v in columns.items() if getattr(user, k) != v}
    values_changed = value_rows != _current_value_rows(user)
    if not changed_columns and not values_changed:
        return user  # nothing to do: the version (and ETag) stays
    changes = audit.diff(to_resource(user, location=""), resource)
    if "user_name" in changed_columns:
        _check_unique(db, user.instance_id, columns["user_name"], user.pk)
        user.user_name_ci = columns["user_name"].lower()
    was_active = user.is_active
    for column, value in changed_columns.items():
        setattr(user, column, value)
    if values_changed:
        user.values = [_value_row(row) for row in value_rows]
    user.updated_at = utcnow()
    user.version += 1
    try:
        host.provision_user(db, user.instance_id, user.host_user_id, _host_profile(resource, user.is_active))
    except HostConflict as exc:
        raise uniqueness(str(exc)) from None
    _flush(db, user.user_name)
    audit.record(db, "update", "User", user.id, changes=changes)
    if was_active and not user.is_active:
        host.end_sessions(db, user.instance_id, user.host_user_id)
        licensing.user_deactivated(db, host, user)
    elif user.is_active and not was_active:
        licensing.user_reactivated(db, host, user)
    return user


def delete_user(db, host: Host, user: ScimUser) -> None:
    """DELETE /Users/{id} (RFC 7644 §3.6): the SCIM resource goes, the HQ person stays, inactive."""
    licensing.user_deactivated(db, host, user)  # their seats go to whoever waits
    host.release_user(db, user.instance_id, user.host_user_id)
    audit.record(db, "delete", "User", user.id, changes={"userName": [user.user_name, None]})
    db.delete(user)
    db.flush()


def search_users(db, instance_id: int, query: ListQuery, cursors=None) -> tuple[int, list[ScimUser]]:
    """GET /Users and POST /Users/.search (RFC 7644 §3.4.2, §3.4.3)."""
    return list_page(db, USER_MAP, instance_id, query, cursors)
