"""Durations as the console and portal say them."""

from __future__ import annotations

import pytest

from truthset.web.pages import duration


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (2_592_000, "30 days"),
        (300, "5 minutes"),
        (1, "1 second"),
        (0, "0 seconds"),
        (90, "1 minute 30 seconds"),
        (5_400, "1 hour 30 minutes"),
        (86_400 + 3_600 + 61, "1 day 1 hour"),
        (28_800, "8 hours"),
    ],
)
def test_duration(seconds: int, said: str) -> None:
    assert duration(seconds) == said
