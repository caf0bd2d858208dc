"""Hypothesis settings and strategies shared by the property-based tests (issue 13).

Every property test uses one of the settings below explicitly: a fixed number of
examples, an explicit deadline, and ``derandomize=True`` so CI runs the same examples
each time (no example database, nothing random between runs). They are registered as
profiles too (``scim-unit``, ``scim-database``), but no profile is loaded globally:
the suite's other tests and any other Hypothesis user keep their own settings.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from livepreso_scim_addon.scim.schemas import CORE_USER, ENTERPRISE_USER

#: pure-Python properties: a few hundred examples, each well under a millisecond
UNIT = settings(
    max_examples=150,
    deadline=dt.timedelta(milliseconds=500),
    derandomize=True,
    database=None,
    print_blob=False,
)
#: properties over a database or HTTP: fewer examples, a generous deadline per example
DATABASE = settings(
    max_examples=100,
    deadline=dt.timedelta(seconds=5),
    derandomize=True,
    database=None,
    print_blob=False,
    # The users are arranged once per test (inside its savepoint), not per example, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("scim-unit", UNIT)
settings.register_profile("scim-database", DATABASE)


# --- filter texts over USER (RFC 7644 §3.4.2.2) ---------------------------------------

#: Characters of string values. ASCII letters in both cases, LIKE's wildcards and escape
#: (%, _, \\ written as a JSON escape), a quote, and non-ASCII characters that are either
#: caseless (日, €) or lower case (é, ø). No upper-case non-ASCII letter and no ß: the
#: SQL side lower-cases non-caseExact attributes with lower(), which on SQLite changes
#: ASCII only and which never folds ß to ss, whereas the in-memory evaluator casefolds;
#: with this alphabet both agree (userName is compared by its Unicode key on both
#: sides, see ``USER_NAME_ALPHABET``).
ALPHABET = "aAbBjJx@.-%_\\\"é日ø€ "
#: userName is matched by ``user_name_key`` in SQL and by str.casefold in memory: these
#: agree on NFC text, so userName values may also hold ß and upper-case non-ASCII.
USER_NAME_ALPHABET = ALPHABET + "ßÉØ"

STRING_ATTRIBUTES = [
    "userName", "externalId", "id", "displayName", "nickName", "title", "userType",
    "preferredLanguage", "locale", "timezone",
    "name.formatted", "name.familyName", "name.givenName", "name.middleName",
    "name.honorificPrefix", "name.honorificSuffix",
    "emails", "emails.value", "emails.type", "emails.display",
    "phoneNumbers.value", "phoneNumbers.type",
    "addresses.locality", "addresses.country", "addresses.type",
    "groups.value", "groups.display", "meta.resourceType",
    f"{ENTERPRISE_USER}:employeeNumber", f"{ENTERPRISE_USER}:department",
    f"{ENTERPRISE_USER}:organization", f"{ENTERPRISE_USER}:manager.value",
    f"{CORE_USER}:userName", f"{CORE_USER}:name.givenName",
]
BOOLEAN_ATTRIBUTES = ["active", "emails.primary", "phoneNumbers.primary", "addresses.primary"]
DATETIME_ATTRIBUTES = ["meta.created", "meta.lastModified"]
PRESENT_ATTRIBUTES = [*STRING_ATTRIBUTES, *BOOLEAN_ATTRIBUTES, *DATETIME_ATTRIBUTES, "name", "emails",
                      "phoneNumbers", "addresses", "groups", f"{ENTERPRISE_USER}:manager"]
#: value filters: the attribute and its sub-attributes (strings, then booleans)
VALUE_PATHS = {
    "emails": (["value", "type", "display"], ["primary"]),
    "phoneNumbers": (["value", "type"], ["primary"]),
    "addresses": (["locality", "country", "type", "formatted"], ["primary"]),
}
#: dateTimes far from today: the users are created now, and a timestamp compares the
#: same whether kept to the microsecond (SQL) or the millisecond (the representation)
DATETIMES = ["2011-05-13T04:42:34Z", "2011-05-13", "2199-01-01T00:00:00+02:00", "1999-12-31T23:59:59.5Z"]
STRING_OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]


def json_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _some_case(word: str):
    """Operators, keywords and attribute names are case-insensitive: vary their case."""
    return st.sampled_from([word, word.upper(), word.capitalize()])


def string_values(alphabet: str = ALPHABET):
    """Short values, often one of the arranged users' own values, so filters match."""
    return st.one_of(
        st.sampled_from(["jane", "JANE@example.com", "x", "", "work", "Work", "home", "é日", "100%", "a_b", "user"]),
        st.text(alphabet, max_size=4),
    )


