"""Manager = HQ access: in the reference HQ, holding the ``hq`` license (the Manager
license group, as Okta links and renames it) is what makes someone an HQ manager,
beside the break-glass managers support makes.

End to end over webtest: people are provisioned by SCIM, get a password the way
support's ``livepreso-hq password set`` gives one (or sign in through SSO), and open the
SCIM page ``/hq/acme/scim``. Losing the license through Okta (removed from the group,
deactivated, seats lowered) ends HQ access and the sessions at once: the very next
request goes to the sign-in page. Gaining it grants access at the next sign-in.
"""

from __future__ import annotations

import pytest
import webtest
from sqlalchemy import func, select

from livepreso_scim_addon.hq.models import HqSession, HqUser
from tests.common.db import statements_sent
from tests.common.factories import configure_sso, give_password, make_hq_user, set_seats
from tests.common.hq import sign_in
from tests.common.oidc import HAND_MADE_CLIENT, HandMadeProvider, make_key
from tests.common.scim import (
    HOST,
    add_members,
    create_users,
    group_named,
    okta_user,
    remove_member,
    rename_group,
    set_active,
)

SCIM_PAGE = "/hq/acme/scim"
#: Okta's Group Linking: the app's Manager group takes the name of the Okta group pushed to it.
OKTA_GROUP = "Okta HQ Admins"


def browser(app) -> webtest.TestApp:
    """A browser of its own (its own cookie jar) on HQ."""
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": HOST})


def login(name: str) -> str:
    return f"{name}@example.com"


@pytest.fixture
def managers(app, tenant, scim) -> dict:
    """The Manager license group, linked to an Okta group (renamed), with two hq seats."""
    group = group_named(scim, "Manager")
    rename_group(scim, group, OKTA_GROUP)
    set_seats(app, tenant, "hq", 2)
    return group_named(scim, OKTA_GROUP)


@pytest.fixture
def people(app, tenant, scim) -> dict[str, str]:
    """Ann, Bob and Cat, provisioned by Okta, each with a password set by support: {name: SCIM id}."""
    ids = create_users(scim, "ann", "bob", "cat")
    for name in ids:
        give_password(app, tenant, login(name))
    return ids


def signed_in(app, name: str) -> webtest.TestApp:
    person = browser(app)
    sign_in(person, "acme", login(name))
    return person


def opens_scim_page(person) -> bool:
    """The SCIM page opens (200); a signed-in non-manager is refused (403)."""
    return person.get(SCIM_PAGE, expect_errors=True).status_int == 200


def assert_signed_out(person) -> None:
    """The next request of this browser is anonymous: sent to the sign-in page."""
    answer = person.get(SCIM_PAGE, status=303)
    assert answer.location.endswith("/hq/acme/login?next=%2Fhq%2Facme%2Fscim")  # and back after signing in


def sessions_of(dbsession, name: str) -> int:
    dbsession.rollback()  # see what the requests committed since
    return dbsession.scalar(
        select(func.count()).select_from(HqSession).join(HqUser).where(HqUser.login_ci == login(name))
    )


# --- the license group decides -----------------------------------------------------------


def test_a_member_of_the_linked_manager_group_opens_the_scim_page(app, scim, managers, people):
    ann = signed_in(app, "ann")
    assert not opens_scim_page(ann)  # not in the group yet: signed in, no manager
    add_members(scim, managers, people["ann"])
    ann = signed_in(app, "ann")
    assert opens_scim_page(ann)
    assert ann.get("/hq/acme/users").status_int == 200  # HQ's own manager pages too
    assert "SCIM provisioning" in ann.get("/hq/acme/").text


def test_removed_from_the_group_the_next_request_is_refused_and_the_session_is_gone(
    app, scim, managers, people, dbsession
):
    add_members(scim, managers, people["ann"], people["bob"])
    ann, bob = signed_in(app, "ann"), signed_in(app, "bob")
    assert opens_scim_page(ann) and opens_scim_page(bob)

    remove_member(scim, managers, people["ann"])
    assert sessions_of(dbsession, "ann") == 0
    assert_signed_out(ann)
    assert opens_scim_page(bob)  # only hers ended

    # She may still sign in to HQ, as anyone of the instance, but manages nothing.
    ann = signed_in(app, "ann")
    assert ann.get(SCIM_PAGE, status=403)
    assert ann.get("/hq/acme/users", status=403)

    add_members(scim, managers, people["ann"])  # back in the group: access at the next sign-in
    ann = signed_in(app, "ann")
    assert opens_scim_page(ann)


def test_deactivation_ends_manager_access_and_reactivation_queues_for_a_seat(app, scim, managers, people, dbsession):
    add_members(scim, managers, people["ann"], people["bob"])
    ann = signed_in(app, "ann")
    set_active(scim, people["ann"], False)
    assert sessions_of(dbsession, "ann") == 0
    assert_signed_out(ann)
    sign_in(browser(app), "acme", login("ann"), status=403)  # "This account has been deactivated."

    add_members(scim, managers, people["cat"])  # Cat takes Ann's freed seat
    set_active(scim, people["ann"], True)  # Ann is back, at the back of the queue: no seat
    assert not opens_scim_page(signed_in(app, "ann"))
    assert opens_scim_page(signed_in(app, "cat"))


def test_lowered_seats_end_the_access_of_the_most_recently_licensed(app, tenant, scim, managers, people, dbsession):
    add_members(scim, managers, people["ann"])
    add_members(scim, managers, people["bob"])
    ann, bob = signed_in(app, "ann"), signed_in(app, "bob")

    set_seats(app, tenant, "hq", 1)  # support's `seats set acme hq 1`
    assert sessions_of(dbsession, "bob") == 0
    assert_signed_out(bob)
    assert opens_scim_page(ann)


