"""The CRM's Alembic environment: its own tables, the default version table ``alembic_version``.

The add-on's history runs beside it in the same database, with its own version table
(``migrations.py`` runs both, the CRM's first, as a deployment does).
"""

import sqlalchemy as sa
from alembic import context

from tests.second_host.models import CrmBase

config = context.config


def _run(connection):
    context.configure(
        connection=connection,
        target_metadata=CrmBase.metadata,
        render_as_batch=True,
        # Autogenerate compares the CRM's tables only: the add-on's are not "to drop".
        include_name=lambda name, type_, parents: type_ != "table" or name in CrmBase.metadata.tables,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()
