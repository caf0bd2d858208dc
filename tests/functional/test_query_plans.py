"""PostgreSQL's plans for the hot paths, read before the tables have statistics, and
SQLite's where its planner (which never has statistics) chooses differently; and the
statistics a migration leaves.

A fresh database, a bulk import, a new instance, a server with autovacuum off: the
planner then has no statistics, or none about the instance asked for. The statements a
real request sends are captured, then planned over thousands of rows inserted in bulk
with no ANALYZE, inside a transaction that is rolled back (autovacuum, switched off for
these tables in the same transaction, cannot analyze rows it never sees committed).
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import create_engine, insert

from livepreso_scim_addon.models.migrations import downgrade, scratch_database, upgrade
from livepreso_scim_addon.models.scim import ScimGroup, ScimMembership, ScimUser, ScimUserValue
from livepreso_scim_addon.scim.schemas import CORE_GROUP
from tests.common import POSTGRES_URL
from tests.common.db import statements_sent
from tests.common.scim import patch

# The plans are read on a connection of their own, beside the requests' committed rows,
# and the tables' settings change there: a savepoint's locks would block it.
pytestmark = pytest.mark.commits

USERS_PER_INSTANCE = 3_000
TABLES = ["scim_users", "scim_user_values", "scim_groups", "scim_memberships"]


@pytest.fixture
def postgresql(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("these are PostgreSQL's plans")
    return engine


def sent_by(engine, request, table="scim_users") -> list[tuple[str, dict]]:
    """The statements over ``table`` that ``request()`` sends, with their parameters."""
    with statements_sent(engine) as everything:
        request()
    sent = [(s.statement, s.parameters) for s in everything if f"FROM {table}" in s.statement]
    assert sent, f"the request read nothing from {table}"
    return sent


def without_statistics(connection):
    """Start the transaction the plans are read in; the tables must have no statistics yet."""
    for table in TABLES:
        connection.exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    analyzed = connection.exec_driver_sql(
        "SELECT relname FROM pg_class WHERE relname = ANY(%(tables)s) AND reltuples > 0"
        " UNION SELECT tablename FROM pg_stats WHERE tablename = ANY(%(tables)s)",
        {"tables": TABLES},
    ).scalars().all()
    assert analyzed == [], f"an earlier test left statistics on {analyzed}: these plans would be read with them"


def bulk_load(connection, instance_id: int, count: int, groups: int = 10) -> list[str]:
    """``count`` users of an instance, each with an email and in one of ``groups`` groups, in bulk."""
    now = dt.datetime(2026, 1, 1)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    connection.execute(
        insert(ScimUser),
        [
            {"id": user_id, "instance_id": instance_id, "host_user_id": str(i), "user_name": f"user{i}@example.com",
             "user_name_ci": f"user{i}@example.com", "name_given": "Bulk", "name_family": f"User {i}",
             "active": True, "created_at": now, "updated_at": now, "version": 1}
            for i, user_id in enumerate(ids)
        ],
    )
    user_pks = connection.execute(
        ScimUser.__table__.select().with_only_columns(ScimUser.pk).where(ScimUser.instance_id == instance_id)
    ).scalars().all()
    connection.execute(
        insert(ScimUserValue),
        [{"user_pk": pk, "attribute": "emails", "position": 0, "value": f"{pk}@example.com", "type": "work"} for pk in user_pks],
    )
    group_pks = connection.execute(
        insert(ScimGroup).returning(ScimGroup.pk),
        [{"id": str(uuid.uuid4()), "instance_id": instance_id, "display_name": f"Group {g}", "display_name_ci": f"group {g}",
          "created_at": now, "updated_at": now, "version": 1} for g in range(groups)],
    ).scalars().all()
    connection.execute(
        insert(ScimMembership),
        [{"group_pk": group_pks[i % groups], "user_pk": pk, "created_at": now} for i, pk in enumerate(user_pks)],
    )
    return ids


def scans_of(connection, statement: str, parameters: dict, table: str) -> tuple[list[tuple[str, str | None]], float]:
    """How the plan of ``statement`` reads ``table`` (node type, index), and its estimated cost."""
    plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()[0]["Plan"]
    scans, nodes = [], [plan]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if node.get("Relation Name") == table:
            scans.append((node["Node Type"], node.get("Index Name")))
    return scans, plan["Total Cost"]


def assert_plans(connection, sent, index: str, table="scim_users"):
    """Every statement reads ``table`` through ``index`` alone, far below the cost that turns JIT on."""
    jit_above_cost = float(connection.exec_driver_sql("SHOW jit_above_cost").scalar())
    for statement, parameters in sent:
        scans, cost = scans_of(connection, statement, parameters, table)
        assert scans == [("Index Scan", index)], (scans, statement)
        assert cost < jit_above_cost / 100, (cost, statement)


def read_and_change_by_id(scim) -> None:
    """GET by id reads a record; PATCH loads the entity (an unknown id: the same statements)."""
    unknown = str(uuid.uuid4())
    scim.get(f"Users/{unknown}", status=404)
    scim.patch(f"Users/{unknown}", patch({"op": "replace", "path": "title", "value": "x"}), status=404)


def assert_plans_over_two_instances(engine, tenant, sent, index, table="scim_users", groups=10, analyze_other_first=False):
    """Plan ``sent`` over the tenant's and another instance's rows, loaded in bulk with no
    statistics, or (``analyze_other_first``) with statistics that know the other one only."""
    with engine.connect() as connection:
        without_statistics(connection)
        bulk_load(connection, tenant.id + 1, USERS_PER_INSTANCE, groups)
        if analyze_other_first:
            connection.exec_driver_sql(f"ANALYZE {', '.join(TABLES)}")
        bulk_load(connection, tenant.id, USERS_PER_INSTANCE, groups)
        assert_plans(connection, sent, index, table)
        connection.rollback()


def test_user_by_id_uses_the_unique_index_without_statistics(postgresql, scim, tenant):
    sent = sent_by(postgresql, lambda: read_and_change_by_id(scim))
    assert len(sent) == 2  # the record for GET, the entity for PATCH
    assert_plans_over_two_instances(postgresql, tenant, sent, "uq_scim_users_id")


def test_user_by_id_uses_the_unique_index_for_an_instance_newer_than_the_statistics(postgresql, scim, tenant):
    """Statistics that know only another instance make this one look like a single row."""
    sent = sent_by(postgresql, lambda: read_and_change_by_id(scim))
    assert_plans_over_two_instances(postgresql, tenant, sent, "uq_scim_users_id", analyze_other_first=True)


def test_group_by_id_uses_the_unique_index_for_an_instance_newer_than_the_statistics(postgresql, scim, tenant):
    unknown = str(uuid.uuid4())
    sent = sent_by(postgresql, lambda: scim.get(f"Groups/{unknown}", status=404), table="scim_groups")
    assert_plans_over_two_instances(
        postgresql, tenant, sent, "uq_scim_groups_id", table="scim_groups", groups=USERS_PER_INSTANCE, analyze_other_first=True
    )


def test_user_name_check_uses_its_unique_index_without_statistics(postgresql, scim, tenant):
    """Okta's existence check before every create: no user found, one statement."""
    sent = sent_by(postgresql, lambda: scim.get('Users?filter=userName eq "nobody@example.com"'))
    assert_plans_over_two_instances(postgresql, tenant, sent, "uq_scim_users_instance_user_name")