def test_a_member_waiting_for_a_seat_gets_no_access_until_one_is_free(app, tenant, scim, managers, people):
    add_members(scim, managers, people["ann"], people["bob"], people["cat"])  # two seats, three members
    cat = signed_in(app, "cat")
    assert cat.get("/hq/acme/").status_int == 200  # signed in ...
    assert not opens_scim_page(cat)  # ... but waiting: no manager

    set_seats(app, tenant, "hq", 3)
    assert opens_scim_page(cat)  # licensed: the next request of the same session manages


def test_licenses_that_grant_no_hq_access_grant_none(app, tenant, scim, managers, people):
    set_seats(app, tenant, "standard", None)
    add_members(scim, group_named(scim, "Salesperson"), people["ann"])
    assert not opens_scim_page(signed_in(app, "ann"))


def test_the_manager_of_one_instance_manages_no_other(app, scim, managers, people, other_tenant):
    add_members(scim, managers, people["ann"])
    ann = signed_in(app, "ann")
    ann.get("/hq/globex/scim", status=403)


# --- break-glass managers ------------------------------------------------------------------


def test_a_break_glass_manager_keeps_access_without_the_license(app, tenant, scim, managers, people, dbsession):
    make_hq_user(app, tenant, "root@example.com")  # support's `livepreso-hq manager create`
    boss = browser(app)
    sign_in(boss, "acme", "root@example.com")
    assert opens_scim_page(boss)

    # Okta adopts the account, puts it in the Manager group and takes it out again.
    adopted = scim.post("Users", okta_user("root@example.com")).json["id"]
    add_members(scim, managers, adopted)
    remove_member(scim, managers, adopted)
    assert opens_scim_page(boss)  # still signed in, still a manager
    # Deactivated, a break-glass manager is nobody either.
    set_active(scim, adopted, False)
    assert_signed_out(boss)


def test_the_users_page_and_the_layout_say_who_is_a_manager_and_why(app, tenant, scim, managers, people):
    make_hq_user(app, tenant, "root@example.com")
    add_members(scim, managers, people["ann"])
    boss = browser(app)
    sign_in(boss, "acme", "root@example.com")
    page = boss.get("/hq/acme/users").html
    access = {
        row.td.text: row.find(class_="hq-access").text.strip() for row in page.find("table", class_="users").tbody("tr")
    }
    assert access == {
        "ann@example.com": "Manager",
        "bob@example.com": "",
        "cat@example.com": "",
        "root@example.com": "Manager (break-glass)",
    }
    note = page.find(id="hq-access").text
    assert OKTA_GROUP in note and "Break-glass managers" in note
    assert "break-glass manager" in page.find("header").text  # who is signed in, and how
    ann = signed_in(app, "ann")
    assert "break-glass" not in ann.get("/hq/acme/users").html.find("header").text


# --- the hooks and the sign-in's cost --------------------------------------------------------


def test_losing_the_license_ends_every_session_in_one_statement(app, scim, managers, people, engine):
    add_members(scim, managers, people["ann"], people["bob"])
    ann, bob = signed_in(app, "ann"), signed_in(app, "bob")
    group = managers["id"]
    with statements_sent(engine) as sent:
        scim.patch(f"Groups/{group}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                       "Operations": [{"op": "replace", "path": "members", "value": []}]}, status=204)
    session_deletes = [s for s in sent if s.statement.lstrip().upper().startswith("DELETE FROM HQ_SESSIONS")]
    assert len(session_deletes) == 1
    assert_signed_out(ann)
    assert_signed_out(bob)


def test_the_manager_is_read_with_the_session_in_one_query(app, scim, managers, people, engine):
    add_members(scim, managers, people["ann"])
    ann = signed_in(app, "ann")
    with statements_sent(engine) as sent:
        assert opens_scim_page(ann)
    reads = [s.statement for s in sent if "hq_sessions" in s.statement]
    assert len(reads) == 1 and "hq_user_licenses" in reads[0]


# --- single sign-on ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider():
    provider = HandMadeProvider(make_key("rsa", "hq-access-1", "RS256"))
    yield provider
    provider.close()


@pytest.fixture
def sso(app, tenant, provider) -> HandMadeProvider:
    """The instance signs in with SSO at a hand-made provider."""
    configure_sso(app, tenant, provider.issuer, HAND_MADE_CLIENT, "sso-client-secret")
    return provider


def test_a_manager_group_member_signing_in_with_sso_is_a_manager(app, scim, managers, sso):
    ids = create_users(scim, "ann", "bob")  # no password: SSO only
    add_members(scim, managers, ids["ann"])
    claims = {"email_verified": True}

    ann = browser(app)
    landed = sso.sign_in(ann, sub="00u-ann", email=login("ann"), **claims)
    assert landed.status_int == 302 and landed.location.endswith("/hq/acme/")
    assert opens_scim_page(ann)

    bob = browser(app)
    assert sso.sign_in(bob, sub="00u-bob", email=login("bob"), **claims).status_int == 302
    assert not opens_scim_page(bob)  # signed in through SSO, not in the group

    remove_member(scim, managers, ids["ann"])
    assert_signed_out(ann)
    add_members(scim, managers, ids["bob"])  # gaining it: access at the next SSO sign-in
    bob = browser(app)
    assert sso.sign_in(bob, sub="00u-bob").status_int == 302
    assert opens_scim_page(bob)
