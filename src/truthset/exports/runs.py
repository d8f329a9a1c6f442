"""Exports made in the background for the REST API and the console: started (checked at once,
a row with status Running), run (export_job into a scratch folder, zipped into the job's
output folder `exports/<id>-<format>.zip`), then downloaded. The row is in the database so any
server process can report and serve it."""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Select, insert, select, update

from truthset.db.tables import Export, Job
from truthset.deployment import Deployment
from truthset.errors import Invalid, NotFound, TruthsetError
from truthset.exports import check_format, export_job
from truthset.jobs import describe_job
from truthset.storage.base import join

MAX_ERROR = 1024
# A Running export that made no progress for this long was left by a server that stopped (it
# runs in that server's process): it is reported Failed, and may be started again.
STALE = timedelta(minutes=15)
ABANDONED = "the server making this export stopped before it was done; start it again"


@dataclass(frozen=True)
class ExportRun:
    id: int
    job: str
    format: str
    min_confidence: float | None
    status: str
    objects: int
    error: str | None
    created_at: datetime
    ended_at: datetime | None
    uri: str | None

    @property
    def filename(self) -> str:
        return f"{self.job}-{self.format}-{self.id}.zip"


def start_export(
    dep: Deployment, name: str, format_name: str, min_confidence: float | None, user_id: int
) -> ExportRun:
    """Checks the request (Invalid for a format that does not fit the task type) and records
    the export as Running; `run_export` then makes it."""
    job = describe_job(dep, name)
    check_format(job.task_type, format_name)
    if min_confidence is not None and not 0 <= min_confidence <= 1:
        raise Invalid(f"min_confidence must be from 0 to 1, got {min_confidence}")
    with dep.db.write() as conn:
        export_id = conn.execute(
            insert(Export)
            .values(
                job_id=job.id,
                format=format_name,
                min_confidence=min_confidence,
                status="Running",
                objects=0,
                created_by=user_id,
                created_at=dep.clock.now(),
                updated_at=dep.clock.now(),
            )
            .returning(Export.id)
        ).scalar_one()
    return get_export(dep, export_id)


def run_export(dep: Deployment, export_id: int) -> ExportRun:
    """Makes the export and records Completed (with the zip's URI) or Failed (with why)."""
    run = get_export(dep, export_id)
    uri = join(describe_job(dep, run.job).output_folder, "exports", f"{run.id}-{run.format}.zip")
    try:
        with tempfile.TemporaryDirectory(prefix="truthset-export-") as scratch:
            folder = Path(scratch) / "export"
            result = export_job(
                dep,
                run.job,
                run.format,
                folder,
                run.min_confidence,
                progress=lambda count: _record_progress(dep, export_id, count),
            )
            archive = Path(scratch) / "export.zip"
            _record_progress(dep, export_id, result.objects)
            _zip(folder, archive)
            _record_progress(dep, export_id, result.objects)
            with archive.open("rb") as source, dep.storage.open_write(uri) as target:
                while chunk := source.read(1 << 20):
                    target.write(chunk)
    except TruthsetError as error:
        _finish(dep, export_id, "Failed", error=error.message[:MAX_ERROR])
    except Exception as error:  # any failure: the admin must see that it failed, and why
        _finish(dep, export_id, "Failed", error=f"{type(error).__name__}: {error}"[:MAX_ERROR])
    else:
        _finish(dep, export_id, "Completed", objects=result.objects, uri=uri)
    return get_export(dep, export_id)


def _record_progress(dep: Deployment, export_id: int, count: int) -> None:
    """While Running, `objects` counts the objects written so far (what a status poll shows)."""
    with dep.db.write() as conn:
        conn.execute(
            update(Export)
            .where(Export.id == export_id)
            .values(objects=count, updated_at=dep.clock.now())
        )


def _zip(folder: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, path.relative_to(folder).as_posix())


def _finish(dep: Deployment, export_id: int, status: str, **values: object) -> None:
    with dep.db.write() as conn:
        conn.execute(
            update(Export)
            .where(Export.id == export_id)
            .values(status=status, ended_at=dep.clock.now(), updated_at=dep.clock.now(), **values)
        )


def _query() -> Select[Any]:
    return select(*Export.__table__.columns, Job.name.label("job_name")).join(
        Job, Job.id == Export.job_id
    )


def _run(row: Any) -> ExportRun:
    return ExportRun(
        row.id,
        row.job_name,
        row.format,
        row.min_confidence,
        row.status,
        row.objects,
        row.error,
        row.created_at,
        row.ended_at,
        row.uri,
    )


def get_export(dep: Deployment, export_id: int) -> ExportRun:
    with dep.db.read() as conn:
        row = conn.execute(_query().where(Export.id == export_id)).first()
    if row is None:
        raise NotFound(f"no export {export_id}")
    if _abandoned(dep, row):
        return get_export(dep, export_id)
    return _run(row)


def _abandoned(dep: Deployment, row: Any) -> bool:
    """Marks a stale Running export Failed (once: the update names the state it saw)."""
    if row.status != "Running" or dep.clock.now() - row.updated_at < STALE:
        return False
    with dep.db.write() as conn:
        conn.execute(
            update(Export)
            .where(
                Export.id == row.id, Export.status == "Running", Export.updated_at == row.updated_at
            )
            .values(status="Failed", error=ABANDONED, ended_at=dep.clock.now())
        )
    return True


def list_exports(dep: Deployment, name: str) -> list[ExportRun]:
    job = describe_job(dep, name)
    with dep.db.read() as conn:
        rows = conn.execute(
            _query().where(Export.job_id == job.id).order_by(Export.id.desc()).limit(50)
        ).all()
    return [get_export(dep, row.id) if _abandoned(dep, row) else _run(row) for row in rows]


def open_download(
    dep: Deployment, export_id: int
) -> tuple[ExportRun, AbstractContextManager[BinaryIO]]:
    """The export and its zip opened for reading; NotFound until it is Completed."""
    run = get_export(dep, export_id)
    if run.status != "Completed" or run.uri is None:
        raise NotFound(f"export {export_id} is {run.status.lower()}, not ready to download")
    return run, dep.storage.open_read(run.uri)


def chunks(handle: BinaryIO) -> Iterator[bytes]:
    while chunk := handle.read(1 << 20):
        yield chunk
