"""Provisioning groups: Okta's pushed groups, and the license groups it links to.

Membership is changed with set operations in SQL, never member by member, so a
PATCH adding a thousand members costs the same handful of statements as one adding
ten. Membership of a license group asks for its license (``services.licensing``).

A member id naming no user of this instance (deleted earlier, another instance's,
malformed) is skipped and recorded (``AuditAction.MEMBER_SKIPPED``), not refused: a
400 would make Okta stop pushing the whole group, its known members included.
"""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, delete, insert, select

from ..host import license_of
from ..models.filtering import compile_value_filter
from ..models.listing import list_page
from ..models.maps import GROUP_MAP
from ..models.scim import ScimGroup, ScimMembership, ScimUser, utcnow, with_ids
from ..scim import leniency
from ..scim.errors import invalid_value, mutability
from ..scim.patch import PatchOperation, apply_patch, numbered_errors, parse_patch, split_operations
from ..scim.query import ListQuery
from ..scim.schemas import CORE_GROUP, GROUP, deserialize_resource, format_datetime
from ..scim.serialize import Projection, project
from . import audit
from .audit import AuditAction, AuditService
from .licensing import LicenseService, queue_times
from .resources import ISSUED_ID, ProvisioningService, UniqueName, bump_version, etag

_MEMBERS = GROUP.schema.attribute("members")
DISPLAY_NAME = UniqueName(ScimGroup, "display_name_ci", "A group with displayName '{name}' already exists.")


class GroupService(ProvisioningService):
    """The groups of one instance (RFC 7644 §3.3-§3.6, /Groups): Okta's Push Groups and Group Linking."""

    resource_type = GROUP
    # Okta and Entra expect 204; answering every membership change with the whole
    # member list would cost a large group's full read on each of Okta's PATCHes.
    patch_answers_no_content = True

    def get(self, group_id: str) -> ScimGroup | None:
        """The instance's group with this id; another instance's id is simply unknown."""
        if not ISSUED_ID.fullmatch(group_id):
            return None
        group = self.db.scalar(_GROUP_BY_ID, {"id": group_id})
        return group if group is not None and group.instance_id == self.instance_id else None

    def search(self, query: ListQuery) -> tuple[int, list[ScimGroup]]:
        """GET /Groups and POST /Groups/.search (RFC 7644 §3.4.2, §3.4.3)."""
        return list_page(self.db, GROUP_MAP, self.instance_id, query, self.page_cursors)

    def render(self, rows: list[ScimGroup], projection: Projection, base_url: str) -> list[dict]:
        """Groups as resources; members loaded in one query, and only when returned."""
        members = self._members_of([g.pk for g in rows]) if projection.returns("members") else {}
        return [
            project(to_resource(g, f"{base_url}/Groups/{g.id}", f"{base_url}/Users", members.get(g.pk)), projection)
            for g in rows
        ]

    def create(self, body) -> ScimGroup:
        """POST /Groups (RFC 7644 §3.3): Okta's Push Groups."""
        resource = deserialize_resource(GROUP, body)
        DISPLAY_NAME.check(self.db, self.instance_id, resource["displayName"])
        now = utcnow()
        group = ScimGroup(
            id=str(uuid.uuid4()),
            instance_id=self.instance_id,
            display_name=resource["displayName"],
            display_name_ci=resource["displayName"].lower(),
            external_id=resource.get("externalId"),
            created_at=now,
            updated_at=now,
            version=1,
        )
        self.db.add(group)
        DISPLAY_NAME.flush(self.db, group.display_name)
        self.audit.record(AuditAction.CREATE, "Group", group.id, group.display_name, changes=audit.diff({}, resource))
        self._membership(group).add(_member_ids(resource.get("members", [])))
        return group

    def replace(self, group: ScimGroup, body) -> ScimGroup:
        """PUT /Groups/{id} (RFC 7644 §3.5.1): name, externalId and the whole member list."""
        resource = deserialize_resource(GROUP, body)
        membership = self._membership(group)
        changed = self._set_attributes(group, resource)
        membership.replace(_member_ids(resource.get("members", [])))
        membership.rebalance_licenses()
        if changed or membership.changed:
            bump_version(group)
        return group

    def patch(self, group: ScimGroup, body) -> ScimGroup:
        """PATCH /Groups/{id} (RFC 7644 §3.5.2), applied whole or not at all.

        Operations on ``members`` run as set operations in SQL; the others (displayName,
        externalId) go through the PATCH engine like a user's attributes.
        """
        attribute_ops, member_ops = split_operations(GROUP, parse_patch(GROUP, body), "members")
        membership = self._membership(group)
        changed = False
        if attribute_ops:
            current = to_resource(group, location="", users_base="", members=None)
            patched = apply_patch(GROUP, current, attribute_ops)
            changed = self._set_attributes(group, deserialize_resource(GROUP, patched))
        for operation in member_ops:
            with numbered_errors(operation.number):
                membership.apply(operation)
        membership.rebalance_licenses()
        if changed or membership.changed:
            bump_version(group)
        return group

    def delete(self, group: ScimGroup) -> None:
        """DELETE /Groups/{id} (RFC 7644 §3.6).

        A license group belongs to HQ: it loses its members (and they their licenses) and
        gets its default name back, but stays, so Okta can link it again.
        """
        membership = self._membership(group)
        membership.remove_all()
        membership.rebalance_licenses()
        if group.license is None:
            self.audit.record(
                AuditAction.DELETE, "Group", group.id, group.display_name, changes={"displayName": [group.display_name, None]}
            )
            self.db.delete(group)
            self.db.flush()
            return
        license = license_of(self.host, group.license)
        name = license.group_name if license is not None else group.display_name
        DISPLAY_NAME.check(self.db, group.instance_id, name, group.pk)
        changes = audit.diff({"displayName": group.display_name, "externalId": group.external_id}, {"displayName": name})
        group.display_name, group.display_name_ci, group.external_id = name, name.lower(), None
        self.audit.record(AuditAction.RESET, "Group", group.id, name, changes=changes)
        bump_version(group)

    def _membership(self, group: ScimGroup) -> _Membership:
        return _Membership(self.db, self.licensing, self.audit, group)

    def _members_of(self, group_pks: list[int]) -> dict[int, list[str]]:
        """The member (user) ids of a page of groups, in one query."""
        members: dict[int, list[str]] = {pk: [] for pk in group_pks}
        if not group_pks:
            return members
        rows = self.db.execute(
            select(ScimMembership.group_pk, ScimUser.id)
            .join(ScimUser, ScimUser.pk == ScimMembership.user_pk)
            .where(ScimMembership.group_pk.in_(group_pks))
            .order_by(ScimMembership.group_pk, ScimMembership.created_at, ScimMembership.user_pk)
        )
        for group_pk, user_id in rows:
            members[group_pk].append(user_id)
        return members

    def _set_attributes(self, group: ScimGroup, resource: dict) -> bool:
        """displayName and externalId from a validated resource; whether anything changed."""
        name, external_id = resource["displayName"], resource.get("externalId")
        if (name, external_id) == (group.display_name, group.external_id):
            return False
        if name.lower() != group.display_name_ci:
            DISPLAY_NAME.check(self.db, group.instance_id, name, group.pk)
        changes = audit.diff(
            {"displayName": group.display_name, "externalId": group.external_id},
            {"displayName": name, "externalId": external_id},
        )
        group.display_name, group.display_name_ci, group.external_id = name, name.lower(), external_id
        DISPLAY_NAME.flush(self.db, name)
        self.audit.record(AuditAction.UPDATE, "Group", group.id, name, changes=changes)
        return True


