"""Property: a filter's SQL (``compile_filter`` on USER_MAP, run on each database) finds
exactly the users a small in-memory reference finds over the same users' SCIM
representations (``services.users.to_resource``), the reference built on
``scim.filter.matches``. Strategies and settings: ``tests/common/properties.py``.

Where SQL and Python legitimately differ the generator, not the comparison, is narrowed
(each restriction is stated where it is made):

* non-caseExact attributes are lower()ed in SQL, casefolded in memory: string values use
  an alphabet whose only non-ASCII letters are lower-case or caseless, and no ß
  (``ALPHABET``); userName is compared by ``user_name_key`` in SQL, which agrees with
  casefold on NFC text, so its values may hold ß and upper-case non-ASCII;
* the arranged users follow the same alphabet;
* dateTimes are compared far from today (the users are created now): the representation
  keeps milliseconds, the column microseconds, and ``matches`` compares strings;
* ordering (gt/ge/lt/le) on strings is code-point order in Python, the database's
  collation in SQL: the test databases are C.UTF-8 (code-point order) and SQLite BINARY.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from sqlalchemy import select

from livepreso_scim_addon.models.filtering import compile_filter, unique_key
from livepreso_scim_addon.models.maps import USER_MAP
from livepreso_scim_addon.models.scim import ScimUser
from livepreso_scim_addon.scim.filter import (
    And,
    AttrPath,
    Compare,
    Not,
    Or,
    Present,
    ValuePath,
    matches,
    parse_filter,
    resolve,
    resolve_filter_attribute,
    value_path_attribute,
)
from livepreso_scim_addon.scim.errors import ScimError
from livepreso_scim_addon.scim.schemas import CORE_USER, ENTERPRISE_USER, USER, Attribute
from livepreso_scim_addon.services.users import to_resource
from tests.common.filters import VALID_USER_FILTERS
from tests.common.properties import DATABASE, mutated, valid_user_filters

USERS = [
    {
        "userName": "JANE@example.com",
        "externalId": "00uA",
        "name": {"givenName": "Jane", "familyName": "Doe", "formatted": "Jane Doe"},
        "displayName": "Jane Doe",
        "title": "x",
        "active": True,
        "emails": [
            {"value": "JANE@example.com", "type": "work", "primary": True},
            {"value": "jane@home.example", "type": "home"},
        ],
        ENTERPRISE_USER: {"department": "Sales", "employeeNumber": "100%", "manager": {"value": "x"}},
    },
    {
        "userName": "STRAßE.Étienne@example.com",  # ß and É: userName only, see the module's note
        "externalId": "00ua",
        "name": {"givenName": "étienne", "middleName": "a_b", "honorificPrefix": "日"},
        "nickName": "é日",
        "userType": "Work",
        "active": False,
        "emails": [{"value": "e@x.example", "type": "other", "display": "é"}, {"value": "b@x.example", "primary": False}],
        "phoneNumbers": [{"value": "+1 555", "type": "work", "primary": True}],
        ENTERPRISE_USER: {"department": "sales", "organization": "A\\B"},
    },
    {"userName": "x", "active": True},  # almost nothing: absent attributes everywhere
    {
        "userName": "a_b%日",
        "displayName": "日本",
        "locale": "en-US",
        "timezone": "Europe/Oslo",
        "preferredLanguage": "ø",
        "name": {"familyName": '"quoted"'},
        "addresses": [
            {"locality": "Oslo", "country": "NO", "type": "home", "primary": True},
            {"formatted": "j", "type": "work"},
        ],
        "emails": [{"value": "user@example.com"}],
    },
]
GROUPS = [("Sales", [0, 1]), ("é日 team", [1])]


@pytest.fixture
def arranged(scim, tenant, dbsession):
    """The users (and two groups) in the test's savepoint: {SCIM id: representation}."""
    ids = [scim.post("Users", {"schemas": [CORE_USER, ENTERPRISE_USER], **body}).json["id"] for body in USERS]
    for name, members in GROUPS:
        scim.post("Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name,
                             "members": [{"value": ids[i]} for i in members]})
    users = USER_MAP.read(dbsession, list(dbsession.scalars(select(ScimUser.pk).where(ScimUser.instance_id == tenant.id))))
    resources = {user.id: to_resource(user, f"Users/{user.id}", groups_base="Groups") for user in users}
    assert set(resources) == set(ids)
    return resources


