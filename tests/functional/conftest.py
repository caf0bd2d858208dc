"""Fixtures of the console-script tests (``test_cli.py``, ``test_hq_cli.py``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.common.factories import make_tenant
from tests.common.scim import Tenant
from tests.common.scripts import app_built_once, write_ini


@pytest.fixture(scope="module")
def support_app(database_url, tmp_path_factory):
    """Support's ini file and its app, built once: bootstrapping that file gets it."""
    path = write_ini(
        tmp_path_factory.mktemp("cli") / "support.ini",
        **{"sqlalchemy.url": database_url, "scim.public_url": "https://hq.example.com"},
    )
    with app_built_once(path) as app:
        yield path, app


@pytest.fixture
def ini(app, support_app, bind_app) -> str:
    """Support's ini file (its ``scim.public_url`` is https://hq.example.com)."""
    path, wsgi_app = support_app
    bind_app(wsgi_app)
    return path


@pytest.fixture
def sqlite_path(database_url):
    """The SQLite file the app's migrated database lives in (its write lock is what is tested)."""
    url = sa.make_url(database_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's write lock: PostgreSQL has row locks and no busy timeout")
    return url.database


@pytest.fixture
def initech(app) -> Tenant:
    return make_tenant(app, "initech")