def test_migrations_leave_statistics(postgresql):
    """Users loaded, then a deployment's `alembic upgrade`: the planner has statistics after it."""
    with scratch_database("postgresql", POSTGRES_URL, prefix="scim_plans") as url:
        engine = create_engine(url)
        try:
            with engine.begin() as connection:
                without_statistics(connection)
                bulk_load(connection, 1, 1_000)
            downgrade(url, "scim_0005")
            upgrade(url)
            with engine.connect() as connection:
                analyzed = connection.exec_driver_sql(
                    "SELECT DISTINCT tablename FROM pg_stats WHERE tablename = ANY(%(tables)s)", {"tables": TABLES}
                ).scalars().all()
        finally:
            engine.dispose()
    assert sorted(analyzed) == sorted(TABLES)


def test_members_named_by_id_are_read_by_the_id_index_on_sqlite(engine, scim, tenant):
    """A group PATCH names up to 1,000 members by id. Beside that long IN list SQLite,
    which never has statistics, preferred the equality on the instance and walked all of
    its users (43 ms at 100,000 users, against 4 ms by id). PostgreSQL with the
    statistics a migration leaves reads them by id either way (3 ms at 100,000)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner; PostgreSQL plans by its statistics")
    group = scim.post("Groups", {"schemas": [CORE_GROUP], "displayName": "Field Sales"}).json["id"]
    members = patch({"op": "add", "path": "members", "value": [{"value": str(uuid.uuid4())} for _ in range(200)]})
    sent = sent_by(engine, lambda: scim.patch(f"Groups/{group}", members, status=204))
    with engine.connect() as connection:
        bulk_load(connection, tenant.id + 1, USERS_PER_INSTANCE)
        bulk_load(connection, tenant.id, USERS_PER_INSTANCE)
        for statement, parameters in sent:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            assert [row[-1] for row in plan] == ["SEARCH scim_users USING INDEX sqlite_autoindex_scim_users_1 (id=?)"], plan
        connection.rollback()
