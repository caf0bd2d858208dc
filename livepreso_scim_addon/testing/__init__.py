"""The host contract kit: tests a host runs against its own implementation of the contract.

A test-time tool: it needs pytest and WebTest (the ``testing`` extra), and the add-on
never imports it. A host that includes the add-on writes two things.

An adapter, a subclass of :class:`HostUnderTest`: migrate a database, build the app on it
(the host's own app factory), create an instance, create a person who used HQ before SCIM,
read what the host holds of a person and which licenses they hold, tell whether a browser's
session is live (and, unless ``Host.sign_in`` will do, sign a person in)::

    class MyHqUnderTest(HostUnderTest):
        name = "myhq"
        def migrate(self, url): ...              # the host's history, then the add-on's
        def make_app(self, url): return myhq.main({}, **{"sqlalchemy.url": url})
        def create_instance(self, request, slug, name): return myhq.open_instance(request.dbsession, slug, name)
        def create_person(self, request, instance, login, **profile): ...
        def person(self, request, key): ...      # -> Person(login, email, ..., active)
        def licenses(self, request, key): ...    # -> {"pro", ...}
        def session_is_live(self, browser, tenant):  # a page only signed-in people see
            return browser.get(f"/my/{tenant.slug}/", expect_errors=True).status_int == 200

And one test module::

    from livepreso_scim_addon.testing import HostContractTests, scratch_database

    class TestMyHq(HostContractTests):
        @pytest.fixture(scope="class")
        @classmethod
        def host_under_test(cls):
            return MyHqUnderTest()

        @pytest.fixture(scope="class")
        @classmethod
        def contract_database_url(cls, host_under_test):
            with scratch_database(host_under_test.migrate) as url:  # SQLite; or name a PostgreSQL server
                yield url

The same :class:`HostHarness` serves a host's other tests: ``new_tenant`` (an instance with
SCIM on and a token), ``scim(tenant)`` (a SCIM client), ``set_seats``, ``host_key``,
``person``, ``licenses_of``, ``start_session``, ``recording`` (the calls the add-on made to
the host, through a spy that calls through).
"""

from .adapter import HostUnderTest, Person
from .contract import HostContractTests
from .harness import (
    HOST,
    HostCall,
    HostCalls,
    HostHarness,
    ScimClient,
    Tenant,
    assert_scim_error,
    okta_user,
    patch,
    scratch_database,
)

__all__ = [
    "HOST",
    "HostCall",
    "HostCalls",
    "HostContractTests",
    "HostHarness",
    "HostUnderTest",
    "Person",
    "ScimClient",
    "Tenant",
    "assert_scim_error",
    "okta_user",
    "patch",
    "scratch_database",
]
