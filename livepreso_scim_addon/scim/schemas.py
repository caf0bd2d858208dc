"""The SCIM schemas this add-on stores (RFC 7643 §4, §8.7.1), as data.

One definition serves three purposes: the discovery documents (``/Schemas``), input
validation (a colander schema built from it) and the attribute metadata the filter
compiler and PATCH engine need (case-exactness, multi-valuedness, mutability).
Only attributes that are really stored are declared: a SCIM client that writes every
published attribute reads every one of them back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import colander

from . import leniency
from .errors import invalid_syntax, invalid_value

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
#: The longest string any attribute may hold, in characters; longer is invalidValue.
MAX_STRING_LENGTH = 1024
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@dataclass(frozen=True)
class Attribute:
    """One attribute definition (RFC 7643 §7)."""

    name: str
    type: str = "string"
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    description: str = ""
    sub_attributes: tuple[Attribute, ...] = ()
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()

    def sub(self, name: str) -> Attribute | None:
        """The sub-attribute called ``name``; attribute names are case-insensitive."""
        wanted = name.lower()
        for attribute in self.sub_attributes:
            if attribute.name.lower() == wanted:
                return attribute
        return None

    @property
    def read_only(self) -> bool:
        return self.mutability == "readOnly"

    def to_document(self) -> dict:
        doc = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "mutability": self.mutability,
            "returned": self.returned,
        }
        if self.type in ("string", "reference", "binary"):
            doc["caseExact"] = self.case_exact
        if self.type != "complex":
            doc["uniqueness"] = self.uniqueness
        if self.canonical_values:
            doc["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            doc["referenceTypes"] = list(self.reference_types)
        if self.sub_attributes:
            doc["subAttributes"] = [a.to_document() for a in self.sub_attributes]
        return doc


@dataclass(frozen=True)
class Schema:
    """A schema (RFC 7643 §7): an id and its top-level attributes."""

    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]

    def attribute(self, name: str) -> Attribute | None:
        wanted = name.lower()
        for attribute in self.attributes:
            if attribute.name.lower() == wanted:
                return attribute
        return None

    def to_document(self, location: str) -> dict:
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.to_document() for a in self.attributes],
            "meta": {"resourceType": "Schema", "location": location},
        }


@dataclass(frozen=True)
class ResourceType:
    """A resource type (RFC 7643 §6): a core schema plus optional extensions."""

    id: str
    endpoint: str
    description: str
    schema: Schema
    extensions: tuple[Schema, ...] = field(default=())

    @property
    def schema_ids(self) -> tuple[str, ...]:
        return (self.schema.id, *(e.id for e in self.extensions))

    def extension(self, urn: str) -> Schema | None:
        wanted = urn.lower()
        for extension in self.extensions:
            if extension.id.lower() == wanted:
                return extension
        return None

    def schema_for(self, urn: str | None) -> Schema | None:
        """The core schema (no URN or its own) or the extension named by ``urn``."""
        if urn is None or urn.lower() == self.schema.id.lower():
            return self.schema
        return self.extension(urn)

    def split_urn(self, path: str) -> tuple[Schema | None, str]:
        """Split ``urn:...:User:name.givenName`` into its schema and the rest.

        Attribute names never contain ``:``, so the URN is everything up to the
        last colon when it names a schema of this resource type (RFC 7644 §3.10).
        """
        if ":" not in path:
            return self.schema, path
        urn, _, rest = path.rpartition(":")
        schema = self.schema_for(urn)
        if schema is None and self.schema_for(path) is not None:
            return self.schema_for(path), ""
        return schema, rest

    def to_document(self, location: str) -> dict:
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": self.id,
            "name": self.id,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
            "schemaExtensions": [{"schema": e.id, "required": False} for e in self.extensions],
            "meta": {"resourceType": "ResourceType", "location": location},
        }


def _attribute(name, description, **kw) -> Attribute:
    """An attribute definition; a string unless ``type`` says otherwise (RFC 7643 §7)."""
    return Attribute(name=name, description=description, **kw)


_TYPE = ("work", "home", "other")

_EMAIL = _attribute(
    "emails",
    "Email addresses for the user.",
    type="complex",
    multi_valued=True,
    sub_attributes=(
        _attribute("value", "Email address for the user."),
        _attribute("display", "A human-readable name, primarily used for display purposes."),
        _attribute("type", "A label indicating the attribute's function.", canonical_values=_TYPE),
        _attribute("primary", "Indicates the primary email address.", type="boolean"),
    ),
)
_PHONE = _attribute(
    "phoneNumbers",
    "Phone numbers for the user.",
    type="complex",
    multi_valued=True,
    sub_attributes=(
        _attribute("value", "Phone number of the user."),
        _attribute("display", "A human-readable name, primarily used for display purposes."),
        _attribute(
            "type",
            "A label indicating the attribute's function.",
            canonical_values=("work", "home", "mobile", "fax", "pager", "other"),
        ),
        _attribute("primary", "Indicates the primary phone number.", type="boolean"),
    ),
)
_ADDRESS = _attribute(
    "addresses",
    "A physical mailing address for this user.",
    type="complex",
    multi_valued=True,
    sub_attributes=(
        _attribute("formatted", "The full mailing address, formatted for display."),
        _attribute("streetAddress", "The full street address component."),
        _attribute("locality", "The city or locality component."),
        _attribute("region", "The state or region component."),
        _attribute("postalCode", "The zip code or postal code component."),
        _attribute("country", "The country name component."),
        _attribute("type", "A label indicating the attribute's function.", canonical_values=_TYPE),
        _attribute("primary", "Indicates the primary mailing address.", type="boolean"),
    ),
)

ID = _attribute(
    "id",
    "Unique identifier for the SCIM resource, assigned by the service provider.",
    case_exact=True,
    mutability="readOnly",
    returned="always",
    uniqueness="server",
)
EXTERNAL_ID = _attribute(
    "externalId", "Identifier of the resource in the provisioning client.", case_exact=True
)

USER_SCHEMA = Schema(
    id=CORE_USER,
    name="User",
    description="User Account",
    attributes=(
        ID,
        EXTERNAL_ID,
        _attribute(
            "userName",
            "Unique identifier for the User, used to sign in.",
            required=True,
            uniqueness="server",
        ),
        _attribute(
            "name",
            "The components of the user's real name.",
            type="complex",
            sub_attributes=(
                _attribute("formatted", "The full name, formatted for display."),
                _attribute("familyName", "The family name of the User."),
                _attribute("givenName", "The given name of the User."),
                _attribute("middleName", "The middle name(s) of the User."),
                _attribute("honorificPrefix", "The honorific prefix(es) of the User."),
                _attribute("honorificSuffix", "The honorific suffix(es) of the User."),
            ),
        ),
        _attribute("displayName", "The name of the User, suitable for display to end-users."),
        _attribute("nickName", "The casual way to address the user."),
        _attribute("title", "The user's title, such as 'Vice President'."),
        _attribute("userType", "The relationship between the organization and the user."),
        _attribute("preferredLanguage", "The User's preferred written or spoken language."),
        _attribute("locale", "The User's default location for localization."),
        _attribute("timezone", "The User's time zone in the IANA Time Zone database format."),
        _attribute("active", "The User's administrative status.", type="boolean"),
        _attribute(
            "password",
            "Accepted on write for compatibility; never stored nor returned.",
            mutability="writeOnly",
            returned="never",
        ),
        _EMAIL,
        _PHONE,
        _ADDRESS,
        _attribute(
            "groups",
            "The groups the user belongs to, computed by the service provider.",
            type="complex",
            multi_valued=True,
            mutability="readOnly",
            sub_attributes=(
                _attribute("value", "The identifier of the Group.", case_exact=True, mutability="readOnly"),
                _attribute(
                    "$ref",
                    "The URI of the Group.",
                    type="reference",
                    mutability="readOnly",
                    reference_types=("Group",),
                ),
                _attribute("display", "The displayName of the Group.", mutability="readOnly"),
                _attribute(
                    "type",
                    "How the user is a member: 'direct'.",
                    mutability="readOnly",
                    canonical_values=("direct", "indirect"),
                ),
            ),
        ),
    ),
)

ENTERPRISE_USER_SCHEMA = Schema(
    id=ENTERPRISE_USER,
    name="EnterpriseUser",
    description="Enterprise User",
    attributes=(
        _attribute("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
        _attribute("costCenter", "Identifies the name of a cost center."),
        _attribute("organization", "Identifies the name of an organization."),
        _attribute("division", "Identifies the name of a division."),
        _attribute("department", "Identifies the name of a department."),
        _attribute(
            "manager",
            "The User's manager.",
            type="complex",
            sub_attributes=(
                _attribute("value", "The id of the SCIM resource representing the User's manager."),
            ),
        ),
    ),
)

USER = ResourceType(
    id="User",
    endpoint="/Users",
    description="User Account",
    schema=USER_SCHEMA,
    extensions=(ENTERPRISE_USER_SCHEMA,),
)

GROUP_SCHEMA = Schema(
    id=CORE_GROUP,
    name="Group",
    description="Group",
    attributes=(
        ID,
        EXTERNAL_ID,
        _attribute(
            "displayName",
            "A human-readable name for the Group, unique within the instance.",
            required=True,
            uniqueness="server",
        ),
        _attribute(
            "members",
            "The users in the group.",
            type="complex",
            multi_valued=True,
            sub_attributes=(
                _attribute("value", "The id of a User of this instance.", case_exact=True, mutability="immutable"),
                # As in RFC 7643 §8.7.1: value, $ref and type, all immutable; a client
                # may send them, the server derives $ref and type from the member. No
                # "display": what a client reads back is exactly what it wrote.
                _attribute(
                    "$ref",
                    "The URI of the member.",
                    type="reference",
                    mutability="immutable",
                    reference_types=("User",),
                ),
                _attribute(
                    "type",
                    "The type of the member: always 'User'.",
                    mutability="immutable",
                    canonical_values=("User",),
                ),
            ),
        ),
    ),
)

GROUP = ResourceType(id="Group", endpoint="/Groups", description="Group", schema=GROUP_SCHEMA)

#: Attributes every resource has; RFC 7643 §3.1 defines them outside any schema.
META_ATTRIBUTE = _attribute(
    "meta",
    "Resource metadata.",
    type="complex",
    mutability="readOnly",
    sub_attributes=(
        _attribute("resourceType", "The name of the resource type.", case_exact=True, mutability="readOnly"),
        _attribute("created", "When the resource was added.", type="dateTime", mutability="readOnly"),
        _attribute("lastModified", "When the resource was last updated.", type="dateTime", mutability="readOnly"),
        _attribute("location", "The URI of the resource.", type="reference", case_exact=True, mutability="readOnly"),
        _attribute("version", "The version (ETag) of the resource.", case_exact=True, mutability="readOnly"),
    ),
)

RESOURCE_TYPES: tuple[ResourceType, ...] = (USER, GROUP)
SCHEMAS: tuple[Schema, ...] = (USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA)


def common_attribute(name: str) -> Attribute | None:
    """``id``, ``externalId`` and ``meta``: the attributes of every resource."""
    for attribute in (ID, EXTERNAL_ID, META_ATTRIBUTE):
        if attribute.name.lower() == name.lower():
            return attribute
    return None


# --- input: canonical names, readOnly dropped, types checked with colander ----------


def _colander_type(attribute: Attribute):
    if attribute.type == "boolean":
        return _Boolean()
    if attribute.type == "integer":
        return colander.Integer()
    if attribute.type == "dateTime":
        return colander.DateTime()
    return _StrictString()


class _Boolean(colander.SchemaType):
    """A boolean as ``leniency.boolean`` reads it: true, false, or Entra's "True"/"False"."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        value = leniency.boolean(cstruct)
        if value is None:
            raise colander.Invalid(node, f"{node.name} must be true or false")
        return value


