"""Job creation: every bad input refused with a clear message, and nothing created."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.factories import VIEWS, make_job, make_team, write_images, write_manifest
from truthset import jobs
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound


def request(dep: Deployment, manifest: Path, **overrides: object) -> jobs.JobRequest:
    values: dict[str, object] = {
        "name": "views",
        "manifest": str(manifest),
        "output": str(dep.settings.data_dir.resolve() / "out"),
        "task_type": "image-classification",
        "team": "radiologists",
        "labels": list(VIEWS),
    }
    values.update(overrides)
    return jobs.JobRequest(**values)  # type: ignore[arg-type]


@pytest.fixture
def manifest(dep: Deployment) -> Path:
    make_team(dep, workers=0)
    root = dep.settings.data_dir.resolve()
    images = write_images(root / "imgs", 2)
    return write_manifest(root / "good.manifest", [{"source-ref": str(p)} for p in images])


def test_bad_manifest_lines_are_all_reported_and_nothing_is_created(
    dep: Deployment, manifest: Path
) -> None:
    root = dep.settings.data_dir.resolve()
    bad = root / "bad.manifest"
    bad.write_text(
        '{"source-ref": "' + str(root / "imgs/img-0000.png") + '"}\n'
        "not json\n"
        '{"other": 1}\n'
        '{"source-ref": "/etc/passwd"}\n'
        '["a list"]\n'
        '{"source-ref": "' + "x" * 100_001 + '"}\n'
    )
    with pytest.raises(Invalid) as raised:
        jobs.create_job(dep, request(dep, bad))
    problems = raised.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 5", "line 6"]
    assert "outside the allowed data roots" in problems[2]
    assert jobs.list_jobs(dep) == []


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"name": "-bad"}, Invalid, "job name"),
        ({"name": "a" * 64}, Invalid, "job name"),
        ({"labels": ["only-one"]}, Invalid, "at least 2 labels"),
        ({"labels": ["a", "a"]}, Invalid, "appears twice"),
        ({"labels": None}, Invalid, "give the labels"),
        ({"team": "nobody"}, Invalid, "no work team"),
        ({"task_type": "video"}, Invalid, "unknown task type"),
        ({"workers_per_object": 10}, Invalid, "workers per object"),
        ({"task_time_limit": 10}, Invalid, "task time limit"),
        ({"label_attribute_name": "x-metadata"}, Invalid, "-metadata"),
        ({"label_attribute_name": "x-ref"}, Invalid, "must not end in '-ref'"),
        ({"label_attribute_name": "source-ref"}, Invalid, "reserved"),
        ({"output": "/etc/truthset"}, Invalid, "outside the allowed data roots"),
    ],
)
def test_invalid_requests(
    dep: Deployment, manifest: Path, overrides: dict, error: type, message: str
) -> None:  # type: ignore[type-arg]
    with pytest.raises(error, match=message):
        jobs.create_job(dep, request(dep, manifest, **overrides))
    assert jobs.list_jobs(dep) == []


def test_empty_manifest_and_duplicate_name(dep: Deployment, manifest: Path) -> None:
    empty = dep.settings.data_dir.resolve() / "empty.manifest"
    empty.write_text("")
    with pytest.raises(Invalid, match="empty"):
        jobs.create_job(dep, request(dep, empty))
    jobs.create_job(dep, request(dep, manifest))
    with pytest.raises(Conflict, match="already exists"):
        jobs.create_job(dep, request(dep, manifest, name="VIEWS"))


def test_label_config_file(dep: Deployment, manifest: Path) -> None:
    config = dep.settings.data_dir.resolve() / "labels.json"
    config.write_text(
        '{"document-version": "2018-11-28", "labels": [{"label": "cat"}, {"label": "dog"}]}'
    )
    job = jobs.create_job(dep, request(dep, manifest, labels=None, label_config=str(config)))
    assert job.labels == ["cat", "dog"] and job.status == "InProgress" and job.object_count == 2
    config.write_text('{"labels": [{"name": "cat"}]}')
    with pytest.raises(Invalid, match=r"labels\[0\]"):
        jobs.create_job(
            dep, request(dep, manifest, name="other", labels=None, label_config=str(config))
        )


def test_stop_twice_and_unknown(dep: Deployment) -> None:
    make_team(dep, workers=0)
    make_job(dep, objects=1)
    jobs.stop_job(dep, "views")
    with pytest.raises(Conflict):
        jobs.stop_job(dep, "views")
    with pytest.raises(NotFound):
        jobs.stop_job(dep, "nope")
