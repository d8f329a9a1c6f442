"""The CLI with DICOM: manifest create finds .dcm files; job create --show-dicom-tags."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import cli  # noqa: F401  (the fixture)
from truthset import jobs
from truthset.deployment import open_deployment
from truthset.dicom.synthetic import write_mammogram


def test_manifest_create_and_shown_tags(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    data = tmp_path / "data"
    for i in range(2):
        write_mammogram(data / "mammo" / f"{i}.DCM", 64, 80, seed=i)
    cli("team", "create", "t")
    assert "2" in cli("manifest", "create", str(data / "mammo"), "-o", str(data / "m.manifest"))
    lines = [json.loads(line) for line in (data / "m.manifest").read_text().splitlines()]
    assert lines == [{"source-ref": str((data / "mammo" / f"{i}.DCM").resolve())} for i in range(2)]
    base = ["--manifest", str(data / "m.manifest"), "--output", str(data / "o"), "--team", "t"]
    cli("job", "create", "views", *base, "--labels", "CC,MLO", "--show-dicom-tags", "ViewPosition")
    assert "not a DICOM keyword" in cli(
        "job", "create", "bad", *base, "--labels", "CC,MLO", "--show-dicom-tags", "Nope", code=1
    )
    dep = open_deployment(cli.settings, migrate=False)
    try:
        assert jobs.describe_job(dep, "views").options == {"show_dicom_tags": ["ViewPosition"]}
    finally:
        dep.db.dispose()


def test_manifest_create_and_validate_find_dicom_without_a_suffix(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    data = tmp_path / "data"
    write_mammogram(data / "scans" / "IM0001", 64, 80, seed=1)
    (data / "scans" / "NOTES").write_text("n" * 300)
    assert "1 objects" in cli(
        "manifest", "create", str(data / "scans"), "-o", str(data / "m.manifest")
    )
    lines = [json.loads(line) for line in (data / "m.manifest").read_text().splitlines()]
    assert lines == [{"source-ref": str((data / "scans" / "IM0001").resolve())}]
    assert "1 objects (1 DICOM), no problems" in cli(
        "manifest", "validate", str(data / "m.manifest")
    )
