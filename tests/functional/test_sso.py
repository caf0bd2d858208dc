"""SP-initiated OpenID Connect sign-in, end to end against a real OpenID provider.

pytest-iam starts Canaille, a complete OpenID Connect server, on a local port; the
add-on runs on a real waitress server. The flow goes through HTTP exactly as a browser
would: our /login redirects to the provider's authorize endpoint, the provider redirects
back with a code, our /callback exchanges it, checks the id_token and starts an HQ session.

Canaille never sends ``email_verified`` as a boolean (it has no such attribute, and its
claim templates render strings), so a first sign-in through it can never match anyone:
the cases it cannot produce go through ``HandMadeProvider``, a small provider on
127.0.0.1 that signs the claims a test chooses, still through the real callback view.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid

import httpx2
from bs4 import BeautifulSoup
import pytest
import webtest
from sqlalchemy import select

from livepreso_scim_addon.models.scim import ScimSso, ScimUser
from livepreso_scim_addon.services.sso import match_user
from tests.common import factories
from tests.common.db import statements_sent
from tests.common.factories import link_subject, make_hq_user
from tests.common.hq import sign_in
from tests.common.oidc import HAND_MADE_CLIENT, HandMadeProvider, make_key
from tests.common.scim import okta_user, patch

CLIENT_SECRET = "correct-horse-battery-staple"
JANE = "jane.doe@example.com"


def configure_sso(app, tenant, issuer, client_id, secret=CLIENT_SECRET):
    factories.configure_sso(app, tenant, issuer, client_id, secret)


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


def linked_subject(dbsession, user_id: str) -> str | None:
    dbsession.rollback()  # end the last read: see what the requests committed since
    return dbsession.scalar(select(ScimUser.oidc_subject).where(ScimUser.id == user_id))


def sign_in_through_provider(browser, base: str, start_url: str | None = None):
    """Follow the redirects of an SSO sign-in by hand, as a browser would; the last answer."""
    start = browser.get(start_url or f"{base}/sso/acme/login")
    assert start.status_code == 302, start.text
    at_provider = browser.get(start.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    callback = at_provider.headers["location"]
    assert callback.startswith(f"{base}/sso/acme/callback?")
    return browser.get(callback)


@pytest.mark.commits
def test_linked_user_signs_in_and_deactivation_ends_it(
    app, iam_server, live_server, tenant, oidc_client, person, scim, browser
):
    scim_user = scim.post("Users", okta_user(JANE)).json
    link_subject(app, scim_user["id"], person.user_name)  # Canaille's subject is the user name
    configure_sso(app, tenant, iam_server.url, oidc_client.client_id)

    landed = sign_in_through_provider(browser, live_server)
    assert landed.status_code == 302 and landed.headers["location"] == f"{live_server}/hq/acme/"
    home = browser.get(f"{live_server}/hq/acme/")
    assert home.status_code == 200 and "Signed in" in home.text and JANE in home.text

    scim.patch(f"Users/{scim_user['id']}", patch({"op": "replace", "value": {"active": False}}))
    assert browser.get(f"{live_server}/hq/acme/").status_code == 303  # the session is gone
    refused = sign_in_through_provider(browser, live_server)
    assert refused.status_code == 403 and "deactivated" in refused.text


@pytest.mark.commits
def test_sign_in_returns_to_the_page_asked_for_and_nowhere_else(
    app, iam_server, live_server, tenant, oidc_client, person, scim, browser
):
    scim_user = scim.post("Users", okta_user(JANE)).json
    link_subject(app, scim_user["id"], person.user_name)
    configure_sso(app, tenant, iam_server.url, oidc_client.client_id)

    # Signed out, the events page sends to the sign-in page, whose SSO link carries the page.
    asked = browser.get(f"{live_server}/hq/acme/scim/events?kind=failed")
    assert asked.status_code == 303
    sign_in_page = browser.get(asked.headers["location"])
    sso_link = BeautifulSoup(sign_in_page.text, "html.parser").find(id="sso-login")["href"]
    assert sso_link == f"{live_server}/sso/acme/login?next=%2Fhq%2Facme%2Fscim%2Fevents%3Fkind%3Dfailed"
    landed = sign_in_through_provider(browser, live_server, sso_link)
    assert landed.status_code == 302
    assert landed.headers["location"] == f"{live_server}/hq/acme/scim/events?kind=failed"

    # Another site, another instance, a backslash: home instead. The page is checked again
    # at the callback, so a cookie set by hand does no better.
    for crafted in ("//evil.example/hq/acme/", "/hq/globex/", "/\\evil.example", "https://evil.example/"):
        landed = sign_in_through_provider(browser, live_server, f"{live_server}/sso/acme/login?next={urllib.parse.quote(crafted)}")
        assert landed.headers["location"] == f"{live_server}/hq/acme/", crafted
    start = browser.get(f"{live_server}/sso/acme/login")
    browser.cookies.set("scim_sso_next", "//evil.example/", path="/sso/acme/")
    at_provider = browser.get(start.headers["location"])
    landed = browser.get(at_provider.headers["location"])
    assert landed.headers["location"] == f"{live_server}/hq/acme/"


@pytest.mark.commits
def test_an_unverified_email_never_takes_over_a_manager(
    app, iam_server, live_server, tenant, oidc_client, person, scim, browser, dbsession
):
    """The issue's account takeover: SCIM adopted the manager's HQ login, and someone at
    the IdP whose email (unverified: Canaille sends no email_verified) equals it signs in."""
    make_hq_user(app, tenant, JANE)  # a manager who used HQ before SCIM
    adopted = scim.post("Users", okta_user(JANE)).json
    configure_sso(app, tenant, iam_server.url, oidc_client.client_id)

    refused = sign_in_through_provider(browser, live_server)
    assert refused.status_code == 403 and "no LivePreso user" in refused.text
    assert "hq_session" not in refused.headers.get("set-cookie", "")
    assert browser.get(f"{live_server}/hq/acme/scim").status_code == 303  # to the sign-in page
    assert linked_subject(dbsession, adopted["id"]) is None


@pytest.mark.commits
def test_preferred_username_is_never_a_key(app, iam_server, live_server, tenant, oidc_client, scim, browser, dbsession):
    # Canaille sends the display name as preferred_username: anyone may choose it.
    mallory = iam_server.random_user(
        user_name=f"mallory-{uuid.uuid4().hex[:6]}", emails=["mallory@example.net"], display_name=JANE
    )
    iam_server.login(mallory)
    iam_server.consent(mallory, oidc_client)
    target = scim.post("Users", okta_user(JANE)).json
    configure_sso(app, tenant, iam_server.url, oidc_client.client_id)
    assert sign_in_through_provider(browser, live_server).status_code == 403
    assert linked_subject(dbsession, target["id"]) is None


@pytest.fixture
def canaille_claims(iam_server):
    """Canaille's claim templates (Jinja, rendered to strings), restored after the test."""
    mapping = iam_server.app.config["CANAILLE_OIDC"]["USERINFO_MAPPING"]
    saved = dict(mapping)
    yield mapping
    mapping.clear()
    mapping.update(saved)


