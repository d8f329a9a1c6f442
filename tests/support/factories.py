"""Plain functions that set up what tests need, through the domain functions."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from truthset import jobs, workforce
from truthset.deployment import Deployment
from truthset.workforce import UserInfo

VIEWS = ["Right-CC", "Left-CC", "Right-MLO", "Left-MLO", "Not a mammography"]
PASSWORD = "correct horse battery"


def make_admin(dep: Deployment, email: str = "admin@example.org") -> UserInfo:
    user, _ = workforce.create_admin(dep, email, PASSWORD)
    return user


def make_team(dep: Deployment, name: str = "radiologists", workers: int = 3) -> list[UserInfo]:
    workforce.create_team(dep, name, "test team")
    if not workers:
        return []
    emails = [f"worker{i}@{name}.example.org" for i in range(workers)]
    return [user for user, _ in workforce.create_workers(dep, emails, name, PASSWORD)]


def write_images(folder: Path, count: int, size: tuple[int, int] = (32, 24)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"img-{index:04d}.png"
        Image.new("RGB", size, (index * 7 % 256, 80, 160)).save(path)
        paths.append(path)
    return paths


def write_manifest(path: Path, lines: list[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def make_job(
    dep: Deployment,
    name: str = "views",
    objects: int = 4,
    team: str = "radiologists",
    **overrides: object,
) -> jobs.JobInfo:
    root = dep.settings.data_dir.resolve()
    images = write_images(root / f"{name}-images", objects)
    manifest = write_manifest(
        root / f"{name}.manifest", [{"source-ref": str(p), "n": i} for i, p in enumerate(images)]
    )
    values: dict[str, object] = {
        "name": name,
        "manifest": str(manifest),
        "output": str(root / "output"),
        "task_type": "image-classification",
        "team": team,
        "labels": list(VIEWS),
        "workers_per_object": 3,
        **overrides,
    }
    return jobs.create_job(dep, jobs.JobRequest(**values))  # type: ignore[arg-type]


def answer(label: str) -> dict[str, dict[str, str]]:
    return {"crowd-image-classifier": {"label": label}}
