"""The filter and PATCH path parser (RFC 7644 §3.4.2.2, §3.5.2), as tables."""

import random

import pytest

from livepreso_scim_addon.scim import schemas
from livepreso_scim_addon.scim.errors import ScimError
from livepreso_scim_addon.scim.filter import (
    And,
    AttrPath,
    Compare,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    matches,
    parse_filter,
    parse_path,
    resolve,
    resolve_filter_attribute,
    validate_filter,
)
from livepreso_scim_addon.scim.schemas import CORE_USER, ENTERPRISE_USER, USER, Attribute
from tests.common.filters import VALID_USER_FILTERS

ENTERPRISE_2_0 = "urn:ietf:params:scim:schemas:extension:enterprise:2.0"


def p(attr, sub=None, urn=None):
    return AttrPath(urn, attr, sub)


A, B, C = Present(p("a")), Present(p("b")), Present(p("c"))
WORK = Compare(p("type"), "eq", "work")


# --- parse_filter: what each form becomes -----------------------------------------

PARSED = [
    ('userName eq "jane@example.com"', Compare(p("userName"), "eq", "jane@example.com")),
    ("title pr", Present(p("title"))),
    ('USERNAME EQ "x"', Compare(p("USERNAME"), "eq", "x")),
    ('userName Sw "J"', Compare(p("userName"), "sw", "J")),
    ('  userName   eq\t"x"  ', Compare(p("userName"), "eq", "x")),
    ('userName eq "and"', Compare(p("userName"), "eq", "and")),
    ('userName eq ""', Compare(p("userName"), "eq", "")),
    ('x-y_z1 eq "1"', Compare(p("x-y_z1"), "eq", "1")),
    # precedence: not > and > or
    ("a pr or b pr and c pr", Or(A, And(B, C))),
    ("a pr and b pr or c pr", Or(And(A, B), C)),
    ("a pr AND b pr OR c pr", Or(And(A, B), C)),
    ("(a pr or b pr) and c pr", And(Or(A, B), C)),
    ("a pr or b pr or c pr", Or(Or(A, B), C)),
    ("a pr and b pr and c pr", And(And(A, B), C)),
    ("not (a pr) and b pr", And(Not(A), B)),
    ("NOT(a pr or b pr)", Not(Or(A, B))),
    ("not (a pr) or b pr", Or(Not(A), B)),
    ("not (not (a pr))", Not(Not(A))),
    ("((a pr))", A),
    # sub-attributes and URNs
    ('name.givenName sw "J"', Compare(p("name", "givenName"), "sw", "J")),
    (
        'meta.lastModified gt "2011-05-13T04:42:34Z"',
        Compare(p("meta", "lastModified"), "gt", "2011-05-13T04:42:34Z"),
    ),
    (
        f'{ENTERPRISE_USER}:employeeNumber eq "42"',
        Compare(p("employeeNumber", urn=ENTERPRISE_USER), "eq", "42"),
    ),
    (f'{ENTERPRISE_USER}:manager.value eq "m1"', Compare(p("manager", "value", ENTERPRISE_USER), "eq", "m1")),
    (f'{CORE_USER}:userName eq "j"', Compare(p("userName", urn=CORE_USER), "eq", "j")),
    ("groups.$ref pr", Present(p("groups", "$ref"))),
    # value paths
    (
        'emails[type eq "work" and value co "@example.com"]',
        ValuePath(p("emails"), And(WORK, Compare(p("value"), "co", "@example.com"))),
    ),
    (
        'emails[not (type eq "work") or (primary eq true)]',
        ValuePath(p("emails"), Or(Not(WORK), Compare(p("primary"), "eq", True))),
    ),
    ("groups[$ref pr]", ValuePath(p("groups"), Present(p("$ref")))),
    (
        f'{CORE_USER}:emails[type eq "work"]',
        ValuePath(p("emails", urn=CORE_USER), WORK),
    ),
    (
        'userName eq "x" and emails[type eq "work"] or active eq true',
        Or(
            And(Compare(p("userName"), "eq", "x"), ValuePath(p("emails"), WORK)),
            Compare(p("active"), "eq", True),
        ),
    ),
    # Entra ID: a value path, then .sub and a comparison
    (
        'emails[type eq "work"].value eq "x@y.com"',
        ValuePath(p("emails"), And(WORK, Compare(p("value"), "eq", "x@y.com"))),
    ),
    ('emails[type eq "work"].value pr', ValuePath(p("emails"), And(WORK, Present(p("value"))))),
    (
        'emails[type eq "work"].value eq "x@y.com" and active eq true',
        And(
            ValuePath(p("emails"), And(WORK, Compare(p("value"), "eq", "x@y.com"))),
            Compare(p("active"), "eq", True),
        ),
    ),
]