@pytest.mark.commits
@pytest.mark.parametrize("said", ["false", "true"])
def test_email_verified_as_a_string_is_not_verified(
    app, iam_server, live_server, tenant, oidc_client, person, scim, browser, dbsession, canaille_claims, said
):
    canaille_claims["EMAIL_VERIFIED"] = said  # the id_token says "email_verified": "false" (or "true")
    target = scim.post("Users", okta_user(JANE)).json
    configure_sso(app, tenant, iam_server.url, oidc_client.client_id)
    assert sign_in_through_provider(browser, live_server).status_code == 403
    assert linked_subject(dbsession, target["id"]) is None


@pytest.mark.commits
def test_unprovisioned_people_get_no_session(app, iam_server, live_server, tenant, oidc_client, person, browser, caplog):
    configure_sso(app, tenant, iam_server.url, oidc_client.client_id)
    answer = sign_in_through_provider(browser, live_server)
    assert answer.status_code == 403 and "no LivePreso user" in answer.text
    assert "hq_session" not in answer.headers.get("set-cookie", "")
    assert f"subject '{person.user_name}' is linked to no user" in caplog.text


@pytest.mark.commits
def test_wrong_client_secret_is_a_clear_failure(app, iam_server, live_server, tenant, oidc_client, person, scim, browser):
    scim.post("Users", okta_user(JANE))
    configure_sso(app, tenant, iam_server.url, oidc_client.client_id, secret="not-the-secret")
    answer = sign_in_through_provider(browser, live_server)
    assert answer.status_code == 400 and "could not be completed" in answer.text


