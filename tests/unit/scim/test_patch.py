"""The PATCH engine (RFC 7644 §3.5.2), as tables of operations and the resource they make.

Then the message parser (``parse_patch``) and ``split_operations``, which sets aside a
group's members for the groups service.
"""

import copy

import pytest

from livepreso_scim_addon.scim.errors import ScimError
from livepreso_scim_addon.scim.filter import parse_path
from livepreso_scim_addon.scim.patch import PatchOperation, apply_patch, parse_patch, split_operations
from livepreso_scim_addon.scim.schemas import CORE_GROUP, CORE_USER, ENTERPRISE_USER, GROUP, PATCH_OP, USER

GONE = object()  # in an expectation: the key is no longer in the resource

WORK_EMAIL = {"value": "jane@example.com", "type": "work", "primary": True}
HOME_EMAIL = {"value": "jane@home.example", "type": "home"}

JANE = {
    "schemas": [CORE_USER, ENTERPRISE_USER],
    "id": "u1",
    "meta": {"resourceType": "User", "lastModified": "2024-01-01T00:00:00.000Z"},
    "userName": "jane@example.com",
    "name": {"givenName": "Jane", "familyName": "Doe"},
    "displayName": "Jane Doe",
    "active": True,
    "emails": [WORK_EMAIL, HOME_EMAIL],
    "groups": [{"value": "g1", "display": "Sales"}],
    ENTERPRISE_USER: {"department": "Sales", "manager": {"value": "m1"}},
}


def patch_body(body, resource=JANE):
    """Parse a PatchOp message, then apply it, as the users service does."""
    return apply_patch(USER, resource, parse_patch(USER, body))


def patch(*operations, resource=JANE):
    """Apply the operations and check that the input was left alone."""
    before = copy.deepcopy(resource)
    result = patch_body({"schemas": [PATCH_OP], "Operations": list(operations)}, resource=resource)
    assert resource == before, "apply_patch mutated its input"
    assert result is not resource
    return result


def expected(changes, resource=JANE):
    result = copy.deepcopy(resource)
    for key, value in changes.items():
        if value is GONE:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def enterprise(**values):
    return {**JANE[ENTERPRISE_USER], **values}