@pytest.mark.parametrize("text, expected", PARSED, ids=[t for t, _ in PARSED])
def test_parse_filter(text, expected):
    assert parse_filter(text) == expected


@pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Co"])
def test_every_comparison_operator(op):
    assert parse_filter(f'userName {op} "j"') == Compare(p("userName"), op.lower(), "j")


VALUES = [
    ("true", True),
    ("TRUE", True),
    ("False", False),
    ("null", None),
    ("NULL", None),
    ("42", 42),
    ("0", 0),
    ("-7", -7),
    ("-1.5", -1.5),
    ("1e3", 1000.0),
    ("2.5E-1", 0.25),
    (r'"a\"b"', 'a"b'),
    (r'"back\\slash"', "back\\slash"),
    (r'"a\/b"', "a/b"),
    (r'"caf\u00e9"', "café"),
    (r'"tab\tnew\nline"', "tab\tnew\nline"),
    (r'"\b\f\r"', "\b\f\r"),
    ('"ünïcödé"', "ünïcödé"),
]


@pytest.mark.parametrize("literal, expected", VALUES, ids=[v for v, _ in VALUES])
def test_values(literal, expected):
    value = parse_filter(f"x eq {literal}").value
    # 1 == True in Python: compare the types too.
    assert value == expected and type(value) is type(expected)


# --- parse_filter: errors ---------------------------------------------------------

FILTER_ERRORS = [
    ("", "empty"),
    ("   ", "empty"),
    ("userName", "expected an operator after 'userName'"),
    ("userName eq", "expected a value after 'eq'"),
    ('userName foo "x"', "unknown operator 'foo'"),
    ('userName eq "x', "unterminated string"),
    ('userName eq "x" garbage', "unexpected 'garbage'"),
    ('userName eq "a" "b"', "unexpected '\"b\"'"),
    ('userName pr "x"', "'pr' takes no value"),
    ("userName pr true", "'pr' takes no value"),
    ("active gt true", "'gt' cannot compare with true"),
    ("active ge false", "'ge' cannot compare with false"),
    ("x lt null", "'lt' cannot compare with null"),
    ("x le NULL", "'le' cannot compare with null"),
    ("x co 1", "'co' needs a string"),
    ("x sw true", "'sw' needs a string"),
    ("x ew null", "'ew' needs a string"),
    ("(userName pr", "expected ')'"),
    ("userName pr)", "unexpected ')'"),
    ("()", "expected an attribute name"),
    ('userName eq "x" and', "expected an attribute name, found the end"),
    ("and", "expected an operator"),
    ('emails[type eq "work"', "expected ']'"),
    ('userName "x"', "expected an operator after 'userName', found '\"x\"'"),
    ("emails[type[value pr]]", "value filters cannot be nested"),
    ('emails[name.givenName eq "x"]', "inside brackets"),
    ('emails[urn:x:type eq "x"]', "inside brackets"),
    ('emails.value[type eq "x"]', "follows a multi-valued attribute"),
    ('emails[type eq "work"].', "expected a sub-attribute name"),
    ('emails[type eq "work"].value', "expected an operator"),
    ('emails[type eq "work"] eq "x"', "unexpected 'eq'"),
    (r'x eq "\q"', "invalid string"),
    ('x eq "bad\x01control"', "invalid string"),
    ("x eq 01", "invalid number"),
    ("x eq 12abc", "invalid number"),
    ("x eq 1.2.3", "invalid number"),
    ("x eq +1", "unexpected character '+'"),
    ('userName+eq+"x"', "unexpected character '+'"),
    ('x eq "y" # comment', "unexpected character '#'"),
    ("name..givenName pr", "not an attribute path"),
    ("name.givenName.x pr", "not an attribute path"),
    ("urn:foo: pr", "not an attribute path"),
    ("x eq 'single'", "unexpected character"),
    ("(" * 60 + "a pr" + ")" * 60, "levels of nesting"),
    ("not (" * 60 + "a pr" + ")" * 60, "levels of nesting"),
    # RFC 7644 §3.4.2.2: "not" "(" valFilter ")"
    ('not userName eq "x"', "'not' takes a filter in parentheses"),
    ("not a pr", "'not' takes a filter in parentheses"),
    ("x eq " + '"' + "a" * 4100 + '"', "longer than 4096"),
]


