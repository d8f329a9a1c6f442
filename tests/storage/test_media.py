"""Media kept in S3 reaches the worker through the signed proxy or as presigned S3 URLs, only
for tasks leased to them; a missing object fails its data object instead of the job."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from tests.storage.s3_server import s3_settings
from tests.support.factories import VIEWS, answer, make_team
from truthset import jobs, workforce
from truthset.app import create_app
from truthset.background.runner import run_job
from truthset.clock import ManualClock
from truthset.db.tables import AuditEntry, DataObject
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def png(index: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (index * 40, 0, 0)).save(out, format="PNG")
    return out.getvalue()


def open_s3_deployment(
    database_url: str, s3_endpoint: str, tmp_path: Path, clock: ManualClock, **overrides: Any
) -> Deployment:
    settings = Settings(
        database_url=database_url,
        secret_key="media-test-key",  # type: ignore[arg-type]
        run_background=False,
        output_interval=0,
        fast_password_hashing=True,
        public_base_url="http://testserver",
        **s3_settings(s3_endpoint, tmp_path / "data", **overrides),
    )
    return open_deployment(settings, clock=clock, migrate=False)


@pytest.fixture
def proxied(
    database_url: str, s3_endpoint: str, tmp_path: Path, clock: ManualClock
) -> Iterator[Deployment]:
    dep = open_s3_deployment(database_url, s3_endpoint, tmp_path, clock)
    yield dep
    dep.db.dispose()


@pytest.fixture
def presigned(
    database_url: str, s3_endpoint: str, tmp_path: Path, clock: ManualClock
) -> Iterator[Deployment]:
    dep = open_s3_deployment(database_url, s3_endpoint, tmp_path, clock, media_delivery="presign")
    yield dep
    dep.db.dispose()


def s3_job(dep: Deployment, s3: S3Client, bucket: str, images: int, missing: int = 0) -> None:
    """A job over `images` PNGs in S3, the last `missing` of which are not there."""
    for index in range(images - missing):
        s3.put_object(Bucket=bucket, Key=f"img/{index}.png", Body=png(index))
    lines = "".join(
        json.dumps({"source-ref": f"s3://{bucket}/img/{i}.png"}) + "\n" for i in range(images)
    )
    s3.put_object(Bucket=bucket, Key="in.manifest", Body=lines.encode())
    request = jobs.JobRequest(
        name="views",
        manifest=f"s3://{bucket}/in.manifest",
        output=f"s3://{bucket}/out",
        task_type="image-classification",
        team="radiologists",
        labels=list(VIEWS),
        workers_per_object=1,
    )
    jobs.create_job(dep, request)


def bearer(dep: Deployment, user_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {workforce.issue_token(dep, user_id, 'api')}"}


def test_proxy_streams_s3_media_of_leased_tasks_only(
    proxied: Deployment, s3: S3Client, bucket: str
) -> None:
    worker = make_team(proxied, workers=1)[0]
    s3_job(proxied, s3, bucket, images=1)
    with TestClient(create_app(deployment=proxied)) as client:
        headers = bearer(proxied, worker.id)
        task = client.post("/api/v1/worker/jobs/views/next-task", headers=headers).json()
        media = task["input"]["taskObject"]
        assert media.startswith("/media/")
        got = client.get(media)
        assert got.status_code == 200 and got.content == png(0)
        assert got.headers["content-type"] == "image/png"
        client.post(
            f"/api/v1/worker/tasks/{task['task_id']}/answer",
            json={"answer": answer("Left-CC")},
            headers=headers,
        )
        assert client.get(media).status_code == 404


def test_a_missing_object_fails_its_data_object_with_the_reason(
    proxied: Deployment, s3: S3Client, bucket: str
) -> None:
    worker = make_team(proxied, workers=1)[0]
    s3_job(proxied, s3, bucket, images=2, missing=1)
    with TestClient(create_app(deployment=proxied)) as client:
        headers = bearer(proxied, worker.id)
        seen = []
        while (
            response := client.post("/api/v1/worker/jobs/views/next-task", headers=headers)
        ).status_code == 200:
            task = response.json()
            media = client.get(task["input"]["taskObject"])
            seen.append((task["data_object_id"], media.status_code))
            if media.status_code == 200:
                client.post(
                    f"/api/v1/worker/tasks/{task['task_id']}/answer",
                    json={"answer": answer("Left-CC")},
                    headers=headers,
                )
            else:
                assert f"s3://{bucket}/img/1.png: no such object" in media.text
                gone = client.post(
                    f"/api/v1/worker/tasks/{task['task_id']}/answer",
                    json={"answer": answer("Left-CC")},
                    headers=headers,
                )
                assert gone.status_code == 410
    assert sorted(seen) == [("0", 200), ("1", 404)]
    run_job(proxied, jobs.describe_job(proxied, "views").id, "test")
    job = jobs.describe_job(proxied, "views")
    assert job.status == "Completed"
    assert job.counters.failed == 1 and job.counters.human_labeled == 1
    output = s3.get_object(Bucket=bucket, Key="out/views/manifests/output/output.manifest")
    lines = [json.loads(line) for line in output["Body"].read().decode().splitlines()]
    assert "views" in lines[0] and lines[1] == {"source-ref": f"s3://{bucket}/img/1.png"}
    with proxied.db.read() as conn:
        reason = conn.scalar(select(DataObject.failure_reason).where(DataObject.object_id == 1))
    assert reason == f"media cannot be read: cannot read s3://{bucket}/img/1.png: no such object"


def test_presign_hands_out_s3_urls_only_inside_a_leased_task(
    presigned: Deployment, s3: S3Client, bucket: str, s3_endpoint: str
) -> None:
    worker = make_team(presigned, workers=1)[0]
    s3_job(presigned, s3, bucket, images=1)
    with TestClient(create_app(deployment=presigned)) as client:
        headers = bearer(presigned, worker.id)
        task = client.post("/api/v1/worker/jobs/views/next-task", headers=headers).json()
        url = task["input"]["taskObject"]
        assert url.startswith(f"{s3_endpoint}/{bucket}/img/0.png?")
        assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "X-Amz-Expires=900" in url
        assert httpx.get(url).content == png(0)
        frame = client.get(f"/portal/tasks/{task['task_id']}/frame", headers=headers)
        policy = frame.headers["content-security-policy"]
        assert f"img-src 'self' data: blob: {s3_endpoint}" in policy
        # Signed again when the frame renders: the signature may differ by its timestamp.
        framed = re.search(rf'src="({re.escape(url.split("?")[0])}\?[^"]+)"', frame.text)
        assert framed is not None
        assert httpx.get(html.unescape(framed.group(1))).content == png(0)
        client.post(
            f"/api/v1/worker/tasks/{task['task_id']}/answer",
            json={"answer": answer("Left-CC")},
            headers=headers,
        )
        # The task is no longer leased: its UI now only carries a proxy URL, which refuses.
        ui = client.get(f"/api/v1/worker/tasks/{task['task_id']}/ui", headers=headers).json()
        assert "X-Amz-Signature" not in ui["html"] and "/media/" in ui["html"]
    # S3 served the fetches unseen: the trail has each presigned URL handed out (next-task and
    # the frame), naming the worker, job and object, and none after the lease ended.
    with presigned.db.read() as conn:
        handed = conn.execute(
            select(AuditEntry.actor, AuditEntry.job, AuditEntry.object_id, AuditEntry.detail).where(
                AuditEntry.action == "media.presigned"
            )
        ).all()
    assert [(a, j, o) for a, j, o, _ in handed] == [(worker.email, "views", 0)] * 2
    assert all(json.loads(d)["uri"] == f"s3://{bucket}/img/0.png" for *_, d in handed)
