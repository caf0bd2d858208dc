"""Manager = HQ access, in a real headless Chromium: someone Okta provisioned into the
group linked to Manager signs in and opens the SCIM page; Okta removes them from the
group, and reloading the page lands on HQ's sign-in page.

The ``browser`` fixture (headless Chromium) is in ``conftest.py`` beside this file.
"""

from __future__ import annotations

import pytest

from tests.common.chromium import needs_chromium
from tests.common.factories import give_password, set_seats
from tests.common.hq import PASSWORD
from tests.common.scim import add_members, create_user, group_named, remove_member, rename_group

# Chromium talks to a live server, whose threads must see the data: real commits.
pytestmark = [needs_chromium, pytest.mark.commits]

JANE = "jane.doe@example.com"


def test_removed_from_the_okta_manager_group_the_scim_page_goes_to_sign_in(app, live_server, tenant, scim, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    # Okta: Group Linking renames the Manager group, Push Groups adds Jane (one hq seat).
    set_seats(app, tenant, "hq", 1)
    rename_group(scim, group_named(scim, "Manager"), "Okta HQ Admins")
    managers = group_named(scim, "Okta HQ Admins")
    jane = create_user(scim, JANE)["id"]
    add_members(scim, managers, jane)
    give_password(app, tenant, JANE)  # support's `livepreso-hq password set acme jane.doe@example.com`

    browser.get(f"{live_server}/hq/acme/scim")
    assert browser.current_url == f"{live_server}/hq/acme/login?next=%2Fhq%2Facme%2Fscim"  # sign in first, then back
    browser.find_element(By.NAME, "login").send_keys(JANE)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 20).until(expected_conditions.url_to_be(f"{live_server}/hq/acme/scim"))

    browser.get(f"{live_server}/hq/acme/scim")
    assert browser.find_element(By.ID, "base-url").text == f"{live_server}/scim/v2/acme"
    assert "Okta HQ Admins" in browser.find_element(By.ID, "license-groups").text

    remove_member(scim, managers, jane)  # Okta's PATCH: the license, and the session, go at once
    browser.refresh()
    WebDriverWait(browser, 20).until(expected_conditions.url_to_be(f"{live_server}/hq/acme/login?next=%2Fhq%2Facme%2Fscim"))
    assert browser.find_element(By.NAME, "login")
    # Read the page as it is: find_elements would wait out the implicit wait for an absent element.
    assert 'id="base-url"' not in browser.page_source