class _StrictString(colander.String):
    """A string, and nothing else: ``12`` for a name is an error, not ``"12"``.

    NUL characters are refused as PostgreSQL cannot store them in text.
    """

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, str):
            raise colander.Invalid(node, f"{node.name} must be a string")
        if len(cstruct) > MAX_STRING_LENGTH:
            raise colander.Invalid(node, f"{node.name} is longer than {MAX_STRING_LENGTH} characters")
        if "\x00" in cstruct:
            raise colander.Invalid(node, f"{node.name} contains a NUL character")
        return cstruct


def _node(attribute: Attribute) -> colander.SchemaNode:
    if attribute.type == "complex":
        node = colander.SchemaNode(colander.Mapping(unknown="ignore"), name=attribute.name, missing=colander.drop)
        for sub in attribute.sub_attributes:
            if not sub.read_only:
                node.add(_node(sub))
    else:
        node = colander.SchemaNode(_colander_type(attribute), name=attribute.name, missing=colander.drop)
    if attribute.multi_valued:
        node.missing = colander.required
        return colander.SchemaNode(
            colander.Sequence(accept_scalar=False), node, name=attribute.name, missing=colander.drop
        )
    return node


def _mapping(attributes) -> colander.SchemaNode:
    mapping = colander.SchemaNode(colander.Mapping(unknown="ignore"))
    for attribute in attributes:
        if not attribute.read_only:
            mapping.add(_node(attribute))
    return mapping


