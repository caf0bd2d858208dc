"""Users over SCIM: create, read, replace, patch, delete, as Okta and Entra ID use them."""

from __future__ import annotations

from urllib.parse import quote

from livepreso_scim_addon.hq.models import HqUser
from tests.common.db import statements_sent
from tests.common.factories import make_hq_user
from tests.common.hq import hq_user
from tests.common.scim import CORE, ENTERPRISE, PATCH_OP, okta_user, patch, set_active


def test_create_returns_the_full_resource_without_password(scim, dbsession):
    response = scim.post("Users", okta_user())
    user = response.json
    assert response.content_type == "application/scim+json"
    assert user["userName"] == "jane.doe@example.com"
    assert user["name"] == {"givenName": "Jane", "familyName": "Doe"}
    assert user["emails"] == [{"value": "jane.doe@example.com", "type": "work", "primary": True}]
    assert user["active"] is True
    assert user["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert "password" not in user and "1mz050nq" not in response.text
    assert user["meta"]["resourceType"] == "User"
    assert user["meta"]["location"] == f"http://hq.example.com/scim/v2/acme/Users/{user['id']}"
    assert response.headers["Location"] == user["meta"]["location"]
    assert response.headers["ETag"] == user["meta"]["version"]
    hq = hq_user(dbsession, user["id"])
    assert (hq.login, hq.email, hq.given_name, hq.family_name, hq.active) == (
        "jane.doe@example.com",
        "jane.doe@example.com",
        "Jane",
        "Doe",
        True,
    )
    assert hq.password_hash is None  # the SCIM password is never stored


def test_every_published_attribute_round_trips(scim):
    body = {
        "schemas": [CORE, ENTERPRISE],
        "userName": "full@example.com",
        "externalId": "ext-1",
        "name": {
            "formatted": "Ms. Barbara J Jensen, III",
            "familyName": "Jensen",
            "givenName": "Barbara",
            "middleName": "Jane",
            "honorificPrefix": "Ms.",
            "honorificSuffix": "III",
        },
        "displayName": "Babs Jensen",
        "nickName": "Babs",
        "title": "Tour Guide",
        "userType": "Employee",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "America/Los_Angeles",
        "active": True,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": True, "display": "Work"},
            {"value": "babs@jensen.org", "type": "home"},
        ],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work", "primary": True}],
        "addresses": [
            {
                "type": "work",
                "streetAddress": "100 Universal City Plaza",
                "locality": "Hollywood",
                "region": "CA",
                "postalCode": "91608",
                "country": "US",
                "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA",
                "primary": True,
            }
        ],
        ENTERPRISE: {
            "employeeNumber": "701984",
            "costCenter": "4130",
            "organization": "Universal Studios",
            "division": "Theme Park",
            "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"},
        },
    }
    created = scim.post("Users", body).json
    fetched = scim.get(f"Users/{created['id']}").json
    for resource in (created, fetched):
        assert set(resource["schemas"]) == {CORE, ENTERPRISE}
        for key, value in body.items():
            if key != "schemas":
                assert resource[key] == value, key


def test_user_name_is_unique_case_insensitively(scim):
    scim.post("Users", okta_user("Jane@Example.com"))
    response = scim.post("Users", okta_user("jane@EXAMPLE.com"), status=409)
    assert response.json["scimType"] == "uniqueness"
    assert response.json["status"] == "409"
    assert "jane@EXAMPLE.com" in response.json["detail"]


def test_user_name_required(scim):
    body = okta_user()
    del body["userName"]
    response = scim.post("Users", body, status=400)
    assert response.json["scimType"] == "invalidValue"
    assert "userName" in response.json["detail"]


def test_wrong_types_are_400_not_500(scim):
    for bad in ({"active": "perhaps"}, {"name": "Jane"}, {"emails": "x"}, {"userName": 12}, {"displayName": {"a": 1}}):
        response = scim.post("Users", okta_user(**bad), status=400)
        assert response.json["scimType"] == "invalidValue", bad


def test_read_and_unknown_id(scim):
    user = scim.post("Users", okta_user()).json
    assert scim.get(f"Users/{user['id']}").json == user
    response = scim.get("Users/not-a-user", status=404)
    assert response.json["status"] == "404"
    assert "not-a-user" in response.json["detail"]


