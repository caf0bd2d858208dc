"""Every error under the SCIM prefix is a SCIM error body; no client input gives a 500."""

from __future__ import annotations

import json

import pytest

from tests.common.scim import assert_scim_error, okta_user


def test_bad_json_is_invalid_syntax(scim):
    assert_scim_error(scim.post("Users", b"{not json", status=400), 400, "invalidSyntax")
    assert_scim_error(scim.post("Users", b"", status=400), 400, "invalidSyntax")
    assert_scim_error(scim.post("Users", b"\xff\xfe", status=400), 400, "invalidSyntax")
    assert_scim_error(scim.post("Users", b"[" * 100000, status=400), 400, "invalidSyntax")


def test_body_that_is_not_json_is_415(scim):
    response = scim.post("Users", "userName=x", status=415, content_type="application/x-www-form-urlencoded")
    assert_scim_error(response, 415)
    assert_scim_error(scim.post("Users", "<User/>", status=415, content_type="application/xml"), 415)


def test_plain_application_json_is_accepted(scim):
    scim.post("Users", okta_user(), content_type="application/json")


def test_body_over_the_limit_is_413(scim):
    body = okta_user(displayName="x" * (1024 * 1024))
    assert_scim_error(scim.post("Users", body, status=413), 413)


def test_unsupported_method_is_405(scim):
    assert_scim_error(scim.send("DELETE", "Users", None, 405), 405)
    assert_scim_error(scim.send("PATCH", "ServiceProviderConfig", {}, 405), 405)
    assert_scim_error(scim.send("GET", "Users/.search", None, 405), 405)


def test_unknown_paths_are_scim_404(testapp, scim):
    assert_scim_error(scim.get("Nope", status=404), 404)
    assert_scim_error(scim.get("Users/x/y", status=404), 404)
    assert_scim_error(scim.get("ResourceTypes/Nope", status=404), 404)
    assert_scim_error(testapp.get("/scim/v2", status=404), 404)
    assert_scim_error(testapp.get("/scim/v2/", status=404), 404)


GARBAGE = [
    None,
    1,
    "string",
    [],
    {"userName": None},
    {"userName": ""},
    {"userName": ["a"]},
    {"userName": "x", "emails": [1, 2]},
    {"userName": "x", "emails": [{"value": 1}]},
    {"userName": "x", "emails": [{"primary": True, "value": "a"}, {"primary": True, "value": "b"}]},
    {"userName": "x", "name": [{}]},
    {"userName": "x", "active": None},
    {"userName": "x", "active": {}},
    {"userName": "x", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "x"},
    {"userName": "x", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "x"}},
    {"userName": "x" * 10000},
    {"userName": "\u0000"},
]


@pytest.mark.parametrize("body", GARBAGE)
def test_garbage_bodies_never_500(scim, body):
    for method, path in (("POST", "Users"), ("POST", "Users/.search")):
        response = scim.send(method, path, json.dumps(body), status="*")
        assert response.status_code < 500, (method, body, response.text)
        assert response.content_type == "application/scim+json"


PATCH_GARBAGE = [
    {},
    {"Operations": None},
    {"Operations": "x"},
    {"Operations": [None]},
    {"Operations": [{"op": None}]},
    {"Operations": [{"op": "add"}]},
    {"Operations": [{"op": "add", "value": "x"}]},
    {"Operations": [{"op": "add", "path": 1, "value": "x"}]},
    {"Operations": [{"op": "add", "path": "emails[", "value": "x"}]},
    {"Operations": [{"op": "add", "path": "name.givenName.x", "value": "x"}]},
    {"Operations": [{"op": "replace", "path": "emails", "value": "x"}]},
    {"Operations": [{"op": "replace", "path": "name", "value": "x"}]},
    {"Operations": [{"op": "replace", "path": "userName", "value": None}]},
    {"Operations": [{"op": "remove", "path": "userName"}]},
    {"Operations": [{"op": "replace", "path": "active", "value": "maybe"}]},
    {"Operations": [{"op": "replace", "path": 'phoneNumbers[type eq "work" or type eq "home"].value', "value": "x"}]},
    {"schemas": ["urn:wrong"], "Operations": [{"op": "replace", "path": "title", "value": "x"}]},
]


@pytest.mark.parametrize("body", PATCH_GARBAGE)
def test_garbage_patches_are_400_and_change_nothing(scim, body):
    user = scim.post("Users", okta_user()).json
    response = scim.patch(f"Users/{user['id']}", body, status="*")
    assert_scim_error(response, 400)
    assert scim.get(f"Users/{user['id']}").json == user


def test_filter_values_with_nul_are_invalid_filter(scim):
    response = scim.get('Users?filter=userName%20eq%20%22a%00b%22', status=400)
    assert_scim_error(response, 400, "invalidFilter")


def test_strings_longer_than_the_limit_are_invalid_value(scim):
    response = scim.post("Users", okta_user(title="t" * 1025), status=400)
    assert_scim_error(response, 400, "invalidValue")
    assert "1024" in response.json["detail"]
    scim.post("Users", okta_user("u" * 1000 + "@example.com", title="t" * 1024))


@pytest.mark.parametrize(
    "path",
    ["Users/%00", "Users/" + "a" * 5000, "Users/%C3%A9", "%00/Users", "Users/%2e%2e"],
)
def test_odd_paths_are_404_never_500(scim, path):
    assert_scim_error(scim.get(path, status=404), 404)


@pytest.mark.parametrize("slug", ["%00", "ACME", "a" * 300, "acme%20"])
def test_odd_slugs_are_404(testapp, tenant, slug):
    assert_scim_error(testapp.get(f"/scim/v2/{slug}/Users", headers=tenant.headers, status=404), 404)


@pytest.mark.parametrize(
    "token", ["lpscim_\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00_x", "lpscim_" + "z" * 16 + "_x", "x" * 5000]
)
def test_odd_tokens_are_401(testapp, tenant, token):
    response = testapp.get(f"{tenant.base}/Users", headers={"Authorization": f"Bearer {token}"}, status=401)
    assert_scim_error(response, 401)


def test_the_body_limit_is_a_setting(database_url, tenant, bind_app):
    import webtest

    from livepreso_scim_addon.hq import main

    small = bind_app(main({}, **{"sqlalchemy.url": database_url, "scim.max_body_bytes": "2000"}))
    try:
        client = webtest.TestApp(small)
        response = client.post_json(f"{tenant.base}/Users", okta_user(title="t" * 2000), headers=tenant.headers, status=413)
        assert_scim_error(response, 413)
        assert "2000 bytes" in response.json["detail"]
        client.post_json(f"{tenant.base}/Users", okta_user(), headers=tenant.headers, status=201)
    finally:
        small.registry["db_engine"].dispose()
