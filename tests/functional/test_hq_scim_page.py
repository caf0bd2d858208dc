"""The SCIM page in HQ: who may see it, tokens shown once, revocation, events, headers."""

from __future__ import annotations

import re

import pytest

from tests.common.factories import make_hq_user, set_enabled
from tests.common.hq import sign_in
from tests.common.scim import GROUP, okta_user, patch


@pytest.fixture
def manager(app, testapp, tenant):
    make_hq_user(app, tenant, "boss@acme.com")
    sign_in(testapp, "acme", "boss@acme.com")
    return "boss@acme.com"


def page(testapp):
    return testapp.get("/hq/acme/scim")


def seat_rows(html) -> list[list[str]]:
    """Each license group's row of the seats picture: name, license, seats used, waiting."""
    return [
        [" ".join(tr.find(class_=c).text.split()) for c in ("group-name", "license", "seat-count", "waiting-count")]
        for tr in html.find(id="license-groups").tbody.find_all("tr")
    ]


def test_anonymous_goes_to_sign_in(testapp, tenant):
    response = testapp.get("/hq/acme/scim", status=303)
    assert response.location.endswith("/hq/acme/login?next=%2Fhq%2Facme%2Fscim")  # and back after sign-in
    testapp.get("/hq/acme/scim/events", status=303)
    testapp.post("/hq/acme/scim/tokens", status=303)


def test_manager_of_another_instance_is_refused(app, testapp, tenant, other_tenant):
    make_hq_user(app, other_tenant, "boss@globex.com")
    sign_in(testapp, "globex", "boss@globex.com")
    testapp.get("/hq/acme/scim", status=403)
    testapp.get("/hq/acme/scim/events", status=403)
    assert testapp.get("/hq/globex/scim").status_code == 200


def test_non_manager_is_refused(app, testapp, tenant):
    make_hq_user(app, tenant, "rep@acme.com", break_glass=False)
    sign_in(testapp, "acme", "rep@acme.com")
    testapp.get("/hq/acme/scim", status=403)


def test_unknown_instance_is_404(testapp, manager):
    testapp.get("/hq/nope/scim", status=404)


def test_page_shows_base_url_groups_and_instructions(testapp, manager, scim):
    response = page(testapp)
    html = response.html
    assert html.find(id="base-url").text == "http://hq.example.com/scim/v2/acme"
    body = html.find(id="license-groups").tbody
    assert seat_rows(html) == [
        ["Salesperson", "license standard", "0 of 0 seats", "none waiting"],
        ["Prep User", "license prep", "0 of 0 seats", "none waiting"],
        ["Manager", "license hq", "0 of 0 seats", "none waiting"],
    ]
    # The reference HQ's Manager license is the one that grants HQ access.
    assert [em.find_parent("tr").find(class_="group-name").text for em in body.find_all(class_="hq-access")] == ["Manager"]
    assert "Configure API Integration" in html.find(id="okta-setup").text
    # the fixture's token is listed without its secret
    assert html.find(id="tokens").text.count("test") == 1
    assert scim.tenant.token not in response.text and scim.tenant.token[len("lpscim_") + 17 :] not in response.text


def test_security_headers_and_no_inline_script(testapp, manager):
    response = page(testapp)
    assert response.headers["Cache-Control"] == "no-store"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    for script in response.html.find_all("script"):
        assert script.get("src"), "inline script"
    assert not re.search(r"\son[a-z]+=", response.text), "inline event handler"


def test_generate_token_is_shown_once_and_works(testapp, manager, tenant):
    form = page(testapp).forms["generate-token"]
    form["label"] = "Okta production"
    shown = form.submit()
    token = shown.html.find(id="new-token").text
    assert "will not be shown again" in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    testapp.get(f"{tenant.base}/Users", headers={"Authorization": f"Bearer {token}"}, status=200)
    again = page(testapp)
    assert again.html.find(id="new-token") is None and token not in again.text
    assert "Okta production" in again.html.find(id="tokens").text


def test_the_label_starts_empty_and_revoking_asks_first(testapp, manager, tenant):
    """Typing a label once gives that label (a pre-filled "Okta" made "OktaOkta production"),
    and each Revoke form carries the question static/scim.js asks before it is sent."""
    response = page(testapp)
    assert response.forms["generate-token"]["label"].value == ""
    revoke_forms = [f for f in response.html.find_all("form") if f.get("action", "").endswith("/revoke")]
    assert revoke_forms and all("stops provisioning" in f["data-confirm"] for f in revoke_forms)
    assert 'form[data-confirm]' in testapp.get("/scim-static/scim.js").text


