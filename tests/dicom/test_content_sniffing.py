"""DICOM told by content: a file is DICOM when bytes 128..131 are `DICM` (the Part 10 preamble),
whatever its name; manifest create lists it, the worker gets its renditions."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pydicom import dcmread
from pydicom.data import get_testdata_file

from tests.dicom.test_media import bearer
from tests.support.factories import VIEWS, make_admin, make_team
from truthset import jobs, manifests
from truthset.deployment import Deployment
from truthset.dicom import HEAD_BYTES, has_dicom_preamble, is_dicom
from truthset.storage.local import LocalStorage

# pydicom's own example files, renamed as scanners and PACS exports name them.
EXAMPLES = {"IM0001": "CT_small.dcm", "1.2.840.113619.2.55.3": "MR_small.dcm"}


def example_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, example in EXAMPLES.items():
        source = get_testdata_file(example)
        assert source is not None
        shutil.copy(source, folder / name)
    (folder / "README").write_text("x" * 200)  # no suffix, not DICOM
    (folder / "short").write_bytes(b"DICM")  # too short for a preamble
    (folder / "fake.png").write_bytes(b"\0" * 128 + b"DICM")  # the name says PNG: not read
    Image.new("L", (4, 4)).save(folder / "plain.png")
    return folder


def test_local_files_are_told_by_their_preamble(tmp_path: Path) -> None:
    folder = example_folder(tmp_path / "scans")
    storage = LocalStorage([tmp_path])
    found = {p.name: is_dicom(storage, str(p)) for p in folder.iterdir()}
    assert found == {
        "IM0001": True,
        "1.2.840.113619.2.55.3": True,
        "README": False,
        "short": False,
        "fake.png": False,
        "plain.png": False,
    }
    assert is_dicom(storage, str(tmp_path / "missing")) is False
    assert storage.read_head(str(folder / "IM0001"), HEAD_BYTES)[128:] == b"DICM"
    assert storage.read_head(str(folder / "short"), HEAD_BYTES) == b"DICM"


def test_manifest_create_and_the_worker_s_renditions(client: TestClient, dep: Deployment) -> None:
    (member,) = make_team(dep, workers=1)
    root = dep.settings.data_dir.resolve()
    folder = example_folder(root / "scans")
    manifest = str(root / "in.manifest")
    assert manifests.create_manifest(dep.storage, str(folder), manifest) == 4
    listed = Path(manifest).read_text()
    assert "IM0001" in listed and "1.2.840.113619.2.55.3" in listed and "README" not in listed
    checked = manifests.validate(dep.storage, manifest, media=True)
    assert (checked.objects, checked.dicom) == (4, 2)
    request = jobs.JobRequest(
        name="views",
        manifest=manifest,
        output=str(root / "output"),
        task_type="image-classification",
        team="radiologists",
        labels=list(VIEWS),
        workers_per_object=1,
    )
    jobs.create_job(dep, request)
    headers = bearer(dep, member.id)
    shown: dict[str, tuple[int, int]] = {}
    next_task = "/api/v1/worker/jobs/views/next-task"
    while (got := client.post(next_task, headers=headers)).status_code == 200:
        task = got.json()
        url = task["input"]["taskObject"]
        plain = client.get(url)
        assert plain.status_code == 200, plain.text
        if url.endswith("?dicom=1"):  # the renditions, never the file
            assert plain.content.startswith(b"\x89PNG")
            shown[str(task["task_id"])] = Image.open(io.BytesIO(plain.content)).size
        else:
            assert plain.content in (
                (folder / "plain.png").read_bytes(),
                (folder / "fake.png").read_bytes(),
            )
        answer = {"answer": {"crowd-image-classifier": {"label": VIEWS[0]}}}
        answered = f"/api/v1/worker/tasks/{task['task_id']}/answer"
        assert client.post(answered, json=answer, headers=headers).status_code == 204
    sizes = sorted(shown.values())
    expected = sorted(
        (int(d.Columns), int(d.Rows)) for d in (dcmread(folder / n) for n in EXAMPLES)
    )
    assert sizes == expected
    # The results explorer's media for an admin: a DICOM object's frame 0 as PNG, never the
    # file itself (the .png objects are served as they are).
    admin = bearer(dep, make_admin(dep).id)
    scans = [client.get(f"/console/jobs/views/objects/{o}/media", headers=admin) for o in range(4)]
    assert [r.status_code for r in scans] == [200] * 4
    dicom = [r.content for r in scans if r.content not in (b"\0" * 128 + b"DICM",)]
    sizes = sorted(Image.open(io.BytesIO(c)).size for c in dicom if c.startswith(b"\x89PNG"))
    assert sorted(set(sizes) - {(4, 4)}) == sorted(set(expected)) and len(dicom) == 3


@given(st.binary(max_size=300))
def test_random_heads_never_raise_and_need_dicm_at_128(head: bytes) -> None:
    assert has_dicom_preamble(head) == (len(head) >= 132 and head[128:132] == b"DICM")


@given(st.binary(min_size=132, max_size=300), st.integers(min_value=0, max_value=296))
def test_dicm_counts_only_at_offset_128(head: bytes, offset: int) -> None:
    placed = head[:offset] + b"DICM" + head[offset + 4 :]
    assert has_dicom_preamble(placed) == (placed[128:132] == b"DICM")
    if offset == 128:
        assert has_dicom_preamble(placed)
