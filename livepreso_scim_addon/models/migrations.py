"""Bring a database to the newest schema with Alembic: both branches (add-on and reference HQ)."""

from __future__ import annotations

import tempfile
import uuid
from contextlib import contextmanager

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
