"""The host contract kit against the second host (``tests.second_host``: a CRM shaped
unlike the reference HQ: UUID text keys, its own tables, sessions, licensing, database
session and Alembic history)."""

import pytest

from livepreso_scim_addon.testing import HostContractTests
from tests.second_host.testing import SecondHostUnderTest


class TestSecondHost(HostContractTests):
    @pytest.fixture(scope="class")
    @classmethod
    def host_under_test(cls):
        return SecondHostUnderTest()
