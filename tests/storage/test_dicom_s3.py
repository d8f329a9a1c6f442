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
from pydicom import dcmread
from pydicom.data import get_testdata_file

from tests.storage.test_media import bearer, open_s3_deployment
from tests.support.factories import VIEWS, make_team
from truthset import jobs, manifests
from truthset.app import create_app
from truthset.clock import ManualClock
from truthset.deployment import Deployment
from truthset.dicom import HEAD_BYTES, is_dicom
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


def test_s3_dicom_without_a_suffix_is_told_by_a_ranged_read(
    presigned: Deployment, s3: S3Client, bucket: str
) -> None:
    """`IM0001` in S3: the first 132 bytes (one ranged GET) say DICOM; manifest create lists it
    and the worker gets its renditions."""
    example = get_testdata_file("CT_small.dcm")
    assert example is not None
    data = Path(example).read_bytes()
    s3.put_object(Bucket=bucket, Key="scans/IM0001", Body=data)
    s3.put_object(Bucket=bucket, Key="scans/README", Body=b"x" * 500)
    s3.put_object(Bucket=bucket, Key="scans/empty", Body=b"")
    storage = presigned.storage
    head = storage.read_head(f"s3://{bucket}/scans/IM0001", HEAD_BYTES)
    assert head == data[:HEAD_BYTES] and head.endswith(b"DICM")
    assert storage.read_head(f"s3://{bucket}/scans/empty", HEAD_BYTES) == b""
    assert is_dicom(storage, f"s3://{bucket}/scans/IM0001")
    assert not is_dicom(storage, f"s3://{bucket}/scans/README")
    assert not is_dicom(storage, f"s3://{bucket}/scans/empty")
    manifest = f"s3://{bucket}/in.manifest"
    assert manifests.create_manifest(storage, f"s3://{bucket}/scans/", manifest) == 1
    request = jobs.JobRequest(
        name="views",
        manifest=manifest,
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
        assert url.startswith("/media/") and url.endswith("?dicom=1") and "X-Amz" not in url
        shown = client.get(url)
        assert shown.status_code == 200 and shown.content.startswith(b"\x89PNG")
        rows = dcmread(example).Rows
        assert client.get(f"{url}&part=info").json()["info"]["height"] == rows