@pytest.mark.parametrize("text, fragment", FILTER_ERRORS, ids=[t[:40] for t, _ in FILTER_ERRORS])
def test_filter_errors(text, fragment):
    with pytest.raises(ScimError) as caught:
        parse_filter(text)
    error = caught.value
    assert (error.status, error.scim_type) == (400, "invalidFilter")
    assert fragment.lower() in error.detail.lower()
    if text.strip() and len(text) <= 4096:
        assert "position" in error.detail


def test_error_position_points_at_the_problem():
    with pytest.raises(ScimError) as caught:
        parse_filter('userName eq "x" and title zz "y"')
    assert "at position 27" in caught.value.detail


def test_non_string_filter():
    with pytest.raises(ScimError) as caught:
        parse_filter(None)
    assert caught.value.scim_type == "invalidFilter"


def test_filter_of_exactly_4096_characters_is_accepted():
    text = 'x eq "' + "a" * (4096 - 7) + '"'
    assert len(text) == 4096
    assert parse_filter(text).value == "a" * 4089


def test_a_long_or_chain_is_a_shallow_tree():
    text = " or ".join([f'userName eq "u{i}"' for i in range(150)])
    assert len(text) < 4096
    node = parse_filter(text)

    def depth(n):
        if isinstance(n, (And, Or)):
            return 1 + max(depth(n.left), depth(n.right))
        return 1

    assert depth(node) <= 9  # ceil(log2(150)) + 1
    validate_filter(USER, node)  # walks the whole tree without RecursionError

    def leaves(n):
        return leaves(n.left) + leaves(n.right) if isinstance(n, Or) else [n.value]

    assert leaves(node) == [f"u{i}" for i in range(150)]  # order kept


def test_garbage_only_ever_raises_invalid_filter():
    alphabet = [
        '"',
        "\\",
        "(",
        ")",
        "[",
        "]",
        ".",
        ":",
        " ",
        "a",
        "eq",
        "pr",
        "and",
        "or",
        "not",
        "1",
        "-",
        "e",
        "$",
        "u",
    ]
    rng = random.Random(7644)
    parsed = failed = 0
    for _ in range(3000):
        text = " ".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        try:
            parse_filter(text)
            parsed += 1
        except ScimError as error:
            assert error.scim_type == "invalidFilter", text
            failed += 1
    assert parsed and failed


# --- parse_path -------------------------------------------------------------------

PATHS = [
    ("userName", PatchPath(p("userName"), None, None)),
    ("name.givenName", PatchPath(p("name", "givenName"), None, None)),
    ('members[value eq "2819c223"]', PatchPath(p("members"), Compare(p("value"), "eq", "2819c223"), None)),
    ('emails[type eq "work"].value', PatchPath(p("emails"), WORK, "value")),
    ('Emails[Type EQ "work"].Value', PatchPath(p("Emails"), Compare(p("Type"), "eq", "work"), "Value")),
    (
        'emails[type eq "work" and not (primary eq false)]',
        PatchPath(p("emails"), And(WORK, Not(Compare(p("primary"), "eq", False))), None),
    ),
    (f"{ENTERPRISE_USER}:manager", PatchPath(p("manager", urn=ENTERPRISE_USER), None, None)),
    (f"{ENTERPRISE_USER}:manager.value", PatchPath(p("manager", "value", ENTERPRISE_USER), None, None)),
    (f"{CORE_USER}:name.familyName", PatchPath(p("name", "familyName", CORE_USER), None, None)),
    (" active ", PatchPath(p("active"), None, None)),
]


@pytest.mark.parametrize("text, expected", PATHS, ids=[t for t, _ in PATHS])
def test_parse_path(text, expected):
    assert parse_path(text) == expected


PATH_ERRORS = [
    ("", "empty"),
    ("emails[", "expected an attribute name"),
    ('emails[type eq "work"', "expected ']'"),
    ('emails[type zz "work"]', "unknown operator"),
    ('emails[type eq "work"]x', "unexpected 'x'"),
    ('emails[type eq "work"].value.x', "expected a sub-attribute name"),
    ("a b", "unexpected 'b'"),
    ("name.givenName.x", "not an attribute path"),
    ('userName eq "x"', "unexpected 'eq'"),
    ("[value pr]", "expected an attribute name"),
]


@pytest.mark.parametrize("text, fragment", PATH_ERRORS, ids=[t for t, _ in PATH_ERRORS])
def test_path_errors(text, fragment):
    with pytest.raises(ScimError) as caught:
        parse_path(text)
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidPath")
    assert fragment in caught.value.detail