def _canonical(attributes, data: dict) -> dict:
    """Rename keys to their canonical case and drop nulls (RFC 7643 §2.5: null is unassigned)."""
    by_lower = {a.name.lower(): a for a in attributes}
    out = {}
    for key, value in data.items():
        attribute = by_lower.get(key.lower()) if isinstance(key, str) else None
        if attribute is None or value is None:
            continue
        if attribute.multi_valued and not isinstance(value, list):
            # RFC 7643 §2.4: the values of a multi-valued attribute are a JSON array.
            raise invalid_value(f"'{attribute.name}' is multi-valued: send its values as a list.")
        if attribute.type == "complex":
            if attribute.multi_valued:
                items = value
                value = [
                    _canonical(attribute.sub_attributes, v) if isinstance(v, dict) else v
                    for v in items
                    if v is not None
                ]
            else:
                value = leniency.bare_reference(attribute, value)  # Entra's manager id
                if isinstance(value, dict):
                    value = _canonical(attribute.sub_attributes, value)
        out[attribute.name] = value
    return out


def _without_empty(value):
    """Drop empty strings, lists and objects: SCIM treats them as unassigned."""
    if isinstance(value, dict):
        cleaned = {k: _without_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in ("", [], {}, None)}
    if isinstance(value, list):
        cleaned = [_without_empty(v) for v in value]
        return [v for v in cleaned if v not in ("", [], {}, None)]
    return value


