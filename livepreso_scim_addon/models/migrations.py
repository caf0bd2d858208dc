"""Bring a database to the newest schema with Alembic: both branches (add-on and reference HQ)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config


def upgrade(url: str, target: str = "heads") -> None:
    """``alembic upgrade heads`` without an ini file (tests and benchmarks)."""
    config = Config()
    config.set_main_option("script_location", "livepreso_scim_addon:alembic")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, target)
    finally:
        engine.dispose()
