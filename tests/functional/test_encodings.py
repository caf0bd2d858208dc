"""Bytes that are not text: a clear 4xx, never a 500, and nothing in the log.

Paths and query strings that are not UTF-8 once percent-decoded (``%ff``, or the
encoded lone surrogate ``%ed%a0%80``) are refused before routing (``ingress.py``);
JSON strings holding a lone surrogate escape are refused where the JSON is read.
"""

from __future__ import annotations

import logging

import pytest

from tests.common.scim import assert_scim_error, okta_user

UNDECODABLE_PATHS = [
    "/scim/v2/acme/Groups/%ed%a0%80",
    "/scim/v2/acme/Users/%ff",
    "/scim/v2/%ff/Users",
    "/scim/v2/acme/%ff",
]
UNDECODABLE_QUERIES = [
    "count=%ff",
    "startIndex=%ed%a0%80",
    "filter=userName%20eq%20%22%ED%A0%80%22",
    "attributes=%c3",
    "filter=%ff%fe",
]


@pytest.fixture
def quiet_log(caplog):
    """Fails the test if anything at WARNING or above was logged (a log flood per request)."""
    caplog.set_level(logging.INFO)
    yield
    loud = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert not loud, [record.getMessage() for record in loud]


@pytest.mark.parametrize("path", UNDECODABLE_PATHS)
@pytest.mark.parametrize("with_token", [True, False], ids=["token", "anonymous"])
def test_undecodable_scim_path_is_a_scim_404(testapp, tenant, path, with_token, quiet_log):
    headers = tenant.headers if with_token else {}
    for method in ("GET", "POST", "DELETE"):
        response = testapp.request(path, method=method, headers=headers, status=404, expect_errors=True)
        assert_scim_error(response, 404)


@pytest.mark.parametrize("query", UNDECODABLE_QUERIES)
def test_undecodable_scim_query_is_a_scim_400(scim, query, quiet_log):
    assert_scim_error(scim.get(f"Users?{query}", status=400), 400, "invalidValue")
    assert_scim_error(scim.get(f"Groups?{query}", status=400), 400, "invalidValue")


@pytest.mark.parametrize("path", ["/hq/%ff/scim", "/hq/acme/scim/%ed%a0%80", "/sso/%ff/login", "/sso/acme/%ff", "/%ff"])
def test_undecodable_page_path_is_a_plain_404(testapp, tenant, path, quiet_log):
    response = testapp.get(path, status=404)
    assert response.content_type == "text/plain"


@pytest.mark.parametrize("path", ["/hq/acme/scim", "/hq/acme/login", "/sso/acme/callback", "/sso/acme/login"])
def test_undecodable_page_query_is_a_plain_400(testapp, tenant, path, quiet_log):
    response = testapp.get(f"{path}?state=%ff&code=%ed%a0%80", status=400)
    assert response.content_type == "text/plain"


def test_well_formed_utf8_still_routes(scim):
    """The check refuses only what cannot be decoded: real non-ASCII text is served."""
    created = scim.post("Users", okta_user("zoë@example.com", displayName="Zoë 😀")).json
    found = scim.get("Users?filter=userName%20eq%20%22zo%C3%AB%40example.com%22").json
    assert [user["id"] for user in found["Resources"]] == [created["id"]]
    assert scim.get(f"Users/{created['id']}").json["displayName"] == "Zoë 😀"


LONE_SURROGATE = '"x\\ud800"'


@pytest.mark.parametrize(
    "template, where",
    [
        ('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%s}', "userName"),
        ('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@b.c","name":{"givenName":%s}}', "name.givenName"),
        ('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@b.c","emails":[{"value":%s}]}', "emails[0].value"),
        ('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@b.c",%s:"x"}', "the body"),
    ],
)
def test_json_string_with_a_lone_surrogate_is_invalid_value(scim, template, where, quiet_log):
    body = (template % LONE_SURROGATE).encode()
    response = scim.post("Users", body, status=400)
    assert_scim_error(response, 400, "invalidValue")
    assert f"'{where}'" in response.json["detail"]
    assert scim.get("Users").json["totalResults"] == 0  # nothing was stored


def test_lone_surrogates_in_patch_search_and_groups_are_refused(scim, quiet_log):
    user = scim.post("Users", okta_user()).json
    patch = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":%s}]}'
    assert_scim_error(scim.patch(f"Users/{user['id']}", (patch % LONE_SURROGATE).encode(), status=400), 400, "invalidValue")
    group = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":%s}'
    assert_scim_error(scim.post("Groups", (group % LONE_SURROGATE).encode(), status=400), 400, "invalidValue")
    search = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq %s"}'
    assert_scim_error(scim.post("Users/.search", (search % '\\"x\\ud800\\"').encode(), status=400), 400, "invalidValue")
    assert scim.get(f"Users/{user['id']}").json["displayName"] == user["displayName"]


def test_filter_escape_with_a_lone_surrogate_is_invalid_filter(scim, quiet_log):
    # The filter's string is JSON (RFC 7644 §3.4.2.2): "\ud800" decodes to a lone surrogate.
    response = scim.get("Users?filter=userName%20eq%20%22x%5Cud800%22", status=400)
    assert_scim_error(response, 400, "invalidFilter")


def test_a_surrogate_pair_escape_is_one_character(scim):
    body = b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"smile@example.com","displayName":"\\ud83d\\ude00"}'
    assert scim.post("Users", body).json["displayName"] == "😀"


def test_a_nul_the_client_sent_is_recorded_not_logged(scim, dbsession, quiet_log):
    """Error details quote the client; PostgreSQL's text refuses NUL, and the failed
    request's audit entry then failed with a traceback in the log."""
    from livepreso_scim_addon.models.scim import ScimEvent

    assert_scim_error(scim.get("Users/%00", status=404), 404)
    details = [event.detail for event in dbsession.query(ScimEvent).filter_by(action="failed")]
    assert details == ["Resource '\\u0000' not found."]
