"""DICOM renditions made before the lease: the first display then reads the cache.

Profiled for a 4,000 x 5,000 16-bit mammogram (benchmarks/dicom.py): decoding the file and
writing its display copy is most of a cold first display (0.2-0.35 s CPU, 0.6-2 s wall on a
loaded machine), and it used to start at the lease, racing the portal's task frame. The
background runner now prepares the next objects a job will hand out (its open objects, then
the first queued ones, in the lease's order) a few at a time, so that the lease finds their
renditions cached; the lease still starts a preparation of its own for an object the runner
has not reached (prepare_leased).

Preparations run one at a time in a thread of their own (decoding takes most of a core), and
each object is asked for once while it is pending.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import select

from truthset.db.tables import DataObject
from truthset.deployment import Deployment
from truthset.dicom import OTHER_SUFFIXES, is_dicom
from truthset.dicom.renditions import DicomRenditions
from truthset.errors import TruthsetError

# Objects prepared ahead per job: those about to be leased. More would fill the cache (a
# mammogram's renditions are ~45 MB) with objects nobody sees soon.
AHEAD = 4
INTERVAL = 1.0  # seconds between a job's looks for objects to prepare
_RENDITIONS: dict[Path, DicomRenditions] = {}
_PREPARER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dicom-prepare")
_PENDING: set[str] = set()
_PENDING_LOCK = threading.Lock()
_LOG = logging.getLogger(__name__)


def renditions(dep: Deployment) -> DicomRenditions:
    root = dep.settings.data_dir.resolve() / "dicom-cache"
    found = _RENDITIONS.get(root)
    if found is None:
        found = _RENDITIONS[root] = DicomRenditions(
            root, dep.settings.dicom_cache_bytes, dep.settings.dicom_max_pixels
        )
    return found


def prepare(dep: Deployment, uri: str) -> Future[None] | None:
    """Starts making the object's first renditions (info and display copy of frame 0) in the
    preparing thread, unless they are cached or already on the way; None then."""
    if uri.lower().endswith(OTHER_SUFFIXES) or renditions(dep).ready(uri):
        return None
    with _PENDING_LOCK:
        if uri in _PENDING:
            return None
        _PENDING.add(uri)

    def run() -> None:
        try:
            if is_dicom(dep.storage, uri):  # a name without .dcm: its head tells
                renditions(dep).info(uri, lambda: dep.storage.read_bytes(uri))
        except TruthsetError as error:  # the worker's own request reports it
            _LOG.info("DICOM object %s not prepared: %s", uri, error.message)
        except Exception:  # a thread of its own: nothing else would see the error
            _LOG.exception("DICOM object %s not prepared", uri)
        finally:
            with _PENDING_LOCK:
                _PENDING.discard(uri)

    return _PREPARER.submit(run)


def _media_uri(line: str) -> str | None:
    try:
        uri = json.loads(line).get("source-ref")
    except (ValueError, AttributeError):
        return None
    return uri if isinstance(uri, str) else None


def next_objects(dep: Deployment, job_id: int, limit: int = AHEAD) -> list[str]:
    """The media URIs of the objects the job hands out next: open ones, then queued ones, each
    in the lease's order (priority, object id)."""
    uris: list[str] = []
    with dep.db.read() as conn:
        for state in ("open", "queued"):
            lines = conn.scalars(
                select(DataObject.line)
                .where(DataObject.job_id == job_id, DataObject.state == state)
                .order_by(DataObject.priority, DataObject.object_id)
                .limit(limit - len(uris))
            ).all()
            uris.extend(uri for line in lines if (uri := _media_uri(line)) is not None)
            if len(uris) >= limit:
                break
    return uris


def step(dep: Deployment, job: Any) -> list[Future[None]]:
    """Background: prepares the job's next DICOM objects (at most every INTERVAL seconds)."""
    if not dep.throttle.due(("dicom-ahead", job.id), dep.clock.now(), INTERVAL):
        return []
    started = (prepare(dep, uri) for uri in next_objects(dep, job.id))
    return [future for future in started if future is not None]


def prepare_leased(dep: Deployment, line: str) -> None:
    """Starts preparing a just-leased task's object, if the runner has not already."""
    uri = _media_uri(line)
    if uri is not None:
        prepare(dep, uri)
