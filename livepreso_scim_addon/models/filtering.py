"""SCIM filters (a parse tree from ``scim.filter``) compiled to one SQL WHERE clause.

Nothing is filtered in Python: every comparison becomes SQL over ``scim_users`` or an
EXISTS over ``scim_user_values``. Each leaf is NULL-safe (it yields true or false,
never NULL), so ``not (title eq "x")`` also finds users without a title, as RFC 7644
§3.4.2.2 reads. Attributes that are not caseExact compare lower-cased; userName uses
its stored lower-cased copy so Okta's existence check is an index lookup.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, and_, exists, false, func, not_, or_, select, true
from sqlalchemy.sql import ColumnElement

from ..scim import filter as scim_filter
from ..scim.errors import invalid_filter
from ..scim.schemas import USER, Attribute
from .scim import ScimUser, ScimUserValue
from .user_map import MULTI_COLUMNS, SCALAR_COLUMNS

_META_COLUMNS = {"created": ScimUser.created_at, "lastModified": ScimUser.updated_at}


def user_filter(node) -> ColumnElement[bool]:
    """The WHERE clause for a parsed User filter (RFC 7644 §3.4.2.2)."""
    scim_filter.validate_filter(USER, node)
    return _compile(node)


def _compile(node) -> ColumnElement[bool]:
    if isinstance(node, scim_filter.And):
        return and_(_compile(node.left), _compile(node.right))
    if isinstance(node, scim_filter.Or):
        return or_(_compile(node.left), _compile(node.right))
    if isinstance(node, scim_filter.Not):
        return not_(_compile(node.expr))
    if isinstance(node, scim_filter.ValuePath):
        top, _, _ = scim_filter.resolve(USER, node.path)
        return _exists_value(top, _compile_value_filter(node.filter, top))
    if isinstance(node, scim_filter.Present):
        top, sub, schema = scim_filter.resolve(USER, node.path)
        if top.type == "complex" and sub is None:
            return _complex_present(node, top, schema)
    top, sub, schema = scim_filter.resolve_filter_attribute(USER, node.path)
    if top.multi_valued:
        column = getattr(ScimUserValue, _multi_column(top, sub))
        return _exists_value(top, _leaf(node, column, sub))
    return _leaf(node, *_scalar(top, sub, schema))


def _complex_present(node, top: Attribute, schema) -> ColumnElement[bool]:
    """``emails pr``: any value at all; ``name pr``: any of its sub-attributes."""
    if top.multi_valued:
        return _exists_value(top, true())
    if top.name == "meta":
        return true()
    return or_(*(_leaf(node, *_scalar(top, sub, schema)) for sub in top.sub_attributes))


def _compile_value_filter(node, top: Attribute) -> ColumnElement[bool]:
    """A filter inside ``emails[...]``: its paths name sub-attributes of ``top``."""
    if isinstance(node, scim_filter.And):
        return and_(_compile_value_filter(node.left, top), _compile_value_filter(node.right, top))
    if isinstance(node, scim_filter.Or):
        return or_(_compile_value_filter(node.left, top), _compile_value_filter(node.right, top))
    if isinstance(node, scim_filter.Not):
        return not_(_compile_value_filter(node.expr, top))
    sub = top.sub(node.path.attr)
    if sub is None or isinstance(node, scim_filter.ValuePath):
        raise invalid_filter(f"Unknown attribute '{top.name}.{node.path.attr}' in filter.")
    return _leaf(node, getattr(ScimUserValue, _multi_column(top, sub)), sub)


def _exists_value(top: Attribute, condition) -> ColumnElement[bool]:
    if top.name not in MULTI_COLUMNS:
        raise invalid_filter(f"Attribute '{top.name}' cannot be filtered on.")
    return exists(
        select(ScimUserValue.pk).where(
            ScimUserValue.user_pk == ScimUser.pk,
            ScimUserValue.attribute == top.name,
            condition,
        )
    )


def _multi_column(top: Attribute, sub: Attribute | None) -> str:
    columns = MULTI_COLUMNS.get(top.name, {})
    if sub is None or sub.name not in columns:
        raise invalid_filter(f"Attribute '{top.name}.{sub.name if sub else ''}' cannot be filtered on.")
    return columns[sub.name]


def _scalar(top: Attribute, sub: Attribute | None, schema):
    """The column (or constant) behind a singular attribute, and its definition."""
    if top.name == "id":
        return ScimUser.id, top
    if top.name == "meta":
        if sub is not None and sub.name in _META_COLUMNS:
            return _META_COLUMNS[sub.name], sub
        if sub is not None and sub.name == "resourceType":
            return "User", sub
        raise invalid_filter("Only meta.created, meta.lastModified and meta.resourceType can be filtered on.")
    urn = None if schema is None or schema is USER.schema else schema.id
    column = SCALAR_COLUMNS.get((urn, top.name, sub.name if sub else None))
    if column is None:
        raise invalid_filter(f"Attribute '{top.name}' cannot be filtered on.")
    return getattr(ScimUser, column), (sub or top)


def _leaf(node, column, attribute: Attribute) -> ColumnElement[bool]:
    if isinstance(column, str):  # a constant such as meta.resourceType
        if isinstance(node, scim_filter.Present):
            return true()
        matches = _python_compare(column, node.op, node.value)
        return true() if matches else false()
    if isinstance(node, scim_filter.Present):
        present = column.is_not(None)
        if attribute.type in ("string", "reference"):
            present = and_(present, column != "")
        return present
    return _compare(column, attribute, node.op, node.value)


def _compare(column, attribute: Attribute, op: str, value) -> ColumnElement[bool]:
    if value is None:
        # "eq null" asks for absence, "ne null" for presence (RFC 7643 §2.5).
        if op == "eq":
            return column.is_(None)
        if op == "ne":
            return column.is_not(None)
        raise invalid_filter(f"'{op}' cannot compare with null.")
    if attribute.type == "boolean":
        return _null_safe(column, op, column, value)
    if attribute.type == "dateTime":
        if op in ("co", "sw", "ew"):
            raise invalid_filter(f"'{op}' does not apply to the dateTime attribute '{attribute.name}'.")
        return _null_safe(column, op, column, _parse_datetime(value))
    expression, value = column, str(value)
    if "\x00" in value:
        raise invalid_filter("Filter values cannot contain NUL characters.")
    if column is ScimUser.user_name:
        # The stored lower-cased copy: uniqueness and lookups share its index.
        expression, value = ScimUser.user_name_ci, value.lower()
    elif not attribute.case_exact:
        expression, value = func.lower(column, type_=String), value.lower()
    return _null_safe(column, op, expression, value)


def _null_safe(column, op: str, expression, value) -> ColumnElement[bool]:
    """Compare, true or false but never NULL: absence only satisfies ``ne``."""
    if op == "ne":
        return or_(column.is_(None), expression != value)
    if op == "eq":
        comparison = expression == value
    elif op == "co":
        comparison = expression.contains(value, autoescape=True)
    elif op == "sw":
        comparison = expression.startswith(value, autoescape=True)
    elif op == "ew":
        comparison = expression.endswith(value, autoescape=True)
    elif op == "gt":
        comparison = expression > value
    elif op == "ge":
        comparison = expression >= value
    elif op == "lt":
        comparison = expression < value
    elif op == "le":
        comparison = expression <= value
    else:  # the parser admits no other operator
        raise invalid_filter(f"Unknown operator '{op}'.")
    return and_(column.is_not(None), comparison)


def _python_compare(constant: str, op: str, value) -> bool:
    if not isinstance(value, str):
        return op == "ne"
    left, right = constant.lower(), value.lower()
    return {
        "eq": left == right,
        "ne": left != right,
        "co": right in left,
        "sw": left.startswith(right),
        "ew": left.endswith(right),
        "gt": left > right,
        "ge": left >= right,
        "lt": left < right,
        "le": left <= right,
    }[op]


def _parse_datetime(value) -> dt.datetime:
    """An RFC 3339 timestamp as naive UTC, the form the database stores."""
    if not isinstance(value, str):
        raise invalid_filter(f"Expected an RFC 3339 dateTime, got {value!r}.")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise invalid_filter(f"Expected an RFC 3339 dateTime, got {value!r}.") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed


def user_sort_key(path_text: str):
    """The ORDER BY expression for ``sortBy`` (RFC 7644 §3.4.2.3).

    A multi-valued attribute sorts by its primary value, else its first one.
    """
    path = scim_filter.parse_path(path_text)
    if path.filter is not None:
        raise invalid_filter("sortBy takes an attribute path, not a filter.")
    top, sub, schema = scim_filter.resolve_filter_attribute(USER, path.attr)
    if top.multi_valued:
        column = getattr(ScimUserValue, _multi_column(top, sub))
        if sub is not None and not sub.case_exact and sub.type == "string":
            column = func.lower(column, type_=String)
        return (
            select(column)
            .where(ScimUserValue.user_pk == ScimUser.pk, ScimUserValue.attribute == top.name)
            .order_by(ScimUserValue.primary.is_(True).desc(), ScimUserValue.position)
            .limit(1)
            .correlate(ScimUser)
            .scalar_subquery()
        )
    column, attribute = _scalar(top, sub, schema)
    if isinstance(column, str):
        return None  # a constant: sorting by it changes nothing
    if column is ScimUser.user_name:
        return ScimUser.user_name_ci
    if attribute.type == "string" and not attribute.case_exact:
        return func.lower(column, type_=String)
    return column
