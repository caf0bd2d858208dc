"""Fixtures: the reference HQ app on a real database, SQLite always, PostgreSQL when set.

Every database-backed test runs once per backend. A backend is created and migrated
with Alembic once per session (PostgreSQL in a database of its own, dropped at the
end); each test then starts from empty tables, and requests commit for real.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
import transaction
import webtest
from waitress.server import create_server

from livepreso_scim_addon.hq import main
from livepreso_scim_addon.hq.models import HqBase
from livepreso_scim_addon.models import Base, get_tm_session
from livepreso_scim_addon.models.migrations import scratch_database
from livepreso_scim_addon.services import instances, tokens

POSTGRES_URL = os.environ.get("SCIM_TEST_POSTGRES_URL")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_report_header(config):
    if POSTGRES_URL:
        return f"PostgreSQL tests: on ({sa.make_url(POSTGRES_URL).render_as_string(hide_password=True)})"
    return "PostgreSQL tests: skipped (SCIM_TEST_POSTGRES_URL is not set)"


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


@pytest.fixture
def engine(app):
    return app.registry["db_engine"]


_TABLES = [*reversed(Base.metadata.sorted_tables), *reversed(HqBase.metadata.sorted_tables)]


@pytest.fixture(autouse=True)
def _empty_tables(request):
    """Each test starts from empty tables (only when it uses the database)."""
    yield
    if "app" not in request.fixturenames:
        return
    engine = request.getfixturevalue("app").registry["db_engine"]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in _TABLES)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in _TABLES:
                connection.execute(table.delete())


@pytest.fixture
def live_server(app):
    """The app on a real waitress server on 127.0.0.1 with several threads, like `make run`.

    The serving loop runs in slices so the thread can stop it and close the sockets
    itself: closing them from outside races the loop's select().
    """
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)
        server.asyncore.close_all(server._map)  # the listening socket and every connection

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    stop.set()
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()


@pytest.fixture
def testapp(app):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "hq.example.com"})


@pytest.fixture
def dbsession(app):
    """A session for arranging and checking data outside any request; commit explicitly."""
    session = app.registry["dbsession_factory"]()
    yield session
    session.close()


@dataclass
class Tenant:
    slug: str
    id: int
    token: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def base(self) -> str:
        return f"/scim/v2/{self.slug}"


def make_tenant(app, slug: str, enabled: bool = True) -> Tenant:
    registry = app.registry
    with transaction.manager:
        db = get_tm_session(registry["dbsession_factory"], transaction.manager)
        instance = registry["scim.host"].create_instance(db, slug, slug.title())
        instances.set_enabled(db, instance.id, enabled)
        _, token = tokens.create_token(db, instance.id, "test")
    return Tenant(slug=slug, id=instance.id, token=token)


@pytest.fixture
def tenant(app) -> Tenant:
    return make_tenant(app, "acme")


@pytest.fixture
def other_tenant(app) -> Tenant:
    return make_tenant(app, "globex")


class ScimClient:
    """webtest with a tenant's token, JSON bodies as application/scim+json."""

    def __init__(self, testapp, tenant: Tenant):
        self.testapp = testapp
        self.tenant = tenant

    def _url(self, path):
        return path if path.startswith("/") else f"{self.tenant.base}/{path}"

    def _headers(self, headers):
        return {"Host": "hq.example.com", **self.tenant.headers, **(headers or {})}

    def get(self, path, status=200, headers=None, **kw):
        return self.testapp.get(self._url(path), status=status, headers=self._headers(headers), **kw)

    def delete(self, path, status=204, headers=None):
        return self.testapp.delete(self._url(path), status=status, headers=self._headers(headers))

    def send(self, method, path, body, status, headers=None, content_type="application/scim+json"):
        import json

        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        response = self.testapp.request(
            self._url(path),
            method=method,
            body=raw.encode() if isinstance(raw, str) else raw,
            headers=self._headers(headers),
            content_type=content_type,
            expect_errors=True,
        )
        # webtest checks no status when errors are expected: check it here ("*": any).
        assert status == "*" or response.status_int == status, (method, path, response.status, response.text[:500])
        return response

    def post(self, path, body, status=201, **kw):
        return self.send("POST", path, body, status, **kw)

    def put(self, path, body, status=200, **kw):
        return self.send("PUT", path, body, status, **kw)

    def patch(self, path, body, status=200, **kw):
        return self.send("PATCH", path, body, status, **kw)


@pytest.fixture
def scim(testapp, tenant) -> ScimClient:
    return ScimClient(testapp, tenant)
