"""The OpenAPI 3.1 document of an instance's SCIM API, and schemathesis against a live server.

The document is checked twice: it is a valid OpenAPI 3.1 document (openapi-spec-validator),
and the server keeps to it (schemathesis: generated requests to every operation, over
loopback, with the instance's token; no 5xx, every status and body as documented).
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from livepreso_scim_addon.scim.openapi import openapi_document
from livepreso_scim_addon.scim.schemas import ENTERPRISE_USER, GROUP, USER

from tests.common.factories import make_tenant
from tests.common.scim import HOST

BASE = f"http://{HOST}/scim/v2/acme"


def test_the_document_is_valid_openapi_3_1():
    document = openapi_document(BASE, 200)
    validate(document)  # raises on any error
    assert document["openapi"].startswith("3.1")


def test_every_served_path_is_documented():
    paths = openapi_document(BASE, 200)["paths"]
    assert {path: sorted(k for k in item if k != "parameters") for path, item in paths.items()} == {
        "/Users": ["get", "post"],
        "/Users/.search": ["post"],
        "/Users/{id}": ["delete", "get", "patch", "put"],
        "/Groups": ["get", "post"],
        "/Groups/.search": ["post"],
        "/Groups/{id}": ["delete", "get", "patch", "put"],
        "/.search": ["post"],
        "/ServiceProviderConfig": ["get"],
        "/ResourceTypes": ["get"],
        "/ResourceTypes/{id}": ["get"],
        "/Schemas": ["get"],
        "/Schemas/{id}": ["get"],
        "/openapi.json": ["get"],
    }


def test_resource_schemas_come_from_the_attribute_definitions():
    schemas = openapi_document(BASE, 200)["components"]["schemas"]
    user = schemas["User"]["properties"]
    assert set(user) == {"schemas", "meta", ENTERPRISE_USER} | {
        a.name for a in USER.schema.attributes if a.returned != "never"
    }
    assert "password" not in user and schemas["UserRequest"]["properties"]["password"]["writeOnly"] is True
    assert set(user[ENTERPRISE_USER]["properties"]) == {a.name for a in USER.extensions[0].attributes}
    assert set(schemas["Group"]["properties"]) == {"schemas", "meta"} | {a.name for a in GROUP.schema.attributes}
    assert user["id"]["readOnly"] is True and user["groups"]["readOnly"] is True
    assert schemas["User"]["required"] == ["schemas", "id"]  # attributes= may leave out the rest
    assert schemas["UserRequest"]["required"] == ["schemas", "userName"]
    assert "id" not in schemas["UserRequest"]["properties"]


def test_served_with_the_instance_base_url(scim, tenant):
    response = scim.get("openapi.json")
    assert response.content_type == "application/json"
    document = response.json
    assert document["servers"] == [{"url": f"http://{HOST}/scim/v2/{tenant.slug}", "description": document["servers"][0]["description"]}]
    assert document == openapi_document(f"http://{HOST}/scim/v2/{tenant.slug}", 200)


def test_behind_the_instance_token(testapp, tenant, other_tenant):
    url = f"{tenant.base}/openapi.json"
    response = testapp.get(url, extra_environ={"HTTP_HOST": HOST}, status=401)
    assert response.content_type == "application/scim+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    testapp.get(url, headers=other_tenant.headers, status=401)
    testapp.get(url, headers=tenant.headers, status=200)


# --- schemathesis against a live server ----------------------------------------------------

#: Examples per operation: 13 paths, 21 operations; the whole run stays well under a minute.
MAX_EXAMPLES = 12


@pytest.fixture
def live_tenant(app, live_server):
    """A tenant with a user and a group, served on loopback; (base URL, token, {endpoint: an id})."""
    tenant = make_tenant(app, "acme")
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {tenant.token}"
        base = f"{live_server}{tenant.base}"
        user = session.post(f"{base}/Users", json={"schemas": [USER.schema.id], "userName": "jane@example.com"})
        assert user.status_code == 201, user.text
        group = session.post(f"{base}/Groups", json={"schemas": [GROUP.schema.id], "displayName": "Sales"})
        assert group.status_code == 201, group.text
        ids = {
            "Users": user.json()["id"],
            "Groups": group.json()["id"],
            "ResourceTypes": USER.id,
            "Schemas": USER.schema.id,
        }
        yield base, tenant.token, ids


#: Every operation of the document, by label ("GET /Users"): one test each.
OPERATIONS = [
    f"{method.upper()} {path}"
    for path, item in openapi_document(BASE, 200)["paths"].items()
    for method in item
    if method != "parameters"
]


@pytest.mark.commits
@pytest.mark.parametrize("label", OPERATIONS)
def test_the_server_keeps_to_its_document(label, live_tenant):
    base, token, ids = live_tenant
    assert base.startswith("http://127.0.0.1:")  # loopback only
    # The document as the server serves it: the one under test, its servers URL included.
    response = requests.get(f"{base}/openapi.json", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    response.raise_for_status()
    document = response.json()
    assert document["servers"][0]["url"] == base
    method, path = label.split(" ", 1)
    operation = schemathesis.openapi.from_dict(document)[path][method]
    cases = operation.as_strategy()
    if "{id}" in path:  # an id that exists, as often as a generated one (mostly 404)
        existing = ids[path.strip("/").split("/")[0]]
        cases = st.one_of(operation.as_strategy(path_parameters={"id": existing}), cases)

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,  # the same cases every run: a failure is reproducible, CI is stable
        database=None,  # no .hypothesis directory in the work tree
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure, fast
        suppress_health_check=list(HealthCheck),
    )
    @given(cases)
    def check(case):
        case.call_and_validate(
            base_url=document["servers"][0]["url"],  # the served document's own servers URL
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
        )

    check()
