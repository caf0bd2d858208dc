"""What the protocol core grants Okta and Entra ID beyond RFC 7643/7644, as tables.

Each value reader is checked on its own; each decision is checked both ways: the
lenient answer it gives today, and the RFC's answer once it is turned off.
"""

import pytest

from livepreso_scim_addon.scim import leniency
from livepreso_scim_addon.scim.errors import ScimError
from livepreso_scim_addon.scim.filter import And, AttrPath, Compare, ValuePath, parse_filter
from livepreso_scim_addon.scim.patch import apply_patch, parse_patch
from livepreso_scim_addon.scim.schemas import ENTERPRISE_USER_SCHEMA, GROUP, PATCH_OP, USER, USER_SCHEMA, Attribute

MANAGER = ENTERPRISE_USER_SCHEMA.attribute("manager")
NAME = USER_SCHEMA.attribute("name")
EMAILS = USER_SCHEMA.attribute("emails")
TAGS = Attribute("tags", multi_valued=True)  # a multi-valued simple attribute


# --- value readers ----------------------------------------------------------------

BOOLEANS = [
    (True, True),
    (False, False),
    ("true", True),
    ("false", False),
    ("True", True),  # Entra
    ("False", False),  # Entra
    ("TRUE", True),
    ("fAlSe", False),
    # one rule for booleans: nothing else is one
    ("1", None),
    ("0", None),
    (1, None),
    (0, None),
    ("yes", None),
    ("", None),
    (" true", None),
    (None, None),
    (["true"], None),
    ({"value": True}, None),
]


@pytest.mark.parametrize("value, expected", BOOLEANS, ids=[repr(v) for v, _ in BOOLEANS])
def test_boolean(value, expected):
    assert leniency.boolean(value) is expected


OP_NAMES = [
    ("add", "add"),
    ("Add", "add"),  # Entra
    ("Replace", "replace"),  # Entra
    ("Remove", "remove"),  # Entra
    ("REPLACE", "replace"),
    ("Move", "move"),  # normalised, not checked: parse_patch refuses it
    (None, None),
    (1, None),
    (["add"], None),
]


@pytest.mark.parametrize("op, expected", OP_NAMES, ids=[repr(o) for o, _ in OP_NAMES])
def test_op_name(op, expected):
    assert leniency.op_name(op) == expected


BARE_REFERENCES = [
    ("Entra's manager id", MANAGER, "m1", {"value": "m1"}),
    ("manager as RFC 7643 has it", MANAGER, {"value": "m1"}, {"value": "m1"}),
    ("manager not a string", MANAGER, 5, 5),
    ("manager null", MANAGER, None, None),
    ("no value sub-attribute", NAME, "Jane", "Jane"),
    ("multi-valued", EMAILS, "a@x", "a@x"),
]


@pytest.mark.parametrize(
    "attribute, value, expected", [c[1:] for c in BARE_REFERENCES], ids=[c[0] for c in BARE_REFERENCES]
)
def test_bare_reference(attribute, value, expected):
    assert leniency.bare_reference(attribute, value) == expected


REMOVED = [
    ("no value: every value (RFC)", EMAILS, None, None),
    ("Entra's value list", EMAILS, [{"value": "u1"}, {"value": "u2"}], [{"value": "u1"}, {"value": "u2"}]),
    ("one object", EMAILS, {"value": "u1"}, [{"value": "u1"}]),
    ("bare ids", EMAILS, ["u1", "u2"], [{"value": "u1"}, {"value": "u2"}]),
    ("one bare id", EMAILS, "u1", [{"value": "u1"}]),
    ("an empty list removes nothing", EMAILS, [], []),
    ("simple attribute: values as they are", TAGS, ["a", "b"], ["a", "b"]),
    ("simple attribute: one value", TAGS, "a", ["a"]),
]


@pytest.mark.parametrize("attribute, value, expected", [c[1:] for c in REMOVED], ids=[c[0] for c in REMOVED])
def test_removed_values(attribute, value, expected):
    assert leniency.removed_values(attribute, value) == expected


