"""`truthset demo` sets up a DICOM mammography job next to the PNG one, from generated pixels."""

from __future__ import annotations

from pathlib import Path

from pydicom import dcmread
from sqlalchemy import func, select

from truthset import demo, demo_dicom, jobs
from truthset.db.tables import Annotation
from truthset.deployment import Deployment


def test_demo_has_a_dicom_mammography_job(dep: Deployment) -> None:
    logins = demo.setup(dep)
    assert logins.jobs == (demo.JOB, demo_dicom.JOB)
    job = jobs.describe_job(dep, demo_dicom.JOB)
    assert job.object_count == len(demo_dicom.VIEWS) * demo_dicom.PER_VIEW
    manifest = Path(dep.settings.data_dir.resolve() / "demo" / "dicom.manifest").read_text()
    refs = [line for line in manifest.splitlines() if line]
    assert all('.dcm"' in line for line in refs)
    files = sorted((dep.settings.data_dir.resolve() / "demo" / "dicom").glob("*.dcm"))
    first = dcmread(files[0])
    assert first.Modality == "MG" and (first.Columns, first.Rows) == demo_dicom.SIZE
    assert {dcmread(f).PhotometricInterpretation for f in files} == {"MONOCHROME1", "MONOCHROME2"}
    # The simulated colleagues answered every object: the demo worker's answer completes it.
    with dep.db.read() as conn:
        answers = conn.scalar(
            select(func.count()).select_from(Annotation).where(Annotation.job_id == job.id)
        )
    assert answers == 2 * job.object_count
    assert demo.setup(dep).jobs == logins.jobs  # idempotent
    assert jobs.describe_job(dep, demo_dicom.JOB).object_count == job.object_count
