"""License seats follow license-group membership (the rules in services/licensing.py)."""

from __future__ import annotations

import json
import urllib.request

import pytest
import transaction
from sqlalchemy import select

from livepreso_scim_addon.hq.models import HqUser, UserLicense
from livepreso_scim_addon.hq.security import hash_password
from livepreso_scim_addon.models import get_tm_session
from livepreso_scim_addon.models.scim import ScimUser
from livepreso_scim_addon.services import licensing

from .test_groups import group_named
from .test_users import okta_user, patch


def set_seats(app, tenant, license, seats):
    """What support's `seats set` does: the host's seat count, then a rebalance."""
    registry = app.registry
    with transaction.manager:
        db = get_tm_session(registry["dbsession_factory"], transaction.manager)
        registry["scim.host"].set_license_seats(db, tenant.id, license, seats)
        licensing.seats_changed(db, registry["scim.host"], tenant.id, license)


def licensed(dbsession, license="standard") -> set[str]:
    """userNames HQ has licensed, from the host's own table (what the license hook wrote)."""
    dbsession.rollback()
    rows = dbsession.execute(
        select(ScimUser.user_name)
        .join(UserLicense, UserLicense.user_id == ScimUser.host_user_id)
        .where(UserLicense.license == license)
    )
    return {name for (name,) in rows}


@pytest.fixture
def sales(scim):
    return group_named(scim, "Salesperson")


def new_users(scim, *names):
    return {name: scim.post("Users", okta_user(f"{name}@example.com")).json["id"] for name in names}


def add(scim, group, *user_ids):
    scim.patch(f"Groups/{group['id']}", patch({"op": "add", "path": "members", "value": [{"value": u} for u in user_ids]}), status=204)


def remove(scim, group, user_id):
    scim.patch(f"Groups/{group['id']}", patch({"op": "remove", "path": f'members[value eq "{user_id}"]'}), status=204)


def active(scim, user_id, value):
    scim.patch(f"Users/{user_id}", patch({"op": "replace", "value": {"active": value}}))


def emails(*names):
    return {f"{n}@example.com" for n in names}


def test_seat_limit_story(app, scim, sales, dbsession):
    """Seats 2, three members: one waits; deactivation frees a seat; reactivation queues again."""
    set_seats(app, scim.tenant, "standard", 2)
    ids = new_users(scim, "ann", "bob", "cat")
    add(scim, sales, ids["ann"], ids["bob"], ids["cat"])
    assert licensed(dbsession) == emails("ann", "bob")
    # Members beyond the seats still appear as members.
    assert len(scim.get(f"Groups/{sales['id']}").json["members"]) == 3

    active(scim, ids["ann"], False)
    assert licensed(dbsession) == emails("bob", "cat")  # the waiting member got the seat at once
    active(scim, ids["ann"], True)
    assert licensed(dbsession) == emails("bob", "cat")  # back of the queue
    remove(scim, sales, ids["bob"])
    assert licensed(dbsession) == emails("ann", "cat")


def test_license_survives_the_okta_rename(app, scim, sales, dbsession):
    set_seats(app, scim.tenant, "standard", 5)
    ids = new_users(scim, "ann")
    scim.patch(f"Groups/{sales['id']}", patch({"op": "replace", "value": {"id": sales["id"], "displayName": "Okta Reps"}}), status=204)
    add(scim, sales, ids["ann"])
    assert licensed(dbsession) == emails("ann")
    scim.put(f"Groups/{sales['id']}", {"displayName": "Okta Reps 2", "members": [{"value": ids["ann"]}]})
    assert licensed(dbsession) == emails("ann")


def test_seats_raised_and_lowered(app, scim, sales, dbsession):
    set_seats(app, scim.tenant, "standard", 1)
    ids = new_users(scim, "ann", "bob", "cat", "dan")
    for name in ("ann", "bob", "cat", "dan"):
        add(scim, sales, ids[name])  # one request each: a clear queue order
    assert licensed(dbsession) == emails("ann")
    set_seats(app, scim.tenant, "standard", 3)
    assert licensed(dbsession) == emails("ann", "bob", "cat")
    set_seats(app, scim.tenant, "standard", 2)
    assert licensed(dbsession) == emails("ann", "bob")  # cat, licensed last, loses it first
    set_seats(app, scim.tenant, "standard", None)
    assert licensed(dbsession) == emails("ann", "bob", "cat", "dan")
    set_seats(app, scim.tenant, "standard", 0)
    assert licensed(dbsession) == set()


