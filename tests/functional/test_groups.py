"""Groups over SCIM: Okta's Push Groups and Group Linking, Entra's group requests."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from livepreso_scim_addon.hq.models import HqUser
from sqlalchemy import select

from livepreso_scim_addon.models.scim import ScimEvent, ScimUser, utcnow
from tests.common.db import statements_sent
from tests.common.factories import set_seats
from tests.common.scim import GROUP, ScimClient, group_named, member_ids, okta_user, patch


@pytest.fixture
def users(scim):
    return [scim.post("Users", okta_user(f"u{i}@example.com", displayName=f"User {i}")).json for i in range(4)]


def test_license_groups_exist_from_the_start(scim):
    # Okta's "Refresh App Groups" pages through GET /Groups.
    listing = scim.get("Groups?startIndex=1&count=100").json
    assert sorted(g["displayName"] for g in listing["Resources"]) == ["Manager", "Prep User", "Salesperson"]
    assert listing["totalResults"] == 3


def test_okta_link_group_sequence(scim, users):
    sales = group_named(scim, "Salesperson")
    url = f"Groups/{sales['id']}"
    # Link: Okta renames the app group to its own group's name, sending the id along.
    scim.patch(url, patch({"op": "replace", "value": {"id": sales["id"], "displayName": "Okta Sales Team"}}), status=204)
    scim.patch(
        url,
        patch(
            {"op": "replace", "value": {"id": sales["id"], "displayName": "Okta Sales Team"}},
            {"op": "add", "path": "members", "value": [{"value": u["id"], "display": u["userName"]} for u in users[:3]]},
        ),
        status=204,
    )
    assert member_ids(scim, sales["id"]) == sorted(u["id"] for u in users[:3])
    scim.patch(url, patch({"op": "remove", "path": f'members[value eq "{users[0]["id"]}"]'}), status=204)
    group = scim.get(url).json
    assert group["id"] == sales["id"] and group["displayName"] == "Okta Sales Team"
    assert sorted(m["value"] for m in group["members"]) == sorted(u["id"] for u in users[1:3])
    member = next(m for m in group["members"] if m["value"] == users[1]["id"])
    assert member == {"value": users[1]["id"], "$ref": member["$ref"], "type": "User"}
    assert member["$ref"].endswith(f"/scim/v2/acme/Users/{users[1]['id']}")
    # The renamed group is found by its new name and no longer by the old one.
    assert scim.get("Groups?filter=" + quote('displayName eq "salesperson"')).json["totalResults"] == 0
    assert group_named(scim, "okta sales team")["id"] == sales["id"]


def test_push_group_and_full_membership_push(scim, users):
    created = scim.post("Groups", {"schemas": [GROUP], "displayName": "Field Reps", "members": [{"value": users[0]["id"]}]})
    group = created.json
    assert created.headers["Location"] == group["meta"]["location"]
    assert [m["value"] for m in group["members"]] == [users[0]["id"]]
    url = f"Groups/{group['id']}"
    scim.patch(url, patch({"op": "replace", "path": "members", "value": [{"value": users[1]["id"]}, {"value": users[2]["id"]}]}), status=204)
    assert member_ids(scim, group["id"]) == sorted([users[1]["id"], users[2]["id"]])
    scim.patch(url, patch({"op": "remove", "path": "members"}), status=204)
    assert member_ids(scim, group["id"]) == []


def test_entra_group_requests(scim, users):
    body = {
        "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "displayName",
        "meta": {"resourceType": "Group"},
    }
    group = scim.post("Groups", body).json
    assert group["externalId"] == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
    lookup = "Groups?excludedAttributes=members&filter=" + quote('displayName eq "displayName"')
    found = scim.get(lookup).json
    assert found["totalResults"] == 1 and "members" not in found["Resources"][0]
    url = f"Groups/{group['id']}"
    scim.patch(url, patch({"op": "Add", "path": "members", "value": [{"value": u["id"]} for u in users]}), status=204)
    scim.patch(url, patch({"op": "Remove", "path": "members", "value": [{"value": users[0]["id"]}]}), status=204)
    assert member_ids(scim, group["id"]) == sorted(u["id"] for u in users[1:])
    scim.patch(url, patch({"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}), status=204)
    assert scim.get(url).json["displayName"] == "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    assert scim.get("Groups?filter=" + quote('externalId eq "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"')).json["totalResults"] == 1


def test_custom_app_put(scim, users):
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Custom", "members": [{"value": users[0]["id"]}]}).json
    body = {**group, "displayName": "Custom Renamed", "members": [{"value": users[1]["id"]}, {"value": users[2]["id"]}]}
    replaced = scim.put(f"Groups/{group['id']}", body).json
    assert replaced["displayName"] == "Custom Renamed"
    assert sorted(m["value"] for m in replaced["members"]) == sorted([users[1]["id"], users[2]["id"]])
    assert replaced["meta"]["version"] != group["meta"]["version"]


def test_display_name_unique_case_insensitively(scim):
    scim.post("Groups", {"schemas": [GROUP], "displayName": "Team"})
    assert scim.post("Groups", {"schemas": [GROUP], "displayName": "TEAM"}, status=409).json["scimType"] == "uniqueness"
    other = scim.post("Groups", {"schemas": [GROUP], "displayName": "Other"}).json
    response = scim.patch(f"Groups/{other['id']}", patch({"op": "replace", "path": "displayName", "value": "team"}), status=409)
    assert response.json["scimType"] == "uniqueness"
    assert scim.post("Groups", {"schemas": [GROUP], "displayName": "salesperson"}, status=409).json["scimType"] == "uniqueness"
    assert scim.post("Groups", {"schemas": [GROUP], "members": []}, status=400).json["scimType"] == "invalidValue"


#: Ids that name no user of the instance: deleted, never issued, malformed, with a NUL.
GONE = "00000000-0000-4000-8000-000000000000"
UNKNOWN = (GONE, "not-an-id", "nul\u0000id", "x" * 500)


def skipped(dbsession, group_id) -> list[str]:
    """The unknown member ids recorded for a group, oldest first."""
    dbsession.rollback()
    events = dbsession.scalars(
        select(ScimEvent).where(ScimEvent.action == "member_skipped", ScimEvent.resource_id == group_id).order_by(ScimEvent.pk)
    )
    return [(e.user_id, e.changes["unknown_member"]) for e in events]


def test_unknown_members_are_skipped_and_the_rest_applies(scim, other_tenant, testapp, users, dbsession):
    # Okta's add (with "display"), in the same PATCH as its rename: a 400 would stop it
    # syncing the group, its known members included.
    stranger = ScimClient(testapp, other_tenant).post("Users", okta_user("stranger@example.com")).json
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team", "members": [{"value": users[0]["id"]}]}).json
    url = f"Groups/{group['id']}"
    ids = [stranger["id"], *UNKNOWN]
    scim.patch(
        url,
        patch(
            {"op": "replace", "value": {"id": group["id"], "displayName": "Renamed"}},
            {"op": "add", "path": "members", "value": [{"value": users[1]["id"], "display": "u1"}, *({"value": i} for i in ids)]},
        ),
        status=204,
    )
    current = scim.get(url).json
    assert current["displayName"] == "Renamed"
    assert sorted(m["value"] for m in current["members"]) == sorted([users[0]["id"], users[1]["id"]])
    stored = [stranger["id"], GONE, "not-an-id", "nul\\u0000id", "x" * 256 + "…"]
    assert skipped(dbsession, group["id"]) == [(None, i) for i in stored]
    # Removing an unknown id is a no-op, and records nothing.
    scim.patch(url, patch({"op": "remove", "path": "members", "value": [{"value": i} for i in ids]}), status=204)
    scim.patch(url, patch({"op": "remove", "path": f'members[value eq "{GONE}"]'}), status=204)
    assert len(member_ids(scim, group["id"])) == 2 and len(skipped(dbsession, group["id"])) == len(stored)


def test_okta_push_with_unknown_members_creates_the_group_with_the_known(scim, users, dbsession):
    body = {"schemas": [GROUP], "displayName": "Field Reps",
            "members": [{"value": users[0]["id"], "display": "u0"}, {"value": GONE, "display": "gone"}]}
    created = scim.post("Groups", body, status=201).json
    # The answer names only real members: it is read back from the database.
    assert [m["value"] for m in created["members"]] == [users[0]["id"]]
    assert skipped(dbsession, created["id"]) == [(None, GONE)]
    only_unknown = scim.post("Groups", {"schemas": [GROUP], "displayName": "Ghosts", "members": [{"value": GONE}]}, status=201).json
    assert "members" not in only_unknown
    # Okta's full membership push: the known members are the group.
    scim.patch(f"Groups/{created['id']}", patch({"op": "replace", "path": "members", "value": [{"value": users[1]["id"]}, {"value": GONE}]}), status=204)
    assert member_ids(scim, created["id"]) == [users[1]["id"]]
    # Path-less add (RFC 7644 §3.5.2.1): {"members": [...]}.
    scim.patch(f"Groups/{created['id']}", patch({"op": "add", "value": {"members": [{"value": users[2]["id"]}, {"value": "junk"}]}}), status=204)
    assert member_ids(scim, created["id"]) == sorted([users[1]["id"], users[2]["id"]])
    assert skipped(dbsession, created["id"]) == [(None, GONE), (None, GONE), (None, "junk")]


def test_entra_add_with_unknown_members(scim, users, dbsession):
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Entra Team", "externalId": "e-1"}).json
    url = f"Groups/{group['id']}"
    value = [{"value": users[0]["id"]}, {"value": GONE}, {"value": users[1]["id"]}]
    scim.patch(url, patch({"op": "Add", "path": "members", "value": value}), status=204)
    assert member_ids(scim, group["id"]) == sorted([users[0]["id"], users[1]["id"]])
    scim.patch(url, patch({"op": "Remove", "path": "members", "value": [{"value": GONE}, {"value": users[0]["id"]}]}), status=204)
    assert member_ids(scim, group["id"]) == [users[1]["id"]]
    assert skipped(dbsession, group["id"]) == [(None, GONE)]


def test_custom_app_put_with_unknown_members(scim, users, dbsession):
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Custom", "members": [{"value": users[0]["id"]}]}).json
    body = {**group, "displayName": "Custom Renamed", "members": [{"value": users[1]["id"]}, {"value": GONE}]}
    replaced = scim.put(f"Groups/{group['id']}", body, status=200).json
    assert replaced["displayName"] == "Custom Renamed"
    assert [m["value"] for m in replaced["members"]] == [users[1]["id"]]
    assert skipped(dbsession, group["id"]) == [(None, GONE)]


def test_malformed_members_are_still_refused(scim, users):
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team", "members": [{"value": users[0]["id"]}]}).json
    url = f"Groups/{group['id']}"
    for bad in ([{"value": users[1]["id"]}, 42], [{"value": users[1]["id"]}, {"display": "no value"}],
                [{"value": users[1]["id"]}, {"value": group["id"], "type": "Group"}], [{"value": 7}]):
        response = scim.patch(url, patch({"op": "replace", "path": "displayName", "value": "Renamed"},
                                         {"op": "add", "path": "members", "value": bad}), status=400)
        assert response.json["scimType"] == "invalidValue", bad
        current = scim.get(url).json
        assert current["displayName"] == "Team" and [m["value"] for m in current["members"]] == [users[0]["id"]]


def test_a_members_path_may_name_the_core_group_schema(scim, users):
    """RFC 7644 §3.10: ``urn:...:core:2.0:Group:members`` is the members attribute itself."""
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team"}).json
    url = f"Groups/{group['id']}"
    scim.patch(url, patch({"op": "add", "path": f"{GROUP}:members", "value": [{"value": users[0]["id"]}]}), status=204)
    assert member_ids(scim, group["id"]) == [users[0]["id"]]
    remove = f'{GROUP}:members[value eq "{users[0]["id"]}"]'
    scim.patch(url, patch({"op": "remove", "path": remove}), status=204)
    assert member_ids(scim, group["id"]) == []


def test_a_failed_member_operation_is_named_by_its_number(scim, users):
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team"}).json
    response = scim.patch(
        f"Groups/{group['id']}",
        patch(
            {"op": "replace", "path": "displayName", "value": "Renamed"},
            {"op": "add", "path": "members", "value": [{"value": group["id"], "type": "Group"}]},
        ),
        status=400,
    )
    assert response.json["detail"] == "Operation 2: Only users can be members; groups cannot be nested."
    assert scim.get(f"Groups/{group['id']}").json["displayName"] == "Team"


def test_member_sub_attributes_are_immutable(scim, users):
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team", "members": [{"value": users[0]["id"]}]}).json
    path = f'members[value eq "{users[0]["id"]}"].display'
    response = scim.patch(f"Groups/{group['id']}", patch({"op": "replace", "path": path, "value": "x"}), status=400)
    assert response.json["scimType"] == "mutability"


def test_patch_answers_the_group_when_asked(scim, users):
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team"}).json
    response = scim.patch(
        f"Groups/{group['id']}?attributes=displayName",
        patch({"op": "replace", "path": "displayName", "value": "Team 2"}),
    )
    assert response.json == {"schemas": [GROUP], "id": group["id"], "displayName": "Team 2"}


def test_filters(scim, users):
    team = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team", "externalId": "okta-1", "members": [{"value": users[0]["id"]}]}).json
    scim.post("Groups", {"schemas": [GROUP], "displayName": "Other", "members": [{"value": users[1]["id"]}]})

    def found(expression):
        return sorted(g["displayName"] for g in scim.get("Groups?filter=" + quote(expression)).json["Resources"])

    assert found('displayName eq "TEAM"') == ["Team"]
    assert found('displayName sw "Sales"') == ["Salesperson"]
    assert found('externalId eq "okta-1"') == ["Team"]
    assert found('externalId eq "OKTA-1"') == []
    assert found(f'id eq "{team["id"]}"') == ["Team"]
    assert found(f'members[value eq "{users[0]["id"]}"]') == ["Team"]
    assert found(f'members.value eq "{users[1]["id"]}"') == ["Other"]
    assert found("members pr") == ["Other", "Team"]
    assert found('meta.lastModified gt "2000-01-01T00:00:00Z" and displayName ew "am"') == ["Team"]
    assert scim.get("Groups?filter=" + quote('members.nope eq "x"'), status=400).json["scimType"] == "invalidFilter"
    assert [g["displayName"] for g in scim.get("Groups?sortBy=displayName").json["Resources"]] == [
        "Manager",
        "Other",
        "Prep User",
        "Salesperson",
        "Team",
    ]
    body = {"filter": 'displayName eq "Team"', "excludedAttributes": ["members"]}
    searched = scim.post("Groups/.search", body, status=200).json["Resources"]
    assert [g["displayName"] for g in searched] == ["Team"] and "members" not in searched[0]


def test_users_list_their_groups(scim, users):
    team = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team", "members": [{"value": users[0]["id"]}]}).json
    user = scim.get(f"Users/{users[0]['id']}").json
    assert user["groups"] == [
        {"value": team["id"], "$ref": team["meta"]["location"], "display": "Team", "type": "direct"}
    ]
    assert "groups" not in scim.get(f"Users/{users[1]['id']}").json
    assert scim.get("Users?filter=" + quote(f'groups.value eq "{team["id"]}"')).json["totalResults"] == 1
    assert scim.get("Users?filter=" + quote('groups[display eq "team"]')).json["totalResults"] == 1
    # groups is read-only: a PUT carrying it changes nothing.
    scim.put(f"Users/{users[1]['id']}", {**scim.get(f"Users/{users[1]['id']}").json, "groups": [{"value": team["id"]}]})
    assert member_ids(scim, team["id"]) == [users[0]["id"]]


def test_reads_and_writes_render_many_values_and_groups_alike(scim):
    # Reads group joined rows (values x groups) into records; writes render the ORM
    # entity. Both must give every value once, in position order, and every group once.
    emails = [{"value": f"{k}@example.com", "type": "work" if k == "a" else "home", "primary": k == "a"} for k in "abc"]
    user = scim.post("Users", okta_user("many@example.com", emails=emails,
                                        phoneNumbers=[{"value": "+61 2 5550 0000", "type": "work"}])).json
    teams = [scim.post("Groups", {"schemas": [GROUP], "displayName": name, "members": [{"value": user["id"]}]}).json for name in ("Zeta", "Alpha", "Mid")]
    written = scim.patch(f"Users/{user['id']}", patch({"op": "replace", "path": "title", "value": "Lead"})).json
    read = scim.get(f"Users/{user['id']}").json
    listed = scim.get("Users?filter=" + quote('userName eq "many@example.com"')).json["Resources"][0]
    paged = next(r for r in scim.get("Users?count=100").json["Resources"] if r["id"] == user["id"])
    assert read == written == listed == paged
    assert [e["value"] for e in read["emails"]] == ["a@example.com", "b@example.com", "c@example.com"]
    assert len(read["phoneNumbers"]) == 1
    by_name = {t["displayName"]: t["id"] for t in teams}
    assert [g["value"] for g in read["groups"]] == [by_name["Alpha"], by_name["Mid"], by_name["Zeta"]]


def test_deleted_users_leave_their_groups(scim, users):
    team = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team", "members": [{"value": u["id"]} for u in users[:2]]}).json
    scim.delete(f"Users/{users[0]['id']}")
    assert member_ids(scim, team["id"]) == [users[1]["id"]]


def test_delete_plain_group(scim, users):
    team = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team", "members": [{"value": users[0]["id"]}]}).json
    scim.delete(f"Groups/{team['id']}")
    scim.get(f"Groups/{team['id']}", status=404)
    assert "groups" not in scim.get(f"Users/{users[0]['id']}").json


def test_delete_license_group_resets_it(scim, users):
    sales = group_named(scim, "Salesperson")
    url = f"Groups/{sales['id']}"
    scim.patch(url, patch({"op": "replace", "value": {"displayName": "Okta Sales", "externalId": "00g1"}}), status=204)
    scim.patch(url, patch({"op": "add", "path": "members", "value": [{"value": users[0]["id"]}]}), status=204)
    scim.delete(url)
    group = scim.get(url).json
    assert group["displayName"] == "Salesperson" and "members" not in group and "externalId" not in group


def test_etags_on_groups(scim):
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team"}).json
    url = f"Groups/{group['id']}"
    scim.get(url, headers={"If-None-Match": group["meta"]["version"]}, status=304)
    scim.patch(url, patch({"op": "replace", "path": "displayName", "value": "A"}), status=204)
    stale = patch({"op": "replace", "path": "displayName", "value": "B"})
    assert scim.patch(url, stale, headers={"If-Match": group["meta"]["version"]}, status=412).json["status"] == "412"


def _statements(engine, action) -> list[str]:
    with statements_sent(engine) as sent:
        action()
    return [s.statement for s in sent]


@pytest.mark.parametrize("license_group", [False, True])
def test_membership_changes_cost_a_fixed_number_of_statements(app, scim, engine, license_group):
    set_seats(app, scim.tenant, "standard", 500)
    people = _bulk_users(scim, 1010)
    counts = {}
    for n, chunk in ((10, people[:10]), (1000, people[10:1010])):
        if license_group:
            group_id = group_named(scim, "Salesperson")["id"]
            scim.patch(f"Groups/{group_id}", patch({"op": "remove", "path": "members"}), status=204)
        else:
            group_id = scim.post("Groups", {"schemas": [GROUP], "displayName": f"Team {n}"}).json["id"]
        body = patch({"op": "add", "path": "members", "value": [{"value": u} for u in chunk]})
        added = _statements(engine, lambda: scim.patch(f"Groups/{group_id}", body, status=204))
        body = patch({"op": "remove", "path": "members", "value": [{"value": u} for u in chunk]})
        removed = _statements(engine, lambda: scim.patch(f"Groups/{group_id}", body, status=204))
        counts[n] = (len(added), len(removed))
        assert len(member_ids(scim, group_id)) == 0
    assert counts[10] == counts[1000], counts


def test_skipping_unknown_members_costs_a_fixed_number_of_statements(scim, engine):
    people = _bulk_users(scim, 1010)
    counts = {}
    for n, chunk in ((10, people[:10]), (1000, people[10:1010])):
        group_id = scim.post("Groups", {"schemas": [GROUP], "displayName": f"Team {n}"}).json["id"]
        unknown = [str(uuid.uuid4()) for _ in range(n)] + [f"junk-{i}" for i in range(n)]
        body = patch({"op": "add", "path": "members", "value": [{"value": u} for u in chunk + unknown]})
        added = _statements(engine, lambda: scim.patch(f"Groups/{group_id}", body, status=204))
        counts[n] = len(added)
        assert len(member_ids(scim, group_id)) == n
        assert sum("scim_events" in s for s in added) == 2  # member_added, member_skipped
    assert counts[10] == counts[1000], counts


def _bulk_users(scim, count):
    """Users inserted straight into the tables: the test is about groups, not N POSTs."""
    session = scim.testapp.app.registry["dbsession_factory"]()
    now = utcnow()
    ids = [str(uuid.uuid4()) for _ in range(count)]
    # The HQ users too: a license granted to a member is a row naming its HQ user.
    session.add_all(
        HqUser(id=10_000 + i, instance_id=scim.tenant.id, login=f"bulk{i}@example.com", login_ci=f"bulk{i}@example.com")
        for i in range(count)
    )
    session.flush()
    session.add_all(
        ScimUser(
            id=user_id,
            instance_id=scim.tenant.id,
            host_user_id=str(10_000 + i),
            user_name=f"bulk{i}@example.com",
            user_name_ci=f"bulk{i}@example.com",
            active=True,
            created_at=now,
            updated_at=now,
            version=1,
        )
        for i, user_id in enumerate(ids)
    )
    session.commit()
    session.close()
    return ids


def test_group_pages_load_members_in_one_query(scim, engine, users):
    for i in range(5):
        scim.post("Groups", {"schemas": [GROUP], "displayName": f"G{i}", "members": [{"value": u["id"]} for u in users]})
    with_members = _statements(engine, lambda: scim.get("Groups?count=100"))
    without = _statements(engine, lambda: scim.get("Groups?count=100&excludedAttributes=members"))
    assert sum("scim_memberships" in s for s in with_members) == 1
    assert not any("scim_memberships" in s for s in without)


def test_okta_group_name_check_reads_the_group_by_its_name(scim, engine, users):
    """``displayName eq`` names one group or none: the group and its members, no page of keys first."""
    team = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team", "members": [{"value": users[0]["id"]}]}).json
    lookup = "Groups?filter=" + quote('displayName eq "TEAM"')
    scim.get(lookup)  # the token's first use of the minute is written (services/tokens.py)
    sent = _statements(engine, lambda: scim.get(lookup))
    assert [("scim_tokens" in s, "scim_memberships" in s) for s in sent] == [(True, False), (False, False), (False, True)]
    found = scim.get(lookup).json
    assert (found["totalResults"], [g["id"] for g in found["Resources"]]) == (1, [team["id"]])
    assert [m["value"] for m in found["Resources"][0]["members"]] == [users[0]["id"]]
    assert scim.get(lookup + "&startIndex=2").json["Resources"] == []


def test_search_across_resource_types(scim, users):
    scim.post("Groups", {"schemas": [GROUP], "displayName": "Team", "members": [{"value": users[0]["id"]}]})
    everything = scim.post(".search", {"startIndex": 1, "count": 100}, status=200).json
    assert everything["totalResults"] == 4 + 4  # four users, three license groups and Team
    kinds = [r["meta"]["resourceType"] for r in everything["Resources"]]
    assert kinds == ["User"] * 4 + ["Group"] * 4
    # Paging runs across the boundary between the types.
    page = scim.post(".search", {"startIndex": 4, "count": 2}, status=200).json
    assert [r["meta"]["resourceType"] for r in page["Resources"]] == ["User", "Group"]
    assert page["totalResults"] == 8 and page["startIndex"] == 4
    # An attribute only users have matches no group, and the other way round.
    assert scim.post(".search", {"filter": 'userName sw "u1"'}, status=200).json["totalResults"] == 1
    named = scim.post(".search", {"filter": 'displayName eq "Team"', "attributes": ["displayName"]}, status=200).json
    assert named["Resources"] == [{"schemas": [GROUP], "id": named["Resources"][0]["id"], "displayName": "Team"}]
    assert scim.post(".search", {"filter": 'nosuch eq "x"'}, status=400).json["scimType"] == "invalidFilter"
