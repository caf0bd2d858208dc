"""Fixtures: the reference HQ app on a real database, SQLite always, PostgreSQL when set.

Every database-backed test runs once per backend. A backend is created and migrated
with Alembic once per session (PostgreSQL in a database of its own, dropped at the
end). Each test then runs inside a savepoint rolled back at its end; a test marked
``commits`` gets real commits and empty tables after it (``tests/common/db.py``).
Helpers and factories live in ``tests/common``.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import webtest
from argon2 import PasswordHasher

from livepreso_scim_addon.hq import main
from livepreso_scim_addon.models.migrations import scratch_database
from tests.common import POSTGRES_URL
from tests.common.db import COMMITS, TestTransaction, empty_tables, tables_with_rows
from tests.common.factories import make_tenant
from tests.common.scim import HOST, ScimClient, Tenant
from tests.common.servers import waitress_in_thread


def pytest_report_header(config):
    if POSTGRES_URL:
        return f"PostgreSQL tests: on ({sa.make_url(POSTGRES_URL).render_as_string(hide_password=True)})"
    return "PostgreSQL tests: skipped (SCIM_TEST_POSTGRES_URL is not set)"


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashing():
    """argon2 at its lowest cost: each hash or check at the reference HQ's cost takes
    0.1-0.5 s, and the sign-in tests make hundreds. Hashes keep their parameters, so
    checks run at the cost a hash was made with."""
    from livepreso_scim_addon.hq import security

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request):
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip("SCIM_TEST_POSTGRES_URL is not set: PostgreSQL tests are not run")
    with scratch_database(request.param, POSTGRES_URL, prefix="scim_test") as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    settings = {
        "sqlalchemy.url": database_url,
        "scim.sqlite_busy_timeout_ms": "10000",
        "scim.sso_key_file": str(tmp_path_factory.mktemp("keys") / "sso.key"),
    }
    app = main({}, **settings)
    yield app
    app.registry["db_engine"].dispose()


@pytest.fixture(autouse=True)
def test_transaction(request) -> TestTransaction | None:
    """The test's database isolation, when it uses the database (the ``app`` fixture).

    By default, a transaction rolled back at the end, every session of ``app`` in a
    savepoint of it; ``bind_app`` puts another app's sessions in it too. Marked
    ``commits``: real commits (None here), and the tables emptied after the test.
    """
    if "app" not in request.fixturenames:
        yield None
        return
    app = request.getfixturevalue("app")
    engine = app.registry["db_engine"]
    if request.node.get_closest_marker(COMMITS):
        yield None
        if tables_with_rows(engine):  # one quick probe: a TRUNCATE costs PostgreSQL far more
            empty_tables(engine)
        return
    if "live_server" in request.fixturenames:
        pytest.fail(f"a live server's threads cannot see into a test's savepoint: mark the test @pytest.mark.{COMMITS}")
    transaction = TestTransaction(engine)
    transaction.bind(app)
    yield transaction
    transaction.close()
    left = tables_with_rows(engine)
    if left:  # written around the savepoint: the next test would not start empty
        empty_tables(engine)
        pytest.fail(f"the test committed rows outside its savepoint (in {', '.join(left)}): mark it {COMMITS}")


@pytest.fixture
def bind_app(app, test_transaction):
    """``bind_app(other_app)``: another app on the test database joins the test's
    transaction (nothing to do when the test commits)."""

    def bind(other_app):
        if test_transaction is not None:
            test_transaction.bind(other_app)
        return other_app

    return bind


@pytest.fixture
def engine(app):
    return app.registry["db_engine"]


@pytest.fixture
def live_server(app):
    """The app on a real waitress server on 127.0.0.1 with several threads, like `make run`."""
    with waitress_in_thread(app, host="127.0.0.1", port=0, threads=8) as server:
        yield f"http://127.0.0.1:{server.effective_port}"


@pytest.fixture
def testapp(app):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": HOST})


@pytest.fixture
def dbsession(app, test_transaction):
    """A session for arranging and checking data outside any request; commit explicitly.

    ``rollback()`` ends its last read, to see what requests did since.
    """
    session = test_transaction.session() if test_transaction else app.registry["dbsession_factory"]()
    yield session
    session.close()


@pytest.fixture
def tenant(app) -> Tenant:
    return make_tenant(app, "acme")


@pytest.fixture
def other_tenant(app) -> Tenant:
    return make_tenant(app, "globex")


@pytest.fixture
def scim(testapp, tenant) -> ScimClient:
    return ScimClient(testapp, tenant)
