"""Workforce changes through boto3 and a sign-in through a real OIDC provider each leave exactly
one audit entry, naming the admin (or the worker) and never the client secret."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.audit.support import leaves_one
from tests.sagemaker.conftest import ADMIN, Live, live_server
from tests.sagemaker.test_workforces import oidc_config
from tests.support.oidc_provider import CLIENT_SECRET, Provider, running_provider
from truthset import workforce


@pytest.fixture
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("provider")) as running:
        yield running


@pytest.fixture
def fresh(
    database_url: str, tmp_path: Path, s3_endpoint: str, provider: Provider
) -> Iterator[Live]:
    with live_server(
        database_url, tmp_path, s3_endpoint, oidc_ca_file=str(provider.ca_file)
    ) as env:
        yield env


def test_workforce_changes_and_oidc_sign_in(fresh: Live, provider: Provider) -> None:
    sm, dep = fresh.client(), fresh.dep
    with leaves_one(dep, "workforce.created") as entry:
        sm.create_workforce(WorkforceName="hospital", OidcConfig=oidc_config(provider))
    assert entry[0].actor == ADMIN and CLIENT_SECRET not in entry[0].detail
    assert json.loads(entry[0].detail)["oidc"]["issuer"] == provider.url
    with leaves_one(dep, "workforce.updated") as entry:
        sm.update_workforce(WorkforceName="hospital", SourceIpConfig={"Cidrs": ["127.0.0.0/8"]})
    assert json.loads(entry[0].detail)["cidrs"] == ["127.0.0.0/8"]

    workforce.create_team(dep, "readers")
    workforce.set_team_groups(dep, "readers", ["radiology"])
    provider.add_user("doc-7", "doc7@hospital.example", ["radiology"])
    provider.auto_user = "doc-7"
    context = ssl.create_default_context(cafile=provider.ca_file)
    with httpx.Client(base_url=fresh.url) as browser, httpx.Client(verify=context) as to_provider:
        started = browser.get("/oidc/login")
        back = to_provider.get(started.headers["location"])
        with leaves_one(dep, "signin") as entry:
            assert browser.get(back.headers["location"]).status_code == 303
    assert entry[0].actor == "doc7@hospital.example" and entry[0].address == "127.0.0.1"
    assert json.loads(entry[0].detail) == {"method": "oidc"}

    workforce.delete_team(dep, "readers")
    with leaves_one(dep, "workforce.deleted"):
        sm.delete_workforce(WorkforceName="hospital")