# (id, operations, top-level keys that change: the rest must stay as they were)
CASES = [
    # --- Okta ----------------------------------------------------------------------
    ("okta deactivate", [{"op": "replace", "value": {"active": False}}], {"active": False}),
    ("okta reactivate", [{"op": "replace", "value": {"active": True}}], {}),
    (
        "okta rename shape: id ignored",
        [{"op": "replace", "value": {"id": "g9", "displayName": "New Name"}}],
        {"displayName": "New Name"},
    ),
    (
        "okta add to list",
        [{"op": "add", "path": "emails", "value": [{"value": "j@other.example", "type": "other"}]}],
        {"emails": [WORK_EMAIL, HOME_EMAIL, {"value": "j@other.example", "type": "other"}]},
    ),
    (
        "okta full list push",
        [{"op": "replace", "path": "emails", "value": [{"value": "only@example.com", "type": "work"}]}],
        {"emails": [{"value": "only@example.com", "type": "work"}]},
    ),
    (
        "okta remove by filter",
        [{"op": "remove", "path": 'emails[value eq "jane@home.example"]'}],
        {"emails": [WORK_EMAIL]},
    ),
    ("okta remove already gone", [{"op": "remove", "path": 'emails[value eq "gone@example.com"]'}], {}),
    (
        "okta remove and add in one patch",
        [
            {"op": "remove", "path": 'emails[value eq "jane@home.example"]'},
            {"op": "add", "path": "emails", "value": [{"value": "new@home.example", "type": "home"}]},
        ],
        {"emails": [WORK_EMAIL, {"value": "new@home.example", "type": "home"}]},
    ),
    # --- Entra ID ------------------------------------------------------------------
    ("entra disable, string", [{"op": "Replace", "path": "active", "value": "False"}], {"active": "False"}),
    ("entra disable, boolean", [{"op": "Replace", "path": "active", "value": False}], {"active": False}),
    (
        "entra dotted keys",
        [
            {
                "op": "Replace",
                "value": {
                    "name.givenName": "Janet",
                    "name.familyName": "Smith",
                    "displayName": "Janet Smith",
                },
            }
        ],
        {"name": {"givenName": "Janet", "familyName": "Smith"}, "displayName": "Janet Smith"},
    ),
    (
        "entra name.givenName",
        [{"op": "Replace", "path": "name.givenName", "value": "Janet"}],
        {"name": {"givenName": "Janet", "familyName": "Doe"}},
    ),
    ("entra displayName", [{"op": "Replace", "path": "displayName", "value": "J"}], {"displayName": "J"}),
    (
        "entra replace work email",
        [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "janet@example.com"}],
        {"emails": [{**WORK_EMAIL, "value": "janet@example.com"}, HOME_EMAIL]},
    ),
    (
        "entra Add to existing work email",
        [{"op": "Add", "path": 'emails[type eq "work"].value', "value": "janet@example.com"}],
        {"emails": [{**WORK_EMAIL, "value": "janet@example.com"}, HOME_EMAIL]},
    ),
    (
        "entra Add creates the missing email",
        [{"op": "Add", "path": 'emails[type eq "other"].value', "value": "j@other.example"}],
        {"emails": [WORK_EMAIL, HOME_EMAIL, {"type": "other", "value": "j@other.example"}]},
    ),
    (
        "entra Replace creates the missing email",
        [{"op": "Replace", "path": 'emails[type eq "other"].value', "value": "j@other.example"}],
        {"emails": [WORK_EMAIL, HOME_EMAIL, {"type": "other", "value": "j@other.example"}]},
    ),
    (
        "entra value-list remove",
        [{"op": "Remove", "path": "emails", "value": [{"value": "JANE@home.example"}]}],
        {"emails": [WORK_EMAIL]},
    ),
    (
        "entra value-list remove of an unknown value",
        [{"op": "Remove", "path": "emails", "value": [{"value": "nobody@example.com"}]}],
        {},
    ),
    (
        "entra enterprise department",
        [{"op": "Add", "path": f"{ENTERPRISE_USER}:department", "value": "Marketing"}],
        {ENTERPRISE_USER: enterprise(department="Marketing")},
    ),
    (
        "entra manager",
        [{"op": "Replace", "path": f"{ENTERPRISE_USER}:manager", "value": {"value": "m2"}}],
        {ENTERPRISE_USER: enterprise(manager={"value": "m2"})},
    ),
    (
        "entra manager as a bare id",
        [{"op": "Replace", "path": f"{ENTERPRISE_USER}:manager", "value": "m2"}],
        {ENTERPRISE_USER: enterprise(manager={"value": "m2"})},
    ),
    (
        "manager.value",
        [{"op": "replace", "path": f"{ENTERPRISE_USER}:manager.value", "value": "m3"}],
        {ENTERPRISE_USER: enterprise(manager={"value": "m3"})},
    ),
    # --- path-less values ----------------------------------------------------------
    (
        "extension URN key",
        [{"op": "replace", "value": {ENTERPRISE_USER: {"department": "Eng", "employeeNumber": "7"}}}],
        {ENTERPRISE_USER: enterprise(department="Eng", employeeNumber="7")},
    ),
    (
        "URN-prefixed keys",
        [{"op": "replace", "value": {f"{ENTERPRISE_USER}:department": "Eng", f"{CORE_USER}:title": "CTO"}}],
        {ENTERPRISE_USER: enterprise(department="Eng"), "title": "CTO"},
    ),
    (
        "read-only and unknown keys ignored",
        [
            {
                "op": "add",
                "value": {
                    "schemas": [CORE_USER],
                    "id": "x",
                    "meta": {"created": "x"},
                    "groups": [{"value": "g2"}],
                    "customThing": 1,
                    "urn:example:custom:User:thing": 2,
                    "bad key [": 3,
                    "DisplayName": "Shown",
                },
            }
        ],
        {"displayName": "Shown"},
    ),
    (
        "path-less add appends to a list",
        [{"op": "add", "value": {"emails": [{"value": "j@other.example"}]}}],
        {"emails": [WORK_EMAIL, HOME_EMAIL, {"value": "j@other.example"}]},
    ),
    (
        "path-less replace merges a complex attribute",
        [{"op": "replace", "value": {"name": {"givenName": "Janet"}}}],
        {"name": {"givenName": "Janet", "familyName": "Doe"}},
    ),
    (
        "path-less key with a value path",
        [{"op": "replace", "value": {'emails[type eq "home"].display': "Home", "title": "CTO"}}],
        {"emails": [WORK_EMAIL, {**HOME_EMAIL, "display": "Home"}], "title": "CTO"},
    ),
    (
        "entra value-list remove with bare ids",
        [{"op": "Remove", "path": "emails", "value": ["jane@home.example"]}],
        {"emails": [WORK_EMAIL]},
    ),
    ("path-less null unassigns", [{"op": "replace", "value": {"displayName": None}}], {"displayName": GONE}),
    ("path-less add of null does nothing", [{"op": "add", "value": {"displayName": None}}], {}),
    # --- add ------------------------------------------------------------------------
    ("add simple", [{"op": "add", "path": "title", "value": "CTO"}], {"title": "CTO"}),
    ("add any case", [{"op": "add", "path": "NICKNAME", "value": "JJ"}], {"nickName": "JJ"}),
    (
        "add complex merges with canonical names",
        [{"op": "add", "path": "name", "value": {"middleName": "Q", "GIVENNAME": "Janet", "bogus": "x"}}],
        {"name": {"givenName": "Janet", "familyName": "Doe", "middleName": "Q"}},
    ),
    (
        "add one object to a list",
        [{"op": "add", "path": "emails", "value": {"VALUE": "j@other.example", "Type": "other", "junk": 1}}],
        {"emails": [WORK_EMAIL, HOME_EMAIL, {"value": "j@other.example", "type": "other"}]},
    ),
    (
        "add skips an existing value",
        [{"op": "add", "path": "emails", "value": [{"value": "JANE@home.example", "type": "home"}]}],
        {},
    ),
    (
        "add with a filter and no sub merges",
        [{"op": "add", "path": 'emails[type eq "home"]', "value": {"display": "Home"}}],
        {"emails": [WORK_EMAIL, {**HOME_EMAIL, "display": "Home"}]},
    ),
    # --- replace ------------------------------------------------------------------
    (
        "replace complex keeps unspecified subs",
        [{"op": "replace", "path": "name", "value": {"givenName": "Janet"}}],
        {"name": {"givenName": "Janet", "familyName": "Doe"}},
    ),
    (
        "replace with null unassigns",
        [{"op": "replace", "path": "displayName", "value": None}],
        {"displayName": GONE},
    ),
    (
        "replace filter, no sub: merge into matches",
        [
            {
                "op": "replace",
                "path": 'emails[type eq "home"]',
                "value": {"display": "Home", "value": "h@x.example"},
            }
        ],
        {"emails": [WORK_EMAIL, {"value": "h@x.example", "type": "home", "display": "Home"}]},
    ),
    (
        "replace filter with every match",
        [{"op": "replace", "path": 'emails[value co "example"].display', "value": "Mine"}],
        {"emails": [{**WORK_EMAIL, "display": "Mine"}, {**HOME_EMAIL, "display": "Mine"}]},
    ),
    (
        "replace through a negated filter",
        [{"op": "replace", "path": 'emails[not (type eq "home")].display', "value": "Office"}],
        {"emails": [{**WORK_EMAIL, "display": "Office"}, HOME_EMAIL]},
    ),
    (
        "replace with an eq conjunction creates",
        [
            {
                "op": "replace",
                "path": 'emails[type eq "other" and display eq "Alt"]',
                "value": {"value": "a@x.example"},
            }
        ],
        {"emails": [WORK_EMAIL, HOME_EMAIL, {"type": "other", "display": "Alt", "value": "a@x.example"}]},
    ),
    (
        "replace sub on every value without a filter",
        [{"op": "replace", "path": "emails.display", "value": "D"}],
        {"emails": [{**WORK_EMAIL, "display": "D"}, {**HOME_EMAIL, "display": "D"}]},
    ),
    ("replace the list with nothing", [{"op": "replace", "path": "emails", "value": []}], {"emails": GONE}),
    # --- remove -------------------------------------------------------------------
    ("remove singular", [{"op": "remove", "path": "displayName"}], {"displayName": GONE}),
    ("remove what is not there", [{"op": "remove", "path": "title"}], {}),
    ("remove a sub", [{"op": "remove", "path": "name.familyName"}], {"name": {"givenName": "Jane"}}),
    (
        "remove the last sub removes the complex",
        [{"op": "remove", "path": "name.familyName"}, {"op": "remove", "path": "name.givenName"}],
        {"name": GONE},
    ),
    (
        "remove manager.value removes manager",
        [{"op": "remove", "path": f"{ENTERPRISE_USER}:manager.value"}],
        {ENTERPRISE_USER: {"department": "Sales"}},
    ),
    (
        "removing every extension attribute removes the extension",
        [
            {"op": "remove", "path": f"{ENTERPRISE_USER}:department"},
            {"op": "remove", "path": f"{ENTERPRISE_USER}:manager"},
        ],
        {ENTERPRISE_USER: GONE},
    ),
    ("remove all values", [{"op": "remove", "path": "emails"}], {"emails": GONE}),
    (
        "remove filter and sub",
        [{"op": "remove", "path": 'emails[type eq "work"].primary'}],
        {"emails": [{"value": "jane@example.com", "type": "work"}, HOME_EMAIL]},
    ),
    (
        "remove the only value",
        [
            {"op": "remove", "path": 'emails[type eq "work"]'},
            {"op": "remove", "path": 'emails[type eq "home"]'},
        ],
        {"emails": GONE},
    ),
    (
        "remove with a complex filter",
        [{"op": "remove", "path": 'emails[not (type eq "work") and value pr]'}],
        {"emails": [WORK_EMAIL]},
    ),
    # --- extension URN as the path --------------------------------------------------
    (
        "extension URN path replace",
        [{"op": "replace", "path": ENTERPRISE_USER, "value": {"department": "Eng"}}],
        {ENTERPRISE_USER: enterprise(department="Eng")},
    ),
    ("extension URN path remove", [{"op": "remove", "path": ENTERPRISE_USER}], {ENTERPRISE_USER: GONE}),
    # --- primary (RFC 7643 §2.4) ----------------------------------------------------
    (
        "a new primary demotes the old one",
        [{"op": "add", "path": "emails", "value": [{"value": "j@other.example", "primary": True}]}],
        {
            "emails": [
                {"value": "jane@example.com", "type": "work"},
                HOME_EMAIL,
                {"value": "j@other.example", "primary": True},
            ]
        },
    ),
    (
        "primary set through a filter",
        [{"op": "replace", "path": 'emails[type eq "home"].primary', "value": True}],
        {"emails": [{"value": "jane@example.com", "type": "work"}, {**HOME_EMAIL, "primary": True}]},
    ),
    (
        "Entra's primary string",
        [{"op": "Replace", "path": 'emails[type eq "home"].primary', "value": "True"}],
        {"emails": [{"value": "jane@example.com", "type": "work"}, {**HOME_EMAIL, "primary": "True"}]},
    ),
    (
        "primary false leaves the others alone",
        [{"op": "replace", "path": 'emails[type eq "home"].primary', "value": False}],
        {"emails": [WORK_EMAIL, {**HOME_EMAIL, "primary": False}]},
    ),
    # --- operation names ----------------------------------------------------------
    ("op in capitals", [{"op": "REPLACE", "path": "title", "value": "X"}], {"title": "X"}),
    ("keys in capitals", [{"OP": "replace", "Path": "title", "VALUE": "X"}], {"title": "X"}),
    ("empty path means none", [{"op": "replace", "path": "", "value": {"title": "X"}}], {"title": "X"}),
    (
        "ops apply in order",
        [{"op": "replace", "path": "title", "value": "A"}, {"op": "replace", "path": "title", "value": "B"}],
        {"title": "B"},
    ),
]


