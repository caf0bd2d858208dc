"""An OpenAPI 3.1 document of the SCIM API one instance serves (RFC 7643, RFC 7644).

Generated from the attribute definitions in :mod:`.schemas`, so it cannot drift from
what ``/Schemas`` publishes and what the server validates. It describes what the server
really does, not an idealised SCIM:

* responses: only ``schemas`` and ``id`` are certain (``attributes`` and
  ``excludedAttributes`` may leave out everything else, RFC 7644 §3.9); nothing the
  schemas do not declare is ever returned (``additionalProperties: false``);
* requests: attribute names match case-insensitively and unknown attributes are
  ignored, so request bodies allow additional properties; readOnly attributes are
  accepted and ignored;
* every status an operation can answer, errors as RFC 7644 §3.12 bodies in
  ``application/scim+json``.

No Pyramid, no SQLAlchemy: the caller gives the instance's base URL and page size.
"""

from __future__ import annotations

from .discovery import SERVICE_PROVIDER_CONFIG
from .errors import ERROR_SCHEMA
from .schemas import (
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE_USER,
    GROUP,
    LIST_RESPONSE,
    MAX_STRING_LENGTH,
    META_ATTRIBUTE,
    PATCH_OP,
    SEARCH_REQUEST,
    USER,
    Attribute,
    ResourceType,
)

OPENAPI_VERSION = "3.1.0"
SCIM_MEDIA_TYPE = "application/scim+json"
#: What request bodies may be sent as (views/base.py accepts any ``+json`` too).
REQUEST_MEDIA_TYPES = (SCIM_MEDIA_TYPE, "application/json")

_REF = "#/components/schemas/"
_RESPONSE_REF = "#/components/responses/"
_PARAMETER_REF = "#/components/parameters/"

#: Error statuses, with what each means here (RFC 7644 §3.12).
_ERRORS = {
    "400": "The request is invalid: its syntax, a value, a filter, a path, or a mutability rule (`scimType` says which).",
    "401": "No bearer token, or one that is invalid, revoked or not for this instance.",
    "404": "No such resource in this instance.",
    "409": "Another resource already has this unique value (`scimType` uniqueness).",
    "412": "`If-Match` names another version: the resource has changed since (RFC 7644 §3.14).",
    "413": "The request body is larger than the server accepts.",
    "415": "The request body is not `application/scim+json` or `application/json`.",
    "429": "Too many requests for this token; `Retry-After` says when to try again.",
    "503": "The database is unavailable for now; `Retry-After` says when to try again.",
}
#: What every operation may answer whatever it does: a bad token, a bad query string or
#: path (ingress), the rate limit, an unavailable database.
_ALWAYS = ("400", "401", "429", "503")


# --- JSON Schema from the attribute definitions -------------------------------------------


def _scalar(attribute: Attribute, for_request: bool) -> dict:
    if attribute.type == "boolean":
        # Entra ID sends "True"/"False" (scim/leniency.py); the server always answers a boolean.
        return {"type": "boolean"}
    if attribute.type == "integer":
        return {"type": "integer"}
    if attribute.type == "decimal":
        return {"type": "number"}
    schema: dict = {"type": "string"}
    if attribute.type == "dateTime":
        schema["format"] = "date-time"
    if for_request:
        schema["maxLength"] = MAX_STRING_LENGTH
    return schema


def attribute_schema(attribute: Attribute, for_request: bool = False) -> dict:
    """The JSON Schema of one attribute's value, for a response or for a request body."""
    if attribute.type == "complex":
        subs = [s for s in attribute.sub_attributes if not (for_request and s.read_only)]
        schema: dict = {
            "type": "object",
            "properties": {s.name: attribute_schema(s, for_request) for s in subs},
        }
        if not for_request:
            schema["additionalProperties"] = False
    else:
        schema = _scalar(attribute, for_request)
    if attribute.multi_valued:
        schema = {"type": "array", "items": schema}
    if attribute.description:
        schema["description"] = attribute.description
    if not for_request:
        if attribute.read_only:
            schema["readOnly"] = True
    elif attribute.mutability == "writeOnly":
        schema["writeOnly"] = True
    return schema


