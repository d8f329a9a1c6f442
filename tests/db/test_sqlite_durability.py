"""TRUTHSET_SQLITE_SYNCHRONOUS, as docs/settings.md writes it, reaches every SQLite connection."""

from pathlib import Path

import pytest
from sqlalchemy import text

from truthset.deployment import open_deployment
from truthset.settings import Settings

# PRAGMA synchronous reads back as a number: 1 = NORMAL, 2 = FULL.
LEVELS = {"NORMAL": 1, "FULL": 2}


@pytest.mark.parametrize("mode", ["NORMAL", "FULL"])
def test_synchronous_mode_from_the_environment(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUTHSET_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRUTHSET_SQLITE_SYNCHRONOUS", mode)
    dep = open_deployment(Settings())
    try:
        with dep.db.read() as conn:
            assert conn.execute(text("PRAGMA synchronous")).scalar() == LEVELS[mode]
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        dep.db.dispose()


def test_an_unknown_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHSET_SQLITE_SYNCHRONOUS", "OFF")
    with pytest.raises(ValueError, match="sqlite_synchronous"):
        Settings()
