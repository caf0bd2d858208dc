"""The SCIM page in headless Chromium in each state an admin meets: never connected,
healthy, failing requests, seats full with people waiting, after an Okta rename, and on a
390 px wide phone. Each state asserts what the admin must see and leaves a screenshot
(``test-artifacts/screenshots/<test>/<state>.png``)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.common.chromium import needs_chromium
from tests.common.factories import make_hq_user, set_seats
from tests.common.hq import PASSWORD
from tests.common.http import get_json, send_json
from tests.common.scim import okta_user, patch

# Chromium talks to a live server, whose threads must see the data: real commits.
pytestmark = [needs_chromium, pytest.mark.commits]


def sign_in(browser, live_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{live_server}/hq/acme/login")
    browser.find_element(By.NAME, "login").send_keys("boss@acme.com")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda b: "/login" not in b.current_url)


#: What sticks out past a 390 px window, named in a failure.
WIDE = """return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 390)
  .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 15)"""


def text(browser, selector) -> str:
    from selenium.webdriver.common.by import By

    return " ".join(browser.find_element(By.CSS_SELECTOR, selector).text.split())


def test_connection_health_states(app, live_server, tenant, browser, screenshot):
    make_hq_user(app, tenant, "boss@acme.com")
    sign_in(browser, live_server)
    page, base = f"{live_server}/hq/acme/scim", f"{live_server}/scim/v2/acme"

    browser.get(page)
    assert text(browser, "#health-status") == "Never connected"
    assert text(browser, "#last-request") == "never" and text(browser, "#requests-24h") == "0"
    screenshot("never-connected")

    assert send_json(f"{base}/Users", tenant.token, okta_user("ann@example.com"))[0] == 201
    browser.get(page)
    assert text(browser, "#health-status") == "Connected"
    assert 'token “test”' in text(browser, "#last-request")
    assert (text(browser, "#requests-24h"), text(browser, "#failures-24h")) == ("1", "0")
    screenshot("healthy")

    assert send_json(f"{base}/Users", tenant.token, okta_user("ann@example.com"))[0] == 409
    browser.get(page)
    assert text(browser, "#health-status") == "Failing"
    assert text(browser, "#failures-24h") == "1"
    assert text(browser, "#recent-failures li .what") == (
        "POST /scim/v2/acme/Users refused (409): A user with userName 'ann@example.com' already exists."
    )
    assert text(browser, "#failures-link") == "Failed requests"
    screenshot("failing")


def test_seats_waiting_rename_and_narrow_screen(app, live_server, tenant, browser, screenshot):
    from selenium.webdriver.common.by import By

    make_hq_user(app, tenant, "boss@acme.com")
    set_seats(app, tenant, "standard", 2)
    base = f"{live_server}/scim/v2/acme"
    sales = get_json(f"{base}/Groups?filter=" + quote('displayName eq "Salesperson"'), tenant.token)["Resources"][0]
    for name in ("ann", "bob", "cat", "dan"):  # one at a time: the queue is the order they came in
        status, user = send_json(f"{base}/Users", tenant.token, okta_user(f"{name}@example.com"))
        assert status == 201
        body = patch({"op": "add", "path": "members", "value": [{"value": user["id"]}]})
        assert send_json(f"{base}/Groups/{sales['id']}", tenant.token, body, method="PATCH")[0] == 204
    sign_in(browser, live_server)
    page = f"{live_server}/hq/acme/scim"

    browser.get(page)
    row = "#license-groups tr[data-license=standard]"
    assert text(browser, f"{row} .group-name") == "Salesperson"
    assert text(browser, f"{row} .seat-count") == "2 of 2 seats"
    assert text(browser, f"{row} .waiting-count") == "full: 2 waiting"
    meter = browser.find_element(By.CSS_SELECTOR, f"{row} meter")
    assert (meter.get_attribute("value"), meter.get_attribute("max")) == ("2", "2")
    assert "full" in browser.find_element(By.CSS_SELECTOR, row).get_attribute("class")
    queue = browser.find_elements(By.CSS_SELECTOR, "#waiting table[data-license=standard] tbody tr")
    assert [" ".join(r.text.split()[:4]) for r in queue] == [
        "1 Jane Doe (cat@example.com)", "2 Jane Doe (dan@example.com)"
    ]
    screenshot("seats-full-with-people-waiting")

    rename = patch({"op": "replace", "value": {"displayName": "Field Sales"}})
    assert send_json(f"{base}/Groups/{sales['id']}", tenant.token, rename, method="PATCH")[0] == 204
    browser.get(page)
    assert text(browser, f"{row} .group-name") == "Field Sales — linked to Salesperson"
    assert text(browser, "#waiting h3") == "Field Sales — linked to Salesperson"
    screenshot("after-okta-rename")

    browser.set_window_size(390, 844)
    browser.get(page)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390, browser.execute_script(WIDE)
    # A token id is one line, not a column of characters.
    token_id = browser.find_element(By.CSS_SELECTOR, "#tokens code.token-id")
    assert browser.execute_script("return arguments[0].getClientRects().length", token_id) == 1
    assert text(browser, f"{row} .seat-count") == "2 of 2 seats"
    screenshot("narrow-390")

    browser.get(f"{live_server}/hq/acme/users")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390, browser.execute_script(WIDE)
    waits = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".waiting-for")]
    assert waits == ["waiting for Salesperson (#1)", "waiting for Salesperson (#2)"]
    screenshot("users-page-narrow")

    browser.find_element(By.LINK_TEXT, "cat@example.com").click()
    assert text(browser, "#person-name") == "Jane Doe (cat@example.com)"
    assert text(browser, "#licenses .waiting").startswith("Waiting for Salesperson (#1) through Field Sales")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    screenshot("person-narrow")

    browser.set_window_size(1280, 1600)
    browser.get(page)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 1280
    screenshot("wide-1280")