def _schemas_property(urns: tuple[str, ...], required_urn: str | None) -> dict:
    schema: dict = {"type": "array", "items": {"type": "string"}, "minItems": 1}
    if required_urn is not None:
        schema["contains"] = {"const": required_urn}
    schema["description"] = "The schema URNs of the resource: " + ", ".join(urns) + "."
    return schema


def resource_schema(resource_type: ResourceType) -> dict:
    """A resource as the server returns it: only ``schemas`` and ``id`` are always there."""
    properties: dict = {"schemas": _schemas_property(resource_type.schema_ids, resource_type.schema.id)}
    for attribute in resource_type.schema.attributes:
        if attribute.returned != "never":
            properties[attribute.name] = attribute_schema(attribute)
    for extension in resource_type.extensions:
        properties[extension.id] = {
            "type": "object",
            "description": extension.description,
            "properties": {a.name: attribute_schema(a) for a in extension.attributes if a.returned != "never"},
            "additionalProperties": False,
        }
    meta = attribute_schema(META_ATTRIBUTE)
    meta["properties"]["resourceType"] = {"const": resource_type.id, "readOnly": True}
    properties["meta"] = meta
    return {
        "type": "object",
        "description": resource_type.description,
        "required": ["schemas", "id"],
        "properties": properties,
        "additionalProperties": False,
    }


def resource_request_schema(resource_type: ResourceType) -> dict:
    """A POST or PUT body: names match case-insensitively, unknown ones are ignored."""
    properties: dict = {"schemas": _schemas_property(resource_type.schema_ids, resource_type.schema.id)}
    for attribute in resource_type.schema.attributes:
        if not attribute.read_only:
            properties[attribute.name] = attribute_schema(attribute, for_request=True)
    for extension in resource_type.extensions:
        properties[extension.id] = {
            "type": "object",
            "description": extension.description,
            "properties": {a.name: attribute_schema(a, for_request=True) for a in extension.attributes},
        }
    required = ["schemas"] + [a.name for a in resource_type.schema.attributes if a.required]
    return {
        "type": "object",
        "description": f"{resource_type.description}; readOnly attributes and unknown attributes are ignored.",
        "required": required,
        "properties": properties,
    }


def _list_response(item_ref: dict) -> dict:
    return {
        "type": "object",
        "description": "A page of results (RFC 7644 §3.4.2); startIndex is 1-based.",
        "required": ["schemas", "totalResults", "startIndex", "itemsPerPage", "Resources"],
        "properties": {
            "schemas": {"type": "array", "items": {"const": LIST_RESPONSE}, "minItems": 1, "maxItems": 1},
            "totalResults": {"type": "integer", "minimum": 0},
            "startIndex": {"type": "integer", "minimum": 1},
            "itemsPerPage": {"type": "integer", "minimum": 0},
            "Resources": {"type": "array", "items": item_ref},
        },
        "additionalProperties": False,
    }


