"""S3 and S3-compatible stores, through boto3.

Reads stream (a manifest of any size is read a megabyte at a time). Writes are atomic: a small
object is one PUT; a large one is a multipart upload that becomes visible only when it is
completed at the end, so a reader sees the old object or the whole new one. Errors name the URI.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from truthset.errors import Invalid, StorageError
from truthset.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PART_SIZE = 8 * 1024 * 1024  # S3 wants parts of at least 5 MiB (except the last one)
READ_BUFFER = 1024 * 1024
# Bucket names as S3 allows them (3-63 characters; lower case, digits, dots, hyphens).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
_MISSING = {"NoSuchKey", "404", "NotFound"}
_DENIED = {"AccessDenied", "403", "Forbidden", "AllAccessDisabled"}
_BAD_CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"}


def parse_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of an s3:// URI; the key may be empty (a whole bucket)."""
    if not uri.startswith("s3://"):
        raise Invalid(f"{uri}: not an s3:// URI")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise Invalid(
            f"{uri}: {bucket!r} is not a valid bucket name "
            "(3-63 lower-case letters, digits, dots and hyphens)"
        )
    return bucket, key


def _object_key(uri: str) -> tuple[str, str]:
    bucket, key = parse_uri(uri)
    if not key or key.endswith("/"):
        raise Invalid(f"{uri}: names a folder, not an object")
    return bucket, key


class S3Storage:
    """Objects named s3://bucket/key. The client is built on first use, so a deployment that
    never touches S3 never loads boto3's models or looks for credentials."""

    def __init__(self, settings: Settings, part_size: int = PART_SIZE) -> None:
        self.settings = settings
        self.part_size = part_size
        self._client: S3Client | None = None
        self._configured: bool | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> S3Client:
        with self._lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _make_client(self) -> S3Client:
        s = self.settings
        config = Config(
            signature_version="s3v4",
            retries={"mode": "standard", "total_max_attempts": max(1, s.s3_max_attempts)},
            s3={"addressing_style": "path" if s.s3_path_style else "auto"},
        )
        options: dict[str, Any] = {"config": config}
        # Without an explicit endpoint boto3 itself honours AWS_ENDPOINT_URL(_S3).
        if s.s3_endpoint_url:
            options["endpoint_url"] = s.s3_endpoint_url
        if s.s3_region:
            options["region_name"] = s.s3_region
        if s.s3_access_key_id:
            options["aws_access_key_id"] = s.s3_access_key_id
            options["aws_secret_access_key"] = s.s3_secret_access_key.get_secret_value()
        return boto3.session.Session().client("s3", **options)

    def error_for(self, uri: str, action: str, error: Exception) -> StorageError:
        """A message that says what went wrong with which URI, and what to do about it."""
        bucket = uri[len("s3://") :].split("/", 1)[0]
        if isinstance(error, NoCredentialsError):
            return StorageError(
                f"cannot {action} {uri}: no S3 credentials; set TRUTHSET_S3_ACCESS_KEY_ID and "
                "TRUTHSET_S3_SECRET_ACCESS_KEY or the usual AWS variables"
            )
        if isinstance(error, ClientError):
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code == "NoSuchBucket":
                return StorageError(f"cannot {action} {uri}: the bucket {bucket!r} does not exist")
            if code in _MISSING:
                return StorageError(f"cannot {action} {uri}: no such object")
            if code in _DENIED:
                return StorageError(f"cannot {action} {uri}: access denied by S3")
            if code in _BAD_CREDENTIALS:
                return StorageError(f"cannot {action} {uri}: S3 refused the credentials ({code})")
            message = error.response.get("Error", {}).get("Message", "") or code
            return StorageError(f"cannot {action} {uri}: {message}")
        endpoint = self.settings.s3_endpoint or "AWS S3"
        return StorageError(f"cannot {action} {uri}: S3 at {endpoint} is unreachable ({error})")

    def check_readable(self, uri: str) -> None:
        _object_key(uri)
        if not self.configured():
            raise Invalid(
                f"{uri}: S3 is not configured (no TRUTHSET_S3_ENDPOINT_URL and no S3 "
                "credentials); set TRUTHSET_S3_ACCESS_KEY_ID and TRUTHSET_S3_SECRET_ACCESS_KEY "
                "or the usual AWS variables, or use local paths"
            )

    def configured(self) -> bool:
        """Whether S3 can be used at all: an endpoint or credentials are set, or the usual AWS
        chain finds credentials (looked up once; a job of s3:// lines then checks no more)."""
        with self._lock:
            if self._configured is None:
                s = self.settings
                self._configured = bool(
                    s.s3_endpoint
                    or s.s3_access_key_id
                    or boto3.session.Session().get_credentials() is not None
                )
            return self._configured

    def check_writable(self, uri: str) -> None:
        parse_uri(uri)

    def remove_temporaries(self, prefix: str, older_than: float) -> int:
        """Nothing to remove: an interrupted write is an unfinished multipart upload, invisible
        to readers, which the writer aborts or the bucket's lifecycle rules remove."""
        return 0

    def read_bytes(self, uri: str) -> bytes:
        with self.open_read(uri) as handle:
            return handle.read()

    def read_head(self, uri: str, size: int) -> bytes:
        """A ranged GET: only the first bytes cross the network."""
        if size <= 0:
            return b""
        bucket, key = _object_key(uri)
        try:
            body = self.client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{size - 1}")[
                "Body"
            ]
            with closing(body):
                return bytes(body.read())[:size]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "InvalidRange":
                return b""  # an empty object: no byte is in range
            raise self.error_for(uri, "read", error) from None
        except BotoCoreError as error:
            raise self.error_for(uri, "read", error) from None

    @contextmanager
    def open_read(self, uri: str) -> Iterator[BinaryIO]:
        bucket, key = _object_key(uri)
        try:
            body = self.client.get_object(Bucket=bucket, Key=key)["Body"]
        except (ClientError, BotoCoreError) as error:
            raise self.error_for(uri, "read", error) from None
        reader = io.BufferedReader(
            _BodyReader(body, lambda e: self.error_for(uri, "read", e)), READ_BUFFER
        )
        try:
            yield cast(BinaryIO, reader)
        finally:
            body.close()

    def write_bytes(self, uri: str, data: bytes) -> None:
        with self.open_write(uri) as handle:
            handle.write(data)

    @contextmanager
    def open_write(self, uri: str) -> Iterator[BinaryIO]:
        bucket, key = _object_key(uri)
        writer = _ObjectWriter(self, uri, bucket, key)
        try:
            yield cast(BinaryIO, writer)
        except BaseException:
            writer.abort()
            raise
        writer.finish()

    def exists(self, uri: str) -> bool:
        bucket, key = _object_key(uri)
        try:
            self.client.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code", "")) in _MISSING:
                return False
            raise self.error_for(uri, "check", error) from None
        except BotoCoreError as error:
            raise self.error_for(uri, "check", error) from None
        return True

    def list_files(self, prefix: str) -> Iterator[str]:
        """Every object under the prefix taken as a folder, in key order (S3's listing order)."""
        bucket, key = parse_uri(prefix)
        folder = key if not key or key.endswith("/") else f"{key}/"
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder)
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    if not item["Key"].endswith("/"):  # folder markers made by consoles
                        yield f"s3://{bucket}/{item['Key']}"
        except (ClientError, BotoCoreError) as error:
            raise self.error_for(prefix, "list", error) from None

    def presigned_url(self, uri: str, seconds: int) -> str:
        """A SigV4 GET URL for the object that works for `seconds` without credentials."""
        bucket, key = _object_key(uri)
        try:
            return self.client.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=seconds
            )
        except (ClientError, BotoCoreError) as error:
            raise self.error_for(uri, "sign", error) from None