def test_okta_profile_update_is_get_edit_put(scim, dbsession):
    user = scim.post("Users", okta_user()).json
    edited = scim.get(f"Users/{user['id']}").json
    edited["name"]["familyName"] = "Smith"
    edited["title"] = "Director"
    replaced = scim.put(f"Users/{user['id']}", edited).json
    assert replaced["name"] == {"givenName": "Jane", "familyName": "Smith"}
    assert replaced["title"] == "Director"
    assert replaced["id"] == user["id"] and replaced["meta"]["created"] == user["meta"]["created"]
    assert replaced["meta"]["version"] != user["meta"]["version"]
    assert hq_user(dbsession, user["id"]).family_name == "Smith"


def test_put_replaces_attributes_it_omits(scim, dbsession):
    user = scim.post("Users", okta_user(title="Boss", nickName="JD")).json
    replaced = scim.put(f"Users/{user['id']}", {"schemas": [CORE], "userName": user["userName"]}).json
    assert "title" not in replaced and "nickName" not in replaced and "emails" not in replaced
    # "active" unassigned is not "active: false": HQ keeps the person active.
    assert "active" not in replaced
    assert hq_user(dbsession, user["id"]).active is True


def test_removing_active_leaves_the_user_active_in_hq(scim, dbsession):
    user = scim.post("Users", okta_user()).json
    patched = scim.patch(f"Users/{user['id']}", patch({"op": "remove", "path": "active"})).json
    assert "active" not in patched
    assert hq_user(dbsession, user["id"]).active is True


def test_put_ignores_read_only_id_and_meta(scim):
    user = scim.post("Users", okta_user()).json
    body = {**user, "id": "forged", "meta": {"created": "2000-01-01T00:00:00Z"}}
    replaced = scim.put(f"Users/{user['id']}", body).json
    assert replaced["id"] == user["id"]
    assert replaced["meta"]["created"] == user["meta"]["created"]


def test_unchanged_put_keeps_the_version(scim):
    user = scim.post("Users", okta_user()).json
    again = scim.put(f"Users/{user['id']}", user).json
    assert again["meta"]["version"] == user["meta"]["version"]


def test_rename_to_taken_user_name_is_409_and_changes_nothing(scim):
    scim.post("Users", okta_user("a@example.com"))
    b = scim.post("Users", okta_user("b@example.com")).json
    response = scim.patch(f"Users/{b['id']}", patch({"op": "replace", "path": "userName", "value": "A@example.com"}), status=409)
    assert response.json["scimType"] == "uniqueness"
    assert scim.get(f"Users/{b['id']}").json["userName"] == "b@example.com"


def test_patch_is_atomic(scim):
    user = scim.post("Users", okta_user()).json
    body = patch(
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "replace", "path": "noSuchAttribute", "value": "x"},
    )
    response = scim.patch(f"Users/{user['id']}", body, status=400)
    assert response.json["scimType"] == "invalidPath"
    assert scim.get(f"Users/{user['id']}").json == user


def test_patch_forms(scim):
    user = scim.post("Users", okta_user()).json
    url = f"Users/{user['id']}"
    result = scim.patch(
        url,
        patch(
            {"op": "add", "path": "title", "value": "Engineer"},
            {"op": "replace", "path": "name.givenName", "value": "Janet"},
            {"op": "add", "path": "emails", "value": [{"value": "home@example.com", "type": "home"}]},
            {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Sales"},
        ),
    ).json
    assert result["title"] == "Engineer"
    assert result["name"]["givenName"] == "Janet"
    assert [e["value"] for e in result["emails"]] == ["jane.doe@example.com", "home@example.com"]
    assert result[ENTERPRISE] == {"department": "Sales"}
    assert ENTERPRISE in result["schemas"]
    result = scim.patch(
        url,
        patch(
            {"op": "remove", "path": 'emails[type eq "home"]'},
            {"op": "remove", "path": "title"},
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "jd@example.com"},
        ),
    ).json
    assert "title" not in result
    assert result["emails"] == [{"value": "jd@example.com", "type": "work", "primary": True}]


def test_patch_on_read_only_attribute_is_mutability_error(scim):
    user = scim.post("Users", okta_user()).json
    response = scim.patch(f"Users/{user['id']}", patch({"op": "replace", "path": "id", "value": "x"}), status=400)
    assert response.json["scimType"] == "mutability"


def test_patch_without_operations_is_invalid_syntax(scim):
    user = scim.post("Users", okta_user()).json
    response = scim.patch(f"Users/{user['id']}", {"schemas": [PATCH_OP]}, status=400)
    assert response.json["scimType"] == "invalidSyntax"
    response = scim.patch(f"Users/{user['id']}", patch({"op": "frobnicate", "path": "title"}), status=400)
    assert response.json["scimType"] == "invalidSyntax"


