from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.storage.s3_server import make_settings, moto_server, new_bucket, s3_client
from truthset.storage.s3 import S3Storage

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3(s3_endpoint: str) -> S3Client:
    return s3_client(s3_endpoint)


@pytest.fixture
def bucket(s3: S3Client) -> str:
    return new_bucket(s3)


@pytest.fixture
def store(s3_endpoint: str, tmp_path: Path) -> S3Storage:
    # 5 MiB parts (S3's smallest) so multipart uploads happen at test-friendly sizes.
    return S3Storage(make_settings(s3_endpoint, tmp_path / "data"), part_size=5 * 1024 * 1024)
