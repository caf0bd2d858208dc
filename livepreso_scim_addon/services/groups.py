"""Provisioning groups: Okta's pushed groups, and the three license groups it links to.

Membership is changed with set operations in SQL, never member by member, so a
PATCH adding a thousand members costs the same handful of statements as one adding
ten. Membership of a license group asks for its license (``services.licensing``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError

from ..host import LICENSES, Host
from ..models.filtering import compile_value_filter
from ..models.listing import list_page
from ..models.maps import GROUP_MAP
from ..models.scim import ScimGroup, ScimMembership, ScimUser, utcnow
from ..scim import filter as scim_filter
from ..scim.errors import invalid_syntax, invalid_value, mutability, uniqueness
from ..scim.patch import apply_patch, patch_operations
from ..scim.query import ListQuery
from ..scim.schemas import CORE_GROUP, GROUP, deserialize_resource, format_datetime
from . import audit, licensing
from .users import UUID


def get_group(db, instance_id: int, group_id: str) -> ScimGroup | None:
    """The instance's group with this SCIM id; another instance's id is simply unknown."""
    if not UUID.fullmatch(group_id):
        return None
    group = db.scalar(_GROUP_BY_ID, {"id": group_id})
    return group if group is not None and group.instance_id == instance_id else None


#: Built once: building a statement costs more than running it. By the id alone, the
#: instance checked on the row, as users.get_user does: the unique index on id is then
#: the only one the planner can pick, whatever its statistics know.
_GROUP_BY_ID = select(ScimGroup).where(ScimGroup.id == bindparam("id"))


def etag(group: ScimGroup) -> str:
    return f'W/"{group.version}"'


def load_members(db, group_pks: list[int]) -> dict[int, list[str]]:
    """The member (user) ids of a page of groups, in one query."""
    members: dict[int, list[str]] = {pk: [] for pk in group_pks}
    if not group_pks:
        return members
    rows = db.execute(
        select(ScimMembership.group_pk, ScimUser.id)
        .join(ScimUser, ScimUser.pk == ScimMembership.user_pk)
        .where(ScimMembership.group_pk.in_(group_pks))
        .order_by(ScimMembership.group_pk, ScimMembership.created_at, ScimMembership.user_pk)
    )
    for group_pk, user_id in rows:
        members[group_pk].append(user_id)
    return members


def to_resource(group: ScimGroup, location: str, users_base: str, members: list[str] | None) -> dict:
    """The SCIM representation of a group; ``members`` None leaves them out (not loaded)."""
    resource: dict = {"schemas": [CORE_GROUP], "id": group.id, "displayName": group.display_name}
    if group.external_id is not None:
        resource["externalId"] = group.external_id
    if members:
        resource["members"] = [{"value": m, "$ref": f"{users_base}/{m}", "type": "User"} for m in members]
    resource["meta"] = {
        "resourceType": "Group",
        "created": format_datetime(group.created_at),
        "lastModified": format_datetime(group.updated_at),
        "location": location,
        "version": etag(group),
    }
    return resource


def _check_unique(db, instance_id: int, display_name: str, group_pk: int | None) -> None:
    query = select(ScimGroup.pk).where(
        ScimGroup.instance_id == instance_id, ScimGroup.display_name_ci == display_name.lower()
    )
    if group_pk is not None:
        query = query.where(ScimGroup.pk != group_pk)
    if db.scalar(query.limit(1)) is not None:
        raise uniqueness(f"A group with displayName '{display_name}' already exists.")


def _flush(db, display_name: str) -> None:
    try:
        db.flush()
    except IntegrityError:
        raise uniqueness(f"A group with displayName '{display_name}' already exists.") from None


def _member_ids(resource: dict) -> list[str]:
    """The member ids of a validated resource, in order, without repeats."""
    return _ids_from(resource.get("members", []))


def create_group(db, host: Host, instance_id: int, body) -> ScimGroup:
    """POST /Groups (RFC 7644 §3.3): Okta's Push Groups."""
    resource = deserialize_resource(GROUP, body)
    _check_unique(db, instance_id, resource["displayName"], None)
    now = utcnow()
    group = ScimGroup(
        id=str(uuid.uuid4()),
        instance_id=instance_id,
        display_name=resource["displayName"],
        display_name_ci=resource["displayName"].lower(),
        external_id=resource.get("externalId"),
        created_at=now,
        updated_at=now,
        version=1,
    )
    db.add(group)
    _flush(db, group.display_name)
    audit.record(db, "create", "Group", group.id, changes=audit.diff({}, resource))
    _Membership(db, host, group).add(_member_ids(resource))
    return group