def test_delete_removes_the_resource_but_keeps_the_hq_person(scim, dbsession):
    user = scim.post("Users", okta_user()).json
    host_user_id = hq_user(dbsession, user["id"]).id
    scim.delete(f"Users/{user['id']}")
    scim.get(f"Users/{user['id']}", status=404)
    scim.delete(f"Users/{user['id']}", status=404)
    dbsession.rollback()
    person = dbsession.get(HqUser, host_user_id)
    assert person is not None and person.active is False
    # Okta assigns the person again: the same HQ user comes back, active.
    again = scim.post("Users", okta_user()).json
    assert again["id"] != user["id"]
    assert hq_user(dbsession, again["id"]).id == host_user_id
    assert hq_user(dbsession, again["id"]).active is True


def test_etag_if_match_and_if_none_match(scim):
    user = scim.post("Users", okta_user()).json
    url = f"Users/{user['id']}"
    version = user["meta"]["version"]
    assert scim.get(url).headers["ETag"] == version
    scim.get(url, headers={"If-None-Match": version}, status=304)
    body = patch({"op": "replace", "path": "title", "value": "A"})
    scim.patch(url, body, headers={"If-Match": version})
    stale = scim.patch(url, patch({"op": "replace", "path": "title", "value": "B"}), headers={"If-Match": version}, status=412)
    assert stale.json["status"] == "412"
    assert scim.get(url).json["title"] == "A"
    scim.put(url, user, headers={"If-Match": version}, status=412)
    scim.delete(url, headers={"If-Match": version}, status=412)
    scim.delete(url, headers={"If-Match": "*"})


def _writes(engine, action) -> list[str]:
    """What a request sends, BEGIN aside (SQLite's is a statement, PostgreSQL's is not)."""
    with statements_sent(engine) as sent:
        action()
    return [" ".join(s.statement.split()[:3]) for s in sent if not s.statement.lstrip().upper().startswith("BEGIN")]


def test_okta_creates_and_deactivates_in_six_statements_each(scim, engine):
    """Okta's hot writes, audit and the host included: a token, then the work."""
    scim.get("Users?count=0")  # the token's first use of the minute is written (services/tokens.py)
    created = _writes(engine, lambda: scim.post("Users", okta_user("ann@example.com")))
    assert len(created) == 6, created
    user_id = scim.get("Users?filter=" + quote('userName eq "ann@example.com"')).json["Resources"][0]["id"]
    deactivated = _writes(engine, lambda: set_active(scim, user_id, False))
    assert len(deactivated) == 6, deactivated


def test_okta_user_name_check_reads_the_user_in_one_statement_after_the_token(scim, engine):
    """``userName eq`` names one user or none: no page of keys first, any case, any page."""
    ann = scim.post("Users", okta_user("Ann@Example.com")).json
    group = scim.post("Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales",
                                 "members": [{"value": ann["id"]}]}).json
    lookup = "Users?filter=" + quote('userName eq "ANN@example.COM"')
    scim.get(lookup)  # the token's first use of the minute is written (services/tokens.py)
    with statements_sent(engine) as sent:
        found = scim.get(lookup).json
    assert [s.statement.split()[0] for s in sent] == ["SELECT", "SELECT"], sent  # the token, the user
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == ann["id"]
    assert found["Resources"][0]["emails"] == ann["emails"]
    assert [g["value"] for g in found["Resources"][0]["groups"]] == [group["id"]]
    assert scim.get(lookup + "&startIndex=2").json == {**found, "Resources": [], "startIndex": 2, "itemsPerPage": 0}
    counted = scim.get(lookup + "&count=0").json
    assert (counted["totalResults"], counted.get("Resources", [])) == (1, [])
    missing = scim.get("Users?filter=" + quote('userName eq "bob@example.com"')).json
    assert (missing["totalResults"], missing.get("Resources", [])) == (0, [])


def test_a_userName_that_is_another_hq_users_login_is_a_409_and_changes_nothing(app, scim, tenant):
    """The host refuses a login someone else in HQ has (a manager from before SCIM), in the
    same one-statement update: the SCIM user keeps its name."""
    make_hq_user(app, tenant, "boss@acme.com")
    ann = scim.post("Users", okta_user("ann@example.com")).json
    refused = scim.patch(f"Users/{ann['id']}", patch({"op": "replace", "path": "userName", "value": "BOSS@acme.com"}), status=409)
    assert refused.json["scimType"] == "uniqueness" and "belongs to another user" in refused.json["detail"]
    assert scim.get(f"Users/{ann['id']}").json["userName"] == "ann@example.com"
