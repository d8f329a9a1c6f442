"""S3Storage against a real S3 API (moto's server on loopback)."""

from __future__ import annotations

import json
import re
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.storage.s3_server import make_settings
from tests.support.live import free_port
from truthset import manifests
from truthset.errors import Invalid, StorageError
from truthset.settings import Settings
from truthset.storage.s3 import S3Storage, parse_uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIB = 1024 * 1024


def test_small_write_is_one_put_and_reads_back(store: S3Storage, s3: S3Client, bucket: str) -> None:
    store.write_bytes(f"s3://{bucket}/a/b.json", b'{"x": 1}')
    assert store.read_bytes(f"s3://{bucket}/a/b.json") == b'{"x": 1}'
    head = s3.head_object(Bucket=bucket, Key="a/b.json")
    assert "-" not in head["ETag"]  # a multipart upload's ETag ends in -<parts>
    assert store.exists(f"s3://{bucket}/a/b.json")
    assert not store.exists(f"s3://{bucket}/a/c.json")


def test_large_write_is_multipart_and_invisible_until_complete(
    store: S3Storage, s3: S3Client, bucket: str
) -> None:
    uri = f"s3://{bucket}/out/output.manifest"
    store.write_bytes(uri, b"old\n")
    chunk = b"x" * MIB
    with store.open_write(uri) as handle:
        for _ in range(11):
            handle.write(chunk)
        # Two parts are uploaded by now, and readers still get the old object.
        uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        assert [u["Key"] for u in uploads] == ["out/output.manifest"]
        assert store.read_bytes(uri) == b"old\n"
    head = s3.head_object(Bucket=bucket, Key="out/output.manifest")
    assert head["ETag"].strip('"').endswith("-3")
    assert head["ContentLength"] == 11 * MIB
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_failed_write_keeps_the_old_object_and_leaves_no_upload(
    store: S3Storage, s3: S3Client, bucket: str
) -> None:
    uri = f"s3://{bucket}/out/data.json"
    store.write_bytes(uri, b"old")
    with pytest.raises(RuntimeError), store.open_write(uri) as handle:
        handle.write(b"y" * (6 * MIB))
        raise RuntimeError("killed mid-write")
    assert store.read_bytes(uri) == b"old"
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_streamed_read_gives_lines(store: S3Storage, s3: S3Client, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="m.manifest", Body=b'{"source": "a"}\r\n{"source": "b"}\n')
    with store.open_read(f"s3://{bucket}/m.manifest") as handle:
        assert handle.readline() == b'{"source": "a"}\r\n'
        assert handle.readline(5) == b'{"sou'
        assert handle.read() == b'rce": "b"}\n'


def test_a_large_manifest_is_checked_in_little_memory(
    store: S3Storage, s3: S3Client, bucket: str
) -> None:
    line = json.dumps({"source": "lorem ipsum " * 8}).encode() + b"\n"
    count = 8 * MIB // len(line)
    s3.put_object(Bucket=bucket, Key="big.manifest", Body=line * count)
    store.read_bytes(f"s3://{bucket}/big.manifest")  # boto3 loads its S3 model on first use
    tracemalloc.start()
    try:
        report = manifests.validate(store, f"s3://{bucket}/big.manifest")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.objects == count and report.problem_count == 0
    assert peak < 4 * MIB, f"peak {peak / MIB:.1f} MiB for an 8 MiB manifest"