@st.composite
def comparison(draw, relative: str | None = None) -> str:
    kind = draw(st.sampled_from(["string", "string", "boolean", "datetime", "present", "null"]))
    if relative is not None:
        strings, booleans = VALUE_PATHS[relative]
        if kind == "present":
            return f"{draw(st.sampled_from(strings + booleans))} {draw(_some_case('pr'))}"
        if kind in ("boolean", "datetime"):
            return f"{draw(st.sampled_from(booleans))} {draw(st.sampled_from(['eq', 'ne']))} {draw(st.sampled_from(['true', 'false', 'True']))}"
        attribute = draw(st.sampled_from(strings))
    elif kind == "present":
        return f"{draw(st.sampled_from(PRESENT_ATTRIBUTES))} {draw(_some_case('pr'))}"
    elif kind == "boolean":
        op = draw(st.sampled_from(["eq", "ne"]))
        return f"{draw(st.sampled_from(BOOLEAN_ATTRIBUTES))} {op} {draw(st.sampled_from(['true', 'false', 'FALSE']))}"
    elif kind == "datetime":
        op = draw(st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"]))
        return f"{draw(st.sampled_from(DATETIME_ATTRIBUTES))} {op} {json_string(draw(st.sampled_from(DATETIMES)))}"
    else:
        attribute = draw(st.sampled_from(STRING_ATTRIBUTES + BOOLEAN_ATTRIBUTES * (kind == "null")))
    if kind == "null":
        return f"{attribute} {draw(st.sampled_from(['eq', 'ne']))} {draw(_some_case('null'))}"
    op = draw(st.sampled_from(STRING_OPERATORS))
    alphabet = USER_NAME_ALPHABET if attribute.endswith("userName") else ALPHABET
    return f"{draw(_some_case(attribute) if '.' not in attribute and ':' not in attribute else st.just(attribute))} {draw(_some_case(op))} {json_string(draw(string_values(alphabet)))}"


def _combine(children):
    def combine(draw_pair):
        left, right, how = draw_pair
        if how == "and":
            return f"{left} and {right}"
        if how == "or":
            return f"({left} or {right})"
        return f"not ({left})"

    return st.tuples(children, children, st.sampled_from(["and", "or", "not"])).map(combine)


def _value_path():
    return st.sampled_from(sorted(VALUE_PATHS)).flatmap(
        lambda attribute: st.recursive(comparison(relative=attribute), _combine, max_leaves=3).map(
            lambda inner: f"{attribute}[{inner}]"
        )
    )


def valid_user_filters():
    """Filters over USER that parse and validate, of a few leaves at most."""
    leaf = st.one_of(comparison(), comparison(), _value_path())
    return st.recursive(leaf, _combine, max_leaves=5)


def mutated(texts):
    """A text with random edits: characters inserted, deleted or replaced."""

    @st.composite
    def mutate(draw):
        text = draw(texts)
        for _ in range(draw(st.integers(1, 3))):
            position = draw(st.integers(0, len(text)))
            edit = draw(st.sampled_from(["insert", "delete", "replace"]))
            char = draw(st.one_of(
                st.sampled_from([*'()[]."\\ :$-0eE\x00\ud800', "\\u0000", "\\ud800", " or ", " not ", "%", "_"]),
                st.characters(),
            ))
            if edit == "insert":
                text = text[:position] + char + text[position:]
            elif edit == "delete":
                text = text[:position] + text[position + 1:]
            else:
                text = text[:position] + char + text[position + 1:]
        return text

    return mutate()


# --- PATCH operation lists over USER (RFC 7644 §3.5.2) ------------------------------------

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

#: paths of every kind: singular, sub-attribute, multi-valued, value filters (with and
#: without a sub-attribute), extension URNs, read-only ones, unknown and malformed ones
PATCH_PATHS = [
    "userName", "displayName", "nickName", "title", "active", "locale", "externalId",
    "name", "name.givenName", "name.familyName", "NAME.GIVENNAME",
    "emails", "emails.value", "emails[type eq \"work\"]", "emails[type eq \"work\"].value",
    "emails[primary eq true].type", "emails[value co \"@\"]", "emails[type eq \"nope\"].value",
    "phoneNumbers", "phoneNumbers[type eq \"work\"].value", "addresses[type eq \"home\"].locality",
    f"{ENTERPRISE_USER}:department", f"{ENTERPRISE_USER}:manager", f"{ENTERPRISE_USER}:manager.value",
    f"{ENTERPRISE_USER}", f"{CORE_USER}:userName",
    "id", "meta", "meta.created", "groups", "password",
    "unknown", "name.unknown", "emails[", "emails[type eq]", "title.sub", "userName[value eq \"x\"]", "",
]

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True),
    st.text(ALPHABET, max_size=6), st.sampled_from(["True", "False", "work", "home", "x@example.com", "\x00", "a" * 1100]),
)
_ELEMENTS = st.fixed_dictionaries(
    {},
    optional={
        "value": st.one_of(st.text(ALPHABET, max_size=6), _SCALARS),
        "type": st.sampled_from(["work", "home", "other", "Work", 3]),
        "primary": st.sampled_from([True, False, "True", "yes", None]),
        "display": st.text(ALPHABET, max_size=4),
        "givenName": st.text(ALPHABET, max_size=4),
        "familyName": _SCALARS,
        "locality": st.text(ALPHABET, max_size=4),
        "bogus": _SCALARS,
    },
)
PATCH_VALUES = st.recursive(
    st.one_of(_SCALARS, _ELEMENTS),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["userName", "title", "active", "name", "emails", "displayName",
                                         f"{ENTERPRISE_USER}", "name.givenName", "id", "nickname"]), children, max_size=3),
    ),
    max_leaves=6,
)