def _components(max_page_size: int) -> dict:
    ref = lambda name: {"$ref": _REF + name}  # noqa: E731
    user, group = resource_schema(USER), resource_schema(GROUP)
    names_or_list = {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        "description": "Attribute names, as a list (or a comma-separated string).",
    }
    schemas = {
        "User": user,
        "Group": group,
        "UserRequest": resource_request_schema(USER),
        "GroupRequest": resource_request_schema(GROUP),
        "Resource": {"oneOf": [ref("User"), ref("Group")]},
        "UserListResponse": _list_response(ref("User")),
        "GroupListResponse": _list_response(ref("Group")),
        "ResourceListResponse": _list_response(ref("Resource")),
        "Error": {
            "type": "object",
            "description": "An error (RFC 7644 §3.12); `status` is the HTTP status as a string.",
            "required": ["schemas", "status", "detail"],
            "properties": {
                "schemas": {"type": "array", "items": {"const": ERROR_SCHEMA}, "minItems": 1, "maxItems": 1},
                "status": {"type": "string", "pattern": "^[1-5][0-9][0-9]$"},
                "scimType": {
                    "type": "string",
                    "enum": [
                        "invalidFilter",
                        "tooMany",
                        "uniqueness",
                        "mutability",
                        "invalidSyntax",
                        "invalidPath",
                        "noTarget",
                        "invalidValue",
                        "invalidVers",
                        "sensitive",
                    ],
                },
                "detail": {"type": "string"},
            },
            "additionalProperties": False,
        },
        "PatchOp": {
            "type": "object",
            "description": "A PATCH message (RFC 7644 §3.5.2); `op` is matched case-insensitively.",
            "required": ["schemas", "Operations"],
            "properties": {
                "schemas": {"type": "array", "items": {"type": "string"}, "contains": {"const": PATCH_OP}},
                "Operations": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["op"],
                        "properties": {
                            "op": {"type": "string", "enum": ["add", "remove", "replace", "Add", "Remove", "Replace"]},
                            "path": {"type": "string"},
                            "value": {},
                        },
                    },
                },
            },
        },
        "SearchRequest": {
            "type": "object",
            "description": "A search (RFC 7644 §3.4.3); parameter names match case-insensitively.",
            "properties": {
                "schemas": {"type": "array", "items": {"type": "string"}, "contains": {"const": SEARCH_REQUEST}},
                "attributes": names_or_list,
                "excludedAttributes": names_or_list,
                "filter": {"type": "string"},
                "sortBy": {"type": "string"},
                "sortOrder": {"type": "string", "enum": ["ascending", "descending"]},
                "startIndex": {"type": "integer"},
                "count": {"type": "integer"},
            },
        },
        "ServiceProviderConfig": {
            "type": "object",
            "description": "What this service provider implements (RFC 7643 §5).",
            "required": ["schemas", "patch", "bulk", "filter", "changePassword", "sort", "etag", "authenticationSchemes"],
            "properties": {
                "schemas": {"type": "array", "items": {"const": SERVICE_PROVIDER_CONFIG}},
                "filter": {
                    "type": "object",
                    "properties": {"supported": {"type": "boolean"}, "maxResults": {"const": max_page_size}},
                },
            },
        },
        "ResourceTypeDocument": {
            "type": "object",
            "description": "A resource type (RFC 7643 §6).",
            "required": ["schemas", "id", "name", "endpoint", "schema"],
            "properties": {
                "schemas": {"type": "array", "items": {"const": "urn:ietf:params:scim:schemas:core:2.0:ResourceType"}},
                "id": {"enum": [USER.id, GROUP.id]},
                "endpoint": {"enum": [USER.endpoint, GROUP.endpoint]},
                "schema": {"enum": [CORE_USER, CORE_GROUP]},
            },
        },
        "SchemaDocument": {
            "type": "object",
            "description": "A schema (RFC 7643 §7).",
            "required": ["schemas", "id", "attributes"],
            "properties": {
                "schemas": {"type": "array", "items": {"const": "urn:ietf:params:scim:schemas:core:2.0:Schema"}},
                "id": {"enum": [CORE_USER, ENTERPRISE_USER, CORE_GROUP]},
                "attributes": {"type": "array", "items": {"type": "object", "required": ["name", "type"]}},
            },
        },
        "ResourceTypeListResponse": _list_response(ref("ResourceTypeDocument")),
        "SchemaListResponse": _list_response(ref("SchemaDocument")),
    }
    retry_after = {
        "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}
    }
    responses = {}
    for status, description in _ERRORS.items():
        response: dict = {"description": description, "content": {SCIM_MEDIA_TYPE: {"schema": ref("Error")}}}
        if status in ("429", "503"):
            response["headers"] = retry_after
        if status == "401":
            response["headers"] = {
                "WWW-Authenticate": {"description": "A Bearer challenge (RFC 6750 §3).", "schema": {"type": "string"}}
            }
        responses[status] = response
    names = {"description": "Comma-separated attribute names (RFC 7644 §3.9).", "schema": {"type": "string"}}
    parameters = {
        "filter": {
            "name": "filter",
            "in": "query",
            "description": "A filter expression (RFC 7644 §3.4.2.2).",
            "schema": {"type": "string"},
        },
        "startIndex": {
            "name": "startIndex",
            "in": "query",
            "description": "1-based index of the first result; below 1 counts as 1.",
            "schema": {"type": "integer"},
        },
        "count": {
            "name": "count",
            "in": "query",
            "description": f"Results per page; below 0 counts as 0, above {max_page_size} as {max_page_size}.",
            "schema": {"type": "integer"},
        },
        "sortBy": {"name": "sortBy", "in": "query", "description": "An attribute path to sort by.", "schema": {"type": "string"}},
        "sortOrder": {
            "name": "sortOrder",
            "in": "query",
            "description": "Matched case-insensitively.",
            "schema": {"type": "string", "enum": ["ascending", "descending"]},
        },
        "attributes": {"name": "attributes", "in": "query", **names},
        "excludedAttributes": {"name": "excludedAttributes", "in": "query", **names},
        "id": {"name": "id", "in": "path", "required": True, "description": "The resource's id.", "schema": {"type": "string"}},
        "If-Match": {
            "name": "If-Match",
            "in": "header",
            "description": "Act only on this version (RFC 7644 §3.14); otherwise 412.",
            "schema": {"type": "string"},
        },
        "If-None-Match": {
            "name": "If-None-Match",
            "in": "header",
            "description": "304 if the resource is still this version (RFC 7644 §3.14).",
            "schema": {"type": "string"},
        },
    }
    return {
        "schemas": schemas,
        "responses": responses,
        "parameters": parameters,
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token issued on the LivePreso HQ SCIM page for this instance (RFC 6750).",
            }
        },
    }