_VALIDATORS: dict[str, colander.SchemaNode] = {}


def _validator(schema: Schema) -> colander.SchemaNode:
    if schema.id not in _VALIDATORS:
        _VALIDATORS[schema.id] = _mapping(schema.attributes)
    return _VALIDATORS[schema.id]


def _deserialize(schema: Schema, data: dict) -> dict:
    try:
        return _validator(schema).deserialize(_canonical(schema.attributes, data))
    except colander.Invalid as exc:
        messages = "; ".join(f"{k}: {v}" for k, v in exc.asdict().items())
        raise invalid_value(f"Invalid attribute value: {messages}") from None


def deserialize_resource(resource_type: ResourceType, body) -> dict:
    """Validate a POST or PUT body into a canonical resource dict (RFC 7644 §3.3, §3.5.1).

    Attribute names match case-insensitively; readOnly attributes (``id``, ``meta``,
    ``groups``) and unknown attributes and schemas are ignored, as Okta and Entra ID
    send some of each. Extension attributes stay under their schema URN key.
    """
    if not isinstance(body, dict):
        raise invalid_syntax("The request body must be a JSON object.")
    _check_schemas(resource_type, body)
    core = {}
    extensions: dict[str, dict] = {}
    for key, value in body.items():
        if not isinstance(key, str):
            continue
        extension = resource_type.extension(key)
        if extension is not None:
            if value is not None and not isinstance(value, dict):
                raise invalid_value(f"{extension.id} must be an object.")
            extensions[extension.id] = value or {}
        elif ":" in key:
            # A URN-prefixed attribute name ("urn:...:User:userName") or an unknown
            # schema: the former is a core or extension attribute, the latter ignored.
            schema, name = resource_type.split_urn(key)
            if schema is resource_type.schema:
                core[name] = value
            elif schema is not None:
                extensions.setdefault(schema.id, {})[name] = value
        else:
            core[key] = value
    resource = _without_empty(_deserialize(resource_type.schema, core))
    for urn, data in extensions.items():
        values = _without_empty(_deserialize(resource_type.extension(urn), data))
        if values:
            resource[urn] = values
    for attribute in resource_type.schema.attributes:
        if attribute.required and attribute.name not in resource:
            raise invalid_value(f"Attribute '{attribute.name}' is required.")
    resource.pop("password", None)  # accepted for Okta's sake, never kept
    _one_primary(resource_type.schema, resource)
    return resource


def _check_schemas(resource_type: ResourceType, body: dict) -> None:
    """``schemas`` is required and names the resource's core schema (RFC 7643 §3).

    Other URNs may be listed too: Entra ID adds its own, and they are ignored.
    """
    schemas = next((v for k, v in body.items() if isinstance(k, str) and k.lower() == "schemas"), None)
    urn = resource_type.schema.id
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise invalid_syntax(f"'schemas' must be a list of schema URNs that includes '{urn}'.")
    if urn.lower() not in (s.lower() for s in schemas):
        raise invalid_value(f"'schemas' must include '{urn}'.")


def _one_primary(schema: Schema, resource: dict) -> None:
    """At most one value of a multi-valued attribute may be primary (RFC 7643 §2.4)."""
    for attribute in schema.attributes:
        values = resource.get(attribute.name)
        if attribute.multi_valued and attribute.sub("primary") and isinstance(values, list):
            primaries = [v for v in values if v.get("primary")]
            if len(primaries) > 1:
                raise invalid_value(f"Only one of '{attribute.name}' may be primary.")


def format_datetime(value: dt.datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as SCIM's dateTime requires (RFC 7643 §2.3.5)."""
    # Stored times are naive UTC; an import page formats two per user, so keep it short.
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"
