"""The events page in a real headless Chromium: the sentences an admin reads, on a
desktop window and on a phone-sized one (no sideways scrolling at 390 px).

The ``browser`` and ``screenshot`` fixtures are in ``conftest.py`` beside this file.
"""

from __future__ import annotations

import pytest

from tests.common.chromium import needs_chromium
from tests.common.factories import make_hq_user, set_seats
from tests.common.hq import PASSWORD
from tests.common.scim import add_members, group_named, okta_user, patch, rename_group, set_active

# Chromium talks to a live server, whose threads must see the data: real commits.
pytestmark = [needs_chromium, pytest.mark.commits]


def test_events_read_as_sentences_on_desktop_and_phone(app, live_server, tenant, scim, browser, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    set_seats(app, tenant, "standard", 1)
    ids = []
    for login, given, family in (("erin@acme.test", "Erin", "Evans"), ("fred@acme.test", "Fred", "Fox")):
        body = okta_user(login, displayName=f"{given} {family}", name={"givenName": given, "familyName": family})
        ids.append(scim.post("Users", body).json["id"])
    scim.patch(f"Users/{ids[0]}", patch({"op": "replace", "path": "title", "value": "Sales lead with a rather long title"}))
    sales = group_named(scim, "Salesperson")
    rename_group(scim, sales, "Field Sales")
    add_members(scim, sales, *ids)
    set_active(scim, ids[1], False)
    scim.delete(f"Users/{ids[1]}")
    scim.get(f"Users/{ids[1]}", status=404)

    make_hq_user(app, tenant, "boss@acme.com")
    browser.set_window_size(1280, 900)
    browser.get(f"{live_server}/hq/acme/login")
    browser.find_element(By.NAME, "login").send_keys("boss@acme.com")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda b: "/login" not in b.current_url)

    browser.get(f"{live_server}/hq/acme/scim/events")
    shown = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "table.events .sentence")]
    assert shown == [
        "test asked for Fred Fox (fred@acme.test), deleted earlier: not found, as expected",
        "test deleted Fred Fox (fred@acme.test)",
        "test deactivated Fred Fox (fred@acme.test)",
        "test added 2 people to Field Sales; 1 got the Salesperson license; 1 waits for a seat",
        "test renamed Salesperson to Field Sales (linked to Salesperson)",
        "test updated Erin Evans (erin@acme.test): title: — → Sales lead with a rather long title",
        "test created Fred Fox (fred@acme.test)",
        "test created Erin Evans (erin@acme.test)",
    ]
    # The stylesheet loaded under the page's CSP: the routine 404 is not shown as a failure.
    routine = browser.find_element(By.CSS_SELECTOR, "tr.routine .sentence")
    assert routine.value_of_css_property("font-weight") in ("400", "normal")
    screenshot("desktop")

    browser.set_window_size(390, 844)
    browser.get(f"{live_server}/hq/acme/scim/events")
    assert browser.find_element(By.CSS_SELECTOR, "table.events .sentence").is_displayed()
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    screenshot("phone")

    # Filtering in the form: only the failures (none: the 404 was routine).
    browser.find_element(By.CSS_SELECTOR, "select[name=kind] option[value=failed]").click()
    browser.find_element(By.CSS_SELECTOR, "#event-filter button[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda b: "kind=failed" in b.current_url)
    assert browser.find_element(By.CLASS_NAME, "no-events").text == "No events match this filter."
