"""The SCIM page in a real headless Chromium: a manager signs in, generates a token,
and the token read off the page works against the SCIM API of the same server.

The ``browser`` fixture (headless Chromium) is in ``conftest.py`` beside this file.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.common.chromium import needs_chromium
from tests.common.factories import make_hq_user
from tests.common.hq import PASSWORD

# Chromium talks to a live server, whose threads must see the data: real commits.
pytestmark = [needs_chromium, pytest.mark.commits]


def test_manager_generates_a_token_that_works(app, live_server, tenant, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    make_hq_user(app, tenant, "boss@acme.com")
    browser.get(f"{live_server}/hq/acme/scim")
    assert browser.current_url.endswith("/hq/acme/login?next=%2Fhq%2Facme%2Fscim")  # sign in first, then back
    browser.find_element(By.NAME, "login").send_keys("boss@acme.com")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # Signed in once the page asked for has loaded (the session cookie is set by then).
    WebDriverWait(browser, 20).until(expected_conditions.url_to_be(f"{live_server}/hq/acme/scim"))

    browser.get(f"{live_server}/hq/acme/scim")
    base_url = browser.find_element(By.ID, "base-url").text
    assert base_url == f"{live_server}/scim/v2/acme"
    browser.find_element(By.CSS_SELECTOR, "#generate-token input[name=label]").clear()
    browser.find_element(By.CSS_SELECTOR, "#generate-token input[name=label]").send_keys("Okta (browser test)")
    browser.find_element(By.CSS_SELECTOR, "#generate-token button").click()
    token = browser.find_element(By.ID, "new-token").text
    assert token.startswith("lpscim_")

    # The copy button runs (script from the page's own origin, under its CSP).
    button = browser.find_element(By.CSS_SELECTOR, "button[data-copy=new-token]")
    button.click()
    WebDriverWait(browser, 10).until(lambda _: button.text == "Copied")

    browser.save_screenshot(str(tmp_path / "scim-page.png"))
    print(f"screenshot: {tmp_path / 'scim-page.png'}")

    request = urllib.request.Request(
        f"{base_url}/Users?filter=userName%20eq%20%22x%40example.com%22",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        assert json.loads(response.read())["totalResults"] == 0

    browser.get(f"{live_server}/hq/acme/scim")  # opened again: the token is not shown again
    assert "Okta (browser test)" in browser.find_element(By.ID, "tokens").text
    # Read the page as it is: find_elements would wait out the implicit wait for an absent element.
    assert token not in browser.page_source and 'id="new-token"' not in browser.page_source
