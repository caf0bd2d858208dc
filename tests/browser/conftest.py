"""The headless Chromium of the browser tests (``tests/common/chromium.py``)."""

from __future__ import annotations

import pytest

from tests.common.chromium import start_chromium


@pytest.fixture
def browser(tmp_path):
    driver = start_chromium(tmp_path / "profile")
    yield driver
    driver.quit()
