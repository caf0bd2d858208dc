"""Deactivation over SCIM: no sign-in, sessions end at once; reactivation restores sign-in."""

from __future__ import annotations

import pytest

from tests.common.factories import make_hq_user
from tests.common.hq import PASSWORD, sign_in
from tests.common.scim import okta_user, patch


@pytest.fixture
def manager(app, tenant):
    """An HQ manager who signs in with a password, then gets managed by Okta."""
    make_hq_user(app, tenant, "boss@example.com")
    return "boss@example.com"


def deactivate(scim, user_id, how):
    if how == "okta-patch":
        scim.patch(f"Users/{user_id}", patch({"op": "replace", "value": {"active": False}}))
    elif how == "entra-patch":
        scim.patch(f"Users/{user_id}", patch({"op": "Replace", "path": "active", "value": "False"}))
    else:
        user = scim.get(f"Users/{user_id}").json
        scim.put(f"Users/{user_id}", {**user, "active": False})


@pytest.mark.parametrize("how", ["okta-patch", "entra-patch", "put"])
def test_deactivation_ends_sessions_and_blocks_sign_in(testapp, scim, manager, how):
    sign_in(testapp, "acme", manager)
    assert testapp.get("/hq/acme/users").status_code == 200
    # Okta pushes the existing HQ manager: the SCIM user adopts the HQ account.
    user = scim.post("Users", okta_user(manager)).json
    assert testapp.get("/hq/acme/users").status_code == 200

    deactivate(scim, user["id"], how)
    assert scim.get(f"Users/{user['id']}").json["active"] is False
    # The very next request of the signed-in browser is anonymous.
    testapp.get("/hq/acme/users", status=303)
    refused = sign_in(testapp, "acme", manager, status=403)
    assert "deactivated" in refused.text

    scim.patch(f"Users/{user['id']}", patch({"op": "replace", "value": {"active": True}}))
    sign_in(testapp, "acme", manager)
    assert testapp.get("/hq/acme/users").status_code == 200


def test_hq_users_page_shows_what_scim_did(testapp, scim, manager):
    scim.post("Users", okta_user("new.rep@example.com", displayName="New Rep"))
    sign_in(testapp, "acme", manager)
    page = testapp.get("/hq/acme/users")
    assert "new.rep@example.com" in page.text and "New Rep" in page.text and "SCIM" in page.text


def test_wrong_password_and_csrf(testapp, manager):
    form = testapp.get("/hq/acme/login").forms[0]
    form["login"] = manager
    form["password"] = "wrong password"
    assert "Wrong email or password" in form.submit(status=401).text
    testapp.post("/hq/acme/login", {"login": manager, "password": PASSWORD}, status=400)
