"""Migrating the CRM's database: its own history, then the add-on's beside it.

As a deployment runs ``alembic upgrade head`` and then the add-on's section
(``alembic -n scim_alembic upgrade head``, docs/INTEGRATING.md), without an ini file:
each history gets a connection in a transaction of its own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

#: Script locations: the CRM's history (version table ``alembic_version``), then the add-on's.
HISTORIES = ("tests.second_host:alembic", "livepreso_scim_addon:alembic")


def upgrade(url: str) -> None:
    # A plain engine: SQLite with foreign keys off while tables are rebuilt (batch mode).
    engine = sa.create_engine(url)
    try:
        for location in HISTORIES:
            config = Config()
            config.set_main_option("script_location", location)
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
    finally:
        engine.dispose()
