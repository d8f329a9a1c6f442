"""A real S3 API on loopback (moto's server) and a deployment that stores data in it.

moto keeps its buckets in process memory, so every test makes its own bucket.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import httpx
from botocore.config import Config

from tests.support.live import free_port
from truthset.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
NO_RETRIES = Config(retries={"total_max_attempts": 1})


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 server in its own process: memory measured in a test is the client's alone,
    and the server does not compete for the GIL with the truthset server under test."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.05)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def s3_client(endpoint: str) -> S3Client:
    return boto3.client(  # type: ignore[no-any-return]
        "s3", endpoint_url=endpoint, region_name="us-east-1", config=NO_RETRIES, **CREDENTIALS
    )


def new_bucket(client: S3Client) -> str:
    name = f"bkt-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    return name


def s3_settings(endpoint: str, data_dir: Path, **overrides: Any) -> dict[str, Any]:
    """Settings fields that point a deployment's S3 storage at the test server."""
    return {
        "data_dir": data_dir,
        "s3_endpoint_url": endpoint,
        "s3_region": "us-east-1",
        "s3_access_key_id": CREDENTIALS["aws_access_key_id"],
        "s3_secret_access_key": CREDENTIALS["aws_secret_access_key"],
        "s3_max_attempts": 1,
        **overrides,
    }


def make_settings(endpoint: str, data_dir: Path, **overrides: Any) -> Settings:
    return Settings(**s3_settings(endpoint, data_dir, **overrides))