@pytest.mark.parametrize("operations, changes", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_patch(operations, changes):
    assert patch(*operations) == expected(changes)


# --- resources without the attribute yet --------------------------------------------

BARE = {"id": "u2", "userName": "bob@example.com"}

BARE_CASES = [
    (
        "entra adds the first work email",
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "bob@example.com"},
        {"emails": [{"type": "work", "value": "bob@example.com"}]},
    ),
    (
        "entra sets a sub of an absent complex",
        {"op": "Replace", "path": "name.familyName", "value": "Smith"},
        {"name": {"familyName": "Smith"}},
    ),
    (
        "extension attribute on a resource without the extension",
        {"op": "add", "path": f"{ENTERPRISE_USER}:manager.value", "value": "m1"},
        {ENTERPRISE_USER: {"manager": {"value": "m1"}}},
    ),
    (
        "clearing a missing email creates nothing",
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": ""},
        {},
    ),
    ("remove from an absent list", {"op": "remove", "path": 'emails[type eq "work"]'}, {}),
    ("remove a sub of an absent complex", {"op": "remove", "path": "name.givenName"}, {}),
    (
        "path-less add to an absent list",
        {"op": "add", "value": {"emails": {"value": "b@x.example"}}},
        {"emails": [{"value": "b@x.example"}]},
    ),
]


