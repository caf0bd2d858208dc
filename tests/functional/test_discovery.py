"""Discovery endpoints describe exactly what is implemented (RFC 7644 §4)."""

from __future__ import annotations

from livepreso_scim_addon.scim.schemas import USER

from tests.common.scim import ENTERPRISE, okta_user


def test_service_provider_config(scim):
    config = scim.get("ServiceProviderConfig").json
    assert config["patch"] == {"supported": True}
    assert config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["sort"] == {"supported": True}
    assert config["etag"] == {"supported": True}
    assert config["changePassword"] == {"supported": False}
    assert [s["type"] for s in config["authenticationSchemes"]] == ["oauthbearertoken"]
    assert config["meta"]["location"].endswith("/scim/v2/acme/ServiceProviderConfig")


def test_resource_types(scim):
    listing = scim.get("ResourceTypes").json
    assert listing["totalResults"] == 2
    user, group = listing["Resources"]
    assert user["endpoint"] == "/Users"
    assert user["schema"] == "urn:ietf:params:scim:schemas:core:2.0:User"
    assert user["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert scim.get("ResourceTypes/User").json == user
    assert (group["endpoint"], group["schema"], group["schemaExtensions"]) == (
        "/Groups",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        [],
    )
    assert scim.get("ResourceTypes/Group").json == group


def test_schemas_list_every_stored_attribute(scim):
    listing = scim.get("Schemas").json
    ids = [s["id"] for s in listing["Resources"]]
    assert ids == ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, "urn:ietf:params:scim:schemas:core:2.0:Group"]
    group = scim.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").json
    members = next(a for a in group["attributes"] if a["name"] == "members")
    assert {a["name"]: a["mutability"] for a in members["subAttributes"]} == {
        "value": "immutable",
        "$ref": "immutable",
        "type": "immutable",
    }
    core = scim.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json
    by_name = {a["name"]: a for a in core["attributes"]}
    assert by_name["userName"]["uniqueness"] == "server" and by_name["userName"]["caseExact"] is False
    assert by_name["userName"]["required"] is True
    assert by_name["password"]["returned"] == "never"
    assert by_name["groups"]["mutability"] == "readOnly"
    assert by_name["emails"]["multiValued"] is True
    assert {a["name"] for a in by_name["addresses"]["subAttributes"]} >= {"streetAddress", "postalCode"}


def test_every_writable_published_attribute_is_returned(scim):
    """Publish exactly what is stored: write each writable attribute, read it back."""
    body = {"schemas": list(USER.schema_ids), "userName": "probe@example.com"}
    for schema in (USER.schema, *USER.extensions):
        target = body if schema is USER.schema else body.setdefault(schema.id, {})
        for attribute in schema.attributes:
            if attribute.mutability in ("readOnly", "writeOnly") or attribute.name == "userName":
                continue
            target[attribute.name] = _sample(attribute)
    created = scim.post("Users", body).json
    for key, value in body.items():
        if key != "schemas":
            assert created[key] == value, key


def _sample(attribute):
    if attribute.type == "complex":
        value = {s.name: _sample(s) for s in attribute.sub_attributes if s.mutability != "readOnly"}
        return [value] if attribute.multi_valued else value
    if attribute.type == "boolean":
        return True
    return f"sample-{attribute.name}"


def test_user_schema_document_matches_definitions(scim):
    scim.post("Users", okta_user())
    document = scim.get(f"Schemas/{ENTERPRISE}").json
    assert [a["name"] for a in document["attributes"]] == [
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "manager",
    ]