# --- resolve ----------------------------------------------------------------------

NAME = schemas.USER_SCHEMA.attribute("name")
EMAILS = schemas.USER_SCHEMA.attribute("emails")
MANAGER = schemas.ENTERPRISE_USER_SCHEMA.attribute("manager")

RESOLVED = [
    (p("USERNAME"), ("userName", None, CORE_USER)),
    (p("name", "GIVENNAME"), ("name", "givenName", CORE_USER)),
    (p("id"), ("id", None, None)),
    (p("externalId"), ("externalId", None, None)),
    (p("meta", "lastModified"), ("meta", "lastModified", None)),
    (p("emails", "type"), ("emails", "type", CORE_USER)),
    (p("userName", urn=CORE_USER), ("userName", None, CORE_USER)),
    (p("meta", "created", CORE_USER.upper()), ("meta", "created", None)),
    (p("employeeNumber", urn=ENTERPRISE_USER), ("employeeNumber", None, ENTERPRISE_USER)),
    (p("manager", "value", ENTERPRISE_USER.lower()), ("manager", "value", ENTERPRISE_USER)),
]


@pytest.mark.parametrize("path, expected", RESOLVED, ids=[repr(r[0]) for r in RESOLVED])
def test_resolve(path, expected):
    top, sub, schema = resolve(USER, path)
    assert (top.name, sub.name if sub else None, schema.id if schema else None) == expected


RESOLVE_ERRORS = [
    (p("nope"), "Unknown attribute 'nope'"),
    (p("name", "nope"), "Unknown sub-attribute 'name.nope'"),
    (p("userName", "x"), "'userName' has no sub-attributes"),
    (p("userName", urn="urn:foo:bar"), "Unknown schema 'urn:foo:bar'"),
    (p("User", urn=ENTERPRISE_2_0), "is a schema, not an attribute"),
    (p("employeeNumber"), "Unknown attribute 'employeeNumber'"),  # extension attributes need their URN
    (p("userName", urn=ENTERPRISE_USER), "Unknown attribute"),
]


@pytest.mark.parametrize("path, fragment", RESOLVE_ERRORS, ids=[repr(r[0]) for r in RESOLVE_ERRORS])
def test_resolve_errors(path, fragment):
    with pytest.raises(ScimError) as caught:
        resolve(USER, path)
    assert caught.value.scim_type == "invalidFilter"
    assert fragment in caught.value.detail


def test_a_compared_complex_attribute_means_its_value():
    top, sub, _ = resolve_filter_attribute(USER, p("emails"))
    assert (top.name, sub.name) == ("emails", "value")
    top, sub, _ = resolve_filter_attribute(USER, p("userName"))
    assert (top.name, sub) == ("userName", None)
    with pytest.raises(ScimError) as caught:
        resolve_filter_attribute(USER, p("name"))
    assert caught.value.scim_type == "invalidFilter"
    assert "'name' is complex" in caught.value.detail


# --- validate_filter --------------------------------------------------------------


@pytest.mark.parametrize("text", VALID_USER_FILTERS)
def test_validate_filter_accepts(text):
    assert validate_filter(USER, parse_filter(text)) is None


INVALID = [
    ('nope eq "x"', "Unknown attribute 'nope'"),
    ('name.nope eq "x"', "Unknown sub-attribute 'name.nope'"),
    ('active gt "x"', "'gt' cannot be used with the boolean 'active'"),
    ('emails[primary lt "x"]', "cannot be used with the boolean 'emails.primary'"),
    ('active eq "true"', "'active' is a boolean"),
    ('emails[primary eq "yes"]', "'emails.primary' is a boolean"),
    ("userName eq 1", "'userName' is a string"),
    ("userName eq true", "'userName' is a string"),
    ("emails eq 3", "'emails.value' is a string"),
    ('name eq "x"', "'name' is complex"),
    ('emails[nope eq "x"]', "Unknown sub-attribute 'emails.nope'"),
    ('userName[value eq "x"]', "no sub-attributes to filter on"),
    ('meta.lastModified gt "yesterday"', "not an RFC 3339 timestamp"),
    (f"{ENTERPRISE_USER} pr", "is a schema, not an attribute"),
    ('not (title eq "x") and nope pr', "Unknown attribute 'nope'"),
]


@pytest.mark.parametrize("text, fragment", INVALID, ids=[t for t, _ in INVALID])
def test_validate_filter_rejects(text, fragment):
    node = parse_filter(text)
    with pytest.raises(ScimError) as caught:
        validate_filter(USER, node)
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidFilter")
    assert fragment in caught.value.detail