@pytest.mark.parametrize("operation, changes", [c[1:] for c in BARE_CASES], ids=[c[0] for c in BARE_CASES])
def test_patch_bare_resource(operation, changes):
    assert patch(operation, resource=BARE) == expected(changes, resource=BARE)


# --- errors -----------------------------------------------------------------------

ERRORS = [
    ({"op": "move", "path": "title", "value": "x"}, "invalidSyntax", "Unknown op 'move'"),
    ({"path": "title", "value": "x"}, "invalidSyntax", "Unknown op None"),
    ({"op": 1, "path": "title", "value": "x"}, "invalidSyntax", "Unknown op"),
    ({"op": "remove"}, "noTarget", "'remove' needs a path"),
    ({"op": "remove", "value": {"title": "x"}}, "noTarget", "'remove' needs a path"),
    ({"op": "add", "value": "x"}, "invalidValue", "without a path needs an object"),
    ({"op": "replace"}, "invalidValue", "'replace' needs a 'value'"),
    ({"op": "add", "path": "title"}, "invalidValue", "'add' needs a 'value'"),
    ({"op": "replace", "path": "title"}, "invalidValue", "'replace' needs a 'value'"),
    ({"op": "replace", "value": None}, "invalidValue", "without a path needs an object"),
    ({"op": "add", "path": "title", "value": None}, "invalidValue", "needs a value"),
    ({"op": "add", "path": 5, "value": 1}, "invalidPath", "must be a string"),
    ({"op": "replace", "path": "nickname2", "value": "x"}, "invalidPath", "Unknown attribute 'nickname2'"),
    (
        {"op": "replace", "path": "name.nope", "value": "x"},
        "invalidPath",
        "Unknown sub-attribute 'name.nope'",
    ),
    (
        {"op": "replace", "path": "displayName.x", "value": "x"},
        "invalidPath",
        "'displayName' has no sub-attributes",
    ),
    ({"op": "replace", "path": "employeeNumber", "value": "x"}, "invalidPath", "Unknown attribute"),
    ({"op": "replace", "path": 'emails[nope eq "x"]', "value": {}}, "invalidPath", "Unknown sub-attribute"),
    ({"op": "replace", "path": 'emails[type eq "work"', "value": "x"}, "invalidPath", "expected ']'"),
    ({"op": "replace", "path": 'emails[primary eq "x"]', "value": {}}, "invalidPath", "is a boolean"),
    (
        {"op": "replace", "path": 'name[givenName eq "x"]', "value": {}},
        "invalidPath",
        "only to a multi-valued",
    ),
    (
        {"op": "replace", "path": 'userName[value eq "x"]', "value": {}},
        "invalidPath",
        "no sub-attributes to filter",
    ),
    ({"op": "replace", "path": "id", "value": "x"}, "mutability", "'id' is readOnly"),
    ({"op": "remove", "path": "id"}, "mutability", "'id' is readOnly"),
    ({"op": "replace", "path": "meta.lastModified", "value": "x"}, "mutability", "readOnly"),
    ({"op": "add", "path": "groups", "value": [{"value": "g2"}]}, "mutability", "'groups' is readOnly"),
    ({"op": "remove", "path": 'groups[value eq "g1"]'}, "mutability", "readOnly"),
    ({"op": "replace", "path": "groups.display", "value": "x"}, "mutability", "readOnly"),
    ({"op": "remove", "path": "userName"}, "invalidValue", "userName is required and cannot be removed"),
    ({"op": "replace", "path": "userName", "value": None}, "invalidValue", "userName is required"),
    ({"op": "replace", "value": {"userName": None}}, "invalidValue", "userName is required"),
    (
        {"op": "replace", "path": "displayName", "value": {"a": 1}},
        "invalidValue",
        "takes a single value, not an object",
    ),
    (
        {"op": "replace", "path": "displayName", "value": ["a"]},
        "invalidValue",
        "takes a single value, not a list",
    ),
    ({"op": "replace", "path": "name", "value": "Jane"}, "invalidValue", "needs an object of sub-attributes"),
    ({"op": "add", "path": "emails", "value": ["a@x"]}, "invalidValue", "needs an object of sub-attributes"),
    (
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": {"v": 1}},
        "invalidValue",
        "single value",
    ),
    ({"op": "replace", "path": 'emails[type eq "work"]', "value": "x"}, "invalidValue", "needs an object"),
    (
        {"op": "replace", "path": 'emails[type co "zzz"].value', "value": "x"},
        "noTarget",
        "matches the filter",
    ),
    (
        {"op": "add", "path": 'emails[type eq "a" or type eq "b"]', "value": {}},
        "noTarget",
        "matches the filter",
    ),
    ({"op": "replace", "path": ENTERPRISE_USER, "value": "x"}, "invalidValue", "must be an object"),
    ({"op": "replace", "value": {ENTERPRISE_USER: ["x"]}}, "invalidValue", "must be an object"),
]