#: Built once: building a statement costs more than running it. By the id alone, the
#: instance checked on the row, as the users service does: the unique index on id is
#: then the only one the planner can pick, whatever its statistics know.
_GROUP_BY_ID = select(ScimGroup).where(ScimGroup.id == bindparam("id"))


def to_resource(group: ScimGroup, location: str, users_base: str, members: list[str] | None) -> dict:
    """The SCIM representation of a group (RFC 7643 §4.2); ``members`` None leaves them out (not loaded)."""
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


class _Membership:
    """Member changes of one group in SQL: each call a fixed number of statements.

    ``changed`` says whether any member came or went; :meth:`rebalance_licenses` ends
    every change of a license group.
    """

    def __init__(self, db, licensing: LicenseService, audit: AuditService, group: ScimGroup):
        self.db, self.licensing, self.audit, self.group = db, licensing, audit, group
        self.changed = False
        if group.license is not None:
            licensing.lock(group)

    def apply(self, operation: PatchOperation) -> None:
        """One PATCH operation on ``members`` (RFC 7644 §3.5.2)."""
        op, path, value = operation.op, operation.path, operation.value
        if path.sub is not None or (path.filter is not None and op != "remove"):
            raise mutability("Members are added or removed whole; their sub-attributes cannot be changed.")
        if op == "remove":
            listed = leniency.removed_values(_MEMBERS, value)  # Entra removes with a value list
            if path.filter is not None:
                self._remove_where(path.filter)
            elif listed is None:
                self.remove_all()
            else:
                self.remove(_member_ids(listed))
            return
        if value is None:
            raise invalid_value(f"'{op}' of members needs a value.")
        ids = _member_ids(value)
        self.add(ids) if op == "add" else self.replace(ids)

    def add(self, ids: list[str]) -> None:
        """Add the users among ``ids``; unknown ids are skipped (see :meth:`_users`)."""
        users = self._users(ids)
        if not users:
            return
        present = set(
            self.db.scalars(
                select(ScimMembership.user_pk).where(
                    ScimMembership.group_pk == self.group.pk,
                    ScimMembership.user_pk.in_([user[0] for user in users.values()]),
                )
            )
        )
        self._insert([(i, *users[i]) for i in ids if i in users and users[i][0] not in present])

    def replace(self, ids: list[str]) -> None:
        """The members become the users among ``ids``; unknown ids are skipped."""
        users = self._users(ids)
        wanted = {user[0] for user in users.values()}
        current = set(self.db.scalars(select(ScimMembership.user_pk).where(ScimMembership.group_pk == self.group.pk)))
        self._delete(current - wanted)
        self._insert([(i, *users[i]) for i in ids if i in users and users[i][0] not in current])

    def remove(self, ids: list[str]) -> None:
        known = [i for i in ids if ISSUED_ID.fullmatch(i)]
        if not known:
            return
        pks = self.db.scalars(
            select(ScimUser.pk).where(with_ids(ScimUser, self.group.instance_id, known))
        ).all()
        self._delete(set(pks))

    def remove_all(self) -> None:
        self._delete(None)

    def rebalance_licenses(self) -> None:
        """Hand freed seats to the queue, or license the new members while seats last."""
        if self.changed and self.group.license is not None:
            self.licensing.rebalance(self.group)

    def _users(self, ids: list[str]) -> dict[str, tuple[int, bool, str]]:
        """user id -> (pk, active, label) for users of this instance; the other ids are skipped.

        Okta has no per-member error: a 400 puts the whole pushed group on its Errors
        tab until an admin retries it ("Troubleshooting Group Push"), and Entra backs
        off the failing group. So the known members apply, and each unknown id becomes
        a MEMBER_SKIPPED event, shown on the HQ events page.
        """
        if not ids:
            return {}
        well_formed = [i for i in ids if ISSUED_ID.fullmatch(i)]  # others are unknown, unasked
        rows = {
            row.id: (row.pk, row.active is not False, audit.label_of(row))
            for row in self.db.execute(
                select(ScimUser.id, ScimUser.pk, ScimUser.active, *audit.LABEL_COLUMNS).where(
                    with_ids(ScimUser, self.group.instance_id, well_formed)
                )
            )
        } if well_formed else {}
        self._record_skipped([i for i in ids if i not in rows])
        return rows

    def _record_skipped(self, unknown: list[str]) -> None:
        """One MEMBER_SKIPPED event per unknown id, in one statement.

        The id goes in ``changes``, not ``user_id``: it names no user here, ``user_id``
        (String(36), the HQ page's user filter) is for users of this instance, and
        garbage may be longer than a column holds.
        """
        self.audit.record_each(
            AuditAction.MEMBER_SKIPPED, "Group", self.group.id, self.group.display_name,
            [(None, None, {"unknown_member": _storable_id(member_id)}) for member_id in unknown],
        )

    def _remove_where(self, node) -> None:
        """``members[value eq "id"]`` and any other filter on the members (Okta's removal)."""
        condition = compile_value_filter(GROUP_MAP, "members", node)
        pks = self.db.scalars(
            select(ScimMembership.user_pk)
            .join(ScimUser, ScimUser.pk == ScimMembership.user_pk)
            .where(ScimMembership.group_pk == self.group.pk, condition)
        ).all()
        self._delete(set(pks))  # no match: already gone, and that is fine

    def _insert(self, users: list[tuple[str, int, bool, str]]) -> None:
        """Add these (id, pk, active, label) users; in a license group they join the queue."""
        if not users:
            return
        now = utcnow()
        licensed_group = self.group.license is not None
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
                for (_, pk, active, _label), queued in zip(users, queue_times(len(users)), strict=True)
            ],
        )
        # Who joined the queue: with the grants of the same request, the page tells who waits.
        self.audit.record_each(
            AuditAction.MEMBER_ADDED, "Group", self.group.id, self.group.display_name,
            [(user_id, label, {"queued": active} if licensed_group else None) for user_id, _, active, label in users],
        )
        self.changed = True

    def _delete(self, user_pks: set[int] | None) -> None:
        """Remove these members (None: all), revoking the licenses they held through the group."""
        if user_pks is not None and not user_pks:
            return
        if self.group.license is not None:
            self.licensing.revoke_members(self.group, None if user_pks is None else list(user_pks))
        leaving = (
            select(ScimUser.id, *audit.LABEL_COLUMNS)
            .join(ScimMembership, ScimMembership.user_pk == ScimUser.pk)
            .where(ScimMembership.group_pk == self.group.pk)
        )
        statement = delete(ScimMembership).where(ScimMembership.group_pk == self.group.pk)
        if user_pks is not None:
            leaving = leaving.where(ScimMembership.user_pk.in_(user_pks))
            statement = statement.where(ScimMembership.user_pk.in_(user_pks))
        leavers = [(row.id, audit.label_of(row)) for row in self.db.execute(leaving)]
        if leavers:
            self.db.execute(statement)
            self.audit.record(AuditAction.MEMBER_REMOVED, "Group", self.group.id, self.group.display_name, users=leavers)
            self.changed = True


#: The longest unknown id kept in the trail: enough for any IdP's id, bounded for garbage.
_MAX_SKIPPED_ID = 256


def _storable_id(member_id: str) -> str:
    """An unknown id as text every database holds: NUL and lone surrogates escaped, as
    ``AuditService.record_failure`` escapes NUL (PostgreSQL's text holds no NUL)."""
    text = member_id.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")
    return text if len(text) <= _MAX_SKIPPED_ID else text[:_MAX_SKIPPED_ID] + "…"


def _member_ids(value) -> list[str]:
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
