"""The host contract's tests, for a host's own test suite to run against its implementation.

Subclass :class:`HostContractTests` in a test module (its name starts with ``Test``) and
give it two fixtures, at class or session scope: ``host_under_test`` (the host's
:class:`~livepreso_scim_addon.testing.HostUnderTest`) and ``contract_database_url`` (a
database ``host_under_test.migrate`` prepared, e.g. with ``scratch_database``).

Every test drives the app over HTTP as Okta or Entra would, with an instance of its own,
and looks at the outcome the host's own way (the adapter). Calls to the host are observed
by a spy on the registered host object that calls through (``HostHarness.recording``).
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from .harness import HostCalls, HostHarness, ScimClient, Tenant, assert_scim_error, okta_user, patch


def _unique(name: str) -> str:
    return f"{name}.{uuid.uuid4().hex[:6]}@example.com"


class HostContractTests:
    """Licenses and sign-in pages, provisioning, adoption, conflicts, deactivation, seats,
    license batches, HQ access, one transaction per request, and the add-on's queries in
    the host's database: what the add-on needs every host to honour."""

    # --- fixtures ---------------------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def harness(cls, host_under_test, contract_database_url):
        with HostHarness.running(host_under_test, contract_database_url) as harness:
            yield harness

    @pytest.fixture
    def tenant(self, harness) -> Tenant:
        return harness.new_tenant()

    @pytest.fixture
    def scim(self, harness, tenant) -> ScimClient:
        return harness.scim(tenant)

    @pytest.fixture
    def host_calls(self, harness) -> HostCalls:
        with harness.recording() as calls:
            yield calls

    @pytest.fixture
    def plain_license(self, harness):
        """A license that does not grant HQ access (each test sets the seats it needs)."""
        license = harness.license(grants_hq_access=False)
        if license is None:
            pytest.skip("the host sells no license without HQ access")
        return license

    @pytest.fixture
    def hq_license(self, harness):
        """The license that makes its holders managers of the instance in HQ."""
        license = harness.license(grants_hq_access=True)
        if license is None:
            pytest.skip("the host sells no license that grants HQ access")
        return license

    def _provision(self, harness, tenant, scim, name: str, **extra) -> tuple[str, str]:
        """A SCIM user made by POST: (SCIM id, the host's key)."""
        user = scim.create_user(_unique(name), **extra)
        return user["id"], harness.host_key(tenant, user["id"])

    # --- licenses and sign-in ---------------------------------------------------------------

    def test_each_license_has_its_group(self, harness, scim):
        licenses = harness.licenses()
        types = [license.type for license in licenses]
        assert licenses and len(set(types)) == len(types), f"license types must be distinct: {types}"
        assert all(0 < len(t) <= 32 for t in types), f"a license type is 1 to 32 characters: {types}"
        # Okta's "Refresh App Groups": the license groups, in the order the host sells them.
        groups = scim.get("Groups", params={"startIndex": 1, "count": 100}).json["Resources"]
        assert [g["displayName"] for g in groups] == [license.group_name for license in licenses]

    def test_sign_in_pages(self, harness, tenant, scim):
        """``login_url`` (where the SCIM page sends anonymous visitors), ``sign_in`` and
        ``home_url`` (the end of single sign-on)."""
        anonymous = harness.browser()
        with harness.request() as request:
            page = request.route_path("scim.hq.page", instance=tenant.slug)
            login_url = harness.host.login_url(request, tenant.instance)
            home_url = harness.host.home_url(request, tenant.instance)
        sent = anonymous.get(page, expect_errors=True)
        # A host may add a query to bring the person back to the page afterwards (the
        # reference HQ's ``next``): ``login_url`` is given the request that was refused.
        assert sent.status_int in (302, 303) and sent.location.split("?")[0] == login_url.split("?")[0], (
            sent.status, sent.location,
        )
        assert anonymous.get(sent.location, expect_errors=True).status_int == 200, "the host's sign-in page"
        assert anonymous.get(login_url, expect_errors=True).status_int == 200, "the host's sign-in page"

        _, key = self._provision(harness, tenant, scim, "sso")
        browser = harness.sign_in_with_contract(tenant, key)
        assert harness.session_is_live(browser, tenant), "Host.sign_in started no session"
        assert browser.get(home_url, expect_errors=True).status_int == 200, "home_url is no page for a signed-in person"

    # --- provisioning -----------------------------------------------------------------------

    def test_create_provisions_a_person(self, harness, tenant, scim):
        login, work = _unique("jane.doe"), _unique("jane.work")
        user = scim.post(
            "Users",
            okta_user(
                login,
                name={"givenName": "Jane", "familyName": "Doe"},
                displayName="Jane Doe",
                emails=[
                    {"value": "jd@home.example", "type": "home"},
                    {"primary": True, "value": work, "type": "work"},
                ],
            ),
        ).json
        key = harness.host_key(tenant, user["id"])
        assert isinstance(key, str) and key, f"host keys are text, not {key!r}"
        person = harness.person(key)
        assert person is not None, "provision_user returned a key the host does not know"
        assert (person.login, person.email, person.given_name, person.family_name, person.display_name) == (
            login, work, "Jane", "Doe", "Jane Doe",
        )
        assert person.active is True
        other = scim.create_user(_unique("john.roe"))
        assert harness.host_key(tenant, other["id"]) != key

    def test_created_inactive_is_inactive(self, harness, tenant, scim):
        _, key = self._provision(harness, tenant, scim, "dormant", active=False)
        assert harness.person(key).active is False

    def test_put_and_patch_update_the_person(self, harness, tenant, scim):
        user_id, key = self._provision(harness, tenant, scim, "rename")
        resource = scim.get(f"Users/{user_id}").json
        resource.update(
            name={"givenName": "Janet", "familyName": "Doh"},
            displayName="Janet Doh",
            emails=[{"primary": True, "value": "janet@example.org", "type": "work"}],
        )
        scim.put(f"Users/{user_id}", resource)
        person = harness.person(key)
        assert (person.given_name, person.family_name, person.display_name, person.email) == (
            "Janet", "Doh", "Janet Doh", "janet@example.org",
        )
        # Entra: a path per attribute, capitalised op.
        scim.patch(f"Users/{user_id}", patch({"op": "Replace", "path": "displayName", "value": "J. Doh"}))
        assert harness.person(key).display_name == "J. Doh"
        # Removing a name reaches the host as no name.
        scim.patch(f"Users/{user_id}", patch({"op": "remove", "path": "name.givenName"}))
        assert harness.person(key).given_name is None

    def test_user_name_change_changes_the_login(self, harness, tenant, scim):
        old = _unique("before")
        user = scim.create_user(old)
        key = harness.host_key(tenant, user["id"])
        new = _unique("after")
        scim.patch(f"Users/{user['id']}", patch({"op": "replace", "path": "userName", "value": new}))
        assert harness.person(key).login == new
        # The old login is free again: a new user takes it, as a person of their own.
        again = scim.create_user(old)
        assert harness.host_key(tenant, again["id"]) != key
        assert harness.person(key).login == new

    # --- adoption ---------------------------------------------------------------------------

    def test_create_adopts_an_existing_login(self, harness, tenant, scim):
        login = _unique("veteran")
        key = harness.create_person(tenant, login, given_name="Old", family_name="Name", display_name="Old Name")
        before = harness.start_session(tenant, key)
        assert before is not None and harness.session_is_live(before, tenant), "the adapter's sign-in failed"

        user = scim.create_user(login, name={"givenName": "New", "familyName": "Name"}, displayName="New Name")
        assert harness.host_key(tenant, user["id"]) == key, "the existing person was not adopted"
        person = harness.person(key)
        assert (person.login, person.given_name, person.display_name, person.active) == (login, "New", "New Name", True)
        # Adoption keeps the person signed in; it is no deactivation.
        assert harness.session_is_live(before, tenant)

    # --- conflicts --------------------------------------------------------------------------

    def test_a_login_held_by_another_person_is_a_conflict(self, harness, tenant, scim):
        taken = _unique("taken")
        other_key = harness.create_person(tenant, taken, given_name="Other")
        other = harness.person(other_key)
        user_id, key = self._provision(harness, tenant, scim, "mover")
        person, resource = harness.person(key), scim.get(f"Users/{user_id}").json

        rename = patch({"op": "replace", "path": "userName", "value": taken})
        assert_scim_error(scim.patch(f"Users/{user_id}", rename, status=409), 409, "uniqueness")
        assert harness.person(key) == person
        assert harness.person(other_key) == other
        assert scim.get(f"Users/{user_id}").json == resource

    # --- deactivation -----------------------------------------------------------------------

    @pytest.mark.parametrize("how", ["okta-patch", "entra-patch", "put"])
    def test_deactivation_ends_sessions_and_sign_in(self, harness, tenant, scim, how):
        user_id, key = self._provision(harness, tenant, scim, "leaver")
        _, bystander_key = self._provision(harness, tenant, scim, "stayer")
        browser = harness.start_session(tenant, key)
        bystander = harness.start_session(tenant, bystander_key)
        assert browser is not None and harness.session_is_live(browser, tenant), "the adapter's sign-in failed"

        if how == "okta-patch":
            scim.set_active(user_id, False)
        elif how == "entra-patch":  # Entra sends "Replace" and the string "False"
            scim.patch(f"Users/{user_id}", patch({"op": "Replace", "path": "active", "value": "False"}))
        else:
            scim.put(f"Users/{user_id}", {**scim.get(f"Users/{user_id}").json, "active": False})

        assert harness.person(key).active is False
        assert not harness.session_is_live(browser, tenant), "the deactivated person's session is still live"
        again = harness.start_session(tenant, key)
        assert again is None or not harness.session_is_live(again, tenant), "a deactivated person signed in"
        assert harness.session_is_live(bystander, tenant), "another person's session ended too"

        scim.set_active(user_id, True)
        assert harness.person(key).active is True
        assert not harness.session_is_live(browser, tenant), "the ended session came back with reactivation"
        back = harness.start_session(tenant, key)
        assert back is not None and harness.session_is_live(back, tenant), "reactivation did not restore sign-in"

    def test_delete_keeps_the_person_inactive(self, harness, tenant, scim, plain_license):
        harness.set_seats(tenant, plain_license.type, None)
        user_id, key = self._provision(harness, tenant, scim, "deleted")
        scim.add_members(scim.group_named(plain_license.group_name), user_id)
        assert plain_license.type in harness.licenses_of(key)
        browser = harness.start_session(tenant, key)

        scim.delete(f"Users/{user_id}")
        scim.get(f"Users/{user_id}", status=404)
        person = harness.person(key)
        assert person is not None, "DELETE removed the person from HQ"
        assert person.active is False
        assert plain_license.type not in harness.licenses_of(key)
        assert not harness.session_is_live(browser, tenant)

    # --- seats ------------------------------------------------------------------------------

    def _members(self, harness, tenant, scim, count: int) -> list[tuple[str, str]]:
        return [self._provision(harness, tenant, scim, f"member{n}") for n in range(count)]

    def _holders(self, harness, license, members) -> list[int]:
        """The positions of the members holding ``license`` in HQ."""
        return [n for n, (_, key) in enumerate(members) if license.type in harness.licenses_of(key)]

    def test_members_beyond_the_seats_get_no_license(self, harness, tenant, scim, plain_license, host_calls):
        harness.set_seats(tenant, plain_license.type, 2)
        members = self._members(harness, tenant, scim, 3)
        host_calls.clear()
        scim.add_members(scim.group_named(plain_license.group_name), *(user_id for user_id, _ in members))
        # The first two in request order hold the seats: granted in one call.
        assert self._holders(harness, plain_license, members) == [0, 1]
        granted = host_calls.named("license_granted")
        assert len(granted) == 1, granted
        assert sorted(granted[0].keys) == sorted([members[0][1], members[1][1]])
        assert granted[0].license == plain_license.type
        assert granted[0].arguments["instance_id"] == tenant.id

    def test_a_freed_seat_goes_to_the_longest_waiting(self, harness, tenant, scim, plain_license):
        harness.set_seats(tenant, plain_license.type, 2)
        members = self._members(harness, tenant, scim, 4)
        group = scim.group_named(plain_license.group_name)
        scim.add_members(group, members[0][0], members[1][0], members[2][0])
        scim.add_members(group, members[3][0])  # waits behind member 2
        assert self._holders(harness, plain_license, members) == [0, 1]

        scim.remove_member(group, members[0][0])
        assert self._holders(harness, plain_license, members) == [1, 2]
        harness.set_seats(tenant, plain_license.type, 3)
        assert self._holders(harness, plain_license, members) == [1, 2, 3]

    def test_lowered_seats_revoke_the_most_recently_licensed(self, harness, tenant, scim, plain_license):
        harness.set_seats(tenant, plain_license.type, 1)
        members = self._members(harness, tenant, scim, 3)
        group = scim.group_named(plain_license.group_name)
        scim.add_members(group, *(user_id for user_id, _ in members))
        harness.set_seats(tenant, plain_license.type, 2)  # member 1 is licensed after member 0
        harness.set_seats(tenant, plain_license.type, 3)  # and member 2 after member 1
        assert self._holders(harness, plain_license, members) == [0, 1, 2]

        harness.set_seats(tenant, plain_license.type, 1)
        assert self._holders(harness, plain_license, members) == [0]
        harness.set_seats(tenant, plain_license.type, None)  # unlimited
        assert self._holders(harness, plain_license, members) == [0, 1, 2]

    def test_deactivation_frees_the_seat(self, harness, tenant, scim, plain_license):
        harness.set_seats(tenant, plain_license.type, 1)
        members = self._members(harness, tenant, scim, 2)
        scim.add_members(scim.group_named(plain_license.group_name), *(user_id for user_id, _ in members))
        scim.set_active(members[0][0], False)
        assert self._holders(harness, plain_license, members) == [1]

    # --- batches ----------------------------------------------------------------------------

    def test_license_changes_reach_the_host_in_batches(self, harness, tenant, scim, plain_license, host_calls):
        harness.set_seats(tenant, plain_license.type, None)
        members = self._members(harness, tenant, scim, 5)
        keys = sorted(key for _, key in members)
        group = scim.group_named(plain_license.group_name)

        host_calls.clear()
        scim.add_members(group, *(user_id for user_id, _ in members))
        granted = host_calls.named("license_granted")
        assert [sorted(call.keys) for call in granted] == [keys], "one license_granted call for the PATCH"
        assert all(plain_license.type in harness.licenses_of(key) for key in keys)

        host_calls.clear()
        scim.patch(f"Groups/{group['id']}", patch({"op": "remove", "path": "members"}), status=204)
        revoked = host_calls.named("license_revoked")
        assert [sorted(call.keys) for call in revoked] == [keys], "one license_revoked call for the PATCH"
        assert not any(plain_license.type in harness.licenses_of(key) for key in keys)

    # --- HQ access --------------------------------------------------------------------------

    def test_the_hq_access_license_opens_hq_and_losing_it_ends_sessions(self, harness, tenant, scim, hq_license):
        harness.set_seats(tenant, hq_license.type, None)
        user_id, key = self._provision(harness, tenant, scim, "manager")
        plain = harness.start_session(tenant, key)
        assert plain is not None and harness.session_is_live(plain, tenant), "the adapter's sign-in failed"
        assert harness.scim_page_status(plain, tenant) != 200, "a person without the license manages SCIM"

        group = scim.group_named(hq_license.group_name)
        scim.add_members(group, user_id)
        assert hq_license.type in harness.licenses_of(key)
        manager = harness.start_session(tenant, key)
        assert harness.scim_page_status(manager, tenant) == 200, "the license holder cannot open the SCIM page"

        scim.remove_member(group, user_id)
        assert hq_license.type not in harness.licenses_of(key)
        assert not harness.session_is_live(manager, tenant), "losing HQ access left the session live"
        assert harness.person(key).active is True
        later = harness.start_session(tenant, key)
        assert later is not None and harness.session_is_live(later, tenant)
        assert harness.scim_page_status(later, tenant) != 200

    # --- one transaction per request --------------------------------------------------------

    def test_a_failed_group_patch_grants_nothing(self, harness, tenant, scim, plain_license):
        harness.set_seats(tenant, plain_license.type, None)
        user_id, key = self._provision(harness, tenant, scim, "hopeful")
        group = scim.group_named(plain_license.group_name)
        body = patch(
            {"op": "add", "path": "members", "value": [{"value": user_id}]},
            {"op": "add", "path": "members", "value": [{"value": group["id"], "type": "Group"}]},  # refused: nested
        )
        assert_scim_error(scim.patch(f"Groups/{group['id']}", body, status=400), 400)
        assert harness.licenses_of(key) == set()
        assert "members" not in scim.get(f"Groups/{group['id']}").json

    def test_a_failed_group_patch_keeps_licenses_and_sessions(self, harness, tenant, scim, plain_license, host_calls):
        license = harness.license(grants_hq_access=True) or plain_license
        harness.set_seats(tenant, license.type, None)
        user_id, key = self._provision(harness, tenant, scim, "holder")
        group = scim.group_named(license.group_name)
        scim.add_members(group, user_id)
        browser = harness.start_session(tenant, key)
        assert harness.session_is_live(browser, tenant)

        host_calls.clear()
        body = patch(
            {"op": "remove", "path": f'members[value eq "{user_id}"]'},
            {"op": "add", "path": "members", "value": [{"value": group["id"], "type": "Group"}]},  # refused: nested
        )
        assert_scim_error(scim.patch(f"Groups/{group['id']}", body, status=400), 400)
        # The host revoked (and, for HQ access, ended the sessions) inside the request...
        assert [call.keys for call in host_calls.named("license_revoked")] == [[key]], (
            "the add-on no longer calls the host before the failing operation: this test needs another failing request"
        )
        # ... and the request's failure undid it with the rest.
        assert license.type in harness.licenses_of(key)
        assert harness.session_is_live(browser, tenant)
        assert [m["value"] for m in scim.get(f"Groups/{group['id']}").json["members"]] == [user_id]

    def test_a_failed_put_leaves_the_person_unchanged(self, harness, tenant, scim):
        taken = _unique("occupied")
        harness.create_person(tenant, taken)
        user_id, key = self._provision(harness, tenant, scim, "steady")
        person, resource = harness.person(key), scim.get(f"Users/{user_id}").json

        changed = {
            **resource,
            "userName": taken,
            "name": {"givenName": "Changed", "familyName": "Everything"},
            "displayName": "Changed Everything",
            "emails": [{"primary": True, "value": "changed@example.org", "type": "work"}],
            "active": False,
        }
        assert_scim_error(scim.put(f"Users/{user_id}", changed, status=409), 409, "uniqueness")
        assert harness.person(key) == person
        assert scim.get(f"Users/{user_id}").json == resource

    # --- the add-on in the host's database --------------------------------------------------

    def test_case_exact_filters_keep_case(self, scim):
        """The add-on's queries run in the host's session: a caseExact attribute
        (externalId, RFC 7643 §3.1) compares with case there too, ``sw`` included."""
        scim.create_user(_unique("exact"), externalId="AbcDef")
        found = {f: scim.get("Users?filter=" + quote(f)).json["totalResults"] for f in (
            'externalId sw "Abc"', 'externalId sw "abc"', 'externalId co "cDe"', 'externalId co "cde"',
            'externalId eq "abcdef"',
        )}
        assert found == {
            'externalId sw "Abc"': 1, 'externalId sw "abc"': 0, 'externalId co "cDe"': 1, 'externalId co "cde"': 0,
            'externalId eq "abcdef"': 0,
        }
