"""s3:// wherever a path is accepted: the CLI's manifest and job commands, label files, output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from tests.storage.s3_server import CREDENTIALS
from truthset.cli.main import app
from truthset.deployment import open_deployment
from truthset.errors import TruthsetError
from truthset.identity import accesskeys
from truthset.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@pytest.fixture
def cli(tmp_path: Path, database_url: str, s3_endpoint: str) -> Any:
    runner = CliRunner()
    env = {
        "TRUTHSET_FAST_PASSWORD_HASHING": "1",
        "TRUTHSET_SECRET_KEY": "cli-test-key",
        "TRUTHSET_S3_ENDPOINT_URL": s3_endpoint,
        "TRUTHSET_S3_REGION": "us-east-1",
        "TRUTHSET_S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "TRUTHSET_S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "TRUTHSET_S3_MAX_ATTEMPTS": "1",
    }
    base = ["--data-dir", str(tmp_path / "data"), "--database-url", database_url]

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, [*base, *args], env=env)
        assert result.exit_code == code, (result.output, result.exception)
        return result.output

    run.settings = Settings(  # type: ignore[attr-defined]
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="cli-test-key",  # type: ignore[arg-type]
    )
    return run


def test_manifest_and_job_commands_take_s3_uris(cli: Any, s3: S3Client, bucket: str) -> None:
    for key in ("images/b.png", "images/a.jpg", "images/notes.txt", "images/sub/c.jpeg"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"data")
    out = cli("manifest", "create", f"s3://{bucket}/images", "-o", f"s3://{bucket}/in.manifest")
    assert "3 objects written" in out
    body = s3.get_object(Bucket=bucket, Key="in.manifest")["Body"].read().decode()
    assert [json.loads(line)["source-ref"] for line in body.splitlines()] == [
        f"s3://{bucket}/images/{name}" for name in ("a.jpg", "b.png", "sub/c.jpeg")
    ]
    assert "3 objects, no problems" in cli("manifest", "validate", f"s3://{bucket}/in.manifest")
    s3.put_object(Bucket=bucket, Key="reviews.txt", Body=b"Great food\n\nSlow service\n")
    out = cli("manifest", "create", f"s3://{bucket}/reviews.txt", "-o", f"s3://{bucket}/t.manifest")
    assert "2 objects written" in out
    text = s3.get_object(Bucket=bucket, Key="t.manifest")["Body"].read().decode()
    assert text == '{"source": "Great food"}\n{"source": "Slow service"}\n'

    labels = {"document-version": "2018-11-28", "labels": [{"label": "cat"}, {"label": "dog"}]}
    s3.put_object(Bucket=bucket, Key="labels.json", Body=json.dumps(labels).encode())
    cli("admin", "create", "chief@example.org")
    cli("team", "create", "pets")
    out = cli(
        "job", "create", "pets-1",
        "--manifest", f"s3://{bucket}/in.manifest",
        "--output", f"s3://{bucket}/out",
        "--label-config", f"s3://{bucket}/labels.json",
        "--team", "pets",
    )  # fmt: skip
    assert "job pets-1 created with 3 objects" in out
    data = s3.get_object(Bucket=bucket, Key="out/pets-1/annotation-tool/data.json")
    assert json.loads(data["Body"].read()) == labels


def test_s3_errors_name_the_uri_and_exit_1(cli: Any, bucket: str) -> None:
    out = cli("manifest", "validate", f"s3://{bucket}/missing.manifest", code=1)
    assert f"cannot read s3://{bucket}/missing.manifest: no such object" in out
    out = cli("manifest", "create", "s3://no-such-bucket-anywhere/x", "-o", "s3://b0b/y", code=1)
    assert "the bucket 'no-such-bucket-anywhere' does not exist" in out


def test_access_key_create_prints_one_json_line(cli: Any) -> None:
    cli("admin", "create", "chief@example.org")
    out = cli("admin", "access-key", "create", "chief@example.org")
    assert out.count("\n") == 1
    pair = json.loads(out)
    assert set(pair) == {"AccessKeyId", "SecretAccessKey"}
    assert len(pair["AccessKeyId"]) == 20 and len(pair["SecretAccessKey"]) == 40
    dep = open_deployment(cli.settings, migrate=False)
    try:
        user, secret = accesskeys.resolve_access_key(dep, pair["AccessKeyId"])
        assert user.email == "chief@example.org" and secret == pair["SecretAccessKey"]
    finally:
        dep.db.dispose()
    cli("team", "create", "pets")
    cli("worker", "create", "w@example.org", "--team", "pets")
    out = cli("admin", "access-key", "create", "w@example.org", code=1)
    assert "w@example.org is not an admin" in out
    assert "no user" in cli("admin", "access-key", "create", "nobody@example.org", code=1)
    assert "revoked" in cli("admin", "access-key", "revoke", pair["AccessKeyId"])
    dep = open_deployment(cli.settings, migrate=False)
    try:
        with pytest.raises(TruthsetError):
            accesskeys.resolve_access_key(dep, pair["AccessKeyId"])
    finally:
        dep.db.dispose()
