"""A job whose manifest and output folder are in S3 (moto's server on loopback): its
consolidated masks are read from S3 for COCO, and the REST export's zip is written to and
downloaded from the job's S3 output folder."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pycocotools.coco import COCO

from tests.exports.jobs import HEIGHT, LABELS, WIDTH, mask_answer
from tests.storage.s3_server import s3_settings
from tests.support.factories import PASSWORD, make_admin, make_team
from truthset import dispatch, jobs
from truthset.app import create_app
from truthset.background.runner import run_job
from truthset.clock import ManualClock
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


@pytest.fixture
def s3_dep(
    database_url: str, s3_endpoint: str, tmp_path: Path, clock: ManualClock
) -> Iterator[Deployment]:
    settings = Settings(
        database_url=database_url,
        secret_key="export-test-key",  # type: ignore[arg-type]
        run_background=False,
        output_interval=0,
        fast_password_hashing=True,
        public_base_url="http://testserver",
        **s3_settings(s3_endpoint, tmp_path / "data"),
    )
    dep = open_deployment(settings, clock=clock, migrate=False)
    yield dep
    dep.db.dispose()


def test_masks_in_s3_export_to_coco_through_the_rest_api(
    s3_dep: Deployment, s3: S3Client, bucket: str, tmp_path: Path
) -> None:
    dep = s3_dep
    for index in range(2):
        image = io.BytesIO()
        Image.new("RGB", (WIDTH, HEIGHT), (index * 60, 0, 0)).save(image, format="PNG")
        s3.put_object(Bucket=bucket, Key=f"img/{index}.png", Body=image.getvalue())
    lines = "".join(
        json.dumps({"source-ref": f"s3://{bucket}/img/{i}.png"}) + "\n" for i in range(2)
    )
    s3.put_object(Bucket=bucket, Key="in.manifest", Body=lines.encode())
    make_admin(dep)
    workers = make_team(dep, workers=2)
    request = jobs.JobRequest(
        name="city",
        manifest=f"s3://{bucket}/in.manifest",
        output=f"s3://{bucket}/out",
        task_type="semantic-segmentation",
        team="radiologists",
        labels=LABELS,
        workers_per_object=2,
    )
    jobs.create_job(dep, request)
    truth = np.zeros((HEIGHT, WIDTH), np.uint8)
    truth[5:25, 10:40] = 1
    for worker in workers:
        while (task := dispatch.next_task(dep, worker, "city")) is not None:
            dispatch.submit_answer(dep, worker, task.task_id, mask_answer(truth))
    run_job(dep, jobs.describe_job(dep, "city").id, "test")
    assert jobs.describe_job(dep, "city").status == "Completed"

    with TestClient(create_app(deployment=dep)) as client:
        token = client.post(
            "/api/v1/login", json={"email": "admin@example.org", "password": PASSWORD}
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        run = client.post("/api/v1/jobs/city/exports", json={"format": "coco"}, headers=headers)
        export_id = run.json()["id"]
        done = client.get(f"/api/v1/exports/{export_id}", headers=headers).json()
        assert done["status"] == "Completed", done
        key = f"out/city/exports/{export_id}-coco.zip"
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0
        download = client.get(done["download_url"], headers=headers)
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        archive.extractall(tmp_path)
    coco = COCO(str(tmp_path / "annotations.json"))
    for image_id in (0, 1):
        (annotation,) = coco.loadAnns(coco.getAnnIds(imgIds=[image_id]))
        assert coco.cats[annotation["category_id"]]["name"] == "car"
        assert (coco.annToMask(annotation) == (truth == 1)).all()
    assert coco.imgs[1]["file_name"] == f"s3://{bucket}/img/1.png"
