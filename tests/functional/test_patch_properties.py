"""Property over HTTP, on each database: a random PATCH of a user either answers 200 with
the body the next GET returns, or a 4xx with the user unchanged (the request is one
transaction: any failed operation aborts all of them). Strategies and settings:
``tests/common/properties.py``."""

from hypothesis import given, settings

from tests.common.properties import DATABASE, patch_bodies
from tests.common.scim import CORE, ENTERPRISE

JANE = {
    "schemas": [CORE, ENTERPRISE],
    "userName": "jane@example.com",
    "name": {"givenName": "Jane", "familyName": "Doe"},
    "displayName": "Jane Doe",
    "active": True,
    "emails": [{"value": "jane@example.com", "type": "work", "primary": True}, {"value": "jane@home.example", "type": "home"}],
    "phoneNumbers": [{"value": "+1 555", "type": "work"}],
    ENTERPRISE: {"department": "Sales", "manager": {"value": "m1"}},
}


@settings(DATABASE, max_examples=40)
@given(body=patch_bodies())
def test_a_patch_is_the_next_get_or_a_4xx_that_changed_nothing(scim, body):
    # Each example starts from the same user: PUT her back (created by the first example).
    found = scim.get("Users?filter=userName%20pr").json["Resources"]
    user_id = found[0]["id"] if found else scim.post("Users", JANE).json["id"]
    before = scim.put(f"Users/{user_id}", JANE).json
    response = scim.patch(f"Users/{user_id}", body, status="*")
    after = scim.get(f"Users/{user_id}").json
    if response.status_int == 200:
        assert response.json == after, body
    else:
        assert 400 <= response.status_int < 500, (body, response.status, response.text[:300])
        assert response.json["status"] == str(response.status_int)
        assert after == before, body
