"""The licensing rules (services/licensing.py) on the real database, without HTTP.

The services are built directly on one session, as support's CLI builds them, and the
session is rolled back at the end: nothing here needs a commit. Every check reads both
sides: the add-on's queue (``scim_memberships``) and what the host was told (the
reference HQ's ``user_licenses``), which must always agree.
"""

from __future__ import annotations

import pytest
import webtest
from sqlalchemy import select

from livepreso_scim_addon.host import License, load_host
from livepreso_scim_addon.hq import main
from livepreso_scim_addon.hq.host import ReferenceHost
from livepreso_scim_addon.hq.instances import create_instance
from livepreso_scim_addon.hq.models import HqUser, UserLicense
from livepreso_scim_addon.models.reading import UserRecord
from livepreso_scim_addon.models.scim import ScimGroup, ScimMembership, ScimUser
from livepreso_scim_addon.services.audit import AuditService
from livepreso_scim_addon.services.groups import GroupService
from livepreso_scim_addon.services.instances import InstanceService
from livepreso_scim_addon.services.licensing import LicenseService
from livepreso_scim_addon.services.resources import ParallelChange
from livepreso_scim_addon.services.users import UserService
from tests.common.factories import make_tenant, set_enabled
from tests.common.scim import CORE, ScimClient

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Seats:
    """One instance's users, license groups and seats, driven through the services."""

    def __init__(self, db, host):
        self.db, self.host = db, host
        instance = create_instance(db, "rules", "Rules")
        InstanceService(db, host).set_enabled(instance.id, True)
        self.instance_id = instance.id
        audit = AuditService(db, instance.id, actor=None)
        self.licensing = LicenseService(db, host, instance.id, audit)
        self.users = UserService(db, host, instance.id, self.licensing, audit)
        self.groups = GroupService(db, host, instance.id, self.licensing, audit)

    def user(self, name: str) -> UserRecord:
        return self.users.create({"schemas": [CORE], "userName": name})

    def group(self, license: str) -> ScimGroup:
        return self.db.scalar(
            select(ScimGroup).where(ScimGroup.instance_id == self.instance_id, ScimGroup.license == license)
        )

    def seats(self, license: str, seats: int | None) -> None:
        """What support's ``seats set`` does."""
        self.licensing.set_seats(license, seats)

    def join(self, license: str, *users: UserRecord) -> None:
        """One PATCH adding these users together, in this order."""
        self._patch(license, "add", [{"value": u.id} for u in users])

    def leave(self, license: str, user: UserRecord) -> None:
        self._patch(license, "remove", [{"value": user.id}])

    def _patch(self, license: str, op: str, members: list[dict]) -> None:
        body = {"schemas": [PATCH_OP], "Operations": [{"op": op, "path": "members", "value": members}]}
        self.groups.patch(self.group(license), body)

    def set_active(self, user: UserRecord, active: bool) -> None:
        body = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": active}]}
        self.users.patch(self.as_loaded(user), body)

    def as_loaded(self, user: UserRecord) -> UserRecord:
        """The user as a request loads it for a change (``UserService.get``), groups included."""
        return self.users.get(user.id)

    def licensed(self, license: str = "standard") -> list[str]:
        """userNames holding the license, in the order they got it; checked against the host."""
        names = self._members(license, ScimMembership.licensed_at.is_not(None), ScimMembership.licensed_at)
        held = set(
            self.db.scalars(
                select(HqUser.login)
                .join(UserLicense, UserLicense.user_id == HqUser.id)
                .where(HqUser.instance_id == self.instance_id, UserLicense.license == license)
            )
        )
        assert held == set(names), f"the host holds {sorted(held)}, the queue says {names}"
        return names

    def waiting(self, license: str = "standard") -> list[str]:
        """userNames waiting for the license, first in line first."""
        return self._members(
            license,
            (ScimMembership.licensed_at.is_(None)) & ScimMembership.queued_at.is_not(None),
            ScimMembership.queued_at,
        )

    def _members(self, license: str, condition, order) -> list[str]:
        return list(
            self.db.scalars(
                select(ScimUser.user_name)
                .join(ScimMembership, ScimMembership.user_pk == ScimUser.pk)
                .where(ScimMembership.group_pk == self.group(license).pk, condition)
                .order_by(order, ScimMembership.user_pk)
            )
        )


@pytest.fixture
def seats(app):
    db = app.registry["dbsession_factory"]()
    try:
        yield Seats(db, load_host(app.registry.settings))
    finally:
        db.rollback()
        db.close()


def test_seats_go_first_come_first_served(seats):
    a, b, c, d = (seats.user(name) for name in "abcd")
    seats.seats("standard", 2)
    for user in (a, b, c, d):
        seats.join("standard", user)
    assert seats.licensed() == ["a", "b"]
    assert seats.waiting() == ["c", "d"]
    seats.leave("standard", a)
    assert seats.licensed() == ["b", "c"]
    assert seats.waiting() == ["d"]


def test_members_added_together_queue_in_request_order(seats):
    users = [seats.user(name) for name in ("x", "y", "z")]
    seats.seats("prep", 1)
    seats.join("prep", *users)
    assert seats.licensed("prep") == ["x"]
    assert seats.waiting("prep") == ["y", "z"]