@pytest.mark.commits
def test_state_is_checked_and_used_once(app, iam_server, live_server, tenant, oidc_client, person, scim, browser):
    linked = scim.post("Users", okta_user(JANE)).json
    link_subject(app, linked["id"], person.user_name)
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


@pytest.mark.commits
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
    assert factories.active_sso_settings(app, tenant).client_secret == CLIENT_SECRET
    assert json.dumps({"issuer": row.issuer}) == '{"issuer": "https://acme.okta.com"}'


def test_hq_shows_sso_and_the_uris_to_register(app, tenant, testapp):
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


# --- claims a real provider will not send: hand-made id_tokens through the real callback
# (``HandMadeProvider``, in tests/common/oidc.py: the HQ access tests sign in through it too)


@pytest.fixture(scope="module")
def signing_key():
    return make_key("rsa", "hand-made-1", "RS256")


@pytest.fixture(scope="module")
def hand_made_provider(signing_key):
    provider = HandMadeProvider(signing_key)
    yield provider
    provider.close()


@pytest.fixture
def hand_made(app, tenant, hand_made_provider):
    """The instance's SSO, at a hand-made provider."""
    configure_sso(app, tenant, hand_made_provider.issuer, HAND_MADE_CLIENT)
    return hand_made_provider


@pytest.fixture
def jane(scim) -> str:
    """Jane's SCIM id."""
    return scim.post("Users", okta_user(JANE)).json["id"]


def test_a_verified_email_links_the_subject_and_the_subject_then_decides(hand_made, jane, testapp, dbsession):
    landed = hand_made.sign_in(testapp, sub="00u-jane", email="Jane.Doe@Example.COM", email_verified=True)
    assert landed.status_code == 302 and landed.location == "http://hq.example.com/hq/acme/"
    assert "Signed in" in testapp.get("/hq/acme/").text
    assert linked_subject(dbsession, jane) == "00u-jane"
    testapp.reset()  # another browser, another day: the subject alone decides now
    assert hand_made.sign_in(testapp, sub="00u-jane", email="jane@elsewhere.example").status_code == 302


FIRST_SIGN_INS_REFUSED = {
    "email_verified absent": {"email": JANE},
    "email_verified false": {"email": JANE, "email_verified": False},
    'email_verified "false"': {"email": JANE, "email_verified": "false"},
    'email_verified "true"': {"email": JANE, "email_verified": "true"},
    "email_verified 1": {"email": JANE, "email_verified": 1},
    "preferred_username only": {"email": "mallory@example.net", "email_verified": True, "preferred_username": JANE},
    "preferred_username, no email": {"email_verified": True, "preferred_username": JANE},
}


@pytest.mark.parametrize("claims", FIRST_SIGN_INS_REFUSED.values(), ids=FIRST_SIGN_INS_REFUSED.keys())
def test_a_first_sign_in_needs_a_verified_email_equal_to_the_user_name(hand_made, jane, testapp, dbsession, claims):
    refused = hand_made.sign_in(testapp, sub="00u-mallory", **claims)
    assert refused.status_code == 403 and "no LivePreso user" in refused.text
    assert "hq_session" not in refused.headers.get("Set-Cookie", "")
    assert linked_subject(dbsession, jane) is None


def test_emails_compare_by_the_user_name_key(hand_made, scim, testapp, dbsession):
    """NFC or NFD, any case, ß or ss: the email names the user (scim.text.user_name_key)."""
    zoe = scim.post("Users", okta_user("zo\u00eb@example.com")).json["id"]  # ë, one code point (NFC)
    decomposed = hand_made.sign_in(testapp, sub="00u-zoe", email="ZOE\u0308@EXAMPLE.COM", email_verified=True)
    assert decomposed.status_code == 302 and linked_subject(dbsession, zoe) == "00u-zoe"
    testapp.reset()
    strauss = scim.post("Users", okta_user("stra\u00dfe@example.com")).json["id"]
    folded = hand_made.sign_in(testapp, sub="00u-strauss", email="STRASSE@example.com", email_verified=True)
    assert folded.status_code == 302 and linked_subject(dbsession, strauss) == "00u-strauss"


