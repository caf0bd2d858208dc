"""Property-based tests of the PATCH engine (RFC 7644 §3.5.2): for random operation lists
over USER, ``parse_patch`` + ``apply_patch`` either refuse with a 4xx ScimError or return a
resource that ``deserialize_resource`` (the PUT path) accepts or refuses with a ScimError;
never another exception, and the input is never changed. Settings and strategies:
``tests/common/properties.py``."""

import copy

from hypothesis import given

from livepreso_scim_addon.scim.errors import ScimError
from livepreso_scim_addon.scim.patch import apply_patch, parse_patch
from livepreso_scim_addon.scim.schemas import USER, deserialize_resource
from tests.common.properties import UNIT, patch_bodies
from tests.unit.scim.test_patch import JANE

#: JANE as the users service renders her, and a user with nearly nothing
MINIMAL = {"schemas": JANE["schemas"][:1], "id": "u2", "userName": "x", "meta": {"resourceType": "User"}}


def check_patch(resource, body):
    before = copy.deepcopy(resource)
    body_before = copy.deepcopy(body)
    try:
        result = apply_patch(USER, resource, parse_patch(USER, body))
    except ScimError as error:
        assert 400 <= error.status < 500, (body, error.status, error.detail)
        result = None
    assert resource == before, "apply_patch mutated its input"
    assert body == body_before, "parse_patch or apply_patch mutated the body"
    if result is None:
        return
    assert isinstance(result, dict) and result is not resource
    try:
        validated = deserialize_resource(USER, result)
    except ScimError as error:
        assert 400 <= error.status < 500, (body, error.status, error.detail)
        return
    assert validated["userName"]  # required: a PATCH never loses it
    # What PUT keeps of the result is a fixed point: validating it again changes nothing.
    assert deserialize_resource(USER, {"schemas": result.get("schemas", JANE["schemas"]), **validated}) == validated


@UNIT
@given(patch_bodies())
def test_patching_jane_is_a_resource_or_a_scim_error(body):
    check_patch(JANE, body)


@UNIT
@given(patch_bodies())
def test_patching_a_minimal_user_is_a_resource_or_a_scim_error(body):
    check_patch(MINIMAL, body)