@pytest.mark.parametrize("operation, scim_type, fragment", ERRORS, ids=[str(e[0])[:70] for e in ERRORS])
def test_patch_errors(operation, scim_type, fragment):
    with pytest.raises(ScimError) as caught:
        patch(operation)
    assert (caught.value.status, caught.value.scim_type) == (400, scim_type)
    assert fragment in caught.value.detail
    assert caught.value.detail.startswith("Operation 1: ")


def test_a_failing_operation_aborts_the_whole_patch():
    resource = copy.deepcopy(JANE)
    body = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "replace", "path": "title", "value": "changed"},
            {"op": "remove", "path": "emails"},
            {"op": "replace", "path": "id", "value": "x"},
        ]
    }
    with pytest.raises(ScimError) as caught:
        patch_body(body, resource=resource)
    assert caught.value.detail.startswith("Operation 3: ")
    assert resource == JANE


def test_the_result_shares_nothing_with_the_input():
    result = patch({"op": "replace", "path": "title", "value": "x"})
    result["emails"][0]["value"] = "changed"
    result["name"]["givenName"] = "changed"
    result[ENTERPRISE_USER]["department"] = "changed"
    assert JANE["emails"][0]["value"] == "jane@example.com"
    assert JANE["name"]["givenName"] == "Jane"
    assert JANE[ENTERPRISE_USER]["department"] == "Sales"


