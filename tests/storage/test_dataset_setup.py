"""Automated data setup on an S3 prefix (the console's New job form uses these): a preview of
the manifest it would write, then the manifest, written into the prefix as Ground Truth does."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from truthset import manifests
from truthset.errors import Invalid
from truthset.storage.s3 import S3Storage

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def test_preview_then_manifest_from_an_s3_prefix(
    store: S3Storage, s3: S3Client, bucket: str
) -> None:
    for index in range(13):
        s3.put_object(Bucket=bucket, Key=f"scans/{index:03d}.png", Body=b"png")
    s3.put_object(Bucket=bucket, Key="scans/readme.md", Body=b"not an image")
    prefix = f"s3://{bucket}/scans/"
    preview = manifests.preview_manifest(store, prefix, shown=3, cap=10)
    assert preview.first == [{"source-ref": f"s3://{bucket}/scans/{i:03d}.png"} for i in range(3)]
    assert (preview.count, preview.more) == (10, True)
    assert manifests.preview_manifest(store, prefix).count == 13
    target = manifests.dataset_manifest_uri(prefix, datetime(2026, 12, 6, 21, 5, 9))
    assert target == f"s3://{bucket}/scans/dataset-261206T210509.manifest"
    assert manifests.create_manifest(store, prefix, target) == 13
    lines = store.read_bytes(target).decode().splitlines()
    assert json.loads(lines[0]) == {"source-ref": f"s3://{bucket}/scans/000.png"}
    # Built again later, the manifest written before is no object of the job.
    assert manifests.preview_manifest(store, prefix).count == 13


def test_nothing_to_label_is_said_before_any_job(store: S3Storage, bucket: str) -> None:
    with pytest.raises(Invalid, match=r"no \.jpg, \.jpeg, \.png or \.dcm files found"):
        manifests.preview_manifest(store, f"s3://{bucket}/empty/")


def test_a_text_files_manifest_goes_beside_it() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5)
    assert manifests.dataset_manifest_uri("s3://b/texts/reviews.csv", at) == (
        "s3://b/texts/dataset-260102T030405.manifest"
    )
    assert (
        manifests.dataset_manifest_uri("/data/images/", at)
        == "/data/images/dataset-260102T030405.manifest"
    )