def replace_group(db, host: Host, group: ScimGroup, body) -> ScimGroup:
    """PUT /Groups/{id} (RFC 7644 §3.5.1): name, externalId and the whole member list."""
    resource = deserialize_resource(GROUP, body)
    membership = _Membership(db, host, group)
    changed = _set_attributes(db, group, resource)
    changed |= membership.replace(_member_ids(resource))
    membership.finish()
    if changed:
        _touch(group)
    return group


def patch_group(db, host: Host, group: ScimGroup, body) -> ScimGroup:
    """PATCH /Groups/{id} (RFC 7644 §3.5.2), applied whole or not at all.

    Operations on ``members`` run as set operations in SQL; the others (displayName,
    externalId) go through the PATCH engine like a user's attributes.
    """
    attribute_ops, member_ops = _split_operations(body)
    membership = _Membership(db, host, group)
    changed = False
    if attribute_ops:
        current = to_resource(group, location="", users_base="", members=None)
        patched = apply_patch(GROUP, current, {"Operations": attribute_ops})
        changed |= _set_attributes(db, group, deserialize_resource(GROUP, patched))
    for op, path, value in member_ops:
        changed |= membership.apply(op, path, value)
    membership.finish()
    if changed:
        _touch(group)
    return group


def delete_group(db, host: Host, group: ScimGroup) -> None:
    """DELETE /Groups/{id} (RFC 7644 §3.6).

    A license group belongs to HQ: it loses its members (and they their licenses) and
    gets its default name back, but stays, so Okta can link it again.
    """
    membership = _Membership(db, host, group)
    membership.remove_all()
    membership.finish()
    if group.license is None:
        audit.record(db, "delete", "Group", group.id, changes={"displayName": [group.display_name, None]})
        db.delete(group)
        db.flush()
        return
    name = LICENSES[group.license]
    _check_unique(db, group.instance_id, name, group.pk)
    changes = audit.diff({"displayName": group.display_name, "externalId": group.external_id}, {"displayName": name})
    group.display_name, group.display_name_ci, group.external_id = name, name.lower(), None
    audit.record(db, "reset", "Group", group.id, changes=changes)
    _touch(group)


def _touch(group: ScimGroup) -> None:
    group.updated_at = utcnow()
    group.version += 1


def _set_attributes(db, group: ScimGroup, resource: dict) -> bool:
    """displayName and externalId from a validated resource; whether anything changed."""
    name, external_id = resource["displayName"], resource.get("externalId")
    if (name, external_id) == (group.display_name, group.external_id):
        return False
    if name.lower() != group.display_name_ci:
        _check_unique(db, group.instance_id, name, group.pk)
    changes = audit.diff(
        {"displayName": group.display_name, "externalId": group.external_id},
        {"displayName": name, "externalId": external_id},
    )
    group.display_name, group.display_name_ci, group.external_id = name, name.lower(), external_id
    _flush(db, name)
    audit.record(db, "update", "Group", group.id, changes=changes)
    return True


