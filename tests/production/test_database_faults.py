"""A database that is down, black-holed or busy: 503 with Retry-After, never a 500 or a hang.

The PostgreSQL tests put a TCP proxy (``tests/common/dblink.py``) between the app and
the server and cut it (connections refused, links closed: the server is down) or
black-hole it (bytes taken, nothing answered: a hung host or a firewall dropping
replies). Timeouts are set short so that every bound shows within seconds. After the
link is restored the same requests succeed, without restarting the app: the pool
replaces the connections that died.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa
import webtest

from livepreso_scim_addon.hq import main
from livepreso_scim_addon.models import get_engine
from livepreso_scim_addon.models.migrations import scratch_database
from livepreso_scim_addon.views import unavailable
from tests.common import POSTGRES_URL
from tests.common.dblink import DatabaseLink
from tests.common.factories import make_hq_user, make_tenant
from tests.common.hq import sign_in


def needs_postgres(test):
    skip = pytest.mark.skipif(not POSTGRES_URL, reason="SCIM_TEST_POSTGRES_URL is not set")
    return pytest.mark.postgres(skip(test))


CONNECT_TIMEOUT = 2  # seconds; libpq's smallest
STATEMENT_TIMEOUT = 1
#: The longest a faulted request may take: a pre-ping left unanswered (statement
#: timeout + 1 s of grace), then a new connection left unanswered (connect timeout),
#: with room for a slow shared machine.
FAULT_BOUND = 2 * (STATEMENT_TIMEOUT + 1 + CONNECT_TIMEOUT)
#: How long a test waits for a request at all: today's code hangs for good.
GIVE_UP = FAULT_BOUND + 10

#: Seconds a pooled connection is idle before it is pinged (scim.db_ping_after_idle).
PING_AFTER_IDLE = 0.5

HOST = {"HTTP_HOST": "hq.example.com"}
PASSWORD = "database-password-never-logged"


def fault_settings(url: str, directory) -> dict:
    return {
        "sqlalchemy.url": url,
        # As production.ini: no ping on every checkout, but on one idle for this long.
        "scim.db_ping_after_idle": str(PING_AFTER_IDLE),
        "scim.db_connect_timeout": str(CONNECT_TIMEOUT),
        "scim.db_statement_timeout": str(STATEMENT_TIMEOUT),
        "scim.sso_key_file": str(directory / "sso.key"),
    }


# --- PostgreSQL behind a link the tests cut and black-hole ------------------------------


@pytest.fixture(scope="module")
def link():
    server = sa.make_url(POSTGRES_URL)
    with DatabaseLink((server.host or "127.0.0.1", server.port or 5432)) as link:
        yield link


@pytest.fixture(scope="module")
def linked_app(link, tmp_path_factory):
    """The reference HQ on a scratch database that it reaches only through ``link``."""
    with scratch_database("postgresql", POSTGRES_URL, prefix="scim_faults") as url:
        # The server trusts local connections and never asks for the password: it is
        # there to show that no log line carries it.
        proxied = sa.make_url(url).set(host="127.0.0.1", port=link.port, password=PASSWORD)
        proxied = proxied.render_as_string(hide_password=False)
        app = main({}, **fault_settings(proxied, tmp_path_factory.mktemp("faults")))
        yield app
        app.registry["db_engine"].dispose()


@pytest.fixture
def restored(link):
    """Whatever a test does to the link, the next one starts with it working."""
    yield link
    link.restore()


class Site:
    """One instance with a SCIM token and a signed-in manager, and the requests a fault
    must not break: SCIM read and write with the token, the manager's SCIM page (the
    host's session is loaded from the database), the host's sign-in page, and the SSO
    sign-in page (404 here: SSO is not set up, which takes the database to know)."""

    def __init__(self, app):
        self.tenant = make_tenant(app, "acme")
        make_hq_user(app, self.tenant, "boss@acme.com")
        self.scim = webtest.TestApp(app, extra_environ=HOST)
        self.browser = webtest.TestApp(app, extra_environ=HOST)
        sign_in(self.browser, "acme", "boss@acme.com")
        self.users = 0

    def scim_get(self):
        return self.scim.get(f"{self.tenant.base}/Users", headers=self.tenant.headers, expect_errors=True)

    def scim_post(self):
        self.users += 1
        return self.scim.post_json(
            f"{self.tenant.base}/Users",
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"u{self.users}@acme.com"},
            headers=self.tenant.headers,
            expect_errors=True,
        )

    def hq_page(self):
        return self.browser.get("/hq/acme/scim", expect_errors=True)

    def hq_sign_in(self):
        return self.scim.get("/hq/acme/login", expect_errors=True)

    def sso_login(self):
        return self.scim.get("/sso/acme/login", expect_errors=True)

    def requests(self):
        return {
            "SCIM GET": self.scim_get,
            "SCIM POST": self.scim_post,
            "HQ SCIM page": self.hq_page,
            "HQ sign-in page": self.hq_sign_in,  # the host's own page
            "SSO": self.sso_login,
        }


@pytest.fixture(scope="module")
def site(linked_app):
    return Site(linked_app)


def run_together(calls: dict, link: DatabaseLink) -> dict:
    """Each call in a thread of its own, as waitress would: name -> (what it returned
    or raised, seconds).

    A call still running after GIVE_UP seconds fails the test (it hangs); the link is
    restored first, which ends the hung calls, so that nothing waits on them later.
    """
    results = {}

    def run(name, call):
        start = time.monotonic()
        try:
            outcome = call()
        except Exception as exc:
            outcome = exc
        results[name] = (outcome, time.monotonic() - start)

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in calls.items()]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + GIVE_UP
    for thread in threads:
        thread.join(timeout=max(0, deadline - time.monotonic()))
    hung = sorted(calls.keys() - results.keys())
    if hung:
        link.restore()
        for thread in threads:
            thread.join(timeout=5)
    assert not hung, f"no answer within {GIVE_UP} s: {hung}"
    return results


def run_alone(call, link: DatabaseLink):
    ((outcome, seconds),) = run_together({"call": call}, link).values()
    return outcome, seconds


def assert_unavailable(name, response):
    assert response.status_code == 503, (name, response.status, response.text[:300])
    assert response.headers["Retry-After"] == unavailable.RETRY_AFTER
    if name.startswith("SCIM"):
        assert response.content_type == "application/scim+json"
        assert response.json == {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "503",
            "detail": "The service is temporarily unavailable; try again later.",
        }
    else:
        assert response.content_type == "text/html"
        assert "Temporarily unavailable" in response.text


def assert_one_line_each(caplog, count):
    """One warning per failed request, without a traceback, a statement, its parameters
    or a password (production.ini logs WARNING and above)."""
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in records] == [unavailable.log.name] * count, [r.getMessage() for r in records]
    for record in records:
        message = record.getMessage()
        assert record.exc_info is None and "\n" not in message
        assert not any(secret in message for secret in ("[SQL", "[parameters", PASSWORD)), message


@needs_postgres
@pytest.mark.parametrize("fault", ["cut", "blackhole"])
def test_database_fault_answers_503_in_time_then_recovers(site, restored, caplog, fault):
    expected = {name: call().status_code for name, call in site.requests().items()}
    assert expected == {"SCIM GET": 200, "SCIM POST": 201, "HQ SCIM page": 200, "HQ sign-in page": 200, "SSO": 404}

    getattr(restored, fault)()
    caplog.clear()
    caplog.set_level(logging.WARNING)
    for name, (response, seconds) in run_together(site.requests(), restored).items():
        assert_unavailable(name, response)
        assert seconds < FAULT_BOUND, (name, seconds)
    assert_one_line_each(caplog, len(expected))

    restored.restore()
    caplog.clear()
    assert {name: call().status_code for name, call in site.requests().items()} == expected
    assert_one_line_each(caplog, 0)


@needs_postgres
def test_connections_that_died_while_idle_are_replaced_unseen(site, restored, caplog):
    """A restarted server, or a proxy that drops idle links: the pool holds dead
    connections, and nobody gets an error for it."""
    expected = {name: call().status_code for name, call in site.requests().items()}
    caplog.set_level(logging.WARNING)
    for wait in (PING_AFTER_IDLE * 2, 0):
        # Idle past the ping's threshold, the pool replaces them before use; at once, the
        # first statement meets a dead one and its request runs again on a new one.
        restored.restore()  # every pooled connection's link is shut, the server stays up
        time.sleep(wait)
        caplog.clear()
        assert {name: call().status_code for name, call in site.requests().items()} == expected, wait
        assert_one_line_each(caplog, 0)


@needs_postgres
def test_a_commit_left_unanswered_answers_503(linked_app, site, restored, caplog):
    """The request's work is done and its COMMIT gets no answer: pyramid_tm hands the
    failure to the exception views, and nothing was created."""
    engine = linked_app.registry["db_engine"]
    caplog.set_level(logging.WARNING)
    sa.event.listen(engine, "commit", lambda connection: restored.blackhole(), once=True)
    response, seconds = run_alone(site.scim_post, restored)
    assert_unavailable("SCIM POST", response)
    assert STATEMENT_TIMEOUT <= seconds < FAULT_BOUND
    assert_one_line_each(caplog, 1)
    restored.restore()
    query = {"filter": f'userName eq "u{site.users}@acme.com"'}
    assert site.scim.get(f"{site.tenant.base}/Users", query, headers=site.tenant.headers).json["totalResults"] == 0


@needs_postgres
def test_a_statement_left_unanswered_ends_the_connection(linked_app, restored):
    """Mid-transaction, on a live connection: psycopg alone would wait forever."""
    engine = linked_app.registry["db_engine"]
    engine.dispose()  # earlier tests shut the links of pooled connections moments ago
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
        restored.blackhole()
        failure, seconds = run_alone(lambda: connection.execute(sa.text("SELECT 2")), restored)
        assert isinstance(failure, sa.exc.OperationalError)
        assert STATEMENT_TIMEOUT <= seconds < FAULT_BOUND
        assert failure.connection_invalidated  # the pool will not hand it out again
        assert unavailable.is_database_unavailable(failure)
    restored.restore()
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT 3")).scalar() == 3


@needs_postgres
def test_connections_time_statements_out_and_plan_without_jit(tmp_path):
    """The server side: statement_timeout and jit=off on every connection, added to
    the options the URL already carries."""
    url = sa.make_url(POSTGRES_URL).update_query_dict({"options": "-c search_path=pg_catalog,public"})
    engine = get_engine(fault_settings(url.render_as_string(hide_password=False), tmp_path))
    try:
        with engine.connect() as connection:
            show = lambda name: connection.exec_driver_sql(f"SHOW {name}").scalar()  # noqa: E731
            assert (show("jit"), show("statement_timeout"), show("search_path")) == ("off", "1s", "pg_catalog,public")
            start = time.monotonic()
            with pytest.raises(sa.exc.OperationalError, match="statement timeout") as failure:
                connection.exec_driver_sql("SELECT pg_sleep(5)")
            assert time.monotonic() - start < STATEMENT_TIMEOUT + 1
            assert unavailable.is_database_unavailable(failure.value)
    finally:
        engine.dispose()


# --- SQLite: a writer that holds the lock past the busy timeout ------------------------


@pytest.fixture(scope="module")
def locked_sqlite(tmp_path_factory):
    """The reference HQ on SQLite with a tiny busy timeout, and a way to hold its write lock."""
    with scratch_database("sqlite") as url:
        settings = {**fault_settings(url, tmp_path_factory.mktemp("sqlite")), "scim.sqlite_busy_timeout_ms": "50"}
        app = main({}, **settings)
        tenant = make_tenant(app, "acme")
        other_writer = sqlite3.connect(sa.make_url(url).database, isolation_level=None)
        try:
            yield app, tenant, other_writer
        finally:
            other_writer.close()
            app.registry["db_engine"].dispose()


@contextlib.contextmanager
def holding_write_lock(connection):
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")


def test_sqlite_write_blocked_past_busy_timeout_is_503(locked_sqlite, caplog):
    app, tenant, other_writer = locked_sqlite
    scim = webtest.TestApp(app, extra_environ=HOST)
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann@acme.com"}
    caplog.set_level(logging.WARNING)
    with holding_write_lock(other_writer):
        response = scim.post_json(f"{tenant.base}/Users", body, headers=tenant.headers, expect_errors=True)
    assert_unavailable("SCIM POST", response)
    assert_one_line_each(caplog, 1)
    scim.post_json(f"{tenant.base}/Users", body, headers=tenant.headers, status=201)


def test_a_failed_request_not_audited_for_a_locked_database_logs_one_line(locked_sqlite, caplog):
    """A 404 with a valid token is written to the audit trail after the request; when
    the database refuses that write, the log gets one line, not a traceback."""
    app, tenant, other_writer = locked_sqlite
    scim = webtest.TestApp(app, extra_environ=HOST)
    scim.get(f"{tenant.base}/Users", headers=tenant.headers)  # the token's last use is noted: no write next
    caplog.set_level(logging.WARNING)
    with holding_write_lock(other_writer):
        scim.get(f"{tenant.base}/Users/no-such-id", headers=tenant.headers, status=404)  # reads need no lock
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.exc_info) for r in records] == [("livepreso_scim_addon.views.errors", None)]
    assert records[0].getMessage() == (
        "Could not record a failed SCIM request in the audit trail: OperationalError: database is locked"
    )
