"""Input validation (RFC 7643 §2.3) and serializing SCIM dateTime values (RFC 7643 §2.3.5)."""

from __future__ import annotations

import datetime as dt

import pytest

from livepreso_scim_addon.scim.errors import ScimError
from livepreso_scim_addon.scim.schemas import CORE_USER, ENTERPRISE_USER, USER, deserialize_resource, format_datetime


@pytest.mark.parametrize(
    "value, text",
    [
        (dt.datetime(2026, 1, 2, 3, 4, 5, 678901), "2026-01-02T03:04:05.678Z"),  # stored: naive UTC
        (dt.datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05.000Z"),
        (dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2026-01-02T01:04:05.000Z"),
        (dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))), "2025-12-31T23:30:00.000Z"),
    ],
)
def test_datetimes_are_utc_with_milliseconds_and_z(value, text):
    assert format_datetime(value) == text


# --- booleans: one rule, leniency.boolean -----------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [(True, True), (False, False), ("True", True), ("False", False), ("true", True), ("FALSE", False)],
    ids=repr,
)
def test_booleans_and_entras_strings(value, expected):
    body = {"schemas": [CORE_USER], "userName": "jane", "active": value, "emails": [{"value": "j@x", "primary": value}]}
    user = deserialize_resource(USER, body)
    assert user["active"] is expected
    assert user["emails"][0]["primary"] is expected


@pytest.mark.parametrize("value", ["1", "0", 1, 0, "yes", "", "true ", ["true"], {"value": True}], ids=repr)
def test_anything_else_is_not_a_boolean(value):
    with pytest.raises(ScimError) as caught:
        deserialize_resource(USER, {"schemas": [CORE_USER], "userName": "jane", "active": value})
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidValue")
    assert "active must be true or false" in caught.value.detail


def test_a_null_boolean_is_unassigned():
    assert "active" not in deserialize_resource(USER, {"schemas": [CORE_USER], "userName": "jane", "active": None})


# --- Entra's manager as a bare id --------------------------------------------------------


@pytest.mark.parametrize("manager", ["m1", {"value": "m1"}, {"VALUE": "m1"}], ids=repr)
def test_manager_as_a_bare_id_or_an_object(manager):
    user = deserialize_resource(USER, {"schemas": [CORE_USER], "userName": "jane", ENTERPRISE_USER: {"manager": manager}})
    assert user[ENTERPRISE_USER] == {"manager": {"value": "m1"}}


def test_a_bare_string_is_not_a_name():
    with pytest.raises(ScimError) as caught:
        deserialize_resource(USER, {"schemas": [CORE_USER], "userName": "jane", "name": "Jane"})
    assert caught.value.scim_type == "invalidValue"


@pytest.mark.parametrize(
    "schemas",
    [None, "urn:ietf:params:scim:schemas:core:2.0:User", [5], [], ["urn:example:unknown"], "absent"],
    ids=repr,
)
def test_a_resource_names_its_core_schema(schemas):
    """RFC 7643 §3: ``schemas`` is required; a body without the core schema is refused."""
    body = {"userName": "jane"} if schemas == "absent" else {"schemas": schemas, "userName": "jane"}
    with pytest.raises(ScimError) as caught:
        deserialize_resource(USER, body)
    assert caught.value.status == 400 and caught.value.scim_type in ("invalidSyntax", "invalidValue")
    assert "schemas" in caught.value.detail


def test_other_schemas_may_be_listed_beside_the_core_one():
    """Entra ID lists its own extension URN too; it is ignored."""
    body = {"schemas": [CORE_USER.upper(), "urn:ietf:params:scim:schemas:extension:ms:2.0:User"], "userName": "jane"}
    assert deserialize_resource(USER, body)["userName"] == "jane"
