"""schemathesis against /api/v1/openapi.json on a live server, with an admin's and a worker's
token: every status code and response body the API sends is the one the document gives."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.support.factories import PASSWORD, make_admin, make_job, make_team
from tests.support.live import free_port, serve
from truthset.deployment import Deployment

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
# Signing out would end the very token the run uses. positive_data_acceptance expects every
# request the schema allows to succeed, but many rules are the domain's and no JSON Schema
# says them (a manifest that exists and is valid, labels or a label file, a known e-mail).
ARGS = [
    "--checks", "all", "--exclude-checks", "positive_data_acceptance",
    "--exclude-path", "/api/v1/logout",
    "--max-examples", "8", "--seed", "11", "--workers", "1",
]  # fmt: skip


@pytest.fixture
def live(app: FastAPI, dep: Deployment) -> Iterator[str]:
    make_admin(dep)
    make_team(dep, workers=1)
    make_job(dep, objects=3, workers_per_object=1)
    with serve(app, free_port()) as url:
        yield url


def _token(url: str, email: str) -> str:
    response = httpx.post(url + "/api/v1/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


@pytest.mark.parametrize("who", ["admin@example.org", "worker0@radiologists.example.org"])
def test_the_openapi_document_is_true(live: str, who: str, tmp_path: Path) -> None:
    token = _token(live, who)
    header = f"Authorization: Bearer {token}"
    result = subprocess.run(
        [SCHEMATHESIS, "run", live + "/api/v1/openapi.json", "-H", header, *ARGS],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,  # schemathesis keeps a cache of found failures in .schemathesis/
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