def test_added_values_are_copies_of_the_request():
    value = [{"value": "j@other.example"}]
    result = patch_body({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "emails", "value": value}]})
    assert result["emails"][-1] == {"value": "j@other.example"}
    result["emails"][-1]["value"] = "changed"
    assert value == [{"value": "j@other.example"}]


# --- the request body ---------------------------------------------------------------

BODY_ERRORS = [
    ([], "must be a JSON object"),
    ("x", "must be a JSON object"),
    ({}, "must contain"),
    ({"Operations": []}, "must contain"),  # RFC 7644 §3.5.2: the PatchOp schema is required
    ({"schemas": [PATCH_OP]}, "needs an 'Operations' list"),
    ({"schemas": [PATCH_OP], "Operations": {"op": "add"}}, "needs an 'Operations' list"),
    ({"schemas": [CORE_USER], "Operations": []}, "must contain"),
    ({"schemas": PATCH_OP, "Operations": []}, "must contain"),
    ({"schemas": [PATCH_OP], "Operations": ["add"]}, "must be a JSON object"),
]


@pytest.mark.parametrize("body, fragment", BODY_ERRORS, ids=[repr(b)[:50] for b, _ in BODY_ERRORS])
def test_body_errors(body, fragment):
    with pytest.raises(ScimError) as caught:
        parse_patch(USER, body)
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidSyntax")
    assert fragment in caught.value.detail


@pytest.mark.parametrize(
    "body",
    [
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "X"}]},  # no schemas
        {"schemas": [PATCH_OP.upper()], "operations": [{"op": "replace", "path": "title", "value": "X"}]},
        {"SCHEMAS": [PATCH_OP], "OPERATIONS": [{"op": "replace", "path": "title", "value": "X"}]},
    ],
)
def test_body_leniency(body):
    assert patch_body(body) == expected({"title": "X"})


def test_no_operations_change_nothing():
    result = patch_body({"schemas": [PATCH_OP], "Operations": []})
    assert result == JANE and result is not JANE


def test_a_value_left_empty_is_dropped():
    resource = {
        "userName": "bob",
        "emails": [{"value": "b@x.example"}, {"value": "c@x.example", "type": "home"}],
    }
    result = patch({"op": "remove", "path": "emails.value"}, resource=resource)
    assert result == {"userName": "bob", "emails": [{"type": "home"}]}


def test_the_result_passes_the_callers_validation():
    """The caller re-validates with deserialize_resource: Entra's "False" becomes False there."""
    from livepreso_scim_addon.scim.schemas import deserialize_resource

    result = patch(
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": 'emails[type eq "other"].value', "value": "j@other.example"},
        {"op": "replace", "value": {"name.givenName": "Janet", f"{ENTERPRISE_USER}:department": "Eng"}},
    )
    user = deserialize_resource(USER, result)
    assert user["active"] is False
    assert user["name"] == {"givenName": "Janet", "familyName": "Doe"}
    assert {"type": "other", "value": "j@other.example"} in user["emails"]
    assert user[ENTERPRISE_USER]["department"] == "Eng"


# --- parse_patch: the message, read once -------------------------------------------


def op(number, op_name, path=None, value=None, label=None, extension=None):
    """The PatchOperation parse_patch should make; ``path`` as text, parsed here."""
    parsed = parse_path(path) if path and extension is None else None
    return PatchOperation(number, op_name, parsed, (path or "") if label is None else label, value, extension)


PARSED = [
    ("op lower-cased", {"op": "Add", "path": "title", "value": "X"}, op(1, "add", "title", "X")),
    ("op in capitals", {"op": "REMOVE", "path": "title"}, op(1, "remove", "title")),
    ("keys any case", {"OP": "replace", "PATH": "title", "Value": "X"}, op(1, "replace", "title", "X")),
    ("no path", {"op": "replace", "value": {"active": False}}, op(1, "replace", None, {"active": False})),
    ("empty path is no path", {"op": "replace", "path": "", "value": {}}, op(1, "replace", None, {})),
    ("null path is no path", {"op": "replace", "path": None, "value": {}}, op(1, "replace", None, {})),
    ("no value", {"op": "remove", "path": "emails"}, op(1, "remove", "emails")),
    (
        "filtered path parsed, label as written",
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "a@x"},
        op(1, "replace", 'emails[type eq "work"].value', "a@x"),
    ),
    (
        "extension URN path",
        {"op": "replace", "path": ENTERPRISE_USER, "value": {"department": "Eng"}},
        op(1, "replace", ENTERPRISE_USER, {"department": "Eng"}, extension=ENTERPRISE_USER),
    ),
    (
        "extension URN in any case and padded: canonical URN, label as written",
        {"op": "remove", "path": f" {ENTERPRISE_USER.upper()} "},
        op(1, "remove", None, label=f" {ENTERPRISE_USER.upper()} ", extension=ENTERPRISE_USER),
    ),
    (
        "extension attribute is a path, not the extension",
        {"op": "add", "path": f"{ENTERPRISE_USER}:department", "value": "Eng"},
        op(1, "add", f"{ENTERPRISE_USER}:department", "Eng"),
    ),
    (
        "attributes are not resolved yet",
        {"op": "replace", "path": "nickname2", "value": "x"},
        op(1, "replace", "nickname2", "x"),
    ),
]


