"""A real truthset server (uvicorn on loopback) with its data in a real S3 API (moto's server),
and boto3 clients signed with an admin's access key. Retries are off, so every error shows.

Most tests share one server per module and database (they use names of their own); the
walkthrough gets a fresh one from the suite's `database_url` fixture.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from tests.conftest import BACKENDS
from tests.storage.s3_server import NO_RETRIES, moto_server, new_bucket, s3_client, s3_settings
from tests.support import postgres
from tests.support.factories import PASSWORD
from tests.support.live import free_port, serve
from truthset import workforce
from truthset.app import create_app
from truthset.deployment import Deployment, open_deployment
from truthset.identity import accesskeys
from truthset.identity.accesskeys import AccessKeyPair
from truthset.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient

ADMIN = "chief@hospital.example"
ROLE = "arn:aws:iam::111122223333:role/GtRole"
PRE = "arn:aws:lambda:us-east-1:432418664414:function:PRE-ImageMultiClass"
ACS = "arn:aws:lambda:us-east-1:432418664414:function:ACS-ImageMultiClass"
LABELS = {"document-version": "2018-11-28", "labels": [{"label": "cat"}, {"label": "dog"}]}


@dataclass
class Live:
    url: str
    dep: Deployment
    s3: S3Client
    bucket: str
    key: AccessKeyPair

    def client(self, key_id: str | None = None, secret: str | None = None) -> SageMakerClient:
        return boto3.client(  # type: ignore[no-any-return]
            "sagemaker",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key_id or self.key.access_key_id,
            aws_secret_access_key=secret or self.key.secret_access_key,
            config=NO_RETRIES,
        )

    def put(self, key: str, body: bytes | str) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        return f"s3://{self.bucket}/{key}"

    def team_arn(self, name: str, account: str = "111122223333") -> str:
        return f"arn:aws:sagemaker:us-east-1:{account}:workteam/private-crowd/{name}"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@contextmanager
def live_server(
    database_url: str, data_dir: Path, s3_endpoint: str, **overrides: Any
) -> Iterator[Live]:
    port = free_port()
    settings = Settings(
        database_url=database_url,
        secret_key="sagemaker-test-key",  # type: ignore[arg-type]
        public_base_url=f"http://127.0.0.1:{port}",
        background_interval=0.1,
        output_interval=0,
        fast_password_hashing=True,
        **s3_settings(s3_endpoint, data_dir, **overrides),
    )
    dep = open_deployment(settings, migrate=False)
    workforce.create_admin(dep, ADMIN, PASSWORD)
    key = accesskeys.create_access_key(dep, ADMIN)
    s3 = s3_client(s3_endpoint)
    try:
        with serve(create_app(deployment=dep), port) as url:
            yield Live(url, dep, s3, new_bucket(s3), key)
    finally:
        dep.db.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Like the suite's database_url, for a server shared by a module's tests."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "truthset.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("pg_admin_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield postgres.create_database(admin, name, request.getfixturevalue("pg_template"))
    postgres.drop_database(admin, name)


@pytest.fixture(scope="module")
def live(
    module_database_url: str, s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    with live_server(module_database_url, tmp_path_factory.mktemp("data"), s3_endpoint) as env:
        yield env


@pytest.fixture
def sm(live: Live) -> SageMakerClient:
    return live.client()
