"""The SCIM page's Okta set-up: the steps of Okta's catalog LivePreso app, naming the
groups the instance really has (Push Groups renames them) and what each one's license means."""

from __future__ import annotations

from tests.common.factories import make_hq_user
from tests.common.hq import sign_in
from tests.common.scim import group_named, patch


def setup_section(app, testapp, tenant):
    make_hq_user(app, tenant, "boss@acme.com")
    sign_in(testapp, "acme", "boss@acme.com")
    return testapp.get("/hq/acme/scim").html.find(id="okta-setup")


def text(element) -> str:
    return " ".join(element.text.split())


def test_the_steps_of_the_catalog_app_in_order(app, testapp, tenant):
    steps = text(setup_section(app, testapp, tenant).ol)
    names = [
        "Provisioning", "Configure API Integration", "Enable API Integration", "Base URL", "API Token",
        "Test API Credentials", "Save", "To App", "Create Users", "Update User Attributes", "Deactivate Users",
        "Assignments", "Push Groups", "+ Push Groups", "Find groups by name", "Match result & push action",
        "Link Group", "Assign to Groups", "Refresh App Groups",
    ]
    positions = [steps.find(name) for name in names]
    assert -1 not in positions, [n for n, p in zip(names, positions) if p == -1]
    assert positions == sorted(positions), "the steps are in the order Okta shows them"
    assert "renames the LivePreso group" in steps and "license stays the same" in steps


def test_each_group_is_named_with_its_license(app, testapp, tenant):
    groups = setup_section(app, testapp, tenant).find(id="okta-license-groups")
    assert [text(li) for li in groups.find_all("li")] == [
        "Salesperson: the standard license",
        "Prep User: the prep license",
        "Manager: HQ access (a manager)",
    ]


def test_a_linked_group_shows_okta_s_name_and_what_it_was(app, testapp, tenant, scim):
    salesperson = group_named(scim, "Salesperson")
    scim.patch(f"Groups/{salesperson['id']}", patch({"op": "replace", "value": {"displayName": "Field Sales"}}), status=204)
    groups = setup_section(app, testapp, tenant).find(id="okta-license-groups")
    assert text(groups.li) == "Field Sales (linked to Salesperson): the standard license"


def test_entra_gets_its_own_field_names(app, testapp, tenant):
    entra = text(setup_section(app, testapp, tenant).find(id="entra-setup"))
    assert "Tenant URL" in entra and "Secret Token" in entra
