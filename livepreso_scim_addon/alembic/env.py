"""The add-on's Alembic environment: its own tables, its own version table.

Runs beside the host's history in the host's database (docs/INTEGRATING.md): heads are
kept in ``scim_alembic_version``, autogenerate compares only the add-on's tables, and
nothing of the host is imported. The database comes from the ini file's app settings
(``alembic -c production.ini -n scim_alembic upgrade head``) or from the connection
``models.migrations`` hands in. A database from before the histories were split has its
heads moved out of ``alembic_version`` on the first run (``separate_from_combined_history``).
When a migration ran, the add-on's tables are analyzed before the transaction commits
(``refresh_statistics``).
"""

from alembic import context

from livepreso_scim_addon.alembic.environment import run_migrations
from livepreso_scim_addon.models import Base
from livepreso_scim_addon.models.migrations import ADDON, refresh_statistics

# A migration may add a table, an index or a column, and a server with autovacuum off
# would plan over it without statistics until someone ran ANALYZE; `alembic current` and
# other read-only commands change nothing.
run_migrations(context, target_metadata=Base.metadata, version_table=ADDON.version_table, after=refresh_statistics)