@pytest.mark.parametrize("operation, parsed", [c[1:] for c in PARSED], ids=[c[0] for c in PARSED])
def test_parse_patch_normalises(operation, parsed):
    assert parse_patch(USER, {"schemas": [PATCH_OP], "Operations": [operation]}) == [parsed]


def test_parse_patch_numbers_operations_from_one():
    operations = [{"op": "add", "path": "title", "value": str(i)} for i in range(3)]
    parsed = parse_patch(USER, {"schemas": [PATCH_OP], "Operations": operations})
    assert [(o.number, o.value) for o in parsed] == [(1, "0"), (2, "1"), (3, "2")]


def test_parse_patch_keeps_the_value_as_sent():
    value = [{"value": "a@x", "Type": "work", "junk": 1}]
    (parsed,) = parse_patch(USER, {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "emails", "value": value}]})
    assert parsed.value == [{"value": "a@x", "Type": "work", "junk": 1}]


PARSE_ERRORS = [
    ("x", 400, "invalidSyntax", "Operation 2: Each operation must be a JSON object."),
    (["op", "add"], 400, "invalidSyntax", "Operation 2: Each operation must be a JSON object."),
    ({"op": "move", "path": "title"}, 400, "invalidSyntax", "Operation 2: Unknown op 'move'"),
    ({"op": "Move"}, 400, "invalidSyntax", "Operation 2: Unknown op 'Move'"),
    ({"path": "title"}, 400, "invalidSyntax", "Operation 2: Unknown op None"),
    ({"op": True, "path": "title"}, 400, "invalidSyntax", "Operation 2: Unknown op True"),
    ({"op": "add", "path": 5, "value": 1}, 400, "invalidPath", "Operation 2: 'path' must be a string."),
    ({"op": "add", "path": ["title"], "value": 1}, 400, "invalidPath", "Operation 2: 'path' must be a string."),
    ({"op": "add", "path": "   ", "value": 1}, 400, "invalidPath", "Operation 2: The path is empty."),
    ({"op": "replace", "path": 'emails[type eq "work"', "value": 1}, 400, "invalidPath", "Operation 2: Invalid path"),
    ({"op": "replace", "path": "emails[type zz 1]", "value": 1}, 400, "invalidPath", "unknown operator 'zz'"),
    ({"op": "replace", "path": "title title", "value": 1}, 400, "invalidPath", "unexpected 'title'"),
]


@pytest.mark.parametrize(
    "operation, status, scim_type, fragment", PARSE_ERRORS, ids=[repr(e[0])[:60] for e in PARSE_ERRORS]
)
def test_parse_patch_errors_name_the_operation(operation, status, scim_type, fragment):
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "ok"}, operation]}
    with pytest.raises(ScimError) as caught:
        parse_patch(USER, body)
    assert (caught.value.status, caught.value.scim_type) == (status, scim_type)
    assert caught.value.detail.startswith("Operation 2: ")
    assert fragment in caught.value.detail


def test_message_errors_name_no_operation():
    with pytest.raises(ScimError) as caught:
        parse_patch(USER, {"schemas": [CORE_USER], "Operations": [{"op": "move"}]})
    assert caught.value.detail == f"'schemas' must contain '{PATCH_OP}'."


def test_a_malformed_operation_fails_before_any_is_applied():
    """The whole message is read first: operation 2's syntax fails before operation 1's target."""
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "id", "value": "x"}, {"op": "move"}]}
    with pytest.raises(ScimError) as caught:
        patch_body(body)
    assert caught.value.scim_type == "invalidSyntax"
    assert caught.value.detail.startswith("Operation 2: ")


def test_apply_patch_reports_the_operations_own_number():
    """After a split, an operation keeps its place in the client's message."""
    operations = [PatchOperation(7, "replace", parse_path("id"), "id", "x")]
    with pytest.raises(ScimError) as caught:
        apply_patch(USER, JANE, operations)
    assert caught.value.detail == "Operation 7: 'id' is readOnly and cannot be modified."


# --- split_operations: a group's members apart ---------------------------------------

MEMBERS = [{"value": "u1"}, {"value": "u2"}]