_TEXT = st.text(ALPHABET, min_size=1, max_size=6)
_EMAIL = st.fixed_dictionaries(
    {"value": _TEXT},
    optional={"type": st.sampled_from(["work", "home", "other"]), "primary": st.booleans(), "display": _TEXT},
)
#: paths with values of their own type, so many operation lists succeed
TYPED_PATHS = {
    "userName": _TEXT,
    "displayName": _TEXT,
    "nickName": _TEXT,
    "title": _TEXT,
    "active": st.booleans(),
    "name": st.fixed_dictionaries({}, optional={"givenName": _TEXT, "familyName": _TEXT}),
    "name.givenName": _TEXT,
    "emails": st.lists(_EMAIL, max_size=3),
    'emails[type eq "work"].value': _TEXT,
    'emails[type eq "work"]': _EMAIL,
    "emails[primary eq true].type": st.sampled_from(["work", "home", "other"]),
    'phoneNumbers[type eq "work"].value': _TEXT,
    f"{ENTERPRISE_USER}:department": _TEXT,
    f"{ENTERPRISE_USER}:manager": st.fixed_dictionaries({"value": _TEXT}),
    f"{ENTERPRISE_USER}:manager.value": _TEXT,
    None: st.fixed_dictionaries({}, optional={"displayName": _TEXT, "active": st.booleans(),
                                              "name": st.fixed_dictionaries({"givenName": _TEXT}),
                                              ENTERPRISE_USER: st.fixed_dictionaries({"division": _TEXT})}),
}


@st.composite
def typed_operation(draw) -> dict:
    """add, replace or remove at a known path with a value of the right type."""
    path = draw(st.sampled_from(list(TYPED_PATHS)))
    op = draw(st.sampled_from(["add", "replace", "remove"] if path else ["add", "replace"]))
    operation: dict = {"op": op}
    if path is not None:
        operation["path"] = path
    if op != "remove":
        operation["value"] = draw(TYPED_PATHS[path])
    return operation


@st.composite
def wild_operation(draw) -> dict:
    """Any op, any path (or none), any value (or none)."""
    operation: dict = {"op": draw(st.sampled_from(["add", "replace", "remove", "Add", "REPLACE", "move"]))}
    if draw(st.integers(0, 5)):  # mostly with a path
        operation["path"] = draw(st.one_of(st.sampled_from(PATCH_PATHS), st.sampled_from(PATCH_PATHS), st.integers()))
    if draw(st.integers(0, 4)):  # mostly with a value
        operation["value"] = draw(PATCH_VALUES)
    return operation


def patch_operations():
    return st.one_of(typed_operation(), typed_operation(), wild_operation())


def patch_bodies():
    """PatchOp messages: mostly well formed, with one to four operations."""
    return st.one_of(
        st.lists(patch_operations(), min_size=1, max_size=4).map(lambda ops: {"schemas": [PATCH_OP], "Operations": ops}),
        st.lists(typed_operation(), min_size=1, max_size=3).map(lambda ops: {"schemas": [PATCH_OP], "Operations": ops}),
        st.just({"schemas": [PATCH_OP], "Operations": []}),
        st.just({"schemas": [], "Operations": [{"op": "add", "value": {}}]}),
        st.lists(patch_operations(), max_size=2).map(lambda ops: {"schemas": [PATCH_OP], "Operations": ops[0] if ops else None}),
    )
