"""The database layer on each backend: migrations match the models, filters compile to
SQL that runs and uses the indexes, and parallel writers neither fail nor duplicate."""

from __future__ import annotations

import collections
import datetime as dt
import logging
import uuid
import warnings
from urllib.parse import quote

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, func, select

from livepreso_scim_addon.alembic.environment import only_tables_of
from livepreso_scim_addon.hq.models import HqBase, HqUser
from livepreso_scim_addon.models import Base
from livepreso_scim_addon.models.filtering import compile_filter
from livepreso_scim_addon.models.maps import USER_MAP
from livepreso_scim_addon.models.scim import ScimUser
from livepreso_scim_addon.scim.filter import parse_filter
from tests.common.hosts import each_host_and_backend, running
from tests.common.http import get_json, parallel, send_json
from tests.common.servers import waitress_in_thread
from tests.common.scim import okta_user, set_active
from tests.common.filters import VALID_USER_FILTERS  # the unit tests' table, on a real database


@pytest.mark.parametrize("metadata", [Base.metadata, HqBase.metadata], ids=["addon", "reference-hq"])
def test_migrations_match_the_models(engine, metadata):
    """Each history against its own models, blind to the other's tables as its env.py is
    (tests/functional/test_migrations.py runs `alembic check` through the env.py files)."""
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes: both libraries warn and skip them.
        warnings.filterwarnings("ignore", message=".*expression-based index.*ix_scim_user_values_lower_value")
        context = MigrationContext.configure(connection, opts={"include_name": only_tables_of(metadata)})
        differences = compare_metadata(context, metadata)
    assert differences == []


@pytest.mark.parametrize("expression", VALID_USER_FILTERS)
def test_every_valid_filter_compiles_and_runs(engine, tenant, expression):
    """The unit tests' table of valid filters, through the SQL compiler on a real database."""
    with engine.connect() as connection:
        connection.execute(select(ScimUser.pk).where(ScimUser.instance_id == tenant.id, compile_filter(USER_MAP, parse_filter(expression))))


@pytest.mark.commits  # ANALYZE sets row estimates outside any transaction: TRUNCATE drops them
def test_user_name_lookup_uses_the_index(engine):
    where = compile_filter(USER_MAP, parse_filter('userName eq "Jane@Example.com"'))
    query = select(ScimUser.pk).where(ScimUser.instance_id == 1, where)
    with engine.connect() as connection:
        # A few hundred users with statistics, so the planner chooses as it would in life.
        now = dt.datetime(2026, 1, 1)
        connection.execute(
            ScimUser.__table__.insert(),
            [
                {"id": str(uuid.uuid4()), "instance_id": 1, "host_user_id": str(i), "user_name": f"u{i}@example.com",
                 "user_name_ci": f"u{i}@example.com", "created_at": now, "updated_at": now, "version": 1}
                for i in range(500)
            ],
        )
        connection.exec_driver_sql("ANALYZE scim_users")
        compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN" if engine.dialect.name == "sqlite" else "EXPLAIN"
        plan = " ".join(str(row) for row in connection.exec_driver_sql(f"{explain} {compiled}"))
        connection.rollback()
    assert "uq_scim_users_instance_user_name" in plan, plan


@pytest.mark.commits
def test_parallel_creates_all_succeed(live_server, tenant):
    url = f"{live_server}{tenant.base}/Users"
    results = parallel(24, lambda i: send_json(url, tenant.token, okta_user(f"user{i}@example.com")))
    assert [status for status, _ in results] == [201] * 24, results
    assert get_json(f"{url}?count=0", tenant.token)["totalResults"] == 24


@pytest.mark.commits
def test_parallel_duplicates_create_exactly_one(live_server, tenant):
    url = f"{live_server}{tenant.base}/Users"
    results = parallel(12, lambda i: send_json(url, tenant.token, okta_user("Same@example.com" if i % 2 else "same@EXAMPLE.com")))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 11, results
    assert all(body["scimType"] == "uniqueness" for status, body in results if status == 409)
    lookup = url + "?filter=" + quote('userName eq "same@example.com"')
    assert get_json(lookup, tenant.token)["totalResults"] == 1


def test_a_failed_request_leaves_no_trace(scim, dbsession):
    """A request is one transaction: the host's HQ user row is rolled back with the rest."""
    scim.post("Users", okta_user("a@example.com"))
    before = dbsession.scalar(select(func.count()).select_from(HqUser))
    assert before == 1
    scim.post("Users", okta_user("A@example.com"), status=409)
    assert dbsession.scalar(select(func.count()).select_from(HqUser)) == before


