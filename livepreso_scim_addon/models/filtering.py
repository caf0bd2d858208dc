"""SCIM filters (a parse tree from ``scim.filter``) compiled to one SQL WHERE clause.

Nothing is filtered in Python: every comparison becomes SQL over the resource's table
or an EXISTS over the rows of a multi-valued attribute (``models.maps``). Each leaf
is NULL-safe (it yields true or false, never NULL), so ``not (title eq "x")`` also
finds users without a title, as RFC 7644 §3.4.2.2 reads. Attributes that are not
caseExact compare lower-cased; those with a stored key (userName: ``user_name_key``,
a group's displayName: lower-cased) compare the key of the value with the key, so
the lookup is an index lookup. ``co``, ``sw`` and ``ew`` then work on keys: "straß"
starts "Strasse", and "cafe" does not start "café" typed in NFD (the key holds é as
one character: the name starts with é, not e).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, String, and_, exists, false, func, not_, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from ..scim import filter as scim_filter
from ..scim.errors import invalid_filter
from ..scim.schemas import Attribute
from .maps import ResourceMap


def compile_filter(resource: ResourceMap, node) -> ColumnElement[bool]:
    """The WHERE clause for a parsed filter (RFC 7644 §3.4.2.2)."""
    scim_filter.validate_filter(resource.resource_type, node)
    return _Compiler(resource).compile(node)


def unique_key(resource: ResourceMap, node) -> str | None:
    """The stored key that an equality on the resource's unique name asks for (Okta's
    ``userName eq "x"`` before every create, a group's ``displayName eq "x"``), or None for
    any other filter. Such a filter matches one row or none, so the page is read in one
    statement by that key (``ResourceMap.read_by_key``), with no page of keys first.

    Any other filter is left to :func:`compile_filter`, which validates it. For a string
    equality, resolving its attribute is all the validation there is (``validate_filter``
    does the same, with the same errors), so no filter is validated twice."""
    if not (isinstance(node, scim_filter.Compare) and node.op == "eq" and isinstance(node.value, str)):
        return None
    top, sub, schema = scim_filter.resolve_filter_attribute(resource.resource_type, node.path)
    folded = resource.folded.get(top.name)
    if folded is None or sub is not None or schema not in (None, resource.resource_type.schema) or "\x00" in node.value:
        return None
    return folded.key(node.value)


def compile_value_filter(resource: ResourceMap, attribute: str, node) -> ColumnElement[bool]:
    """The condition for ``members[value eq "..."]`` on the rows of ``attribute``."""
    top = resource.resource_type.schema.attribute(attribute)
    scim_filter.validate_value_filter(top, node)
    return _Compiler(resource)._value_filter(node, top)


def sort_key(resource: ResourceMap, path_text: str):
    """The ORDER BY expression for ``sortBy`` (RFC 7644 §3.4.2.3), or None for a constant.

    A multi-valued attribute sorts by its primary value, else its first one.
    """
    return _Compiler(resource).sort_key(path_text)


class _Compiler:
    def __init__(self, resource: ResourceMap):
        self.resource = resource
        self.resource_type = resource.resource_type

    def compile(self, node) -> ColumnElement[bool]:
        if isinstance(node, scim_filter.And):
            return and_(self.compile(node.left), self.compile(node.right))
        if isinstance(node, scim_filter.Or):
            return or_(self.compile(node.left), self.compile(node.right))
        if isinstance(node, scim_filter.Not):
            return not_(self.compile(node.expr))
        if isinstance(node, scim_filter.ValuePath):
            top, _, _ = scim_filter.resolve(self.resource_type, node.path)
            return self._exists(top, self._value_filter(node.filter, top))
        if isinstance(node, scim_filter.Present):
            top, sub, schema = scim_filter.resolve(self.resource_type, node.path)
            if top.type == "complex" and sub is None:
                return self._complex_present(node, top, schema)
        top, sub, schema = scim_filter.resolve_filter_attribute(self.resource_type, node.path)
        if top.multi_valued:
            return self._exists(top, _leaf(node, self._multi_column(top, sub), sub))
        return _leaf(node, *self._scalar(top, sub, schema))

    def _complex_present(self, node, top: Attribute, schema) -> ColumnElement[bool]:
        """``emails pr``: any value at all; ``name pr``: any of its sub-attributes."""
        if top.multi_valued:
            return self._exists(top, true())
        if top.name == "meta":
            return true()
        return or_(*(_leaf(node, *self._scalar(top, sub, schema)) for sub in top.sub_attributes))

    def _value_filter(self, node, top: Attribute) -> ColumnElement[bool]:
        """A filter inside ``emails[...]``: its paths name sub-attributes of ``top``."""
        if isinstance(node, scim_filter.And):
            return and_(self._value_filter(node.left, top), self._value_filter(node.right, top))
        if isinstance(node, scim_filter.Or):
            return or_(self._value_filter(node.left, top), self._value_filter(node.right, top))
        if isinstance(node, scim_filter.Not):
            return not_(self._value_filter(node.expr, top))
        sub = top.sub(node.path.attr)  # validate_filter has checked it exists
        return _leaf(node, self._multi_column(top, sub), sub)

    def _exists(self, top: Attribute, condition) -> ColumnElement[bool]:
        multi = self.resource.multi.get(top.name)
        if multi is None:
            raise invalid_filter(f"Attribute '{top.name}' cannot be filtered on.")
        return exists(multi.rows().where(condition))

    def _multi_column(self, top: Attribute, sub: Attribute | None):
        multi = self.resource.multi.get(top.name)
        if multi is None or sub is None or sub.name not in multi.columns:
            name = f"{top.name}.{sub.name}" if sub else top.name
            raise invalid_filter(f"Attribute '{name}' cannot be filtered on.")
        return multi.columns[sub.name]

    def _scalar(self, top: Attribute, sub: Attribute | None, schema):
        """The column (or constant) behind a singular attribute, and its definition."""
        if top.name == "meta":
            if sub is not None and sub.name in self.resource.meta:
                return self.resource.meta[sub.name], sub
            if sub is not None and sub.name == "resourceType":
                return self.resource_type.id, sub
            raise invalid_filter("Only meta.created, meta.lastModified and meta.resourceType can be filtered on.")
        urn = None if schema is None or schema is self.resource_type.schema else schema.id
        column = self.resource.scalars.get((urn, top.name, sub.name if sub else None))
        if column is None:
            raise invalid_filter(f"Attribute '{top.name}' cannot be filtered on.")
        attribute = sub or top
        folded = self.resource.folded.get(attribute.name) if sub is None else None
        return (_Folded(column, folded.column, folded.key) if folded is not None else column), attribute

    def sort_key(self, path_text: str):
        path = scim_filter.parse_path(path_text)
        if path.filter is not None:
            raise invalid_filter("sortBy takes an attribute path, not a filter.")
        top, sub, schema = scim_filter.resolve_filter_attribute(self.resource_type, path.attr)
        if top.multi_valued:
            multi = self.resource.multi.get(top.name)
            column = _sortable(self._multi_column(top, sub), sub)
            rows = multi.rows().with_only_columns(column)
            primary = multi.columns.get("primary")
            if primary is not None:
                rows = rows.order_by(primary.is_(True).desc())
            return rows.order_by(*multi.order).limit(1).scalar_subquery()
        column, attribute = self._scalar(top, sub, schema)
        if isinstance(column, str):
            return None  # a constant: sorting by it changes nothing
        if isinstance(column, _Folded):
            return column.folded
        return _sortable(column, attribute)


class _Folded:
    """A string column with a stored key that has the index, and how a value becomes a key."""

    def __init__(self, column, folded, key):
        self.column = column
        self.folded = folded
        self.key = key


def _sortable(column, attribute: Attribute):
    if attribute.type == "string" and not attribute.case_exact:
        return func.lower(column, type_=String)
    return column


def _leaf(node, column, attribute: Attribute) -> ColumnElement[bool]:
    if isinstance(column, str):  # a constant such as meta.resourceType
        if isinstance(node, scim_filter.Present):
            return true()
        return true() if _python_compare(column, node.op, node.value, attribute.case_exact) else false()
    plain = column.column if isinstance(column, _Folded) else column
    if isinstance(node, scim_filter.Present):
        present = plain.is_not(None)
        if attribute.type in ("string", "reference"):
            present = and_(present, plain != "")
        return present
    return _compare(column, attribute, node.op, node.value)


def _compare(column, attribute: Attribute, op: str, value) -> ColumnElement[bool]:
    plain = column.column if isinstance(column, _Folded) else column
    if value is None:
        # "eq null" asks for absence, "ne null" for presence (RFC 7643 §2.5).
        return plain.is_(None) if op == "eq" else plain.is_not(None)
    if attribute.type == "boolean":
        return _null_safe(plain, op, plain, value)
    if attribute.type == "dateTime":
        if op in ("co", "sw", "ew"):
            raise invalid_filter(f"'{op}' does not apply to the dateTime attribute '{attribute.name}'.")
        return _null_safe(plain, op, plain, _parse_datetime(value))
    value = str(value)
    if "\x00" in value:
        raise invalid_filter("Filter values cannot contain NUL characters.")
    if isinstance(column, _Folded):
        expression, value = column.folded, column.key(value)
    elif not attribute.case_exact:
        expression, value = func.lower(plain, type_=String), value.lower()
    elif op in _CASE_EXACT_MATCHES:
        # LIKE ignores case on SQLite unless the connection says otherwise, and a host's
        # own engine need not: these compare characters on every engine.
        return and_(plain.is_not(None), true() if value == "" else _CASE_EXACT_MATCHES[op](plain, value))
    else:
        expression = plain
    return _null_safe(plain, op, expression, value)


def _null_safe(column, op: str, expression, value) -> ColumnElement[bool]:
    """Compare, true or false but never NULL: absence only satisfies ``ne``."""
    if op == "ne":
        return or_(column.is_(None), expression != value)
    comparisons = {
        "eq": lambda: expression == value,
        "co": lambda: expression.contains(value, autoescape=True),
        "sw": lambda: expression.startswith(value, autoescape=True),
        "ew": lambda: expression.endswith(value, autoescape=True),
        "gt": lambda: expression > value,
        "ge": lambda: expression >= value,
        "lt": lambda: expression < value,
        "le": lambda: expression <= value,
    }
    return and_(column.is_not(None), comparisons[op]())


class _ExactContains(FunctionElement):
    """``haystack co needle``, case-sensitively, on any engine."""

    type = Boolean()
    inherit_cache = True


class _ExactStartsWith(FunctionElement):
    type = Boolean()
    inherit_cache = True


class _ExactEndsWith(FunctionElement):
    type = Boolean()
    inherit_cache = True


_CASE_EXACT_MATCHES = {"co": _ExactContains, "sw": _ExactStartsWith, "ew": _ExactEndsWith}

#: PostgreSQL and SQLite spell them differently; neither depends on a connection setting.
#: ``h()`` and ``n()`` compile the haystack and the needle anew at each use: SQLite's
#: "?" parameters are positional, so a needle used twice is bound twice.
_SQL = {
    (_ExactContains, "postgresql"): lambda h, n: f"strpos({h()}, {n()}) > 0",
    (_ExactStartsWith, "postgresql"): lambda h, n: f"left({h()}, length({n()})) = {n()}",
    (_ExactEndsWith, "postgresql"): lambda h, n: f"right({h()}, length({n()})) = {n()}",
    (_ExactContains, "sqlite"): lambda h, n: f"instr({h()}, {n()}) > 0",
    (_ExactStartsWith, "sqlite"): lambda h, n: f"substr({h()}, 1, length({n()})) = {n()}",
    (_ExactEndsWith, "sqlite"): lambda h, n: f"substr({h()}, -length({n()})) = {n()}",  # never empty: see above
}


@compiles(_ExactContains)
@compiles(_ExactStartsWith)
@compiles(_ExactEndsWith)
def _compile_case_exact(element, compiler, **kw):
    haystack, needle = element.clauses
    dialect = "sqlite" if compiler.dialect.name == "sqlite" else "postgresql"
    sql = _SQL[(type(element), dialect)](lambda: compiler.process(haystack, **kw), lambda: compiler.process(needle, **kw))
    return f"({sql})"


def _python_compare(constant: str, op: str, value, case_exact: bool) -> bool:
    """A filter on a constant (``meta.resourceType``), decided here; caseExact as declared."""
    if not isinstance(value, str):
        return op == "ne"
    left, right = (constant, value) if case_exact else (constant.lower(), value.lower())
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
