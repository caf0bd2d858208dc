"""Bearer tokens, the per-instance switch, and one instance never seeing another's data."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from livepreso_scim_addon.hq.models import Instance
from livepreso_scim_addon.models.scim import ScimToken
from tests.common.factories import live_token_ids, make_tenant, revoke_token, set_enabled
from tests.common.scim import ScimClient, Tenant, okta_user, patch

ENDPOINTS = [
    ("GET", "Users", None),
    ("POST", "Users", okta_user("new@example.com")),
    ("POST", "Users/.search", {"filter": 'userName eq "x"'}),
    ("GET", "Users/{id}", None),
    ("PUT", "Users/{id}", okta_user("victim@example.com", title="pwned")),
    ("PATCH", "Users/{id}", patch({"op": "replace", "path": "title", "value": "pwned"})),
    ("DELETE", "Users/{id}", None),
    ("GET", "ServiceProviderConfig", None),
    ("GET", "ResourceTypes", None),
    ("GET", "ResourceTypes/User", None),
    ("GET", "Schemas", None),
    ("GET", "Schemas/urn:ietf:params:scim:schemas:core:2.0:User", None),
]


def call(testapp, method, url, body, headers, status):
    response = testapp.request(
        url,
        method=method,
        body=json.dumps(body).encode() if body is not None else b"",
        headers=headers,
        content_type="application/scim+json" if body is not None else None,
        expect_errors=True,
    )
    # webtest checks no status when errors are expected: check it here.
    assert response.status_int == status, (method, url, response.status, response.text)
    return response


@pytest.fixture
def victim(scim):
    return scim.post("Users", okta_user("victim@example.com")).json


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_other_instances_token_gets_nothing(testapp, tenant, other_tenant, victim, scim, method, path, body):
    url = f"{tenant.base}/{path.format(id=victim['id'])}"
    response = call(testapp, method, url, body, other_tenant.headers, 401)
    assert response.json["status"] == "401"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "victim" not in response.text
    # Nothing changed for the tenant.
    assert scim.get(f"Users/{victim['id']}").json == victim
    assert scim.get("Users").json["totalResults"] == 1


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_own_ids_are_unknown_in_another_instance(testapp, tenant, other_tenant, victim, method, path, body):
    """Instance B's token on B's URLs with A's user id: the id does not exist there."""
    if "{id}" not in path:
        return
    url = f"{other_tenant.base}/{path.format(id=victim['id'])}"
    call(testapp, method, url, body, other_tenant.headers, 404)


def test_lists_show_only_own_users(testapp, tenant, other_tenant, scim):
    scim.post("Users", okta_user("a@example.com"))
    other = ScimClient(testapp, other_tenant)
    other.post("Users", okta_user("a@example.com"))  # the same userName is fine elsewhere
    other.post("Users", okta_user("b@example.com"))
    assert scim.get("Users").json["totalResults"] == 1
    assert other.get("Users").json["totalResults"] == 2
    assert scim.get('Users?filter=userName%20eq%20%22b%40example.com%22').json["totalResults"] == 0


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer nonsense", "Bearer lpscim_0000000000000000_xyz", "bearer"],
)
def test_missing_or_bad_tokens_are_401(testapp, tenant, header):
    headers = {"Authorization": header} if header is not None else {}
    response = testapp.get(f"{tenant.base}/Users", headers=headers, status=401)
    assert response.content_type == "application/scim+json"
    assert response.json["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="SCIM"')


def test_tampered_secret_is_401(testapp, tenant):
    tampered = tenant.token[:-2] + ("AA" if not tenant.token.endswith("AA") else "BB")
    testapp.get(f"{tenant.base}/Users", headers={"Authorization": f"Bearer {tampered}"}, status=401)


def test_scheme_is_case_insensitive(testapp, tenant):
    testapp.get(f"{tenant.base}/Users", headers={"Authorization": f"bearer {tenant.token}"}, status=200)


def test_unknown_paths_inside_an_instance_need_a_token_first(testapp, tenant):
    testapp.get(f"{tenant.base}/Nope", status=401)
    testapp.get(f"{tenant.base}/Users/some-id", status=401)
    response = testapp.get(f"{tenant.base}/Nope", headers=tenant.headers, status=404)
    assert response.json["status"] == "404"


def test_revoked_token_stops_at_once(app, testapp, tenant):
    testapp.get(f"{tenant.base}/Users", headers=tenant.headers, status=200)
    [token_id] = live_token_ids(app, tenant)
    assert revoke_token(app, tenant, token_id)
    response = testapp.get(f"{tenant.base}/Users", headers=tenant.headers, status=401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_is_stored_only_as_a_hash(dbsession, tenant):
    row = dbsession.query(ScimToken).one()
    assert tenant.token not in (row.secret_hash, row.id, row.label)
    assert len(row.secret_hash) == 64
    assert row.last_used_at is None


def test_last_used_is_recorded(testapp, tenant, dbsession):
    testapp.get(f"{tenant.base}/Users", headers=tenant.headers)
    assert dbsession.query(ScimToken).one().last_used_at is not None


@pytest.mark.parametrize("enabled", [False, None])
def test_disabled_or_unknown_instance_is_absent(app, testapp, tenant, scim, enabled):
    user = scim.post("Users", okta_user()).json
    slug = tenant.slug
    if enabled is False:
        set_enabled(app, tenant, False)
    else:
        slug = "no-such-instance"
    for method, path, body in ENDPOINTS:
        url = f"/scim/v2/{slug}/{path.format(id=user['id'])}"
        for headers in (tenant.headers, {}):
            response = call(testapp, method, url, body, headers, 404)
            assert response.json["status"] == "404", (method, path)
    if enabled is False:
        # Switching back on restores everything.
        set_enabled(app, tenant, True)
        assert scim.get(f"Users/{user['id']}").json == user


def test_switched_off_instances_token_opens_nothing_elsewhere(app, testapp, tenant, other_tenant):
    # The token is checked together with its instance's switch: while the switch is
    # off, the token is no token at all, even where the URL names a live instance.
    set_enabled(app, tenant, False)
    response = testapp.get(f"{other_tenant.base}/Users", headers=tenant.headers, status=401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    testapp.get(f"{tenant.base}/Users", headers=tenant.headers, status=404)
    testapp.get(f"{other_tenant.base}/Users", headers=other_tenant.headers, status=200)
    set_enabled(app, tenant, True)
    testapp.get(f"{tenant.base}/Users", headers=tenant.headers, status=200)


def test_a_slug_given_to_another_instance_serves_only_that_one(app, testapp, tenant, dbsession):
    """Each process remembers which instance a slug named (services.instances.KnownSlugs),
    only as a shortcut for that instance's own tokens: a slug moved to a new instance
    serves the new one to its token, and the old instance's token no longer reaches it."""
    old = ScimClient(testapp, tenant)
    kept = old.post("Users", okta_user("ann@example.com")).json["id"]
    old.get(f"Users/{kept}")  # the slug is known to this process now
    dbsession.execute(update(Instance).where(Instance.id == tenant.id).values(slug="acme-old"))
    dbsession.commit()
    newcomer = make_tenant(app, "acme")
    new = ScimClient(testapp, newcomer)
    assert new.get("Users").json["totalResults"] == 0  # the new instance, not the cached one
    new.get(f"Users/{kept}", status=404)
    old.get("Users", status=401)  # its token is not the slug's instance's any more
    assert ScimClient(testapp, Tenant("acme-old", tenant.id, tenant.token)).get(f"Users/{kept}").json["id"] == kept
