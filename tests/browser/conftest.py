"""The headless Chromium of the browser tests (``tests/common/chromium.py``), and the
screenshots they keep as artefacts."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from tests.common.chromium import start_chromium

#: Where the browser tests leave their screenshots (CI keeps the directory as an
#: artefact; git ignores it). One directory per test, one PNG per state shown.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def browser(tmp_path):
    driver = start_chromium(tmp_path / "profile")
    yield driver
    driver.quit()


@pytest.fixture
def screenshot(request, browser):
    """``screenshot("seats-full")`` saves what the browser shows now as
    ``test-artifacts/screenshots/<test>/seats-full.png`` and returns the path."""
    directory = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    directory.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = directory / f"{name}.png"
        # The whole page, not only the window: a state further down is in the picture too.
        shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    return take