def _split_operations(body) -> tuple[list, list]:
    """Separate operations on ``members`` from those on the group's own attributes."""
    attribute_ops, member_ops = [], []
    for operation in patch_operations(body):
        if not isinstance(operation, dict):
            raise invalid_syntax("Each operation must be a JSON object.")
        fields = {k.lower(): v for k, v in operation.items() if isinstance(k, str)}
        op, path, value = fields.get("op"), fields.get("path"), fields.get("value")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise invalid_syntax(f"Unknown op {op!r}: expected 'add', 'replace' or 'remove'.")
        op = op.lower()  # Entra sends "Add", "Replace", "Remove"
        if isinstance(path, str) and path.strip():
            parsed = scim_filter.parse_path(path)
            if parsed.attr.urn is None and parsed.attr.attr.lower() == "members":
                member_ops.append((op, parsed, value))
            else:
                attribute_ops.append(operation)
        elif isinstance(value, dict) and op != "remove":
            # Path-less: {"members": [...]} is a member operation, the rest are attributes.
            rest = {k: v for k, v in value.items() if not (isinstance(k, str) and k.lower() == "members")}
            for key in value.keys() - rest.keys():
                member_ops.append((op, scim_filter.parse_path("members"), value[key]))
            if rest:
                attribute_ops.append({**operation, "value": rest})
        else:
            attribute_ops.append(operation)  # the engine explains what is wrong with it
    return attribute_ops, member_ops


