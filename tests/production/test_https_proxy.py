"""HQ and SCIM over https through nginx, as deployed (see conftest.py beside this file).

Plain-http tests cannot see what broke in production: Pyramid checks a form's Origin
only on https requests, cookies need ``Secure`` only there, and SCIM URLs are https
only if the proxy's X-Forwarded-* headers reach the app and are trusted.
"""

from __future__ import annotations

import http.client
import json
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest

from livepreso_scim_addon.hq import main
from tests.common.chromium import needs_chromium, start_chromium
from tests.common.factories import make_hq_user
from tests.common.hq import PASSWORD
from tests.common.scim import okta_user
from tests.common.servers import deployed, free_port, needs_nginx, waitress_serving

# Served by waitress (and nginx), whose threads must see the data: real commits.
pytestmark = [needs_nginx, pytest.mark.commits]

# What a client could send to make the app build its URLs elsewhere: nginx's
# proxy_set_header replaces the X-Forwarded-* ones, and scim.public_url makes Host moot.
FORGED_FORWARDING = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http", "X-Forwarded-Port": "80"}
FORGED = {"Host": "evil.example", **FORGED_FORWARDING}


def fetch(url: str, certificate, method="GET", body=None, headers=None):
    """One request over https trusting only the test certificate; redirects not followed."""
    parts = urlsplit(url)
    connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=certificate.client_context(), timeout=30)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def create_user(base_url: str, certificate, tenant, user_name: str, headers=None):
    body = json.dumps(okta_user(user_name)).encode()
    headers = {**tenant.headers, "Content-Type": "application/scim+json", **(headers or {})}
    status, response_headers, raw = fetch(f"{base_url}/scim/v2/{tenant.slug}/Users", certificate, "POST", body, headers)
    assert status == 201, raw
    return response_headers, json.loads(raw)


@pytest.fixture
def https_browser(tmp_path, certificate):
    # Trusts exactly the test certificate's key, as a browser trusts a real one.
    driver = start_chromium(tmp_path / "profile", f"--ignore-certificate-errors-spki-list={certificate.spki_sha256}")
    yield driver
    driver.quit()


