"""The DICOM job of `truthset demo`: mammograms as DICOM files, made from generated pixels by
pydicom (truthset.dicom.synthetic; nothing is downloaded). Skipped when the `dicom` extra is
not installed."""

from __future__ import annotations

import random
from pathlib import Path

from truthset import jobs, manifests
from truthset.deployment import Deployment
from truthset.errors import NotFound

JOB = "mammography-views-dicom"
VIEWS = ["Right-CC", "Left-CC", "Right-MLO", "Left-MLO"]
PER_VIEW = 3
SIZE = (1500, 2000)  # the display copy is the full image; zoom shows its pixels


def dicom_available() -> bool:
    try:
        import pydicom  # noqa: F401
    except ImportError:
        return False
    return True


def write_files(folder: Path, seed: int = 5) -> list[tuple[Path, str]]:
    """Writes the demo mammograms once; returns (path, true view) pairs. Some are MONOCHROME1,
    as some modalities store them, to show the viewer inverting them."""
    from truthset.dicom.synthetic import write_mammogram

    rng = random.Random(seed)
    written = []
    for index in range(PER_VIEW * len(VIEWS)):
        view = VIEWS[index % len(VIEWS)]
        path = folder / f"mammo-{index:03d}.dcm"
        if not path.exists():
            side, projection = ("R" if view.startswith("Right") else "L"), view.split("-")[1]
            write_mammogram(
                path,
                *SIZE,
                seed=rng.randrange(1 << 20),
                view=projection,
                side=side,
                monochrome1=index % 4 == 3,
                patient=f"Demo^Patient{index:03d}",
                patient_id=f"DEMO-{index:04d}",
            )
        written.append((path, view))
    return written


def setup_job(dep: Deployment, team: str) -> dict[int, str] | None:
    """Creates the job once; returns the true view per object id when it was just created."""
    if not dicom_available():
        return None
    try:
        jobs.describe_job(dep, JOB)
        return None
    except NotFound:
        pass
    folder = dep.settings.data_dir.resolve() / "demo"
    files = write_files(folder / "dicom")
    manifest = str(folder / "dicom.manifest")
    manifests.create_manifest(dep.storage, str(folder / "dicom"), manifest)
    request = jobs.JobRequest(
        name=JOB,
        manifest=manifest,
        output=str(folder / "dicom-output"),
        task_type="image-classification",
        team=team,
        labels=VIEWS,
        workers_per_object=3,
        title="Which mammography view is this? (DICOM)",
        description="Pick the view. Right-drag or Ctrl+arrows to change the window, V for the "
        "file's presets, I to invert, wheel to zoom, R to reset.",
        instructions="<p>These are DICOM files. <b>MLO</b> views show the pectoral muscle as a "
        "bright wedge at the chest wall; <b>CC</b> views do not. The chest wall is on the "
        "left of a right breast's image.</p><p>No patient tag is shown.</p>",
    )
    jobs.create_job(dep, request)
    return {i: view for i, (_path, view) in enumerate(files)}