class _Membership:
    """Member changes of one group in SQL: each call a fixed number of statements."""

    def __init__(self, db, host: Host, group: ScimGroup):
        self.db, self.host, self.group = db, host, group
        self.changed = False
        if group.license is not None:
            licensing.lock(db, group)

    def apply(self, op: str, path, value) -> bool:
        """One PATCH operation on ``members`` (RFC 7644 §3.5.2)."""
        if path.sub is not None or (path.filter is not None and op != "remove"):
            raise mutability("Members are added or removed whole; their sub-attributes cannot be changed.")
        if op == "remove":
            if path.filter is not None:
                return self._remove_where(path.filter)
            if value is None:
                return self.remove_all()
            # Entra removes with a value list: {"path": "members", "value": [{"value": "<id>"}]}
            return self.remove(_ids_from(value))
        if value is None:
            raise invalid_value(f"'{op}' of members needs a value.")
        ids = _ids_from(value)
        return self.add(ids) if op == "add" else self.replace(ids)

    def _users(self, ids: list[str]) -> dict[str, tuple[int, bool]]:
        """user id -> (pk, active) for users of this instance; unknown ids are an error."""
        if not ids:
            return {}
        well_formed = [i for i in ids if UUID.fullmatch(i)]  # others are unknown, unasked
        rows = {
            row.id: (row.pk, row.active is not False)
            for row in self.db.execute(
                select(ScimUser.id, ScimUser.pk, ScimUser.active).where(
                    ScimUser.instance_id == self.group.instance_id, ScimUser.id.in_(well_formed)
                )
            )
        } if well_formed else {}
        unknown = [i for i in ids if i not in rows]
        if unknown:
            shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            raise invalid_value(f"Members must be users of this instance; unknown: {shown}.")
        return rows

    def _current(self) -> set[int]:
        return set(self.db.scalars(select(ScimMembership.user_pk).where(ScimMembership.group_pk == self.group.pk)))

    def add(self, ids: list[str]) -> bool:
        users = self._users(ids)
        if not users:
            return False
        present = set(
            self.db.scalars(
                select(ScimMembership.user_pk).where(
                    ScimMembership.group_pk == self.group.pk,
                    ScimMembership.user_pk.in_([pk for pk, _ in users.values()]),
                )
            )
        )
        self._insert([(i, *users[i]) for i in ids if users[i][0] not in present])
        return self.changed

    def replace(self, ids: list[str]) -> bool:
        users = self._users(ids)
        wanted = {pk for pk, _ in users.values()}
        current = self._current()
        self._delete(current - wanted)
        self._insert([(i, *users[i]) for i in ids if users[i][0] not in current])
        return self.changed

    def remove(self, ids: list[str]) -> bool:
        known = [i for i in ids if UUID.fullmatch(i)]
        if not known:
            return False
        pks = self.db.scalars(
            select(ScimUser.pk).where(ScimUser.instance_id == self.group.instance_id, ScimUser.id.in_(known))
        ).all()
        self._delete(set(pks))
        return self.changed

    def remove_all(self) -> bool:
        self._delete(None)
        return self.changed

    def _remove_where(self, node) -> bool:
        """``members[value eq "id"]`` and any other filter on the members (Okta's removal)."""
        condition = compile_value_filter(GROUP_MAP, "members", node)
        pks = self.db.scalars(
            select(ScimMembership.user_pk)
            .join(ScimUser, ScimUser.pk == ScimMembership.user_pk)
            .where(ScimMembership.group_pk == self.group.pk, condition)
        ).all()
        self._delete(set(pks))  # no match: already gone, and that is fine
        return self.changed

    def _insert(self, users: list[tuple[str, int, bool]]) -> None:
        """Add these (id, pk, active) users; in a license group they join the queue."""
        if not users:
            return
        now = utcnow()
        licensed_group = self.group.license is not None
        times = licensing.queue_times(len(users))
        self.db.execute(
            insert(ScimMembership),
            [
                {
                    "group_pk": self.group.pk,
                    "user_pk": pk,
                    "created_at": now,
                    # Deactivated members ask for nothing until they are reactivated.
                    "queued_at": queued if licensed_group and active else None,
                    "licensed_at": None,
                }
                for (_, pk, active), queued in zip(users, times, strict=True)
            ],
        )
        audit.record(self.db, "member_added", "Group", self.group.id, user_ids=[u[0] for u in users])
        self.changed = True

    def _delete(self, user_pks: set[int] | None) -> None:
        """Remove these members (None: all), revoking the licenses they held through the group."""
        if user_pks is not None and not user_pks:
            return
        if self.group.license is not None:
            licensing.revoke_members(self.db, self.host, self.group, None if user_pks is None else list(user_pks))
        leaving = (
            select(ScimUser.id)
            .join(ScimMembership, ScimMembership.user_pk == ScimUser.pk)
            .where(ScimMembership.group_pk == self.group.pk)
        )
        statement = delete(ScimMembership).where(ScimMembership.group_pk == self.group.pk)
        if user_pks is not None:
            leaving = leaving.where(ScimMembership.user_pk.in_(user_pks))
            statement = statement.where(ScimMembership.user_pk.in_(user_pks))
        user_ids = self.db.scalars(leaving).all()
        if user_ids:
            self.db.execute(statement)
            audit.record(self.db, "member_removed", "Group", self.group.id, user_ids=user_ids)
            self.changed = True

    def finish(self) -> None:
        """Hand freed seats to the queue, or license the new members while seats last."""
        if self.changed and self.group.license is not None:
            licensing.rebalance(self.db, self.host, self.group)


def _ids_from(value) -> list[str]:
    """Member ids from ``[{"value": id}, ...]``, one such object, or bare ids.

    A member given only by ``$ref`` is the resource that URI names (RFC 7643 §4.2).
    """
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        member_id = item
        if isinstance(item, dict):
            fields = {k.lower(): v for k, v in item.items() if isinstance(k, str)}
            if isinstance(fields.get("type"), str) and fields["type"].lower() != "user":
                raise invalid_value("Only users can be members; groups cannot be nested.")
            member_id = fields.get("value")
            if not member_id and isinstance(fields.get("$ref"), str):
                member_id = fields["$ref"].rstrip("/").rsplit("/", 1)[-1]
        if not isinstance(member_id, str) or not member_id:
            raise invalid_value("Each member needs a 'value': the id of a user.")
        ids.append(member_id)
    return list(dict.fromkeys(ids))


def search_groups(db, instance_id: int, query: ListQuery, cursors=None) -> tuple[int, list[ScimGroup]]:
    """GET /Groups and POST /Groups/.search (RFC 7644 §3.4.2, §3.4.3)."""
    return list_page(db, GROUP_MAP, instance_id, query, cursors)
