"""The reference HQ's Alembic environment: its own tables, in the default version table
``alembic_version``, as a real HQ's history is (a real HQ has its own and never runs this).

``alembic -c production.ini upgrade head``; the add-on's history runs beside it
(``-n scim_alembic``). Autogenerate compares only the reference HQ's tables, so the
add-on's are never "to drop".
"""

from alembic import context

from livepreso_scim_addon.alembic.environment import run_migrations
from livepreso_scim_addon.hq.models import HqBase

run_migrations(context, target_metadata=HqBase.metadata, version_table="alembic_version")