# --- operations ---------------------------------------------------------------------------


def _json(ref_name: str) -> dict:
    return {SCIM_MEDIA_TYPE: {"schema": {"$ref": _REF + ref_name}}}


def _body(ref_name: str, description: str) -> dict:
    return {
        "required": True,
        "description": description,
        "content": {media: {"schema": {"$ref": _REF + ref_name}} for media in REQUEST_MEDIA_TYPES},
    }


def _params(*names: str) -> list[dict]:
    return [{"$ref": _PARAMETER_REF + name} for name in names]


def _operation(operation_id, summary, success: dict, errors=(), parameters=(), body=None) -> dict:
    responses = dict(success)
    for status in sorted(set(_ALWAYS) | set(errors)):
        responses[status] = {"$ref": _RESPONSE_REF + status}
    operation: dict = {"operationId": operation_id, "summary": summary, "responses": dict(sorted(responses.items()))}
    if parameters:
        operation["parameters"] = list(parameters)
    if body is not None:
        operation["requestBody"] = body
    return operation


_ETAG = {"ETag": {"description": "The resource's version (RFC 7644 §3.14).", "schema": {"type": "string"}}}
_BODY_ERRORS = ("413", "415")
_LIST_PARAMS = ("filter", "startIndex", "count", "sortBy", "sortOrder", "attributes", "excludedAttributes")
_PROJECTION = ("attributes", "excludedAttributes")


def _resource_paths(resource_type: ResourceType) -> dict:
    name = resource_type.id  # User, Group
    endpoint = resource_type.endpoint
    plural = endpoint.lstrip("/")
    one = lambda description: {  # noqa: E731
        "description": description,
        "headers": _ETAG,
        "content": _json(name),
    }
    patch_success: dict = {"200": one(f"The {name.lower()} after the change.")}
    if resource_type is GROUP:
        # Groups answer 204 unless the query asks for attributes (views/resources.py).
        patch_success["204"] = {"description": "Changed; no body unless attributes are asked for.", "headers": _ETAG}
    listing = {"200": {"description": "A page of results.", "content": _json(f"{name}ListResponse")}}
    return {
        endpoint: {
            "get": _operation(
                f"list{plural}", f"List or filter {plural} (RFC 7644 §3.4.2)", listing, parameters=_params(*_LIST_PARAMS)
            ),
            "post": _operation(
                f"create{name}",
                f"Create a {name.lower()} (RFC 7644 §3.3)",
                {
                    "201": {
                        "description": "Created.",
                        "headers": {
                            **_ETAG,
                            "Location": {"description": "The new resource's URI.", "schema": {"type": "string"}},
                        },
                        "content": _json(name),
                    }
                },
                errors=("409", *_BODY_ERRORS),
                parameters=_params(*_PROJECTION),
                body=_body(f"{name}Request", f"The {name.lower()} to create."),
            ),
        },
        f"{endpoint}/.search": {
            "post": _operation(
                f"search{plural}",
                f"Search {plural} with a SearchRequest (RFC 7644 §3.4.3)",
                listing,
                errors=_BODY_ERRORS,
                body=_body("SearchRequest", "The search."),
            )
        },
        f"{endpoint}/{{id}}": {
            "parameters": _params("id"),
            "get": _operation(
                f"get{name}",
                f"Get one {name.lower()} (RFC 7644 §3.4.1)",
                {"200": one(f"The {name.lower()}."), "304": {"description": "Not modified (If-None-Match).", "headers": _ETAG}},
                errors=("404",),
                parameters=_params(*_PROJECTION, "If-None-Match"),
            ),
            "put": _operation(
                f"replace{name}",
                f"Replace a {name.lower()} (RFC 7644 §3.5.1)",
                {"200": one(f"The {name.lower()} as replaced.")},
                errors=("404", "409", "412", *_BODY_ERRORS),
                parameters=_params(*_PROJECTION, "If-Match"),
                body=_body(f"{name}Request", f"The whole {name.lower()}."),
            ),
            "patch": _operation(
                f"patch{name}",
                f"Change a {name.lower()} (RFC 7644 §3.5.2)",
                patch_success,
                errors=("404", "409", "412", *_BODY_ERRORS),
                parameters=_params(*_PROJECTION, "If-Match"),
                body=_body("PatchOp", "The operations, applied all or none."),
            ),
            "delete": _operation(
                f"delete{name}",
                f"Delete a {name.lower()} (RFC 7644 §3.6)",
                {"204": {"description": "Deleted."}},
                errors=("404", "412"),
                parameters=_params("If-Match"),
            ),
        },
    }