class _BodyReader(io.RawIOBase):
    """A botocore streaming body as a raw stream, so io.BufferedReader can give it readline()."""

    def __init__(self, body: Any, wrap: Any) -> None:
        self._body = body
        self._wrap = wrap

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            chunk = self._body.read(min(len(buffer), READ_BUFFER))
        except (BotoCoreError, OSError) as error:
            # A connection dropped mid-object: the reader gets a storage error, not a short read.
            raise self._wrap(error) from None
        buffer[: len(chunk)] = chunk
        return len(chunk)


class _ObjectWriter(io.RawIOBase):
    """Buffers one part; a single PUT at the end if everything fit, else a multipart upload
    whose parts are sent as they fill and which is completed (made visible) only at the end."""

    def __init__(self, storage: S3Storage, uri: str, bucket: str, key: str) -> None:
        self._storage = storage
        self._uri = uri
        self._bucket = bucket
        self._key = key
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        while len(self._buffer) >= self._storage.part_size:
            part = bytes(self._buffer[: self._storage.part_size])
            del self._buffer[: self._storage.part_size]
            self._send_part(part)
        return len(data)

    def _call(self, method: str, **params: Any) -> Any:
        try:
            return getattr(self._storage.client, method)(
                Bucket=self._bucket, Key=self._key, **params
            )
        except (ClientError, BotoCoreError) as error:
            raise self._storage.error_for(self._uri, "write", error) from None

    def _send_part(self, part: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = self._call("create_multipart_upload")["UploadId"]
        number = len(self._parts) + 1
        done = self._call("upload_part", UploadId=self._upload_id, PartNumber=number, Body=part)
        self._parts.append({"PartNumber": number, "ETag": done["ETag"]})

    def finish(self) -> None:
        if self._upload_id is None:
            self._call("put_object", Body=bytes(self._buffer))
            return
        try:
            if self._buffer or not self._parts:
                self._send_part(bytes(self._buffer))
            self._call(
                "complete_multipart_upload",
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Drops the parts sent so far; the object keeps its old content."""
        if self._upload_id is None:
            return
        upload_id, self._upload_id = self._upload_id, None
        # If this fails too, S3's lifecycle rules remove the abandoned upload; the first error
        # is the one to report.
        with suppress(ClientError, BotoCoreError):
            self._storage.client.abort_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=upload_id
            )