CREATED = [
    ("Entra's work email", {"type": "work"}, "value", "a@x", {"type": "work", "value": "a@x"}),
    (
        "two equalities",
        {"type": "other", "display": "Alt"},
        "value",
        "a@x",
        {"type": "other", "display": "Alt", "value": "a@x"},
    ),
    ("clearing a value that is not there", {"type": "work"}, "value", "", None),
    ("null for a value that is not there", {"type": "work"}, "value", None, None),
    (
        "no sub: the object, nulls dropped",
        {"type": "work"},
        None,
        {"value": "a@x", "display": None},
        {"type": "work", "value": "a@x"},
    ),
    ("no sub: the value has the last word", {"type": "work"}, None, {"type": "home"}, {"type": "home"}),
    ("no sub, empty object: the equalities alone", {"type": "work"}, None, {}, {"type": "work"}),
]


@pytest.mark.parametrize(
    "equalities, sub, value, expected", [c[1:] for c in CREATED], ids=[c[0] for c in CREATED]
)
def test_created_for_unmatched_filter(equalities, sub, value, expected):
    assert leniency.created_for_unmatched_filter(equalities, sub, value) == expected


# --- decisions, each way ------------------------------------------------------------

JANE = {"id": "u1", "userName": "jane@example.com", "name": {"givenName": "Jane"}, "displayName": "Jane"}
SALES = {"id": "g1", "displayName": "Sales"}


def patch(resource_type, resource, *operations, **body):
    return apply_patch(resource_type, resource, parse_patch(resource_type, {"schemas": [PATCH_OP], "Operations": list(operations), **body}))


def refusal(call) -> tuple[str, str]:
    with pytest.raises(ScimError) as caught:
        call()
    return caught.value.scim_type, caught.value.detail


ENTRA_DOTTED = {"op": "Replace", "value": {"name.givenName": "Janet", "displayName": "Janet"}}


def test_pathless_keys_are_paths(monkeypatch):
    assert patch(USER, JANE, ENTRA_DOTTED)["name"] == {"givenName": "Janet"}
    monkeypatch.setattr(leniency, "PATHLESS_KEYS_ARE_PATHS", False)
    # a path key is then an unknown attribute: skipped while unknown keys are
    assert patch(USER, JANE, ENTRA_DOTTED) == {**JANE, "displayName": "Janet"}
    monkeypatch.setattr(leniency, "PATHLESS_SKIPS_UNWRITABLE_KEYS", False)
    assert refusal(lambda: patch(USER, JANE, ENTRA_DOTTED)) == (
        "invalidPath",
        "Operation 1: 'name.givenName' is a path, not an attribute name.",
    )


OKTA_RENAME = {"op": "replace", "value": {"id": "g1", "displayName": "Sales EMEA"}}


def test_pathless_skips_unwritable_keys(monkeypatch):
    assert patch(GROUP, SALES, OKTA_RENAME) == {"id": "g1", "displayName": "Sales EMEA"}
    unknown = {"op": "replace", "value": {"schemas": ["x"], "displayName": "Sales EMEA"}}
    assert patch(GROUP, SALES, unknown) == {"id": "g1", "displayName": "Sales EMEA"}
    monkeypatch.setattr(leniency, "PATHLESS_SKIPS_UNWRITABLE_KEYS", False)
    assert refusal(lambda: patch(GROUP, SALES, OKTA_RENAME)) == (
        "mutability",
        "Operation 1: 'id' is readOnly and cannot be modified.",
    )
    assert refusal(lambda: patch(GROUP, SALES, unknown))[0] == "invalidPath"


ENTRA_FILTER = 'emails[type eq "work"].value eq "jane@example.com"'


def test_sub_attribute_after_value_filter(monkeypatch):
    work = Compare(AttrPath(None, "type", None), "eq", "work")
    value = Compare(AttrPath(None, "value", None), "eq", "jane@example.com")
    assert parse_filter(ENTRA_FILTER) == ValuePath(AttrPath(None, "emails", None), And(work, value))
    monkeypatch.setattr(leniency, "SUB_ATTRIBUTE_AFTER_VALUE_FILTER", False)
    scim_type, detail = refusal(lambda: parse_filter(ENTRA_FILTER))
    assert (scim_type, detail) == ("invalidFilter", "Invalid filter: unexpected '.' at position 23.")
