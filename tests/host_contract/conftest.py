"""Fixtures for the host contract kit's runs: a fresh database per host and backend."""

from __future__ import annotations

import pytest

from livepreso_scim_addon.testing import scratch_database

from tests.common.hosts import BACKENDS, database_server


@pytest.fixture(scope="session", params=BACKENDS)
def contract_backend(request) -> str:
    return request.param


@pytest.fixture(scope="class")
def contract_database_url(host_under_test, contract_backend):
    """The kit's database: the host's history and the add-on's, on a database of its own."""
    prefix = f"kit_{host_under_test.name.replace('-', '_')}"
    with scratch_database(host_under_test.migrate, database_server(contract_backend), prefix=prefix) as url:
        yield url
