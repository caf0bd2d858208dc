"""Where each SCIM User attribute lives in ``scim_users`` and ``scim_user_values``.

Shared by the service that reads and writes users and by the filter compiler, so
an attribute is stored, returned and filtered on through one mapping.
"""

from ..scim.schemas import ENTERPRISE_USER

#: (schema URN or None for core, attribute, sub-attribute or None) -> ScimUser column
SCALAR_COLUMNS: dict[tuple[str | None, str, str | None], str] = {
    (None, "externalId", None): "external_id",
    (None, "userName", None): "user_name",
    (None, "displayName", None): "display_name",
    (None, "nickName", None): "nick_name",
    (None, "title", None): "title",
    (None, "userType", None): "user_type",
    (None, "preferredLanguage", None): "preferred_language",
    (None, "locale", None): "locale",
    (None, "timezone", None): "timezone",
    (None, "active", None): "active",
    (None, "name", "formatted"): "name_formatted",
    (None, "name", "familyName"): "name_family",
    (None, "name", "givenName"): "name_given",
    (None, "name", "middleName"): "name_middle",
    (None, "name", "honorificPrefix"): "name_prefix",
    (None, "name", "honorificSuffix"): "name_suffix",
    (ENTERPRISE_USER, "employeeNumber", None): "employee_number",
    (ENTERPRISE_USER, "costCenter", None): "cost_center",
    (ENTERPRISE_USER, "organization", None): "organization",
    (ENTERPRISE_USER, "division", None): "division",
    (ENTERPRISE_USER, "department", None): "department",
    (ENTERPRISE_USER, "manager", "value"): "manager_id",
}

_SIMPLE_VALUE = {"value": "value", "display": "display", "type": "type", "primary": "primary"}

#: multi-valued attribute -> {sub-attribute: ScimUserValue column}
MULTI_COLUMNS: dict[str, dict[str, str]] = {
    "emails": _SIMPLE_VALUE,
    "phoneNumbers": _SIMPLE_VALUE,
    "addresses": {
        "formatted": "formatted",
        "streetAddress": "street_address",
        "locality": "locality",
        "region": "region",
        "postalCode": "postal_code",
        "country": "country",
        "type": "type",
        "primary": "primary",
    },
}
