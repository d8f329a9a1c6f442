"""The datasets package must never try the Hub: every export test reads local files. Set before
the test modules import it (it reads these once)."""

import os

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# S3 on loopback (moto's server) for the exports of jobs whose output folder is in S3.
from tests.storage.conftest import bucket, s3, s3_endpoint

__all__ = ["bucket", "s3", "s3_endpoint"]
