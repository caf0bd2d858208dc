"""The host contract kit against the reference HQ (``livepreso_scim_addon.hq``)."""

import pytest

from livepreso_scim_addon.testing import HostContractTests

from tests.common.hosts import ReferenceHqUnderTest


class TestReferenceHost(HostContractTests):
    @pytest.fixture(scope="class")
    @classmethod
    def host_under_test(cls):
        return ReferenceHqUnderTest()
