"""Bring a database to the newest schema with Alembic (both branches: add-on and reference
HQ), and refresh the planner's statistics of the add-on's tables."""

from __future__ import annotations

import tempfile
import uuid
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from .meta import Base


def upgrade(url: str, target: str = "heads") -> None:
    """``alembic upgrade heads`` without an ini file (tests and benchmarks)."""
    _migrate(command.upgrade, url, target)


def downgrade(url: str, target: str) -> None:
    """``alembic downgrade <target>`` without an ini file (tests)."""
    _migrate(command.downgrade, url, target)


def _migrate(alembic_command, url: str, target: str) -> None:
    config = Config()
    config.set_main_option("script_location", "livepreso_scim_addon:alembic")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            alembic_command(config, target)
    finally:
        engine.dispose()


def refresh_statistics(connection) -> None:
    """ANALYZE the add-on's tables that exist, on PostgreSQL; elsewhere nothing.

    Run after migrations and after bulk loads, so the planner knows each table's size and
    each instance's share of it without waiting for autovacuum (which a server may have
    turned off). The plans of the hot paths do not depend on it (``test_query_plans``):
    this keeps the rest right. ANALYZE reads a sample of at most 30,000 rows a table and
    blocks neither reads nor writes.
    """
    if connection.dialect.name != "postgresql":
        return  # SQLite's plans are checked without statistics (test_database)
    existing = set(sa.inspect(connection).get_table_names())
    quote = connection.dialect.identifier_preparer.quote
    names = [quote(table.name) for table in Base.metadata.sorted_tables if table.name in existing]
    if names:
        connection.exec_driver_sql(f"ANALYZE {', '.join(names)}")


@contextmanager
def scratch_database(backend: str, postgres_url: str | None = None, prefix: str = "scim_scratch"):
    """A fresh database at the newest schema, dropped afterwards (tests and benchmarks).

    SQLite: a file in a temporary folder. PostgreSQL: a database of its own on the
    server ``postgres_url`` names, so nothing left by an earlier run changes a result.
    """
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/scim.sqlite"
            upgrade(url)
            yield url
        return
    admin_url = sa.make_url(postgres_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
