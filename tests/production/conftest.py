"""The app deployed as a customer runs it: nginx terminating TLS in front of waitress
(the machinery is in ``tests/common/servers.py``)."""

from __future__ import annotations

import pytest

from tests.common.servers import Certificate, deployed, make_certificate


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_hq(app, certificate, tmp_path_factory) -> str:
    """The reference HQ at https://127.0.0.1:<port> through nginx, for this module."""
    with deployed(app, tmp_path_factory.mktemp("nginx"), certificate) as url:
        yield url
