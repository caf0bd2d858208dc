"""Finding one's way in the reference HQ with a real Chromium: sign-in returns to the
page asked for, home leads managers to the SCIM page, and the pages fit a phone.

The ``browser`` and ``screenshot`` fixtures are in ``conftest.py`` beside this file.
"""

from __future__ import annotations

import pytest

from tests.common.chromium import needs_chromium
from tests.common.factories import make_hq_user
from tests.common.hq import PASSWORD

# Chromium talks to a live server, whose threads must see the data: real commits.
pytestmark = [needs_chromium, pytest.mark.commits]

#: An iPhone's width in CSS pixels: nothing may scroll sideways at it.
PHONE = (390, 844)


def sign_in(browser, login="boss@acme.com"):
    from selenium.webdriver.common.by import By

    browser.find_element(By.NAME, "login").send_keys(login)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def wait_for(browser, url):
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 20).until(expected_conditions.url_to_be(url))


def sideways_overflow(browser) -> int:
    """How many CSS pixels the page is wider than the phone (0: none)."""
    return max(0, browser.execute_script("return document.documentElement.scrollWidth") - PHONE[0])


def test_signing_in_lands_on_the_page_asked_for(app, live_server, tenant, browser, screenshot):
    make_hq_user(app, tenant, "boss@acme.com")
    browser.get(f"{live_server}/hq/acme/scim")
    assert browser.current_url == f"{live_server}/hq/acme/login?next=%2Fhq%2Facme%2Fscim"
    screenshot("sign-in")
    sign_in(browser)
    wait_for(browser, f"{live_server}/hq/acme/scim")
    screenshot("scim-page")


def test_home_leads_a_manager_to_the_scim_page(app, live_server, tenant, browser, screenshot):
    from selenium.webdriver.common.by import By

    make_hq_user(app, tenant, "boss@acme.com")
    browser.get(f"{live_server}/hq/acme/login")
    sign_in(browser)
    wait_for(browser, f"{live_server}/hq/acme/")
    screenshot("home")
    browser.find_element(By.LINK_TEXT, "SCIM provisioning").click()
    wait_for(browser, f"{live_server}/hq/acme/scim")
    assert browser.find_element(By.TAG_NAME, "h1").text == "SCIM provisioning"


def test_the_reference_hq_pages_fit_a_phone(app, live_server, tenant, browser, screenshot):
    make_hq_user(app, tenant, "boss@acme.com")
    browser.set_window_size(*PHONE)
    browser.get(f"{live_server}/hq/acme/login?next=%2Fhq%2Facme%2Fusers")
    overflow = {"sign-in": sideways_overflow(browser)}
    screenshot("sign-in-390")
    sign_in(browser)
    wait_for(browser, f"{live_server}/hq/acme/users")
    overflow["users"] = sideways_overflow(browser)
    screenshot("users-390")
    browser.get(f"{live_server}/hq/acme/")
    overflow["home"] = sideways_overflow(browser)
    screenshot("home-390")
    assert overflow == {"sign-in": 0, "home": 0, "users": 0}
