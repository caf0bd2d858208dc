"""Serializing SCIM dateTime values (RFC 7643 §2.3.5)."""

from __future__ import annotations

import datetime as dt

import pytest

from livepreso_scim_addon.scim.schemas import format_datetime


@pytest.mark.parametrize(
    "value, text",
    [
        (dt.datetime(2026, 1, 2, 3, 4, 5, 678901), "2026-01-02T03:04:05.678Z"),  # stored: naive UTC
        (dt.datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05.000Z"),
        (dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2026-01-02T01:04:05.000Z"),
        (dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))), "2025-12-31T23:30:00.000Z"),
    ],
)
def test_datetimes_are_utc_with_milliseconds_and_z(value, text):
    assert format_datetime(value) == text