@needs_chromium
def test_manager_generates_and_revokes_a_token_over_https(app, tenant, https_hq, https_browser, certificate, tmp_path):
    """Regression (issue 10, finding 1): over https, Generate token, Revoke and Sign out
    answered 400 "Bad CSRF Origin", and the csrf_token cookie lacked Secure."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser = https_browser

    def submit(button, lands_on: str, showing: str):
        """Clicks, then waits for the page that should follow: its URL and an element (CSS)."""
        button.click()
        try:
            WebDriverWait(browser, 10).until(expected_conditions.url_to_be(lands_on))
            WebDriverWait(browser, 5).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, showing)))
            return
        except TimeoutException:
            pass
        pytest.fail(f"the form led to {browser.current_url}: {browser.find_element(By.TAG_NAME, 'body').text}")

    def token_works(token: str) -> int:
        url = f"{https_hq}/scim/v2/acme/Users?count=1"
        return fetch(url, certificate, headers={"Authorization": f"Bearer {token}"})[0]

    make_hq_user(app, tenant, "boss@acme.com")
    page = f"{https_hq}/hq/acme/scim"
    browser.get(page)
    assert browser.current_url == f"{https_hq}/hq/acme/login?next=%2Fhq%2Facme%2Fscim"  # sign in first, still over https
    browser.find_element(By.NAME, "login").send_keys("boss@acme.com")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    submit(browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"), page, "header form")

    browser.get(page)
    assert browser.find_element(By.ID, "base-url").text == f"{https_hq}/scim/v2/acme"
    label = browser.find_element(By.CSS_SELECTOR, "#generate-token input[name=label]")
    label.clear()
    label.send_keys("Okta (https)")
    submit(browser.find_element(By.CSS_SELECTOR, "#generate-token button"), f"{page}/tokens", "#new-token")
    token = browser.find_element(By.ID, "new-token").text
    assert token.startswith("lpscim_")
    assert token_works(token) == 200

    secure = {cookie["name"]: cookie["secure"] for cookie in browser.get_cookies()}
    assert secure == {"csrf_token": True, "hq_session": True}
    browser.save_screenshot(str(tmp_path / "scim-page-https.png"))

    row = browser.find_element(By.XPATH, "//table[@id='tokens']//tr[td[1][normalize-space()='Okta (https)']]")
    # Revoke asks first: dismissed, nothing happens; accepted, the token goes.
    row.find_element(By.CSS_SELECTOR, "button.revoke").click()
    alert = WebDriverWait(browser, 5).until(expected_conditions.alert_is_present())
    assert "Okta (https)" in alert.text and "stops provisioning" in alert.text
    alert.dismiss()
    assert token_works(token) == 200
    revoke = row.find_element(By.CSS_SELECTOR, "button.revoke")
    browser.execute_script("window.confirm = () => true")  # the same listener, answered yes
    submit(revoke, page, "#generate-token")
    assert "Okta (https)" not in browser.find_element(By.ID, "tokens").text
    assert token_works(token) == 401

    submit(browser.find_element(By.CSS_SELECTOR, "header form button[type=submit]"), f"{https_hq}/hq/acme/login", "input[name=password]")
    assert "hq_session" not in {cookie["name"] for cookie in browser.get_cookies()}
    browser.get(page)
    assert browser.current_url == f"{https_hq}/hq/acme/login?next=%2Fhq%2Facme%2Fscim"  # and back, once signed in


def test_every_cookie_set_over_https_is_secure(app, tenant, https_hq, certificate):
    """Sign in and out as a browser would, and read every Set-Cookie, deletions included."""
    make_hq_user(app, tenant, "boss@acme.com")
    jar, set_cookies = {}, []

    def request(method, path, form=None):
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in jar.items()), "Origin": https_hq}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, response_headers, raw = fetch(f"{https_hq}{path}", certificate, method, body, headers)
        for header in response_headers.get_all("Set-Cookie") or ():
            for morsel in SimpleCookie(header).values():
                set_cookies.append(morsel)
                jar[morsel.key] = morsel.value
        return status

    assert request("GET", "/hq/acme/login") == 200
    sign_in = {"csrf_token": jar["csrf_token"], "login": "boss@acme.com", "password": PASSWORD}
    assert request("POST", "/hq/acme/login", sign_in) == 303
    assert request("POST", "/hq/acme/logout", {"csrf_token": jar["csrf_token"]}) == 303
    assert jar["hq_session"] == ""  # signed out: the session cookie was deleted
    assert {morsel.key for morsel in set_cookies} == {"csrf_token", "hq_session"}
    assert [morsel.OutputString() for morsel in set_cookies if not morsel["secure"]] == []


def test_scim_urls_are_https_through_the_proxy(https_hq, tenant, certificate):
    # The client's own X-Forwarded-* are replaced by nginx's: still https on nginx's port.
    headers, user = create_user(https_hq, certificate, tenant, "jane@example.com", headers=FORGED_FORWARDING)
    location = f"{https_hq}/scim/v2/acme/Users/{user['id']}"
    assert headers["Location"] == location
    assert user["meta"]["location"] == location
    status, _, raw = fetch(location, certificate, headers=tenant.headers)
    assert status == 200 and json.loads(raw)["meta"]["location"] == location


def test_public_url_outweighs_a_forged_host(app, tenant, certificate, tmp_path):
    """With scim.public_url set, neither Host nor X-Forwarded-* moves a redirect or a Location."""
    port = free_port()
    public_url = f"https://127.0.0.1:{port}"
    settings = {key: app.registry.settings[key] for key in ("sqlalchemy.url", "scim.sqlite_busy_timeout_ms", "scim.sso_key_file")}
    public_app = main({}, **settings, **{"scim.public_url": public_url})
    try:
        with deployed(public_app, tmp_path / "nginx", certificate, port=port) as url:
            status, headers, _ = fetch(f"{url}/hq/acme/scim", certificate, headers=FORGED)
            assert (status, headers["Location"]) == (303, f"{public_url}/hq/acme/login?next=%2Fhq%2Facme%2Fscim")
            headers, user = create_user(url, certificate, tenant, "joe@example.com", headers=FORGED)
            location = f"{public_url}/scim/v2/acme/Users/{user['id']}"
            assert (headers["Location"], user["meta"]["location"]) == (location, location)
    finally:
        public_app.registry["db_engine"].dispose()


def _oversized_user(size: int) -> bytes:
    return json.dumps(okta_user(displayName="x" * size)).encode()


@pytest.mark.parametrize(
    "size, detail",
    [
        (2 * 1024 * 1024, "larger than 1048576 bytes"),  # past the add-on's limit: its own 413
        (6 * 1024 * 1024, "larger than this server accepts"),  # past nginx's: the proxy's SCIM 413
    ],
)
def test_oversized_bodies_get_a_scim_413_through_the_proxy(https_hq, tenant, certificate, size, detail):
    headers = {**tenant.headers, "Content-Type": "application/scim+json"}
    status, response_headers, raw = fetch(f"{https_hq}/scim/v2/acme/Users", certificate, "POST", _oversized_user(size), headers)
    assert status == 413
    assert response_headers["Content-Type"].startswith("application/scim+json")
    body = json.loads(raw)
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"] and body["status"] == "413"
    assert detail in body["detail"]


def test_large_bodies_leave_no_open_file_behind(app, tenant):
    """pyramid_retry copies every body it may replay; over 10 KB webob copied it into a
    temporary file nobody closed (a ResourceWarning each, an error in this suite)."""
    import gc

    with waitress_serving(app) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            body = json.dumps({**okta_user(), "urn:example:padding": "x" * 500_000}).encode()
            headers = {**tenant.headers, "Content-Type": "application/scim+json"}
            connection.request("POST", "/scim/v2/acme/Users", body=body, headers=headers)
            assert connection.getresponse().status == 201
        finally:
            connection.close()
    gc.collect()  # an unclosed file would warn here, inside the test


def test_waitress_leaves_oversized_bodies_to_the_add_on(app, tenant):
    """production.ini's waitress limit is above the proxy's: waitress never cuts a body
    the proxy let through; the add-on answers it with a SCIM 413."""
    with waitress_serving(app) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            headers = {**tenant.headers, "Content-Type": "application/scim+json"}
            connection.request("POST", "/scim/v2/acme/Users", body=_oversized_user(4 * 1024 * 1024 - 4096), headers=headers)
            response = connection.getresponse()
            assert response.status == 413
            assert json.loads(response.read())["status"] == "413"
        finally:
            connection.close()
