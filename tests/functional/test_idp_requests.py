"""Replays of what Okta and Microsoft Entra ID send (see ../shared/IDP_REQUESTS.md)."""

from __future__ import annotations

from urllib.parse import quote

from .test_users import PATCH_OP, okta_user, patch


def test_okta_lifecycle(scim):
    """Test connection, existence check, create, read, profile PUT, deactivate, reactivate."""
    assert scim.get("Users?startIndex=1&count=2").json["totalResults"] == 0
    lookup = "Users?filter=" + quote('userName eq "jane.doe@example.com"') + "&startIndex=1&count=100"
    assert scim.get(lookup).json["Resources"] == []
    user = scim.post("Users", okta_user()).json
    assert scim.get(lookup).json["Resources"][0]["id"] == user["id"]
    copy = scim.get(f"Users/{user['id']}").json
    copy["name"]["givenName"] = "Janet"
    assert scim.put(f"Users/{user['id']}", copy).json["name"]["givenName"] == "Janet"
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.patch(f"Users/{user['id']}", body).json["active"] is False
    # On reassignment Okta looks the user up again: still found while inactive.
    assert scim.get(lookup).json["totalResults"] == 1
    body["Operations"][0]["value"]["active"] = True
    assert scim.patch(f"Users/{user['id']}", body).json["active"] is True


def test_okta_custom_app_deactivates_with_put(scim):
    user = scim.post("Users", okta_user()).json
    assert scim.put(f"Users/{user['id']}", {**user, "active": False}).json["active"] is False


def test_okta_duplicate_create_is_409_with_error_schema(scim):
    scim.post("Users", okta_user())
    response = scim.post("Users", okta_user(), status=409)
    assert response.json["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_entra_test_connection_random_user_name(scim):
    url = "Users?filter=" + quote('userName eq "a7c2f8e1-4b1d-49e1-8d0f-ff0c6e3b9f51"')
    assert scim.get(url).json["totalResults"] == 0


def test_entra_create_and_attribute_updates(scim):
    body = {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": [],
    }
    user = scim.post("Users", body).json
    url = f"Users/{user['id']}"
    updated = scim.patch(
        url,
        patch(
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updatedEmail@microsoft.com"},
            {"op": "Add", "path": "displayName", "value": "Updated Display"},
        ),
    ).json
    assert updated["name"]["familyName"] == "updatedFamilyName"
    assert updated["emails"][0]["value"] == "updatedEmail@microsoft.com"
    assert updated["displayName"] == "Updated Display"
    dotted = scim.patch(
        url,
        patch({"op": "replace", "value": {"name.givenName": "G", "name.familyName": "F", "displayName": "G F"}}),
    ).json
    assert dotted["name"]["givenName"] == "G" and dotted["name"]["familyName"] == "F" and dotted["displayName"] == "G F"
    lookup = "Users?filter=" + quote('emails[type eq "work"].value eq "updatedemail@microsoft.com"')
    assert scim.get(lookup).json["totalResults"] == 1
    assert scim.get("Users?filter=" + quote('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')).json["totalResults"] == 1


def test_entra_adds_a_work_email_when_there_is_none(scim):
    body = okta_user()
    del body["emails"]
    user = scim.post("Users", body).json
    added = scim.patch(
        f"Users/{user['id']}", patch({"op": "Add", "path": 'emails[type eq "work"].value', "value": "new@example.com"})
    ).json
    assert added["emails"] == [{"value": "new@example.com", "type": "work"}]


def test_entra_string_booleans(scim):
    user = scim.post("Users", okta_user()).json
    url = f"Users/{user['id']}"
    assert scim.patch(url, patch({"op": "Replace", "path": "active", "value": "False"})).json["active"] is False
    assert scim.patch(url, patch({"op": "Replace", "path": "active", "value": "True"})).json["active"] is True
    assert scim.patch(url, patch({"op": "replace", "path": "active", "value": False})).json["active"] is False


def test_entra_ignores_unknown_schema_urns_and_attributes(scim):
    body = okta_user()
    body["schemas"].append("http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User")
    body["urn:ietf:params:scim:schemas:extension:custom:2.0:User"] = {"shoeSize": "9"}
    body["roles"] = [{"value": "admin"}]
    created = scim.post("Users", body).json
    assert "roles" not in created


def test_attribute_names_are_case_insensitive(scim):
    created = scim.post("Users", {"USERNAME": "x@example.com", "Name": {"GIVENNAME": "X"}, "Active": "true"}).json
    assert created["userName"] == "x@example.com"
    assert created["name"] == {"givenName": "X"}
    assert created["active"] is True


def test_entra_manager_as_a_bare_id(scim):
    manager = scim.post("Users", okta_user("boss@example.com")).json
    user = scim.post("Users", okta_user()).json
    path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
    added = scim.patch(f"Users/{user['id']}", patch({"op": "Add", "path": path, "value": manager["id"]})).json
    assert added["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] == {"manager": {"value": manager["id"]}}
    removed = scim.patch(f"Users/{user['id']}", patch({"op": "Remove", "path": path})).json
    assert "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" not in removed


def test_entra_single_valued_replace_of_user_name(scim):
    user = scim.post("Users", okta_user()).json
    renamed = scim.patch(
        f"Users/{user['id']}", patch({"op": "Replace", "path": "userName", "value": "5b50642d@testuser.com"})
    ).json
    assert renamed["userName"] == "5b50642d@testuser.com"
    assert scim.get("Users?filter=" + quote('userName eq "5B50642D@testuser.com"')).json["totalResults"] == 1
