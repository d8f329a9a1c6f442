"""An identity provider on loopback for the module, and deployments that sign in through it
(on SQLite and PostgreSQL, with the real clock: the provider's tokens carry real times)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.oidc_provider import Provider, running_provider
from truthset.app import create_app
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("provider")) as running:
        yield running


@pytest.fixture
def fresh_provider(provider: Provider) -> Provider:
    """The module's provider with no users and good manners again."""
    provider.users.clear()
    provider.misbehave.clear()
    provider.logouts.clear()
    provider.auto_user = None
    return provider


def oidc_deployment(settings: Settings, provider: Provider, **extra: Any) -> Deployment:
    values = {**settings.model_dump(), **provider.settings(), **extra}
    return open_deployment(Settings(**values), migrate=False)


@pytest.fixture
def oidc_dep(settings: Settings, fresh_provider: Provider) -> Iterator[Deployment]:
    dep = oidc_deployment(settings, fresh_provider, oidc_admin_groups=["truthset-admins"])
    yield dep
    dep.db.dispose()


@pytest.fixture
def oidc_client(oidc_dep: Deployment) -> Iterator[TestClient]:
    with TestClient(create_app(deployment=oidc_dep)) as client:
        yield client


def sign_in(client: TestClient, provider: Provider, sub: str, next: str = "") -> httpx.Response:
    """Drives the code flow as a browser would: to the provider and back."""
    provider.auto_user = sub
    started = client.get("/oidc/login", params={"next": next}, follow_redirects=False)
    assert started.status_code == 303, started.text
    return client.get(
        provider_redirect(provider, started.headers["location"]), follow_redirects=False
    )


def provider_redirect(provider: Provider, authorize_url: str) -> str:
    """The path on truthset the provider sends the browser back to."""
    with httpx.Client(verify=ssl.create_default_context(cafile=provider.ca_file)) as browser:
        answer = browser.get(authorize_url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"].removeprefix("http://testserver")


@pytest.fixture
def ca_file(provider: Provider) -> Path:
    return provider.ca_file