def test_serialization_failures_are_retried(app, scim, engine):
    """A request that hits a PostgreSQL serialization failure is run again, not answered 500."""
    if engine.dialect.name != "postgresql":
        pytest.skip("serialization failures are PostgreSQL's")

    attempts = []

    def fail_first(conn, cursor, statement, parameters, context, executemany):
        if "INSERT INTO scim_users" in statement:
            attempts.append(statement)
            if len(attempts) == 1:
                statement = "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'serialization_failure'; END $$"
        return statement, parameters

    event.listen(engine, "before_cursor_execute", fail_first, retval=True)
    try:
        created = scim.post("Users", okta_user("retry@example.com")).json
    finally:
        event.remove(engine, "before_cursor_execute", fail_first)
    assert len(attempts) == 2
    assert scim.get(f"Users/{created['id']}").json["userName"] == "retry@example.com"


@pytest.mark.commits  # COMMITs on pooled connections are what it counts
def test_reads_end_in_commit_so_postgresql_keeps_its_prepared_statements(scim, engine):
    # psycopg forgets its prepared statements on every ROLLBACK; a GET that ended in
    # one would make PostgreSQL plan the user read (three joins) on every request.
    user = scim.post("Users", okta_user("prepared@example.com")).json
    ended, readers = [], collections.Counter()

    def read_on(conn, cursor, statement, *args):
        if "LEFT OUTER JOIN scim_user_values" in statement:
            readers[conn.connection.driver_connection] += 1

    listeners = [
        ("commit", lambda connection: ended.append("COMMIT")),
        ("rollback", lambda connection: ended.append("ROLLBACK")),
        ("before_cursor_execute", read_on),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        # The pool hands its idle connections out in turn: enough requests that each
        # runs the read past psycopg's prepare threshold (5).
        for _ in range(36):
            scim.get(f"Users/{user['id']}")
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
    assert ended == ["COMMIT"] * 36
    if engine.dialect.name == "postgresql":
        busy = [raw for raw, reads in readers.items() if reads > 5]
        assert busy
        for raw in busy:  # pooled connections the requests ran on, idle now
            with raw.cursor() as cursor:
                prepared = [row[0] for row in cursor.execute("SELECT statement FROM pg_prepared_statements")]
            raw.rollback()
            assert any("LEFT OUTER JOIN scim_user_values" in statement for statement in prepared)


def _in_transaction(dbapi_connection) -> bool:
    """Whether the driver's connection is inside a transaction right now."""
    info = getattr(dbapi_connection, "info", None)
    if info is not None and hasattr(info, "transaction_status"):  # psycopg
        import psycopg

        return info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    return dbapi_connection.in_transaction  # sqlite3


@pytest.mark.commits
def test_scim_reads_run_without_a_transaction_and_writes_in_one(engine, scim):
    """A GET is its statements and nothing else: no BEGIN, no COMMIT (two round trips to
    PostgreSQL); every statement of a write runs inside its request's one transaction."""
    user_id = scim.post("Users", okta_user("ann@example.com")).json["id"]
    seen = []

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement.split()[0].upper(), _in_transaction(conn.connection.dbapi_connection)))

    event.listen(engine, "after_cursor_execute", after)
    try:
        scim.get(f"Users/{user_id}")
        scim.get("Users?filter=" + quote('userName eq "ann@example.com"'))
        reads, seen[:] = list(seen), []
        set_active(scim, user_id, False)
        writes = list(seen)
    finally:
        event.remove(engine, "after_cursor_execute", after)
    assert reads and all(not inside for _, inside in reads), reads
    assert writes and all(inside for _, inside in writes), writes


@pytest.mark.parametrize("harness_of", each_host_and_backend())
def test_parallel_duplicates_on_every_host_answer_409_and_log_nothing(harness_of, caplog):
    """The same new person sent twelve times at once, to each host. The reference HQ
    adopts-or-creates in one statement; the second host checks, then inserts, so on
    PostgreSQL its unique index refuses the requests that lost the race, and those run
    again (ParallelChange) and answer 409 like the rest: no 500, no error logged."""
    host, backend = harness_of
    caplog.set_level(logging.WARNING)
    with running(host, backend) as harness:
        tenant = harness.new_tenant()
        with waitress_in_thread(harness.app, host="127.0.0.1", port=0, threads=12) as server:
            url = f"http://127.0.0.1:{server.effective_port}{tenant.base}/Users"
            results = parallel(12, lambda i: send_json(url, tenant.token, okta_user("Twin@example.com")))
            lookup = url + "?filter=" + quote('userName eq "twin@example.com"')
            assert get_json(lookup, tenant.token)["totalResults"] == 1
    assert sorted(status for status, _ in results) == [201] + [409] * 11, results
    assert all(body["scimType"] == "uniqueness" for status, body in results if status == 409)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
