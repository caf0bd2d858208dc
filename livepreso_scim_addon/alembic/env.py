"""Alembic environment: the database URL comes from the Pyramid ini's app settings.

Two branches: ``scim`` (the add-on's tables; a real HQ runs ``upgrade scim@head``)
and ``hq`` (the reference HQ's tables). ``upgrade heads`` runs both. When a migration ran,
the add-on's tables are analyzed before the transaction commits (``refresh_statistics``).
"""

from alembic import context
from pyramid.paster import get_appsettings, setup_logging

from livepreso_scim_addon.hq.models import HqBase
from livepreso_scim_addon.models import Base, get_engine
from livepreso_scim_addon.models.migrations import refresh_statistics

config = context.config
target_metadata = [Base.metadata, HqBase.metadata]


def _engine():
    # Tests hand in a ready connection; the command line names an ini file.
    connection = config.attributes.get("connection")
    if connection is not None:
        return connection
    setup_logging(config.config_file_name)
    settings = get_appsettings(config.config_file_name)
    return get_engine(settings)


def run_migrations_online():
    engine_or_connection = _engine()
    if hasattr(engine_or_connection, "connect"):
        with engine_or_connection.connect() as connection:
            _run(connection)
    else:
        _run(engine_or_connection)


def _run(connection):
    applied = []
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        on_version_apply=lambda **step: applied.append(step["step"]),
    )
    with context.begin_transaction():
        context.run_migrations()
        if applied:
            # A migration may add a table, an index or a column, and a server with
            # autovacuum off would plan over it without statistics until someone ran
            # ANALYZE; `alembic current` and other read-only commands change nothing.
            refresh_statistics(connection)


run_migrations_online()