def test_lowered_seats_unlicense_the_most_recently_licensed_who_keep_their_place(seats):
    a, b, c = (seats.user(name) for name in "abc")
    seats.seats("standard", 3)
    for user in (a, b, c):
        seats.join("standard", user)
    assert seats.licensed() == ["a", "b", "c"]
    seats.seats("standard", 1)
    assert seats.licensed() == ["a"]
    assert seats.waiting() == ["b", "c"]
    seats.seats("standard", 2)
    assert seats.licensed() == ["a", "b"]
    assert seats.waiting() == ["c"]


def test_deactivation_frees_the_seat_and_leaves_the_queue(seats):
    a, b = seats.user("a"), seats.user("b")
    seats.seats("standard", 1)
    seats.join("standard", a)
    seats.join("standard", b)
    seats.set_active(a, False)
    assert seats.licensed() == ["b"]
    assert seats.waiting() == []


def test_reactivation_queues_at_the_back(seats):
    a, b, c = (seats.user(name) for name in "abc")
    seats.seats("standard", 1)
    for user in (a, b, c):
        seats.join("standard", user)
    seats.set_active(a, False)
    seats.set_active(a, True)
    assert seats.licensed() == ["b"]
    assert seats.waiting() == ["c", "a"]


def test_a_deactivated_user_joins_without_asking_until_reactivated(seats):
    a = seats.user("a")
    seats.set_active(a, False)
    seats.seats("hq", 5)
    seats.join("hq", a)
    assert seats.licensed("hq") == []
    assert seats.waiting("hq") == []
    seats.set_active(a, True)
    assert seats.licensed("hq") == ["a"]


def test_unlimited_seats_license_everyone_and_a_limit_keeps_the_first(seats):
    users = [seats.user(name) for name in ("a", "b", "c")]
    seats.seats("standard", None)
    seats.join("standard", *users)
    assert seats.licensed() == ["a", "b", "c"]
    seats.seats("standard", 1)
    assert seats.licensed() == ["a"]
    assert seats.waiting() == ["b", "c"]


def test_deleting_a_licensed_user_hands_the_seat_on(seats):
    a, b = seats.user("a"), seats.user("b")
    seats.seats("standard", 1)
    seats.join("standard", a, b)
    seats.users.delete(seats.as_loaded(a))
    assert seats.licensed() == ["b"]


def test_licenses_are_counted_per_license(seats):
    a, b = seats.user("a"), seats.user("b")
    seats.seats("standard", 1)
    seats.seats("prep", 2)
    seats.join("standard", a, b)
    seats.join("prep", a, b)
    assert seats.licensed("standard") == ["a"]
    assert seats.licensed("prep") == ["a", "b"]
    assert [(s.license, s.licensed, s.waiting) for s in seats.licensing.summary()] == [
        ("standard", 1, 1),
        ("prep", 2, 0),
        ("hq", 0, 0),
    ]


class GrowingHost(ReferenceHost):
    """The reference HQ once it starts selling a fourth license."""

    def licenses(self):
        return [*super().licenses(), License("video", "Video Producer")]


@pytest.mark.commits  # the new app starts on its own connections
def test_a_license_the_host_starts_to_sell_gets_its_group_in_every_enabled_instance(app, database_url, tmp_path):
    enabled, disabled = make_tenant(app, "on"), make_tenant(app, "off", enabled=False)
    settings = {
        "sqlalchemy.url": database_url,
        "scim.host": f"{__name__}:GrowingHost",
        "scim.sso_key_file": str(tmp_path / "sso.key"),
    }

    def video_groups() -> dict[int, list[str]]:
        with app.registry["db_engine"].connect() as connection:
            rows = connection.execute(select(ScimGroup.instance_id, ScimGroup.display_name).where(ScimGroup.license == "video"))
            return {instance_id: [name] for instance_id, name in rows}

    assert video_groups() == {}
    for _ in range(2):  # a second start finds nothing missing
        grown = main({}, **settings)
        grown.registry["db_engine"].dispose()
        assert video_groups() == {enabled.id: ["Video Producer"]}
    # Okta's "Refresh App Groups" sees it beside the others.
    listing = ScimClient(webtest.TestApp(grown), enabled).get("Groups").json
    assert sorted(g["displayName"] for g in listing["Resources"]) == [
        "Manager", "Prep User", "Salesperson", "Video Producer"
    ]
    # Support switching the other instance on gives it the group too.
    set_enabled(grown, disabled, True)
    assert video_groups() == {enabled.id: ["Video Producer"], disabled.id: ["Video Producer"]}
    grown.registry["db_engine"].dispose()


def test_a_change_to_a_user_deleted_since_it_was_read_runs_again(seats):
    """A parallel DELETE between a request's read and its write: the write finds no row,
    and the request runs again (ParallelChange), to find no user and answer 404."""
    read = seats.as_loaded(seats.user("ann"))
    seats.users.delete(seats.as_loaded(read))
    deactivate = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    with pytest.raises(ParallelChange):
        seats.users.patch(read, deactivate)
    with pytest.raises(ParallelChange):
        seats.users.delete(read)
    assert seats.users.get(read.id) is None