def _discovery_paths() -> dict:
    return {
        "/ServiceProviderConfig": {
            "get": _operation(
                "getServiceProviderConfig",
                "What this service provider supports (RFC 7644 §4)",
                {"200": {"description": "The configuration.", "content": _json("ServiceProviderConfig")}},
            )
        },
        "/ResourceTypes": {
            "get": _operation(
                "listResourceTypes",
                "Every resource type (RFC 7644 §4)",
                {"200": {"description": "User and Group.", "content": _json("ResourceTypeListResponse")}},
            )
        },
        "/ResourceTypes/{id}": {
            "parameters": _params("id"),
            "get": _operation(
                "getResourceType",
                "One resource type, by id (User, Group)",
                {"200": {"description": "The resource type.", "content": _json("ResourceTypeDocument")}},
                errors=("404",),
            ),
        },
        "/Schemas": {
            "get": _operation(
                "listSchemas",
                "Every schema (RFC 7644 §4)",
                {"200": {"description": "The schemas.", "content": _json("SchemaListResponse")}},
            )
        },
        "/Schemas/{id}": {
            "parameters": _params("id"),
            "get": _operation(
                "getSchema",
                "One schema, by its URN",
                {"200": {"description": "The schema.", "content": _json("SchemaDocument")}},
                errors=("404",),
            ),
        },
    }


def openapi_document(base_url: str, max_page_size: int) -> dict:
    """The OpenAPI 3.1 document of the SCIM API served at ``base_url`` (one instance)."""
    paths: dict = {}
    paths.update(_resource_paths(USER))
    paths.update(_resource_paths(GROUP))
    paths["/.search"] = {
        "post": _operation(
            "searchAll",
            "Search Users and Groups together (RFC 7644 §3.4.3): users first, then groups",
            {"200": {"description": "A page of results.", "content": _json("ResourceListResponse")}},
            errors=_BODY_ERRORS,
            body=_body("SearchRequest", "The search."),
        )
    }
    paths.update(_discovery_paths())
    paths["/openapi.json"] = {
        "get": _operation(
            "getOpenApiDocument",
            "This document",
            {
                "200": {
                    "description": "The OpenAPI document of this instance's SCIM API.",
                    "content": {"application/json": {"schema": {"type": "object", "required": ["openapi", "paths"]}}},
                }
            },
        )
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "LivePreso SCIM 2.0 API",
            "version": "2.0",
            "description": (
                "SCIM 2.0 (RFC 7643, RFC 7644) for one LivePreso HQ instance, as Okta and Microsoft Entra ID "
                "provision it. Every request needs the instance's bearer token."
            ),
        },
        "servers": [{"url": base_url, "description": "This instance's SCIM base URL."}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": _components(max_page_size),
    }
