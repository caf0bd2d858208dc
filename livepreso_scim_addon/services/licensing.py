"""License seats: membership of a license group asks for its license; seats decide.

The rules (docs/ARCHITECTURE.md, "Licensing"), for each instance and license:
- licensed never exceeds the paid seats, and nobody waits while a seat is free;
- waiting members get a freed seat first come, first served (by ``queued_at``);
- when seats are lowered, the most recently licensed lose the license first and wait again;
- a deactivated member holds nothing and waits for nothing; reactivated, they queue at the back.

Every change ends with :meth:`LicenseService.rebalance` on the group concerned, in the same
transaction, with the group row locked so that parallel requests on PostgreSQL
allocate one at a time. Each step is a fixed number of statements, whatever the
number of members, and the host hears of grants and revokes in batches.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, insert, select, true, update

from ..host import Host, License
from ..models.scim import ScimGroup, ScimInstance, ScimMembership, ScimUser, utcnow
from .audit import LABEL_COLUMNS, AuditAction, AuditService, label_of
from .audit import person_label


def ensure_license_groups(db, licenses: Sequence[License], instance_ids: Sequence[int]) -> int:
    """Create the license groups these instances lack, one per license; how many were made.

    Two statements whatever the number of instances: at start-up this runs for every
    enabled instance, so a license the host starts to sell gets its group everywhere.
    """
    if not instance_ids or not licenses:
        return 0
    existing = {
        (row.instance_id, row.license)
        for row in db.execute(
            select(ScimGroup.instance_id, ScimGroup.license).where(
                ScimGroup.instance_id.in_(instance_ids), ScimGroup.license.is_not(None)
            )
        )
    }
    now = utcnow()
    missing = [
        {
            "id": str(uuid.uuid4()),
            "instance_id": instance_id,
            "display_name": license.group_name,
            "display_name_ci": license.group_name.lower(),
            "license": license.type,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for instance_id in instance_ids
        for license in licenses
        if (instance_id, license.type) not in existing
    ]
    if missing:
        db.execute(insert(ScimGroup), missing)
    return len(missing)


def enabled_instance_ids(db) -> list[int]:
    return list(db.scalars(select(ScimInstance.instance_id).where(ScimInstance.enabled.is_(True))))


def queue_times(count: int) -> list[dt.datetime]:
    """Distinct, increasing request times for members added together, in request order."""
    now = utcnow()
    return [now + dt.timedelta(microseconds=i) for i in range(count)]


@dataclass(frozen=True)
class LicenseGroupSummary:
    """What HQ shows of a license group: its current (maybe Okta's) name and its use."""

    name: str
    license: str
    seats: int | None
    licensed: int
    waiting: int
    grants_hq_access: bool
    #: The host's name for the group (``License.group_name``); the license type for a
    #: license the host no longer sells.
    builtin_name: str = ""

    @property
    def renamed(self) -> bool:
        """Okta linked (and so renamed) the group: "Field Sales — linked to Salesperson"."""
        return bool(self.builtin_name) and self.name != self.builtin_name

    @property
    def full(self) -> bool:
        """People wait for a seat: the seats paid are too few."""
        return self.waiting > 0


@dataclass(frozen=True)
class WaitingMember:
    """One place in a license queue; ``position`` counts from 1, the next to get a seat."""

    position: int
    user_id: str
    label: str
    queued_at: dt.datetime


@dataclass(frozen=True)
class WaitingGroup:
    name: str
    builtin_name: str
    license: str
    members: list[WaitingMember]


@dataclass(frozen=True)
class Place:
    """Where a person stands with one license group: holding it, or waiting at ``position``."""

    name: str
    builtin_name: str
    license: str
    licensed_at: dt.datetime | None
    queued_at: dt.datetime | None
    position: int | None  # None: licensed, or not asking (deactivated)

    @property
    def waiting(self) -> bool:
        return self.position is not None


class LicenseService:
    """The seats of one instance's licenses, allocated through its license groups."""

    def __init__(self, db, host: Host, instance_id: int, audit: AuditService):
        self.db, self.host, self.instance_id, self.audit = db, host, instance_id, audit

    def lock(self, group: ScimGroup) -> None:
        """Serialise allocation for this group's license (SELECT ... FOR UPDATE on PostgreSQL).

        SQLite needs no lock: a writing request already holds the database's write lock.
        """
        self.db.execute(select(ScimGroup.pk).where(ScimGroup.pk == group.pk).with_for_update())

    def revoke_members(self, group: ScimGroup, user_pks: list[int] | None) -> None:
        """Take the license from these members (None: all), if they hold it (they are leaving or deactivated)."""
        rows = self.db.execute(
            select(ScimMembership.user_pk, ScimUser.host_user_id, ScimUser.id, *LABEL_COLUMNS)
            .join(ScimUser, ScimUser.pk == ScimMembership.user_pk)
            .where(
                ScimMembership.group_pk == group.pk,
                ScimMembership.user_pk.in_(user_pks) if user_pks is not None else true(),
                ScimMembership.licensed_at.is_not(None),
            )
        ).all()
        if not rows:
            return
        self.db.execute(
            update(ScimMembership)
            .where(ScimMembership.group_pk == group.pk, ScimMembership.user_pk.in_([r.user_pk for r in rows]))
            .values(licensed_at=None)
        )
        self.host.license_revoked(self.db, group.instance_id, [r.host_user_id for r in rows], group.license)
        self._record(AuditAction.LICENSE_REVOKED, group, rows)

    def rebalance(self, group: ScimGroup) -> None:
        """Bring the number licensed to what the seats allow, from the queue or back into it."""
        seats = self.host.license_seats(self.db, group.instance_id, group.license)
        licensed = self.db.scalar(
            select(func.count())
            .select_from(ScimMembership)
            .where(ScimMembership.group_pk == group.pk, ScimMembership.licensed_at.is_not(None))
        )
        if seats is not None and licensed > seats:
            self._unlicense_most_recent(group, licensed - seats)
        elif seats is None or licensed < seats:
            self._license_longest_waiting(group, None if seats is None else seats - licensed)

    def _license_longest_waiting(self, group: ScimGroup, free: int | None) -> None:
        waiting = (
            select(ScimMembership.user_pk, ScimUser.host_user_id, ScimUser.id, *LABEL_COLUMNS)
            .join(ScimUser, ScimUser.pk == ScimMembership.user_pk)
            .where(
                ScimMembership.group_pk == group.pk,
                ScimMembership.licensed_at.is_(None),
                ScimMembership.queued_at.is_not(None),
            )
            .order_by(ScimMembership.queued_at, ScimMembership.user_pk)
        )
        rows = self.db.execute(waiting if free is None else waiting.limit(free)).all()
        if not rows:
            return
        self.db.execute(
            update(ScimMembership)
            .where(ScimMembership.group_pk == group.pk, ScimMembership.user_pk.in_([r.user_pk for r in rows]))
            .values(licensed_at=utcnow())
        )
        self.host.license_granted(self.db, group.instance_id, [r.host_user_id for r in rows], group.license)
        self._record(AuditAction.LICENSE_GRANTED, group, rows)

    def _record(self, action: AuditAction, group: ScimGroup, rows) -> None:
        changes = {"license": group.license, "group": group.display_name}
        self.audit.record(
            action, "Group", group.id, group.display_name, users=[(r.id, label_of(r)) for r in rows], changes=changes
        )

    def _unlicense_most_recent(self, group: ScimGroup, excess: int) -> None:
        rows = self.db.execute(
            select(ScimMembership.user_pk)
            .where(ScimMembership.group_pk == group.pk, ScimMembership.licensed_at.is_not(None))
            .order_by(ScimMembership.licensed_at.desc(), ScimMembership.user_pk.desc())
            .limit(excess)
        ).all()
        self.revoke_members(group, [r.user_pk for r in rows])

    @staticmethod
    def _license_groups_of(user: ScimUser) -> list[ScimGroup]:
        """The license groups ``user`` is in, as loaded with the user for this change
        (``UserService.get``: no statement of its own, and none at all for the many who
        are in none), in one lock order for every request: no deadlocks."""
        return sorted((g for g in user.groups if g.license is not None), key=lambda g: g.pk)

    def user_deactivated(self, user: ScimUser) -> None:
        """A deactivated user holds no license and waits for none; their seats go to the queue."""
        for group in self._license_groups_of(user):
            self.lock(group)
            self.revoke_members(group, [user.pk])
            self._set_queued_at(group, user, None)
            self.rebalance(group)

    def user_reactivated(self, user: ScimUser) -> None:
        """Back in the queue, at the back of it."""
        for group in self._license_groups_of(user):
            self.lock(group)
            self._set_queued_at(group, user, utcnow())
            self.rebalance(group)

    def _set_queued_at(self, group: ScimGroup, user: ScimUser, queued_at: dt.datetime | None) -> None:
        self.db.execute(
            update(ScimMembership)
            .where(ScimMembership.group_pk == group.pk, ScimMembership.user_pk == user.pk)
            .values(queued_at=queued_at)
        )

    def set_seats(self, license: str, seats: int | None) -> None:
        """Support's ``seats set``: the host's paid seats, then licenses from the queue, or
        taken from the most recently licensed (None: unlimited). The change is an event
        of its own, before the grants and revokes it causes."""
        before = self.host.license_seats(self.db, self.instance_id, license)
        self.host.set_license_seats(self.db, self.instance_id, license, seats)
        group = self.db.scalar(
            select(ScimGroup).where(ScimGroup.instance_id == self.instance_id, ScimGroup.license == license)
        )
        self.audit.record(
            AuditAction.SEATS_CHANGED, "Group", group.id if group is not None else None,
            group.display_name if group is not None else None, changes={"license": license, "seats": [before, seats]},
        )
        if group is not None:
            self.lock(group)
            self.rebalance(group)

    def summary(self) -> list[LicenseGroupSummary]:
        """The instance's license groups with seats, licensed and waiting counts, in one query."""
        licensed = func.count(ScimMembership.licensed_at)
        waiting = func.count(ScimMembership.queued_at) - licensed
        rows = self.db.execute(
            select(ScimGroup.display_name, ScimGroup.license, licensed, waiting)
            .outerjoin(ScimMembership, ScimMembership.group_pk == ScimGroup.pk)
            .where(ScimGroup.instance_id == self.instance_id, ScimGroup.license.is_not(None))
            .group_by(ScimGroup.pk, ScimGroup.display_name, ScimGroup.license)
        ).all()
        return self._in_license_order(
            LicenseGroupSummary(
                name,
                license_type,
                self.host.license_seats(self.db, self.instance_id, license_type),
                n_licensed,
                n_waiting,
                grants_hq_access=license_type in self._licenses and self._licenses[license_type].grants_hq_access,
                builtin_name=self._builtin_name(license_type),
            )
            for name, license_type, n_licensed, n_waiting in rows
        )

    @functools.cached_property
    def _licenses(self) -> dict[str, License]:
        """The licenses the host sells, by type, in the host's order."""
        return {license.type: license for license in self.host.licenses()}

    def _builtin_name(self, license_type: str) -> str:
        license = self._licenses.get(license_type)
        return license.group_name if license is not None else license_type

    def _in_license_order(self, items) -> list:
        """``items`` (with a ``license``) in the host's order; a license it no longer sells last."""
        order = {license_type: i for i, license_type in enumerate(self._licenses)}
        return sorted(items, key=lambda item: order.get(item.license, len(order)))

    def _queue(self):
        """Every waiting member of the instance's license groups with their position: the
        queue order of ``_license_longest_waiting`` (``queued_at``, then ``user_pk``)."""
        position = func.row_number().over(
            partition_by=ScimMembership.group_pk, order_by=(ScimMembership.queued_at, ScimMembership.user_pk)
        )
        return (
            select(ScimMembership.group_pk, ScimMembership.user_pk, ScimMembership.queued_at, position.label("position"))
            .join(ScimGroup, ScimGroup.pk == ScimMembership.group_pk)
            .where(
                ScimGroup.instance_id == self.instance_id,
                ScimGroup.license.is_not(None),
                ScimMembership.licensed_at.is_(None),
                ScimMembership.queued_at.is_not(None),
            )
            .subquery("queue")
        )

    def waiting(self) -> list[WaitingGroup]:
        """The license groups people wait for, each with its queue in order; one query."""
        queue = self._queue()
        rows = self.db.execute(
            select(
                ScimGroup.pk, ScimGroup.display_name, ScimGroup.license, queue.c.queued_at, queue.c.position,
                ScimUser.id, ScimUser.user_name, ScimUser.display_name.label("user_display_name"),
                ScimUser.name_given, ScimUser.name_family,
            )
            .select_from(queue)
            .join(ScimGroup, ScimGroup.pk == queue.c.group_pk)
            .join(ScimUser, ScimUser.pk == queue.c.user_pk)
            .order_by(ScimGroup.pk, queue.c.position)
        ).all()
        groups: dict[int, WaitingGroup] = {}
        for row in rows:
            group = groups.get(row.pk)
            if group is None:
                group = groups[row.pk] = WaitingGroup(
                    row.display_name, self._builtin_name(row.license), row.license, []
                )
            label = person_label(row.user_name, row.user_display_name, row.name_given, row.name_family)
            group.members.append(WaitingMember(row.position, row.id, label, row.queued_at))
        return self._in_license_order(groups.values())

    def waiting_positions(self, host_user_ids) -> dict[str, tuple[str, list[Place]]]:
        """For each of these host people who is a SCIM user: their SCIM id and the license
        groups they wait for, with their position. One query for a page of people."""
        host_user_ids = list(host_user_ids)
        if not host_user_ids:
            return {}
        queue = self._queue()
        rows = self.db.execute(
            select(ScimUser.host_user_id, ScimUser.id, ScimGroup.display_name, ScimGroup.license,
                   queue.c.queued_at, queue.c.position)
            .outerjoin(queue, queue.c.user_pk == ScimUser.pk)
            .outerjoin(ScimGroup, ScimGroup.pk == queue.c.group_pk)
            .where(ScimUser.instance_id == self.instance_id, ScimUser.host_user_id.in_(host_user_ids))
            .order_by(ScimUser.host_user_id, ScimGroup.pk)
        ).all()
        found: dict[str, tuple[str, list[Place]]] = {}
        for row in rows:
            _, places = found.setdefault(row.host_user_id, (row.id, []))
            if row.position is not None:
                places.append(Place(row.display_name, self._builtin_name(row.license), row.license,
                                    None, row.queued_at, row.position))
        return found

    def places_of(self, user_pk: int) -> list[Place]:
        """The license groups one person is in: held, waited for (with position), or neither."""
        queue = self._queue()
        rows = self.db.execute(
            select(ScimGroup.display_name, ScimGroup.license, ScimMembership.licensed_at,
                   ScimMembership.queued_at, queue.c.position)
            .join(ScimMembership, ScimMembership.group_pk == ScimGroup.pk)
            .outerjoin(queue, and_(queue.c.group_pk == ScimGroup.pk, queue.c.user_pk == ScimMembership.user_pk))
            .where(ScimMembership.user_pk == user_pk, ScimGroup.license.is_not(None),
                   ScimGroup.instance_id == self.instance_id)
            .order_by(ScimGroup.pk)
        ).all()
        return [
            Place(r.display_name, self._builtin_name(r.license), r.license, r.licensed_at, r.queued_at, r.position)
            for r in rows
        ]
