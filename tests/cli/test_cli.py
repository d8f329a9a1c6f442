"""The CLI walkthrough and its errors (exit code 1, one line, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.factories import answer, write_images
from truthset import dispatch, workforce
from truthset.cli.main import app
from truthset.deployment import open_deployment
from truthset.settings import Settings


@pytest.fixture
def cli(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"TRUTHSET_FAST_PASSWORD_HASHING": "1", "TRUTHSET_SECRET_KEY": "cli-test-key"}
    base = ["--data-dir", str(tmp_path / "data"), "--database-url", database_url]

    def run(*args: str, stdin: str | None = None, code: int = 0) -> str:
        result = runner.invoke(app, [*base, *args], env=env, input=stdin)
        assert result.exit_code == code, (result.output, result.exception)
        return result.output

    run.settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="cli-test-key",
        fast_password_hashing=True,
    )  # type: ignore[attr-defined,arg-type]
    return run


def test_walkthrough(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    write_images(data / "mammo" / "batch1", 2)
    write_images(data / "mammo" / "batch2", 1)
    assert "password: " in cli("admin", "create", "chief@example.org")
    assert "created" in cli(
        "admin", "create", "second@example.org", "--password-stdin", stdin="a long password\n"
    )
    cli("team", "create", "radiologists", "--description", "Breast imaging")
    invite = cli("team", "invite", "radiologists", "new@example.org")
    assert "new@example.org" in invite and "/invite/" in invite
    created = cli("worker", "create", "a@example.org", "b@example.org", "--team", "radiologists")
    assert created.count("@example.org") == 2
    shown = cli("team", "show", "radiologists")
    assert "invited" in shown and "active" in shown
    assert "radiologists" in cli("team", "list")
    assert "3 objects" in cli(
        "manifest", "create", str(data / "mammo"), "-o", str(data / "mammo.manifest")
    )
    assert "no problems" in cli("manifest", "validate", str(data / "mammo.manifest"))
    (data / "instructions.html").write_text("<p>CC shows no muscle</p>")
    out = cli(
        "job",
        "create",
        "mammo-views",
        "--manifest",
        str(data / "mammo.manifest"),
        "--output",
        str(data / "out"),
        "--task-type",
        "image-classification",
        "--labels",
        "Right-CC,Left-CC,Right-MLO,Left-MLO,Not a mammography",
        "--team",
        "radiologists",
        "--workers-per-object",
        "2",
        "--instructions",
        str(data / "instructions.html"),
    )
    assert "3 objects" in out and "InProgress" in out
    assert "mammo-views" in cli("job", "list")
    described = cli("job", "describe", "mammo-views")
    assert "Unlabeled" in described and "3" in described

    dep = open_deployment(cli.settings, migrate=False)
    for email in ("a@example.org", "b@example.org"):
        user = workforce.get_user(dep, email)
        while (task := dispatch.next_task(dep, user, "mammo-views")) is not None:
            dispatch.submit_answer(dep, user, task.task_id, answer("Left-MLO"))
    assert "Stopped" in cli("job", "stop", "mammo-views")
    waited = cli("job", "wait", "mammo-views", "--interval", "0.01")
    assert "TotalLabeled" in waited
    report = cli("job", "quality", "mammo-views", "--csv", str(tmp_path / "quality.csv"))
    assert "a@example.org" in report and "100.0%" in report and "alpha" in report
    rows = (tmp_path / "quality.csv").read_text().splitlines()
    assert rows[0].startswith("email,worker_id,answers,agreement")
    assert [row.split(",")[0] for row in rows[1:]] == ["a@example.org", "b@example.org"]
    output = (
        (data / "out" / "mammo-views" / "manifests/output/output.manifest").read_text().splitlines()
    )
    assert [json.loads(line)["mammo-views-metadata"]["class-name"] for line in output] == [
        "Left-MLO"
    ] * 3
    cli("worker", "disable", "a@example.org")
    assert "disabled" in cli("team", "show", "radiologists")
    assert "active" in cli("worker", "enable", "a@example.org")
    dep.db.dispose()


def test_errors_are_one_line_with_exit_code_1(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    cli("team", "create", "t")
    out = cli("team", "create", "T", code=1)
    assert out.strip() == "error: a work team named 'T' already exists"
    assert "no work team" in cli("team", "invite", "nobody", "x@example.org", code=1)
    (data / "bad.manifest").write_text('{"source-ref": "/etc/passwd"}\nnope\n')
    out = cli("manifest", "validate", str(data / "bad.manifest"), code=1)
    assert "line 1:" in out and "line 2:" in out
    out = cli(
        "job",
        "create",
        "j",
        "--manifest",
        str(data / "bad.manifest"),
        "--output",
        str(data / "o"),
        "--labels",
        "a,b",
        "--team",
        "t",
        code=1,
    )
    assert out.startswith("error:") and "Traceback" not in out
    assert "job name" in cli(
        "job",
        "create",
        "bad_name",
        "--manifest",
        str(data / "bad.manifest"),
        "--output",
        str(data / "o"),
        "--labels",
        "a,b",
        "--team",
        "t",
        code=1,
    )
    (data / "empty.manifest").write_text("")
    assert "empty" in cli("manifest", "validate", str(data / "empty.manifest"), code=1)
    assert "no labeling job" in cli("job", "describe", "nope", code=1)
    assert "no labeling job" in cli("job", "quality", "nope", code=1)
    assert "at least 2 labels" in cli(
        "job",
        "create",
        "j",
        "--manifest",
        str(data / "empty.manifest"),
        "--output",
        str(data / "o"),
        "--labels",
        "a",
        "--team",
        "t",
        code=1,
    )


def test_job_options_from_flags(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    write_images(data / "imgs", 2)
    cli("team", "create", "t")
    cli("manifest", "create", str(data / "imgs"), "-o", str(data / "m.manifest"))
    base = [
        "--manifest",
        str(data / "m.manifest"),
        "--output",
        str(data / "o"),
        "--labels",
        "a,b",
        "--team",
        "t",
    ]
    cli(
        "job",
        "create",
        "auto",
        *base,
        "--auto-label",
        "--auto-label-target",
        "0.97",
        "--gold-ratio",
        "0.2",
    )
    dep = open_deployment(cli.settings, migrate=False)
    try:
        from truthset import jobs

        assert jobs.describe_job(dep, "auto").options == {
            "auto_label": {"target_accuracy": 0.97},
            "gold_ratio": 0.2,
        }
    finally:
        dep.db.dispose()
    assert "needs automated labeling" in cli(
        "job", "create", "warm", *base, "--initial-model-job", "auto", code=1
    )
    assert "target accuracy" in cli(
        "job", "create", "bad", *base, "--auto-label", "--auto-label-target", "1.2", code=1
    )
