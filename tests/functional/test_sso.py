"""SP-initiated OpenID Connect sign-in, end to end against a real OpenID provider.

pytest-iam starts Canaille, a complete OpenID Connect server, on a local port; the
add-on runs on a real waitress server. The flow goes through HTTP exactly as a browser
would: our /login redirects to the provider's authorize endpoint, the provider redirects
back with a code, our /callback exchanges it, checks the id_token and starts an HQ session.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid

import httpx2
import pytest
import transaction
from sqlalchemy import select

from livepreso_scim_addon.models import get_tm_session
from livepreso_scim_addon.models.scim import ScimSso, ScimUser
from livepreso_scim_addon.services import sso

from .test_users import okta_user, patch

CLIENT_SECRET = "correct-horse-battery-staple"


def configure_sso(app, tenant, issuer, client_id, secret=CLIENT_SECRET):
    with transaction.manager:
        db = get_tm_session(app.registry["dbsession_factory"], transaction.manager)
        sso.configure(db, sso.secret_box(app.registry.settings), tenant.id, issuer, client_id, secret)


@pytest.fixture
def oidc_client(iam_server, live_server):
    """An OpenID client at the provider, with our callback as its redirect URI."""
    with iam_server.app.app_context():
        client = iam_server.models.Client(
            client_id=f"livepreso-{uuid.uuid4().hex[:8]}",
            client_secret=CLIENT_SECRET,
            client_name="LivePreso",
            redirect_uris=[f"{live_server}/sso/acme/callback"],
            grant_types=["authorization_code"],
            response_types=["code"],
            token_endpoint_auth_method="client_secret_basic",
            scope=["openid", "profile", "email"],
        )
        iam_server.backend.save(client)
        client.audience = [client]  # Canaille puts the audience list in the id_token's aud
        iam_server.backend.save(client)
    yield client
    with iam_server.app.app_context():
        iam_server.backend.delete(client)
    iam_server.logout()


@pytest.fixture
def person(iam_server, oidc_client):
    """Someone at the provider, signed in there and consenting to LivePreso."""
    user = iam_server.random_user(user_name=f"jane-{uuid.uuid4().hex[:6]}", emails=["jane.doe@example.com"])
    iam_server.login(user)
    iam_server.consent(user, oidc_client)
    return user


@pytest.fixture
def browser():
    """An HTTP client with a cookie jar that follows no redirect by itself."""
    with httpx2.Client(follow_redirects=False, timeout=30) as client:
        yield client


def sign_in_through_provider(browser, base: str):
    """Follow the redirects of an SSO sign-in by hand, as a browser would; the last answer."""
    start = browser.get(f"{base}/sso/acme/login")
    assert start.status_code == 302, start.text
    at_provider = browser.get(start.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    callback = at_provider.headers["location"]
    assert callback.startswith(f"{base}/sso/acme/callback?")
    return browser.get(callback)


def test_provisioned_user_signs_in_and_deactivation_ends_it(
    app, iam_server, live_server, tenant, oidc_client, person, scim, browser
):
    scim_user = scim.post("Users", okta_user("jane.doe@example.com")).json
    configure_sso(app, tenant, iam_server.url, oidc_client.client_id)

    landed = sign_in_through_provider(browser, live_server)
    assert landed.status_code == 302 and landed.headers["location"] == f"{live_server}/hq/acme/"
    home = browser.get(f"{live_server}/hq/acme/")
    assert home.status_code == 200 and "Signed in" in home.text and "jane.doe@example.com" in home.text

    # The subject is linked: the next sign-in finds the user by it.
    session = app.registry["dbsession_factory"]()
    linked = session.scalar(select(ScimUser.oidc_subject).where(ScimUser.id == scim_user["id"]))
    session.close()
    assert linked == person.user_name

    scim.patch(f"Users/{scim_user['id']}", patch({"op": "replace", "value": {"active": False}}))
    assert browser.get(f"{live_server}/hq/acme/").status_code == 303  # the session is gone
    refused = sign_in_through_provider(browser, live_server)
    assert refused.status_code == 403 and "deactivated" in refused.text


def test_unprovisioned_people_get_no_session(app, iam_server, live_server, tenant, oidc_client, person, browser, caplog):
    configure_sso(app, tenant, iam_server.url, oidc_client.client_id)
    answer = sign_in_through_provider(browser, live_server)
    assert answer.status_code == 403 and "no LivePreso user" in answer.text
    assert "hq_session" not in answer.headers.get("set-cookie", "")
    assert f"subject {person.user_name} is not a provisioned user" in caplog.text


def test_wrong_client_secret_is_a_clear_failure(app, iam_server, live_server, tenant, oidc_client, person, scim, browser):
    scim.post("Users", okta_user("jane.doe@example.com"))
    configure_sso(app, tenant, iam_server.url, oidc_client.client_id, secret="not-the-secret")
    answer = sign_in_through_provider(browser, live_server)
    assert answer.status_code == 400 and "could not be completed" in answer.text


def test_state_is_checked_and_used_once(app, iam_server, live_server, tenant, oidc_client, person, scim, browser):
    scim.post("Users", okta_user("jane.doe@example.com"))
    configure_sso(app, tenant, iam_server.url, oidc_client.client_id)
    start = browser.get(f"{live_server}/sso/acme/login")
    callback = browser.get(start.headers["location"]).headers["location"]
    # Another browser (without the state cookie) cannot finish this sign-in.
    assert httpx2.get(callback, follow_redirects=False).status_code == 400
    assert browser.get(callback).status_code == 302
    # Replaying the same callback (same state and nonce) is refused.
    assert browser.get(callback).status_code == 400
    # A forged state is refused.
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
    forged = f"{live_server}/sso/acme/callback?code={query['code']}&state=forged"
    assert browser.get(forged).status_code == 400


def test_provider_down_and_sso_off_are_pages_not_errors(app, live_server, tenant, testapp, caplog):
    assert testapp.get("/sso/acme/login", status=404).html.find(id="sso-message")
    configure_sso(app, tenant, "http://127.0.0.1:9/", "client")  # nothing listens on port 9
    answer = httpx2.get(f"{live_server}/sso/acme/login", follow_redirects=False, timeout=30)
    assert answer.status_code == 502 and "could not be reached" in answer.text
    assert "SSO sign-in failed for acme: could not reach http://127.0.0.1:9" in caplog.text
    # A callback with no sign-in behind it fails on its state before any provider call.
    assert testapp.get("/sso/acme/callback?code=x&state=y", status=400)


def test_the_client_secret_is_stored_encrypted(app, tenant, dbsession):
    configure_sso(app, tenant, "https://acme.okta.com", "0oa123")
    row = dbsession.get(ScimSso, tenant.id)
    assert CLIENT_SECRET not in row.client_secret_encrypted
    assert sso.active_settings(dbsession, sso.secret_box(app.registry.settings), tenant.id).client_secret == CLIENT_SECRET
    assert json.dumps({"issuer": row.issuer}) == '{"issuer": "https://acme.okta.com"}'


def test_hq_shows_sso_and_the_uris_to_register(app, tenant, testapp):
    from .test_hq_scim_page import make_hq_user, sign_in

    make_hq_user(app, tenant, "boss@acme.com")
    sign_in(testapp, "acme", "boss@acme.com")
    before = testapp.get("/hq/acme/scim").html
    assert "not set up" in before.find(id="sso").text
    assert before.find(id="sso-redirect-uri").text == "http://hq.example.com/sso/acme/callback"
    assert before.find(id="sso-login-uri").text == "http://hq.example.com/sso/acme/login"
    configure_sso(app, tenant, "https://acme.okta.com", "0oa123")
    after = testapp.get("/hq/acme/scim").html
    assert "https://acme.okta.com" in after.find(id="sso").text and CLIENT_SECRET not in str(after)
    assert testapp.get("/hq/acme/login").html.find(id="sso-login")["href"].endswith("/sso/acme/login")
