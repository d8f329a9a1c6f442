"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's hosts, which
# this offline machine refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def no_page_errors(page: Page) -> Iterator[None]:
    """Fails the test when the page throws an uncaught error (use with `usefixtures`)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert errors == []


# --- deployments on SQLite and PostgreSQL -------------------------------------------------

import shutil as _shutil  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402

from tests.support import postgres  # noqa: E402
from truthset.app import create_app  # noqa: E402
from truthset.clock import ManualClock  # noqa: E402
from truthset.db.migrate import upgrade  # noqa: E402
from truthset.deployment import Deployment, open_deployment  # noqa: E402
from truthset.settings import Settings  # noqa: E402

# Both databases by default: a suite that skips PostgreSQL is not a passing suite.
BACKENDS = [
    b for b in os.environ.get("TRUTHSET_TEST_BACKENDS", "sqlite,postgresql").split(",") if b
]


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with postgres.cluster() as url:
        yield url


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> str:
    name = "truthset_template"
    url = postgres.create_database(pg_admin_url, name)
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "truthset.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "truthset.db"
        _shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("pg_admin_url")
    template = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield postgres.create_database(admin, name, template)
    postgres.drop_database(admin, name)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 25, 9, 0, 0))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key",  # type: ignore[arg-type]
        run_background=False,
        output_interval=0,
        fast_password_hashing=True,
        public_base_url="http://testserver",
    )


@pytest.fixture
def dep(settings: Settings, clock: ManualClock) -> Iterator[Deployment]:
    deployment = open_deployment(settings, clock=clock, migrate=False)
    yield deployment
    deployment.db.dispose()


@pytest.fixture
def app(dep: Deployment) -> FastAPI:
    return create_app(deployment=dep)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