def test_nested_value_path_built_by_hand_is_rejected():
    node = ValuePath(p("emails"), ValuePath(p("type"), WORK))
    with pytest.raises(ScimError) as caught:
        validate_filter(USER, node)
    assert "cannot be nested" in caught.value.detail


# --- matches ----------------------------------------------------------------------

CODES = Attribute(
    "codes",
    type="complex",
    multi_valued=True,
    sub_attributes=(Attribute("code", case_exact=True), Attribute("n", type="integer")),
)

MATCHES = [
    (EMAILS, {"type": "work"}, 'type eq "work"', True),
    (EMAILS, {"type": "WORK"}, 'type eq "work"', True),  # caseExact false
    (EMAILS, {"Type": "work"}, 'type eq "work"', True),  # keys are case-insensitive too
    (EMAILS, {"type": "home"}, 'type eq "work"', False),
    (EMAILS, {"type": "home"}, 'type ne "work"', True),
    (EMAILS, {}, 'type ne "work"', True),
    (EMAILS, {}, 'type eq "work"', False),
    (EMAILS, {}, 'type co "w"', False),
    (EMAILS, {}, 'type gt "a"', False),
    (EMAILS, {}, 'not (type eq "work")', True),
    (EMAILS, {}, "value eq null", True),
    (EMAILS, {"value": "x"}, "value eq null", False),
    (EMAILS, {"value": "x"}, "value ne null", True),
    (EMAILS, {"primary": True}, "primary eq true", True),
    (EMAILS, {"primary": "True"}, "primary eq true", True),  # Entra's strings
    (EMAILS, {"primary": "false"}, "primary eq false", True),
    (EMAILS, {"primary": "TRUE"}, "primary eq true", True),
    (EMAILS, {"primary": "False"}, "primary eq true", False),
    (EMAILS, {"primary": False}, "primary ne true", True),
    (EMAILS, {"primary": "maybe"}, "primary eq true", False),
    (EMAILS, {"primary": "1"}, "primary eq true", False),  # one rule for booleans: leniency.boolean
    (EMAILS, {"primary": 0}, "primary eq false", False),
    (EMAILS, {"value": "A@Example.com"}, 'value co "EXAMPLE"', True),
    (EMAILS, {"value": "A@Example.com"}, 'value sw "a@"', True),
    (EMAILS, {"value": "A@Example.com"}, 'value ew ".COM"', True),
    (EMAILS, {"value": "A@Example.com"}, 'value ew ".org"', False),
    (EMAILS, {"value": "b"}, 'value gt "A"', True),
    (EMAILS, {"value": "b"}, 'value lt "A"', False),
    (EMAILS, {"value": "b"}, 'value ge "B"', True),
    (EMAILS, {"value": "b"}, 'value le "a"', False),
    (EMAILS, {"value": "x"}, "value pr", True),
    (EMAILS, {"value": ""}, "value pr", False),
    (EMAILS, {"value": None}, "value pr", False),
    (EMAILS, {}, "value pr", False),
    (EMAILS, {"value": 5}, 'value eq "5"', False),
    (EMAILS, {"value": 5}, 'value ne "5"', True),
    (EMAILS, {"type": "work", "value": "a@x.com"}, 'type eq "work" and value ew "@x.com"', True),
    (EMAILS, {"type": "home", "value": "a@x.com"}, 'type eq "work" and value ew "@x.com"', False),
    (EMAILS, {"type": "home", "value": "a@x.com"}, 'type eq "work" or value ew "@x.com"', True),
    (EMAILS, {"type": "home"}, 'type eq "work" or (not (value pr) and type eq "home")', True),
    (CODES, {"code": "ABC"}, 'code eq "abc"', False),  # caseExact true
    (CODES, {"code": "ABC"}, 'code eq "ABC"', True),
    (CODES, {"code": "ABC"}, 'code co "b"', False),
    (CODES, {"n": 5}, "n gt 3", True),
    (CODES, {"n": 5}, "n le 4.5", False),
    (CODES, {"n": "5"}, "n eq 5", False),
    (CODES, {"n": True}, "n eq 1", False),  # a boolean is not a number
]


@pytest.mark.parametrize(
    "parent, element, inner, expected", MATCHES, ids=[f"{e}-{i}" for _, e, i, _ in MATCHES]
)
def test_matches(parent, element, inner, expected):
    node = parse_filter(f"{parent.name}[{inner}]").filter
    assert matches(node, element, parent) is expected
