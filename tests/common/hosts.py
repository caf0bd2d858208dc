"""The hosts the project proves the add-on against, as the contract kit drives them.

- the reference HQ (``livepreso_scim_addon.hq``): its adapter is here, as any host's
  adapter lives in that host's own tests;
- the second host (``tests.second_host``): its adapter ships with it.

The kit's tests (``tests/host_contract``), the IdP replays and scim2-tester run on each,
on SQLite and on PostgreSQL (``SCIM_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import select

from livepreso_scim_addon.hq import main
from livepreso_scim_addon.hq.accounts import set_password
from livepreso_scim_addon.hq.instances import create_instance
from livepreso_scim_addon.hq.models import HqUser, UserLicense
from livepreso_scim_addon.models import migrations
from livepreso_scim_addon.testing import HostHarness, HostUnderTest, Person, scratch_database
from tests.common import POSTGRES_URL
from tests.common.hq import PASSWORD
from tests.second_host.testing import SecondHostUnderTest


class ReferenceHqUnderTest(HostUnderTest):
    name = "reference-hq"

    def migrate(self, database_url):
        migrations.upgrade(database_url)  # the reference HQ's history, then the add-on's

    def make_app(self, database_url):
        return main({}, **{"sqlalchemy.url": database_url, "scim.sqlite_busy_timeout_ms": "10000"})

    def close_app(self, app):
        app.registry["db_engine"].dispose()

    def create_instance(self, request, slug, name):
        return create_instance(request.dbsession, slug, name)

    def create_person(
        self, request, instance, login, *, email=None, given_name=None, family_name=None, display_name=None
    ):
        person = HqUser(
            instance_id=instance.id,
            login=login,
            login_ci=login.lower(),
            email=email,
            given_name=given_name,
            family_name=family_name,
            display_name=display_name,
            active=True,
        )
        request.dbsession.add(person)
        request.dbsession.flush()
        return str(person.id)

    def person(self, request, key):
        person = request.dbsession.get(HqUser, int(key))
        if person is None:
            return None
        return Person(
            person.login, person.email, person.given_name, person.family_name, person.display_name, person.active
        )

    def licenses(self, request, key):
        return set(request.dbsession.scalars(select(UserLicense.license).where(UserLicense.user_id == int(key))))

    def start_session(self, harness, tenant, key):
        """HQ's own sign-in: support gives the person a password, the browser fills in the form."""
        with harness.request() as request:
            login = request.dbsession.get(HqUser, int(key)).login
            set_password(request.dbsession, tenant.id, login, PASSWORD)
        browser = harness.browser()
        form = browser.get(f"/hq/{tenant.slug}/login").forms[0]
        form["login"], form["password"] = login, PASSWORD
        answer = form.submit(expect_errors=True)
        if answer.status_int == 403:  # "This account has been deactivated."
            return None
        assert answer.status_int == 303, (answer.status, answer.text[:500])
        return browser

    def session_is_live(self, browser, tenant):
        return browser.get(f"/hq/{tenant.slug}/", expect_errors=True).status_int == 200


HOSTS: dict[str, type[HostUnderTest]] = {
    ReferenceHqUnderTest.name: ReferenceHqUnderTest,
    SecondHostUnderTest.name: SecondHostUnderTest,
}

#: Parameters for a database backend fixture: SQLite always, PostgreSQL when set.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def each_host_and_backend() -> list:
    """Parameters ``(host name, backend)``: every host on every backend."""
    return [
        pytest.param(
            (host, backend), marks=[pytest.mark.postgres] if backend == "postgresql" else [], id=f"{host}-{backend}"
        )
        for host in HOSTS
        for backend in ("sqlite", "postgresql")
    ]


def database_server(backend: str) -> str | None:
    """The server ``scratch_database`` makes a database on: None for SQLite."""
    if backend == "sqlite":
        return None
    if not POSTGRES_URL:
        pytest.skip("SCIM_TEST_POSTGRES_URL is not set: PostgreSQL tests are not run")
    return POSTGRES_URL


@contextlib.contextmanager
def running(host_name: str, backend: str):
    """The host's app on a fresh database of this backend: a ``HostHarness``."""
    host = HOSTS[host_name]()
    server = database_server(backend)
    with scratch_database(host.migrate, server, prefix=f"kit_{host_name.replace('-', '_')}") as url:
        with HostHarness.running(host, url) as harness:
            yield harness
