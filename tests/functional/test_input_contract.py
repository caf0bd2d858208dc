"""Strict where RFC 7643/7644 are strict: each refusal a 400 with its scimType, nothing changed.

What the add-on still forgives, and which IdP needs it, is in ``scim/leniency.py``.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.common.scim import PATCH_OP, assert_scim_error, okta_user


@pytest.mark.parametrize(
    "body",
    [
        {"Operations": [{"op": "replace", "path": "title", "value": "CTO"}]},
        {"schemas": None, "Operations": [{"op": "replace", "path": "title", "value": "CTO"}]},
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "Operations": [{"op": "replace", "path": "title", "value": "CTO"}]},
    ],
    ids=["no schemas", "null schemas", "another message's schema"],
)
def test_a_patch_names_the_patchop_schema(scim, body):
    """RFC 7644 §3.5.2: the body "MUST" carry the PatchOp schema; Okta and Entra send it."""
    user = scim.post("Users", okta_user()).json
    response = scim.patch(f"Users/{user['id']}", body, status=400)
    assert_scim_error(response, 400, "invalidSyntax")
    assert PATCH_OP in response.json["detail"]
    assert scim.get(f"Users/{user['id']}").json == user


@pytest.mark.parametrize("attribute", ["emails", "phoneNumbers"])
def test_a_multi_valued_attribute_is_a_list(scim, attribute):
    """RFC 7643 §2.4: one object where a list belongs is refused, not wrapped."""
    body = okta_user(**{attribute: {"value": "x@example.com", "type": "work"}})
    response = scim.post("Users", body, status=400)
    assert_scim_error(response, 400, "invalidValue")
    assert f"'{attribute}' is multi-valued" in response.json["detail"]
    assert scim.get("Users").json["totalResults"] == 0


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_has_no_nan_or_infinity(scim, constant):
    """RFC 8259 §6: Python's json would read them; they are not JSON."""
    raw = '{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x@example.com", "x": %s}' % constant
    response = scim.post("Users", raw, status=400)
    assert_scim_error(response, 400, "invalidSyntax")
    assert constant.lstrip("-") in response.json["detail"]
    assert scim.get("Users").json["totalResults"] == 0


def test_not_takes_a_filter_in_parentheses(scim):
    """RFC 7644 §3.4.2.2: ``"not" "(" valFilter ")"``."""
    scim.post("Users", okta_user())
    response = scim.get("Users?filter=" + quote('not userName eq "x"'), status=400)
    assert_scim_error(response, 400, "invalidFilter")
    found = scim.get("Users?filter=" + quote('not (userName eq "x")')).json
    assert found["totalResults"] == 1
