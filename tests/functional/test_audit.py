"""The audit trail: every SCIM write, license change and failed request, with what changed."""

from __future__ import annotations

from sqlalchemy import select

from livepreso_scim_addon.models.scim import ScimEvent, ScimToken

from tests.common.factories import set_seats
from tests.common.scim import GROUP, group_named, okta_user, patch


def trail(dbsession, **where):
    dbsession.rollback()
    query = select(ScimEvent).order_by(ScimEvent.pk)
    for key, value in where.items():
        query = query.where(getattr(ScimEvent, key) == value)
    return list(dbsession.scalars(query))


def test_writes_are_recorded_with_old_and_new_values(scim, dbsession):
    user = scim.post("Users", okta_user(title="Rep")).json
    scim.patch(f"Users/{user['id']}", patch({"op": "replace", "path": "title", "value": "Lead"}))
    scim.patch(f"Users/{user['id']}", patch({"op": "replace", "value": {"active": False}}))
    scim.get(f"Users/{user['id']}")  # reads are not recorded
    scim.delete(f"Users/{user['id']}")
    token_id = dbsession.scalar(select(ScimToken.id))
    events = trail(dbsession)
    assert [(e.action, e.resource_type, e.user_id) for e in events] == [
        ("create", "User", user["id"]),
        ("update", "User", user["id"]),
        ("update", "User", user["id"]),
        ("delete", "User", user["id"]),
    ]
    assert all(e.token_id == token_id and e.instance_id == scim.tenant.id for e in events)
    assert events[0].changes["userName"] == [None, "jane.doe@example.com"]
    assert events[0].changes["name.givenName"] == [None, "Jane"]
    assert "password" not in events[0].changes and "1mz050nq" not in str(events[0].changes)
    assert events[1].changes == {"title": ["Rep", "Lead"]}
    assert events[2].changes == {"active": [True, False]}
    assert events[1].request == f"PATCH /scim/v2/acme/Users/{user['id']}"
    # Names kept at write time (the HQ page still names a deleted user), one id per request.
    assert {(e.user_label, e.resource_label) for e in events} == {("Jane Doe (jane.doe@example.com)",) * 2}
    assert len({e.request_id for e in events}) == 4 and all(len(e.request_id) == 32 for e in events)


def test_membership_and_license_changes_are_recorded_per_user(app, scim, dbsession):
    set_seats(app, scim.tenant, "standard", 1)
    ann = scim.post("Users", okta_user("ann@example.com")).json
    bob = scim.post("Users", okta_user("bob@example.com")).json
    sales = group_named(scim, "Salesperson")
    scim.patch(f"Groups/{sales['id']}", patch({"op": "replace", "value": {"displayName": "Okta Reps"}}), status=204)
    body = patch({"op": "add", "path": "members", "value": [{"value": ann["id"]}, {"value": bob["id"]}]})
    scim.patch(f"Groups/{sales['id']}", body, status=204)
    scim.patch(f"Groups/{sales['id']}", patch({"op": "remove", "path": f'members[value eq "{ann["id"]}"]'}), status=204)
    group_events = [(e.action, e.user_id) for e in trail(dbsession, resource_type="Group")]
    assert group_events == [
        ("update", None),
        ("member_added", ann["id"]),
        ("member_added", bob["id"]),
        ("license_granted", ann["id"]),
        ("license_revoked", ann["id"]),
        ("member_removed", ann["id"]),
        ("license_granted", bob["id"]),
    ]
    rename = trail(dbsession, action="update", resource_type="Group")[0]
    assert rename.changes == {"displayName": ["Salesperson", "Okta Reps"]}
    granted = trail(dbsession, action="license_granted")[0]
    assert granted.changes == {"license": "standard", "group": "Okta Reps"}
    assert (granted.user_label, granted.resource_label) == ("Jane Doe (ann@example.com)", "Okta Reps")
    added = trail(dbsession, action="member_added")
    # Who joined the license group's queue (deactivated members do not): the page tells who waits.
    assert [e.changes for e in added] == [{"queued": True}, {"queued": True}]
    assert len({e.request_id for e in added + [granted]}) == 1
    removed = trail(dbsession, action="member_removed")[0]
    assert (removed.user_label, removed.resource_label) == ("Jane Doe (ann@example.com)", "Okta Reps")


def test_failed_requests_are_recorded_with_the_error(scim, dbsession):
    scim.post("Users", okta_user())
    scim.post("Users", okta_user(), status=409)
    scim.patch("Users/00000000-0000-4000-8000-000000000000", patch({"op": "remove", "path": "title"}), status=404)
    failures = trail(dbsession, action="failed")
    assert [(e.status, e.request) for e in failures] == [
        (409, "POST /scim/v2/acme/Users"),
        (404, "PATCH /scim/v2/acme/Users/00000000-0000-4000-8000-000000000000"),
    ]
    assert "already exists" in failures[0].detail
    # The failed create itself left nothing but its failure behind.
    assert [e.action for e in trail(dbsession)] == ["create", "failed", "failed"]


def test_requests_without_a_valid_token_are_not_recorded(testapp, tenant, dbsession):
    testapp.post_json(f"{tenant.base}/Users", okta_user(), headers={"Authorization": "Bearer nope"}, status=401)
    assert trail(dbsession) == []


def test_skipped_members_are_recorded_in_the_requests_transaction(scim, dbsession):
    ann = scim.post("Users", okta_user("ann@example.com")).json
    team = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team"}).json
    gone = "00000000-0000-4000-8000-000000000000"
    add = {"op": "add", "path": "members", "value": [{"value": ann["id"]}, {"value": gone}, {"value": "junk"}]}
    # A later operation fails: the whole PATCH rolls back, its skipped members with it.
    scim.patch(f"Groups/{team['id']}", patch(add, {"op": "add", "path": "members"}), status=400)
    assert trail(dbsession, action="member_skipped") == []
    scim.patch(f"Groups/{team['id']}", patch(add), status=204)
    group_events = [(e.action, e.resource_id, e.user_id, e.changes) for e in trail(dbsession, resource_type="Group")]
    assert group_events[1:] == [
        ("member_skipped", team["id"], None, {"unknown_member": gone}),
        ("member_skipped", team["id"], None, {"unknown_member": "junk"}),
        ("member_added", team["id"], ann["id"], None),
    ]
    assert {e.resource_label for e in trail(dbsession, resource_type="Group")} == {"Team"}
    assert trail(dbsession, action="member_skipped")[0].request == f"PATCH /scim/v2/acme/Groups/{team['id']}"


def test_a_404_for_what_was_deleted_is_gone_not_failed(scim, dbsession):
    user = scim.post("Users", okta_user()).json
    team = scim.post("Groups", {"schemas": [GROUP], "displayName": "Team"}).json
    scim.delete(f"Users/{user['id']}")
    scim.delete(f"Groups/{team['id']}")
    scim.get(f"Users/{user['id']}", status=404)
    scim.delete(f"Groups/{team['id']}", status=404)
    scim.get("Users/00000000-0000-4000-8000-000000000000", status=404)
    assert [(e.action, e.resource_type, e.resource_id, e.resource_label, e.user_label)
            for e in trail(dbsession)[-3:]] == [
        ("gone", "User", user["id"], "Jane Doe (jane.doe@example.com)", "Jane Doe (jane.doe@example.com)"),
        ("gone", "Group", team["id"], "Team", None),
        ("failed", None, None, None, None),
    ]