def test_csrf_is_required(testapp, manager, tenant):
    testapp.post("/hq/acme/scim/tokens", {"label": "x"}, status=400)
    testapp.post("/hq/acme/scim/tokens/abc/revoke", status=400)
    assert len(page(testapp).html.find(id="tokens").tbody.find_all("tr")) == 1


def test_revocation_is_immediate(testapp, manager, tenant):
    testapp.get(f"{tenant.base}/Users", headers=tenant.headers, status=200)
    listing = page(testapp)
    revoke = next(f for f in listing.forms.values() if f.action.endswith("/revoke"))
    revoke.submit(status=303)
    testapp.get(f"{tenant.base}/Users", headers=tenant.headers, status=401)
    assert page(testapp).html.find(id="tokens") is None


def test_disabled_instance_shows_only_the_notice(app, testapp, manager, tenant):
    set_enabled(app, tenant, False)
    response = page(testapp)
    notice = response.html.find(id="scim-disabled").text
    assert notice == "SCIM provisioning is not enabled for this instance — contact support@livepreso.com"
    assert response.html.find(id="base-url") is None and response.html.find(id="tokens") is None
    assert "generate-token" not in response.forms
    csrf = response.html.find("input", attrs={"name": "csrf_token"})["value"]
    refused = testapp.post("/hq/acme/scim/tokens", {"csrf_token": csrf})
    assert refused.html.find(id="new-token") is None


def test_events_page_pages_and_filters(testapp, manager, scim):
    ann = scim.post("Users", okta_user("ann@example.com")).json
    for i in range(60):
        scim.patch(f"Users/{ann['id']}", patch({"op": "replace", "path": "title", "value": f"T{i}"}))
    scim.post("Users", okta_user("bob@example.com"))
    scim.post("Users", okta_user("bob@example.com"), status=409)
    first = testapp.get("/hq/acme/scim/events")
    rows = first.html.find("table", class_="events").tbody.find_all("tr")
    assert len(rows) == 50
    assert "failed" in rows[0]["class"] and "409" in rows[0].text  # newest first
    older = testapp.get(first.html.find(id="older")["href"])
    assert len(older.html.find("table", class_="events").tbody.find_all("tr")) == 63 - 50
    mine = testapp.get("/hq/acme/scim/events", {"user": "ANN@example.com"})
    mine_rows = mine.html.find("table", class_="events").tbody.find_all("tr")
    assert len(mine_rows) == 50 and all(ann["id"] in r.text for r in mine_rows)
    assert testapp.get("/hq/acme/scim/events", {"user": "nobody"}).html.find(class_="no-events")
    recent = page(testapp).html.find("table", class_="events").tbody.find_all("tr")
    assert len(recent) == 10


def test_events_page_takes_any_cursor_and_any_user(testapp, manager, scim):
    scim.post("Users", okta_user("ann@example.com"))
    # Beyond what scim_events.pk (INTEGER) holds, or below any key: as if no cursor was given,
    # not an out-of-range integer for the database (a 500 on PostgreSQL and SQLite).
    for before in ("99999999999999999999999", str(2**31), "-99999999999999999999999", "0", "x"):
        listing = testapp.get("/hq/acme/scim/events", {"before": before})
        assert len(listing.html.find("table", class_="events").tbody.find_all("tr")) == 1, before
    # PostgreSQL refuses NUL in text: a user named with one is nobody.
    assert testapp.get("/hq/acme/scim/events", {"user": "ann\x00"}).html.find(class_="no-events")


def test_skipped_members_are_shown_readably(testapp, manager, scim):
    ann = scim.post("Users", okta_user("ann@example.com")).json
    members = [{"value": ann["id"]}, {"value": "00000000-0000-4000-8000-000000000000"}, {"value": "<b>x</b>"}]
    scim.post("Groups", {"schemas": [GROUP], "displayName": "Team", "members": members}, status=201)
    for response in (testapp.get("/hq/acme/scim/events"), page(testapp)):
        row = response.html.find("table", class_="events").tbody.find("tr")
        assert row.find(class_="sentence").text == (
            "test pushed the group Team; added Jane Doe (ann@example.com); skipped 2 unknown member ids"
        )
        assert [li.text for li in row.find_all("li") if li.text.startswith("Skipped")] == [
            "Skipped unknown member id 00000000-0000-4000-8000-000000000000 (not a user of this instance)",
            "Skipped unknown member id <b>x</b> (not a user of this instance)",
        ]
        assert "<b>x</b>" not in response.text  # escaped, as any id the client sent
