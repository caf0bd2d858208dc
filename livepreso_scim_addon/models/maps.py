"""Where each SCIM attribute lives in the add-on's tables.

Shared by the services that read and write resources and by the filter compiler,
so an attribute is stored, returned and filtered on through one mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, bindparam, select
from sqlalchemy.sql import ColumnElement

from ..scim.schemas import ENTERPRISE_USER, GROUP, USER, ResourceType
from ..scim.text import user_name_key
from .reading import in_order, read_user_named, read_users
from .scim import ScimGroup, ScimMembership, ScimUser, ScimUserValue

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


# --- what the filter compiler needs: columns, and where multi-valued values live ----


@dataclass(frozen=True)
class MultiValued:
    """Where the values of one multi-valued attribute of a resource row are.

    ``rows()`` selects them correlated to the resource row; ``columns`` names the
    column behind each sub-attribute.
    """

    rows: Callable[[], Select]
    columns: dict[str, ColumnElement]
    #: the stored order of the values, after "primary" (RFC 7643 §2.4)
    order: tuple[ColumnElement, ...] = ()


@dataclass(frozen=True)
class Folded:
    """A string attribute's stored key (a folded copy with the unique index): filters
    and sorting use ``column``, with ``key`` applied to the filter's value."""

    column: ColumnElement
    key: Callable[[str], str]


@dataclass(frozen=True)
class ResourceMap:
    """A SCIM resource type laid over tables, for filters, sorting and reading pages."""

    resource_type: ResourceType
    model: type
    scalars: dict[tuple[str | None, str, str | None], ColumnElement]
    multi: dict[str, MultiValued]
    #: (db, primary keys) -> those rows, in that order, with what rendering them
    #: needs: how a page of this type is loaded, in one statement
    read: Callable
    #: (db, instance id, key) -> the rows, one or none, whose unique name (the one
    #: ``folded`` attribute with a unique index) has this key, read as ``read`` reads them
    read_by_key: Callable
    meta: dict[str, ColumnElement] = field(default_factory=dict)
    #: string attributes with a stored key: compare and sort on the key
    folded: dict[str, Folded] = field(default_factory=dict)


def _user_values(attribute: str) -> MultiValued:
    return MultiValued(
        rows=lambda: select(ScimUserValue.pk).where(
            ScimUserValue.user_pk == ScimUser.pk, ScimUserValue.attribute == attribute
        ),
        columns={sub: getattr(ScimUserValue, column) for sub, column in MULTI_COLUMNS[attribute].items()},
        order=(ScimUserValue.position,),
    )


USER_MAP = ResourceMap(
    resource_type=USER,
    model=ScimUser,
    scalars={
        (None, "id", None): ScimUser.id,
        **{key: getattr(ScimUser, column) for key, column in SCALAR_COLUMNS.items()},
    },
    multi={
        **{attribute: _user_values(attribute) for attribute in MULTI_COLUMNS},
        "groups": MultiValued(
            rows=lambda: select(ScimMembership.group_pk)
            .join(ScimGroup, ScimGroup.pk == ScimMembership.group_pk)
            .where(ScimMembership.user_pk == ScimUser.pk),
            columns={"value": ScimGroup.id, "display": ScimGroup.display_name},
        ),
    },
    meta={"created": ScimUser.created_at, "lastModified": ScimUser.updated_at},
    folded={"userName": Folded(ScimUser.user_name_ci, user_name_key)},
    read=read_users,
    read_by_key=read_user_named,
)


def _read_groups(db, pks: list[int]) -> list[ScimGroup]:
    # Entities: their members come in a batch of their own (GroupService.render).
    return in_order(db.scalars(select(ScimGroup).where(ScimGroup.pk.in_(pks))), pks) if pks else []


_GROUP_NAMED = select(ScimGroup).where(
    ScimGroup.instance_id == bindparam("instance_id"), ScimGroup.display_name_ci == bindparam("key")
)


def _read_group_named(db, instance_id: int, key: str) -> list[ScimGroup]:
    return list(db.scalars(_GROUP_NAMED, {"instance_id": instance_id, "key": key}))


GROUP_MAP = ResourceMap(
    resource_type=GROUP,
    model=ScimGroup,
    scalars={
        (None, "id", None): ScimGroup.id,
        (None, "externalId", None): ScimGroup.external_id,
        (None, "displayName", None): ScimGroup.display_name,
    },
    multi={
        "members": MultiValued(
            rows=lambda: select(ScimMembership.user_pk)
            .join(ScimUser, ScimUser.pk == ScimMembership.user_pk)
            .where(ScimMembership.group_pk == ScimGroup.pk),
            columns={"value": ScimUser.id},
        ),
    },
    meta={"created": ScimGroup.created_at, "lastModified": ScimGroup.updated_at},
    folded={"displayName": Folded(ScimGroup.display_name_ci, str.lower)},
    read=_read_groups,
    read_by_key=_read_group_named,
)
