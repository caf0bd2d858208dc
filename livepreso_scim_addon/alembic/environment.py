"""What the two env.py files share: the add-on's (``livepreso_scim_addon:alembic``) and the
reference HQ's (``livepreso_scim_addon.hq:alembic``).

Each history keeps its heads in its own version table and compares only its own tables,
so it runs beside any other history in the same database. ``run_migrations`` takes the
database from the ini file's app settings (``sqlalchemy.url``, or the variable
``scim.database_url_env`` names) or from a connection the caller hands in
(``models.migrations``), and runs the whole command in one transaction.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from pyramid.paster import get_appsettings, setup_logging

from livepreso_scim_addon.models import Base, DatabaseTimeouts, database_url
from livepreso_scim_addon.models.migrations import ADDON, migration_engine

#: Where the add-on's history kept its heads before it had a table of its own: in the
#: default version table, beside the reference HQ's (one script location, two branches).
COMBINED_VERSION_TABLE = "alembic_version"


def run_migrations(context, *, target_metadata, version_table: str, after=None) -> None:
    """Configure ``context`` for one history and run the command in one transaction;
    ``after(connection)`` runs before the commit when a migration ran."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:  # the caller's connection, in the caller's transaction
        _run(context, connection, target_metadata, version_table, after)
        return
    setup_logging(config.config_file_name)
    settings = get_appsettings(config.config_file_name)
    engine = migration_engine(
        database_url(settings),
        sqlite_busy_timeout_ms=int(settings.get("scim.sqlite_busy_timeout_ms", 30000)),
        connect_timeout=DatabaseTimeouts.from_settings(settings).connect,
    )
    try:
        with engine.begin() as connection:
            _run(context, connection, target_metadata, version_table, after)
    finally:
        engine.dispose()


def _run(context, connection, target_metadata, version_table, after) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and connection.exec_driver_sql("PRAGMA foreign_keys").scalar():
        # A table rebuilt in batch mode is dropped: with foreign keys on, the rows that
        # reference it go too (see models.migrations.migration_engine).
        raise RuntimeError("SQLite migrations need foreign keys off (models.migrations.migration_engine)")
    applied = []
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=version_table,
        include_name=only_tables_of(target_metadata),
        render_as_batch=True,
        on_version_apply=lambda **step: applied.append(step["step"]),
    )
    with context.begin_transaction():
        separate_from_combined_history(connection)
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
        if applied and after is not None:
            after(connection)


def only_tables_of(metadata):
    """An ``include_name`` hook for autogenerate: the tables of ``metadata`` and nothing
    else in the database (another history's tables and version table are not "to drop").

    A table removed from the models is then invisible too: write its drop by hand.
    """

    def include_name(name, type_, parent_names) -> bool:
        return type_ != "table" or name in metadata.tables

    return include_name


def separate_from_combined_history(connection) -> list[str]:
    """Move the add-on's heads out of ``alembic_version`` into its own version table, once.

    Databases migrated before the histories were split kept the add-on's heads beside
    the reference HQ's in ``alembic_version``. Only such a database has the add-on's
    tables without the add-on's version table; anywhere else (a new database, a host's
    database the add-on has not been installed in, any database after the first run)
    ``alembic_version`` is not read. Runs inside the migration's transaction; either
    history's env.py may be the first to run. Returns the revisions moved.
    """
    existing = set(sa.inspect(connection).get_table_names())
    if ADDON.version_table in existing or COMBINED_VERSION_TABLE not in existing:
        return []
    if not existing & set(Base.metadata.tables):
        return []
    ours = {script.revision for script in ScriptDirectory(os.path.dirname(os.path.abspath(__file__))).walk_revisions()}
    combined = sa.table(COMBINED_VERSION_TABLE, sa.column("version_num", sa.String(32)))
    moved = [head for head in connection.execute(sa.select(combined.c.version_num)).scalars() if head in ours]
    if not moved:
        return []
    own = version_table(ADDON.version_table)
    own.create(connection)
    connection.execute(own.insert(), [{"version_num": head} for head in moved])
    connection.execute(combined.delete().where(combined.c.version_num.in_(moved)))
    return moved


def version_table(name: str) -> sa.Table:
    """A version table as Alembic creates it (``MigrationContext``: the primary key
    named ``<table>_pkc``)."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name=f"{name}_pkc"),
    )
