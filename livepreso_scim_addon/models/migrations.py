"""Run Alembic migrations without an ini file (tests and benchmarks), the engine every
migration runs on, and the planner's statistics after them.

Two histories live beside each other in one database, each with its own script location
and version table: the add-on's (``ADDON``) and the reference HQ's (``REFERENCE_HQ``, its
host's history as a real HQ has one). Neither has a foreign key into the other's tables, so
either may run first; ``upgrade`` runs the host's first, as a deployment does.
"""

from __future__ import annotations

import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from .meta import Base


@dataclass(frozen=True)
class History:
    """One Alembic history: where its scripts are, and the table its heads are kept in."""

    name: str
    script_location: str
    version_table: str

    def config(self, connection=None) -> Config:
        """An Alembic configuration without an ini file; ``connection`` (in a transaction
        the caller ends) is handed to the history's env.py."""
        config = Config()
        config.set_main_option("script_location", self.script_location)
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def script(self) -> ScriptDirectory:
        return ScriptDirectory.from_config(self.config())


#: The add-on's history: its own version table, so it runs beside any host's history.
ADDON = History("scim", "livepreso_scim_addon:alembic", "scim_alembic_version")
#: The reference HQ's history, in the default version table as a real HQ's would be. Named
#: here only by its location (the add-on imports nothing of the reference HQ): the test
#: suite and the benchmarks run the add-on inside it.
REFERENCE_HQ = History("hq", "livepreso_scim_addon.hq:alembic", "alembic_version")
#: In the order a deployment runs them: the host's, then the add-on's.
HISTORIES = (REFERENCE_HQ, ADDON)


def upgrade(url: str, target: str = "heads", history: History | None = None) -> None:
    """``alembic upgrade <target>`` without an ini file, in each history (``history`` None:
    every history to its heads, or the one that holds the revision ``target``)."""
    for each in _histories(target, history, HISTORIES):
        _migrate(command.upgrade, url, each, target)


def downgrade(url: str, target: str, history: History | None = None) -> None:
    """``alembic downgrade <target>`` without an ini file (``history`` None: the history
    that holds the revision ``target``, or every history for ``base``)."""
    for each in _histories(target, history, tuple(reversed(HISTORIES))):
        _migrate(command.downgrade, url, each, target)


def _histories(target: str, history: History | None, every: tuple[History, ...]) -> tuple[History, ...]:
    if history is not None:
        return (history,)
    if target in ("head", "heads", "base"):
        return every
    owners = tuple(each for each in every if _holds(each, target))
    if len(owners) != 1:
        raise ValueError(f"name the history of {target!r}: {len(owners)} histories hold it")
    return owners


def _holds(history: History, revision: str) -> bool:
    try:
        return history.script().get_revision(revision) is not None
    except CommandError:  # unknown here
        return False


def _migrate(alembic_command, url: str, history: History, target: str) -> None:
    engine = migration_engine(url)
    try:
        with engine.begin() as connection:
            alembic_command(history.config(connection), target)
    finally:
        engine.dispose()


def migration_engine(url: str, sqlite_busy_timeout_ms: int = 30000, connect_timeout: int | None = None) -> sa.Engine:
    """The engine a migration runs on: the whole run in one transaction, and none of the
    requests' limits.

    PostgreSQL: no statement timeout and no bounded wait (``models._bound_postgresql``):
    rewriting a large table or building an index may take minutes; only connecting is
    bounded (``connect_timeout``, seconds). SQLite: one real
    transaction (BEGIN IMMEDIATE, after the pysqlite recipe ``models._tune_sqlite``
    follows), and foreign keys OFF, as SQLite's own procedure for schema changes asks:
    batch mode rebuilds a table by copying and dropping it, and with foreign keys on,
    dropping ``scim_users`` deletes every row that references it (ON DELETE CASCADE:
    every user's emails and memberships). The env.py files check them afterwards
    (``PRAGMA foreign_key_check``) before committing.
    """
    url = sa.make_url(url)
    connect_args = {"connect_timeout": connect_timeout} if connect_timeout and url.get_backend_name() == "postgresql" else {}
    engine = sa.create_engine(url, connect_args=connect_args)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # the "begin" event below emits BEGIN
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys=OFF")  # also pysqlite's default; said here
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


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
def scratch_database(
    backend: str, postgres_url: str | None = None, prefix: str = "scim_scratch", histories=HISTORIES
):
    """A fresh database at the newest schema of ``histories``, dropped afterwards (tests
    and benchmarks).

    SQLite: a file in a temporary folder. PostgreSQL: a database of its own on the
    server ``postgres_url`` names, so nothing left by an earlier run changes a result.
    """
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/scim.sqlite"
            _upgrade_all(url, histories)
            yield url
        return
    admin_url = sa.make_url(postgres_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        _upgrade_all(url, histories)
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _upgrade_all(url: str, histories) -> None:
    for history in histories:
        upgrade(url, "heads", history)