def split(*operations):
    return split_operations(GROUP, parse_patch(GROUP, {"schemas": [PATCH_OP], "Operations": list(operations)}), "members")


@pytest.mark.parametrize(
    "path",
    [
        "members", "MEMBERS", "Members", 'members[value eq "u1"]', "members.value", 'members[value eq "u1"].value',
        # the core schema's URN may qualify the path (RFC 7644 §3.10)
        f"{CORE_GROUP}:members", f'{CORE_GROUP.upper()}:members[value eq "u1"]',
    ],
)
def test_split_a_path_on_members(path):
    (operation,) = parse_patch(GROUP, {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": path}]})
    others, members = split_operations(GROUP, [operation], "members")
    assert others == []
    assert members == [operation] and members[0] is operation


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "displayName", "value": "X"},
        {"op": "replace", "path": "externalId", "value": "X"},
        {"op": "add", "path": "membersOf", "value": "X"},
        # another schema's attribute of the same name is not the group's members
        {"op": "add", "path": "urn:example:params:scim:schemas:extension:x:2.0:Group:members", "value": MEMBERS},
        {"op": "remove", "value": {"members": MEMBERS}},  # no path: the engine answers noTarget
        {"op": "remove"},
        {"op": "add", "value": "members"},  # not an object: the engine answers invalidValue
        {"op": "replace", "value": {"displayName": "X", "membersX": 1}},
    ],
    ids=repr,
)
def test_split_leaves_the_others_unchanged(operation):
    (parsed,) = parse_patch(GROUP, {"schemas": [PATCH_OP], "Operations": [operation]})
    others, members = split_operations(GROUP, [parsed], "members")
    assert members == []
    assert others == [parsed] and others[0] is parsed


def test_split_a_pathless_value_in_two():
    others, members = split(
        {"op": "replace", "value": {"id": "g1", "displayName": "Sales", "members": MEMBERS}},
    )
    assert members == [PatchOperation(1, "replace", parse_path("members"), "members", MEMBERS)]
    assert others == [PatchOperation(1, "replace", None, "", {"id": "g1", "displayName": "Sales"})]


def test_split_a_pathless_value_holding_only_members():
    others, members = split({"op": "Add", "value": {"Members": MEMBERS}})
    assert others == []
    assert members == [PatchOperation(1, "add", parse_path("members"), "members", MEMBERS)]


def test_split_each_members_key_of_a_pathless_value():
    others, members = split({"op": "add", "value": {"members": [MEMBERS[0]], "MEMBERS": [MEMBERS[1]]}})
    assert others == []
    assert [m.value for m in members] == [[MEMBERS[0]], [MEMBERS[1]]]


def test_split_keeps_a_null_members_value_for_the_service_to_refuse():
    others, members = split({"op": "add", "value": {"members": None, "displayName": "X"}})
    assert [(m.op, m.label, m.value) for m in members] == [("add", "members", None)]
    assert [o.value for o in others] == [{"displayName": "X"}]


def test_split_keeps_numbers_and_order():
    others, members = split(
        {"op": "replace", "path": "displayName", "value": "A"},
        {"op": "remove", "path": 'members[value eq "u1"]'},
        {"op": "replace", "value": {"displayName": "B", "members": MEMBERS}},
        {"op": "add", "path": "members", "value": MEMBERS},
        {"op": "replace", "path": "externalId", "value": "e"},
    )
    assert [(o.number, o.label) for o in others] == [(1, "displayName"), (3, ""), (5, "externalId")]
    assert [(m.number, m.op) for m in members] == [(2, "remove"), (3, "replace"), (4, "add")]


def test_split_on_another_attribute():
    others, members = split_operations(
        USER,
        parse_patch(USER, {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"EMAILS": [], "title": "X"}}]}), "emails"
    )
    assert [(m.label, m.value) for m in members] == [("emails", [])]
    assert [o.value for o in others] == [{"title": "X"}]


def test_the_others_apply_to_a_group():
    """Okta's rename, sent with the members: the engine sees only displayName (and the readOnly id)."""
    group = {"schemas": [CORE_GROUP], "id": "g1", "displayName": "Old"}
    others, members = split({"op": "replace", "value": {"id": "g1", "displayName": "New", "members": MEMBERS}})
    assert apply_patch(GROUP, group, others) == {**group, "displayName": "New"}
    assert len(members) == 1


def test_a_failing_other_operation_keeps_the_clients_number():
    others, _ = split(
        {"op": "add", "path": "members", "value": MEMBERS},
        {"op": "replace", "path": "id", "value": "x"},
    )
    with pytest.raises(ScimError) as caught:
        apply_patch(GROUP, {"id": "g1", "displayName": "G"}, others)
    assert caught.value.detail.startswith("Operation 2: ")