def test_deactivated_users_wait_for_nothing(app, scim, sales, dbsession):
    set_seats(app, scim.tenant, "standard", 1)
    ids = new_users(scim, "ann", "bob")
    active(scim, ids["ann"], False)
    add(scim, sales, ids["ann"], ids["bob"])
    assert licensed(dbsession) == emails("bob")
    remove(scim, sales, ids["bob"])
    assert licensed(dbsession) == set()  # ann is a member, but inactive
    active(scim, ids["ann"], True)
    assert licensed(dbsession) == emails("ann")


def test_deleting_a_user_frees_the_seat(app, scim, sales, dbsession):
    set_seats(app, scim.tenant, "standard", 1)
    ids = new_users(scim, "ann", "bob")
    add(scim, sales, ids["ann"], ids["bob"])
    scim.delete(f"Users/{ids['ann']}")
    assert licensed(dbsession) == emails("bob")


def test_deleting_the_license_group_revokes_everything(app, scim, sales, dbsession):
    set_seats(app, scim.tenant, "standard", 5)
    ids = new_users(scim, "ann", "bob")
    add(scim, sales, ids["ann"], ids["bob"])
    scim.delete(f"Groups/{sales['id']}")
    assert licensed(dbsession) == set()


def test_each_license_group_grants_its_own_license(app, scim, dbsession):
    set_seats(app, scim.tenant, "prep", 1)
    set_seats(app, scim.tenant, "hq", None)
    ids = new_users(scim, "ann")
    add(scim, group_named(scim, "Prep User"), ids["ann"])
    add(scim, group_named(scim, "Manager"), ids["ann"])
    assert licensed(dbsession, "prep") == emails("ann")
    assert licensed(dbsession, "hq") == emails("ann")
    assert licensed(dbsession, "standard") == set()


def test_plain_groups_grant_nothing(app, scim, dbsession):
    set_seats(app, scim.tenant, "standard", None)
    ids = new_users(scim, "ann")
    scim.post("Groups", {"displayName": "Plain", "members": [{"value": ids["ann"]}]})
    assert licensed(dbsession) == set()


def test_parallel_adds_never_exceed_the_seats(app, live_server, tenant, dbsession):
    """Many requests at once, each adding a different user to a group with too few seats."""
    from tests.conftest import ScimClient  # noqa: F401  (the same shapes as the other tests)

    from .test_database import _parallel, _post

    set_seats(app, tenant, "standard", 5)
    base = f"{live_server}{tenant.base}"
    user_ids = [_post(f"{base}/Users", tenant.token, okta_user(f"p{i}@example.com"))[1]["id"] for i in range(20)]
    request = urllib.request.Request(
        f"{base}/Groups?filter=displayName%20eq%20%22Salesperson%22", headers={"Authorization": f"Bearer {tenant.token}"}
    )
    with urllib.request.urlopen(request) as response:
        group_id = json.loads(response.read())["Resources"][0]["id"]

    def add_one(i):
        body = json.dumps(patch({"op": "add", "path": "members", "value": [{"value": user_ids[i]}]})).encode()
        req = urllib.request.Request(
            f"{base}/Groups/{group_id}",
            data=body,
            method="PATCH",
            headers={"Authorization": f"Bearer {tenant.token}", "Content-Type": "application/scim+json"},
        )
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status

    assert _parallel(20, add_one) == [204] * 20
    assert len(licensed(dbsession)) == 5


def test_hq_shows_license_groups_by_their_current_name(app, testapp, scim, sales):
    set_seats(app, scim.tenant, "standard", 1)
    ids = new_users(scim, "ann", "bob")
    scim.patch(f"Groups/{sales['id']}", patch({"op": "replace", "value": {"displayName": "Okta Reps"}}), status=204)
    add(scim, sales, ids["ann"], ids["bob"])
    with transaction.manager:
        db = get_tm_session(app.registry["dbsession_factory"], transaction.manager)
        db.add(HqUser(instance_id=scim.tenant.id, login="boss@x.com", login_ci="boss@x.com", is_manager=True, password_hash=hash_password("a long password")))
    form = testapp.get("/hq/acme/login").forms[0]
    form["login"], form["password"] = "boss@x.com", "a long password"
    form.submit(status=303)
    page = testapp.get("/hq/acme/users")
    row = page.html.find("table", class_="license-groups").find("td", string="Okta Reps").parent
    assert [td.text for td in row.find_all("td")] == ["Okta Reps", "standard", "1", "1", "1"]