def sql_ids(dbsession, tenant, text) -> set[str]:
    """The users the filter finds in SQL. Where it names a unique key (``list_page``
    then reads by the key alone), the key finds the same users."""
    node = parse_filter(text)
    where = compile_filter(USER_MAP, node)
    found = set(dbsession.scalars(select(ScimUser.id).where(ScimUser.instance_id == tenant.id, where)))
    key = unique_key(USER_MAP, node)
    if key is not None:
        assert {user.id for user in USER_MAP.read_by_key(dbsession, tenant.id, key)} == found, text
    return found


# --- the reference: whole-resource filters on top of matches() (value filters) -------------


def _container(resource: dict, schema) -> dict:
    if schema is None or schema is USER.schema:
        return resource  # core attributes, and id/externalId/meta (RFC 7643 §3.1)
    return resource.get(schema.id) or {}


def _as_parent(attribute: Attribute) -> Attribute:
    """A complex attribute holding just ``attribute``, so matches() can look it up in a dict."""
    return Attribute(name="resource", type="complex", sub_attributes=(attribute,))


def evaluate(node, resource: dict) -> bool:
    if isinstance(node, And):
        return evaluate(node.left, resource) and evaluate(node.right, resource)
    if isinstance(node, Or):
        return evaluate(node.left, resource) or evaluate(node.right, resource)
    if isinstance(node, Not):
        return not evaluate(node.expr, resource)
    if isinstance(node, ValuePath):
        top = value_path_attribute(USER, node.path)
        _, _, schema = resolve(USER, node.path)
        return any(matches(node.filter, element, top) for element in _container(resource, schema).get(top.name) or [])
    if isinstance(node, Present):
        top, sub, schema = resolve(USER, node.path)
        if top.type == "complex" and sub is None:
            return bool(_container(resource, schema).get(top.name))
    else:
        top, sub, schema = resolve_filter_attribute(USER, node.path)
    value = _container(resource, schema).get(top.name)
    if sub is None:
        leaf = _relative(node, top.name)
        return matches(leaf, {top.name: value} if value is not None else {}, _as_parent(top))
    leaf = _relative(node, sub.name)
    if top.multi_valued:  # any value of the attribute (RFC 7644 §3.4.2.2)
        return any(matches(leaf, element, top) for element in value or [])
    return matches(leaf, value or {}, top)


def _relative(node, name: str):
    path = AttrPath(None, name, None)
    return Present(path) if isinstance(node, Present) else Compare(path, node.op, node.value)


def reference_ids(resources: dict, text: str) -> set[str]:
    node = parse_filter(text)
    return {id for id, resource in resources.items() if evaluate(node, resource)}


# --- the properties ---------------------------------------------------------------------


def test_the_valid_filter_table_agrees_with_the_reference(arranged, dbsession, tenant):
    """The hand-written table first: readable failures before generated ones."""
    for text in VALID_USER_FILTERS:
        assert sql_ids(dbsession, tenant, text) == reference_ids(arranged, text), text


@DATABASE
@given(text=valid_user_filters())
def test_sql_finds_the_users_the_reference_finds(arranged, dbsession, tenant, text):
    assert sql_ids(dbsession, tenant, text) == reference_ids(arranged, text), text


@DATABASE
@given(text=mutated(valid_user_filters()))
def test_mutated_filters_run_or_are_invalid_filters(arranged, dbsession, tenant, text):
    """Parsing, compiling and running: a set of users or a 400 invalidFilter, never a database
    error (NUL, lone surrogates, LIKE wildcards and the like stop before the SQL)."""
    try:
        found = sql_ids(dbsession, tenant, text)
    except ScimError as error:
        assert (error.status, error.scim_type) == (400, "invalidFilter"), (text, error.detail)
        return
    assert found <= set(arranged)


def test_meta_resource_type_case_agrees(arranged, dbsession, tenant):
    """Found by the property above: the constant meta.resourceType was compared
    case-insensitively in SQL though the schema declares it caseExact."""
    text = 'meta.resourceType eq "user"'
    assert sql_ids(dbsession, tenant, text) == reference_ids(arranged, text)