def test_a_linked_user_is_never_relinked_to_another_subject(hand_made, jane, testapp, dbsession):
    assert hand_made.sign_in(testapp, sub="00u-jane", email=JANE, email_verified=True).status_code == 302
    testapp.reset()
    impostor = hand_made.sign_in(testapp, sub="00u-impostor", email=JANE, email_verified=True)
    assert impostor.status_code == 403
    assert linked_subject(dbsession, jane) == "00u-jane"


def test_a_new_issuer_unlinks_every_subject(app, tenant, hand_made, signing_key, jane, testapp, dbsession):
    assert hand_made.sign_in(testapp, sub="00u-jane", email=JANE, email_verified=True).status_code == 302
    configure_sso(app, tenant, hand_made.issuer + "/", HAND_MADE_CLIENT, secret="rotated")  # same issuer
    assert linked_subject(dbsession, jane) == "00u-jane"
    moved = HandMadeProvider(signing_key)
    try:
        configure_sso(app, tenant, moved.issuer, HAND_MADE_CLIENT)
        testapp.reset()
        # At another provider, "00u-jane" may be anyone: only a verified email links again.
        assert moved.sign_in(testapp, sub="00u-jane").status_code == 403
        assert linked_subject(dbsession, jane) is None
        assert moved.sign_in(testapp, sub="entra-jane", email=JANE, email_verified=True).status_code == 302
        assert linked_subject(dbsession, jane) == "entra-jane"
    finally:
        moved.close()


HOSTILE_CLAIMS = {
    "NUL in the subject": {"sub": "00u\x00jane", "email": JANE, "email_verified": True},
    "lone surrogate in the subject": {"sub": "00u\ud800", "email": JANE, "email_verified": True},
    "subject over 255 characters": {"sub": "s" * 256, "email": JANE, "email_verified": True},
    "NUL in the email": {"sub": "00u-x", "email": JANE + "\x00", "email_verified": True},
    "lone surrogate in the email": {"sub": "00u-x", "email": "\ud800" + JANE, "email_verified": True},
}


@pytest.mark.parametrize("claims", HOSTILE_CLAIMS.values(), ids=HOSTILE_CLAIMS.keys())
def test_claims_no_database_can_hold_match_nobody(hand_made, jane, testapp, dbsession, claims):
    answer = hand_made.sign_in(testapp, **claims)
    assert answer.status_code == 403 and "no LivePreso user" in answer.text
    assert linked_subject(dbsession, jane) is None


def test_sso_cookies_are_secure_over_https(app, hand_made, jane):
    browser = webtest.TestApp(app, extra_environ={"HTTP_HOST": "hq.example.com", "wsgi.url_scheme": "https"})
    landed = hand_made.sign_in(browser, sub="00u-jane", email=JANE, email_verified=True)
    assert landed.status_code == 302
    cookies = {value.split("=", 1)[0]: value.lower() for header, value in landed.headerlist if header == "Set-Cookie"}
    assert "secure" in cookies["hq_session"]
    assert "secure" in cookies["scim_sso_state"] and "max-age=0" in cookies["scim_sso_state"]  # its deletion


def test_matching_a_sign_in_reads_the_user_alone_in_one_statement(app, scim, tenant, dbsession, engine):
    """The sign-in needs the user's row, not its emails or addresses: one statement."""
    user = scim.post("Users", okta_user("ann@example.com")).json
    link_subject(app, user["id"], "00u-ann")
    dbsession.expire_all()
    with statements_sent(engine) as sent:
        matched = match_user(dbsession, tenant.id, {"sub": "00u-ann"})
    assert matched is not None and matched.id == user["id"]
    assert [s.statement.split()[0] for s in sent] == ["SELECT"], [s.statement for s in sent]
