"""DICOM objects kept in S3: even with presigned delivery, the worker's browser gets the
renditions through the signed proxy, never a presigned URL of the file (its tags)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.storage.test_media import bearer, open_s3_deployment
from tests.support.factories import VIEWS, make_team
from truthset import jobs
from truthset.app import create_app
from truthset.clock import ManualClock
from truthset.deployment import Deployment
from truthset.dicom.synthetic import write_mammogram

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@pytest.fixture
def presigned(
    database_url: str, s3_endpoint: str, tmp_path: Path, clock: ManualClock
) -> Iterator[Deployment]:
    dep = open_s3_deployment(database_url, s3_endpoint, tmp_path, clock, media_delivery="presign")
    yield dep
    dep.db.dispose()


def test_s3_dicom_is_proxied_as_renditions(
    presigned: Deployment, s3: S3Client, bucket: str, tmp_path: Path
) -> None:
    path = write_mammogram(tmp_path / "m.dcm", 320, 400, seed=2)
    s3.put_object(Bucket=bucket, Key="mammo/m.dcm", Body=path.read_bytes())
    line = json.dumps({"source-ref": f"s3://{bucket}/mammo/m.dcm"}) + "\n"
    s3.put_object(Bucket=bucket, Key="in.manifest", Body=line.encode())
    request = jobs.JobRequest(
        name="views",
        manifest=f"s3://{bucket}/in.manifest",
        output=f"s3://{bucket}/out",
        task_type="image-classification",
        team="radiologists",
        labels=list(VIEWS),
        workers_per_object=1,
    )
    worker = make_team(presigned, workers=1)[0]
    jobs.create_job(presigned, request)
    with TestClient(create_app(deployment=presigned)) as client:
        task = client.post(
            "/api/v1/worker/jobs/views/next-task", headers=bearer(presigned, worker.id)
        ).json()
        url = task["input"]["taskObject"]
        assert url.startswith("/media/") and "X-Amz" not in url
        display = client.get(f"{url}&part=display").content
        assert np.frombuffer(display, "<u2").shape == (320 * 400,)
        assert b"Doe" not in client.get(f"{url}&part=info").content
