"""``scim.public_url``: every URL the app builds is the public one, whatever the client sent."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import webtest

from livepreso_scim_addon.hq import main
from livepreso_scim_addon.settings import parse_public_url

from tests.common.factories import make_hq_user
from tests.common.hq import PASSWORD, sign_in
from tests.common.scim import okta_user

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
#: A signed-in browser keeps talking to the public host (its cookies are for that host).
FORWARDED = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}


def _public_app(database_url, tmp_path_factory, public_url):
    return main(
        {},
        **{
            "sqlalchemy.url": database_url,
            "scim.public_url": public_url,
            "scim.sso_key_file": str(tmp_path_factory.mktemp("keys") / "sso.key"),
        },
    )


@pytest.fixture(scope="module")
def public_wsgi_app(database_url, tmp_path_factory):
    app = _public_app(database_url, tmp_path_factory, "https://hq.example.com:8443")
    yield app
    app.registry["db_engine"].dispose()


@pytest.fixture
def public_app(public_wsgi_app, bind_app):
    bind_app(public_wsgi_app)
    # The client talks https to the public host, as a browser behind the proxy would.
    return webtest.TestApp(public_wsgi_app, extra_environ={"wsgi.url_scheme": "https", "HTTP_HOST": "hq.example.com:8443"})


def test_scim_locations_come_from_the_public_url(app, public_app, tenant):
    response = public_app.post_json(
        "/scim/v2/acme/Users", okta_user(), headers={**tenant.headers, **FORGED}, status=201
    )
    location = f"https://hq.example.com:8443/scim/v2/acme/Users/{response.json['id']}"
    assert response.headers["Location"] == location
    assert response.json["meta"]["location"] == location


def test_hq_redirects_and_base_url_come_from_the_public_url(app, public_app, tenant):
    response = public_app.get("/hq/acme/scim", headers=FORGED, status=303)
    assert response.headers["Location"] == "https://hq.example.com:8443/hq/acme/login?next=%2Fhq%2Facme%2Fscim"
    make_hq_user(app, tenant, "boss@acme.com")
    sign_in(public_app, "acme", "boss@acme.com")
    page = public_app.get("/hq/acme/scim", headers=FORWARDED)
    assert page.html.find(id="base-url").text == "https://hq.example.com:8443/scim/v2/acme"
    assert "evil.example" not in page.text


def test_csrf_origin_is_checked_against_the_public_origin(app, public_app, tenant):
    """The public URL is https, so Pyramid checks a form's Origin against it."""
    make_hq_user(app, tenant, "boss@acme.com")
    sign_in(public_app, "acme", "boss@acme.com")  # webtest sends the form page as Referer
    form = public_app.get("/hq/acme/scim").forms["generate-token"]
    fields = dict(form.submit_fields())
    public_app.post("/hq/acme/scim/tokens", fields, headers={"Origin": "https://evil.example"}, status=400)
    ok = public_app.post("/hq/acme/scim/tokens", fields, headers={"Origin": "https://hq.example.com:8443"}, status=200)
    assert ok.html.find(id="new-token").text.startswith("lpscim_")


def test_a_public_url_with_a_path_prefixes_every_url(app, tenant, database_url, tmp_path_factory, bind_app):
    """A proxy that mounts the app at /livepreso and strips the prefix."""
    wsgi = bind_app(_public_app(database_url, tmp_path_factory, "https://example.com/livepreso/"))
    try:
        response = webtest.TestApp(wsgi).post_json("/scim/v2/acme/Users", okta_user(), headers=tenant.headers, status=201)
        assert response.headers["Location"].startswith("https://example.com/livepreso/scim/v2/acme/Users/")
    finally:
        wsgi.registry["db_engine"].dispose()


def test_sign_in_returns_to_the_page_under_the_public_path(app, tenant, database_url, tmp_path_factory, bind_app):
    """Behind the same proxy, the page to return to is the public path, prefix and query."""
    wsgi = bind_app(_public_app(database_url, tmp_path_factory, "https://example.com/livepreso/"))
    try:
        make_hq_user(app, tenant, "boss@acme.com")
        browser = webtest.TestApp(wsgi, extra_environ={"wsgi.url_scheme": "https", "HTTP_HOST": "example.com"})
        wanted = "/livepreso/hq/acme/scim/events?kind=failed"
        sent = browser.get("/hq/acme/scim/events?kind=failed", headers=FORGED, status=303)
        assert sent.location == "https://example.com/livepreso/hq/acme/login?" + urlencode({"next": wanted})
        form = browser.get("/hq/acme/login", params={"next": wanted}).forms[0]
        assert form["next"].value == wanted
        form["login"], form["password"] = "boss@acme.com", PASSWORD
        # Posted where the proxy would send it, without the prefix it strips.
        signed_in = browser.post("/hq/acme/login", form.submit_fields(), headers={"Origin": "https://example.com"}, status=303)
        assert signed_in.location == "https://example.com" + wanted
        # Without the prefix it is no page of this app as the public sees it.
        assert browser.get("/hq/acme/login", params={"next": "/hq/acme/scim"}).html.find(attrs={"name": "next"}) is None
    finally:
        wsgi.registry["db_engine"].dispose()


@pytest.mark.parametrize("value", ["hq.example.com", "ftp://hq.example.com", "https://", "https://hq.example.com/?x=1"])
def test_a_malformed_public_url_stops_start_up(value):
    with pytest.raises(ValueError, match="scim.public_url"):
        parse_public_url(value)


def test_public_url_can_come_from_the_environment(monkeypatch):
    from livepreso_scim_addon.settings import load_settings

    monkeypatch.setenv("TEST_PUBLIC_URL", "https://hq.example.com/")
    assert load_settings({"scim.public_url_env": "TEST_PUBLIC_URL"}).public_url == "https://hq.example.com"
    assert load_settings({}).public_url == ""