def test_a_large_object_is_written_in_bounded_memory(
    store: S3Storage, s3: S3Client, bucket: str
) -> None:
    store.write_bytes(f"s3://{bucket}/warm-up", b"")  # boto3 loads its S3 model on first use
    tracemalloc.start()
    try:
        with store.open_write(f"s3://{bucket}/big.out") as handle:
            for _ in range(32):
                handle.write(b"z" * MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert s3.head_object(Bucket=bucket, Key="big.out")["ContentLength"] == 32 * MIB
    # A few parts' worth (buffer, the part, botocore's copy), not the object's size.
    assert peak < 4 * store.part_size, f"peak {peak / MIB:.1f} MiB writing 32 MiB"


def test_list_files_takes_the_prefix_as_a_folder(
    store: S3Storage, s3: S3Client, bucket: str
) -> None:
    for key in ("img/b.png", "img/a.jpg", "img/sub/c.png", "img/", "img2/d.png", "other.png"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    expected = [f"s3://{bucket}/img/{k}" for k in ("a.jpg", "b.png", "sub/c.png")]
    assert list(store.list_files(f"s3://{bucket}/img")) == expected
    assert list(store.list_files(f"s3://{bucket}/img/")) == expected
    assert len(list(store.list_files(f"s3://{bucket}"))) == 5
    assert list(store.list_files(f"s3://{bucket}/none")) == []


def test_missing_object_and_bucket_are_named(store: S3Storage, bucket: str) -> None:
    with pytest.raises(StorageError, match=rf"cannot read s3://{bucket}/nope.json: no such object"):
        store.read_bytes(f"s3://{bucket}/nope.json")
    with pytest.raises(StorageError, match="the bucket 'no-such-bucket-here' does not exist"):
        store.read_bytes("s3://no-such-bucket-here/x.json")
    with pytest.raises(StorageError, match="no-such-bucket-here"):
        list(store.list_files("s3://no-such-bucket-here/x"))
    with pytest.raises(StorageError, match="does not exist"):
        store.write_bytes("s3://no-such-bucket-here/x.json", b"1")


class _Denier(BaseHTTPRequestHandler):
    """Answers every S3 request as S3 does when the policy says no."""

    def _deny(self) -> None:
        body = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body) if self.command != "HEAD" else 0))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_HEAD = do_POST = _deny

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def denying_endpoint() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", free_port()), _Denier)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_access_denied_is_named(denying_endpoint: str, tmp_path: Path) -> None:
    store = S3Storage(make_settings(denying_endpoint, tmp_path, s3_path_style=True))
    with pytest.raises(StorageError, match=r"cannot read s3://locked/x\.json: access denied by S3"):
        store.read_bytes("s3://locked/x.json")
    with pytest.raises(StorageError, match=r"cannot write s3://locked/x\.json: access denied"):
        store.write_bytes("s3://locked/x.json", b"1")
    with pytest.raises(StorageError, match=r"cannot check s3://locked/x\.json: access denied"):
        store.exists("s3://locked/x.json")


def test_unreachable_endpoint_is_named(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = S3Storage(make_settings(endpoint, tmp_path))
    with pytest.raises(StorageError, match=rf"s3://bkt/x.json: S3 at {endpoint} is unreachable"):
        store.read_bytes("s3://bkt/x.json")


def test_standard_endpoint_variable_is_honoured(
    s3_endpoint: str, s3: S3Client, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"via env")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    settings = make_settings("", tmp_path)
    assert settings.s3_endpoint == s3_endpoint
    assert S3Storage(settings).read_bytes(f"s3://{bucket}/k.txt") == b"via env"


def test_presigned_url_is_sigv4_and_fetchable(store: S3Storage, s3: S3Client, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="img/0.png", Body=b"\x89PNG...")
    url = store.presigned_url(f"s3://{bucket}/img/0.png", 60)
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "X-Amz-Expires=60" in url
    assert httpx.get(url).content == b"\x89PNG..."


def test_media_origins_follow_the_delivery_mode(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).media_origins() == ""
    assert Settings(data_dir=tmp_path, media_delivery="presign").media_origins() == (
        "https://*.amazonaws.com"
    )
    path_style = Settings(
        data_dir=tmp_path,
        media_delivery="presign",
        s3_endpoint_url="https://minio.example.org:9000/",
        s3_path_style=True,
    )
    assert path_style.media_origins() == "https://minio.example.org:9000"


_BUCKETS = st.from_regex(r"[a-z0-9][a-z0-9\-]{1,61}[a-z0-9]", fullmatch=True)
_KEYS = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200)


@given(_BUCKETS, _KEYS)
def test_uris_parse_back_to_bucket_and_key(bucket: str, key: str) -> None:
    assert parse_uri(f"s3://{bucket}/{key}") == (bucket, key)


@given(st.text(max_size=70).filter(lambda name: "/" not in name))
def test_bucket_names_are_checked(bucket: str) -> None:
    valid = re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", bucket) and ".." not in bucket
    if valid:
        assert parse_uri(f"s3://{bucket}/k") == (bucket, "k")
    else:
        with pytest.raises(Invalid, match="is not a valid bucket name"):
            parse_uri(f"s3://{bucket}/k")


def test_folders_are_not_objects(store: S3Storage) -> None:
    with pytest.raises(Invalid, match="names a folder"):
        store.check_readable("s3://bkt/images/")
    with pytest.raises(Invalid, match="names a folder"):
        store.check_readable("s3://bkt")
    store.check_writable("s3://bkt/out")
