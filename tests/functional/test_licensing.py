"""License seats follow license-group membership (the rules in services/licensing.py)."""

from __future__ import annotations

import pytest

from tests.common.factories import make_hq_user, set_seats
from tests.common.hq import licensed_logins, sign_in
from tests.common.http import get_json, parallel, send_json
from tests.common.scim import (
    GROUP,
    add_members,
    create_users,
    group_named,
    okta_user,
    patch,
    remove_member,
    rename_group,
    set_active,
)


@pytest.fixture
def sales(scim):
    return group_named(scim, "Salesperson")


def emails(*names):
    return {f"{n}@example.com" for n in names}


def test_seat_limit_story(app, scim, sales, dbsession):
    """Seats 2, three members: one waits; deactivation frees a seat; reactivation queues again."""
    set_seats(app, scim.tenant, "standard", 2)
    ids = create_users(scim, "ann", "bob", "cat")
    add_members(scim, sales, ids["ann"], ids["bob"], ids["cat"])
    assert licensed_logins(dbsession) == emails("ann", "bob")
    # Members beyond the seats still appear as members.
    assert len(scim.get(f"Groups/{sales['id']}").json["members"]) == 3

    set_active(scim, ids["ann"], False)
    assert licensed_logins(dbsession) == emails("bob", "cat")  # the waiting member got the seat at once
    set_active(scim, ids["ann"], True)
    assert licensed_logins(dbsession) == emails("bob", "cat")  # back of the queue
    remove_member(scim, sales, ids["bob"])
    assert licensed_logins(dbsession) == emails("ann", "cat")


def test_license_survives_the_okta_rename(app, scim, sales, dbsession):
    set_seats(app, scim.tenant, "standard", 5)
    ids = create_users(scim, "ann")
    scim.patch(f"Groups/{sales['id']}", patch({"op": "replace", "value": {"id": sales["id"], "displayName": "Okta Reps"}}), status=204)
    add_members(scim, sales, ids["ann"])
    assert licensed_logins(dbsession) == emails("ann")
    scim.put(f"Groups/{sales['id']}", {"schemas": [GROUP], "displayName": "Okta Reps 2", "members": [{"value": ids["ann"]}]})
    assert licensed_logins(dbsession) == emails("ann")


def test_seats_raised_and_lowered(app, scim, sales, dbsession):
    set_seats(app, scim.tenant, "standard", 1)
    ids = create_users(scim, "ann", "bob", "cat", "dan")
    for name in ("ann", "bob", "cat", "dan"):
        add_members(scim, sales, ids[name])  # one request each: a clear queue order
    assert licensed_logins(dbsession) == emails("ann")
    set_seats(app, scim.tenant, "standard", 3)
    assert licensed_logins(dbsession) == emails("ann", "bob", "cat")
    set_seats(app, scim.tenant, "standard", 2)
    assert licensed_logins(dbsession) == emails("ann", "bob")  # cat, licensed last, loses it first
    set_seats(app, scim.tenant, "standard", None)
    assert licensed_logins(dbsession) == emails("ann", "bob", "cat", "dan")
    set_seats(app, scim.tenant, "standard", 0)
    assert licensed_logins(dbsession) == set()


def test_deactivated_users_wait_for_nothing(app, scim, sales, dbsession):
    set_seats(app, scim.tenant, "standard", 1)
    ids = create_users(scim, "ann", "bob")
    set_active(scim, ids["ann"], False)
    add_members(scim, sales, ids["ann"], ids["bob"])
    assert licensed_logins(dbsession) == emails("bob")
    remove_member(scim, sales, ids["bob"])
    assert licensed_logins(dbsession) == set()  # ann is a member, but inactive
    set_active(scim, ids["ann"], True)
    assert licensed_logins(dbsession) == emails("ann")


def test_deleting_a_user_frees_the_seat(app, scim, sales, dbsession):
    set_seats(app, scim.tenant, "standard", 1)
    ids = create_users(scim, "ann", "bob")
    add_members(scim, sales, ids["ann"], ids["bob"])
    scim.delete(f"Users/{ids['ann']}")
    assert licensed_logins(dbsession) == emails("bob")


def test_deleting_the_license_group_revokes_everything(app, scim, sales, dbsession):
    set_seats(app, scim.tenant, "standard", 5)
    ids = create_users(scim, "ann", "bob")
    add_members(scim, sales, ids["ann"], ids["bob"])
    scim.delete(f"Groups/{sales['id']}")
    assert licensed_logins(dbsession) == set()


def test_each_license_group_grants_its_own_license(app, scim, dbsession):
    set_seats(app, scim.tenant, "prep", 1)
    set_seats(app, scim.tenant, "hq", None)
    ids = create_users(scim, "ann")
    add_members(scim, group_named(scim, "Prep User"), ids["ann"])
    add_members(scim, group_named(scim, "Manager"), ids["ann"])
    assert licensed_logins(dbsession, "prep") == emails("ann")
    assert licensed_logins(dbsession, "hq") == emails("ann")
    assert licensed_logins(dbsession, "standard") == set()


def test_plain_groups_grant_nothing(app, scim, dbsession):
    set_seats(app, scim.tenant, "standard", None)
    ids = create_users(scim, "ann")
    scim.post("Groups", {"schemas": [GROUP], "displayName": "Plain", "members": [{"value": ids["ann"]}]})
    assert licensed_logins(dbsession) == set()


@pytest.mark.commits
def test_parallel_adds_never_exceed_the_seats(app, live_server, tenant, dbsession):
    """Many requests at once, each adding a different user to a group with too few seats."""
    set_seats(app, tenant, "standard", 5)
    base = f"{live_server}{tenant.base}"
    user_ids = [send_json(f"{base}/Users", tenant.token, okta_user(f"p{i}@example.com"))[1]["id"] for i in range(20)]
    found = get_json(f"{base}/Groups?filter=displayName%20eq%20%22Salesperson%22", tenant.token)
    group_id = found["Resources"][0]["id"]

    def add_one(i):
        body = patch({"op": "add", "path": "members", "value": [{"value": user_ids[i]}]})
        return send_json(f"{base}/Groups/{group_id}", tenant.token, body, method="PATCH")[0]

    assert parallel(20, add_one) == [204] * 20
    assert len(licensed_logins(dbsession)) == 5


def test_hq_shows_license_groups_by_their_current_name(app, testapp, scim, sales):
    set_seats(app, scim.tenant, "standard", 1)
    ids = create_users(scim, "ann", "bob")
    rename_group(scim, sales, "Okta Reps")
    add_members(scim, sales, ids["ann"], ids["bob"])
    make_hq_user(app, scim.tenant, "boss@x.com")
    sign_in(testapp, "acme", "boss@x.com")
    page = testapp.get("/hq/acme/users")
    row = page.html.find("table", class_="license-groups").find("td", string="Okta Reps").parent
    assert [td.text for td in row.find_all("td")] == ["Okta Reps", "standard", "1", "1", "1"]
