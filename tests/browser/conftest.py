"""A live server (real uvicorn, background runner on) on SQLite for the browser tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.live import free_port, serve
from truthset.app import create_app
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@dataclass
class Live:
    url: str
    dep: Deployment


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path) -> Iterator[Live]:
    shutil.copy(sqlite_template, tmp_path / "truthset.db")
    port = free_port()
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'truthset.db'}",
        secret_key="browser-test-key",  # type: ignore[arg-type]
        public_base_url=f"http://127.0.0.1:{port}",
        port=port,
        background_interval=0.2,
        output_interval=0,
        fast_password_hashing=True,
    )
    dep = open_deployment(settings, migrate=False)
    with serve(create_app(deployment=dep), port) as url:
        yield Live(url, dep)
    dep.db.dispose()


@pytest.fixture
def shots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
