"""Image exports read back by their reference readers: pycocotools for COCO, the `datasets`
package for Hugging Face folders, the XML and text layouts for VOC and YOLO, with the exact
shapes of jobs whose answers the tests chose."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pytest
from pycocotools.coco import COCO

from tests.exports.jobs import (
    HEIGHT,
    LABELS,
    WIDTH,
    boxes,
    labeled_job,
    mask_answer,
    output_lines,
    shapes,
)
from tests.support.factories import make_team
from truthset.deployment import Deployment
from truthset.errors import Invalid
from truthset.exports import export_job

# pycocotools' compiled decoder predates NumPy 2's copy keyword and warns on every mask it decodes.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

BOXES = {
    0: [("car", 4, 5, 20, 10), ("pedestrian", 30, 8, 6, 30)],
    1: [("pedestrian", 0, 0, 64, 48)],
}


def box_job(dep: Deployment) -> Any:
    workers = make_team(dep, workers=2)
    return labeled_job(dep, workers, "street", "bounding-box", lambda w, o: boxes(*BOXES[o]))


def test_boxes_as_coco_yolo_voc_and_hf(dep: Deployment, tmp_path: Path) -> None:
    job = box_job(dep)
    assert output_lines(job)[0]["street-metadata"]["objects"] == [{"confidence": 1.0}] * 2

    result = export_job(dep, "street", "coco", tmp_path / "coco")
    assert result.objects == 2
    coco = COCO(str(tmp_path / "coco" / "annotations.json"))
    assert {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())} == {
        1: "car",
        2: "pedestrian",
    }
    for object_id, expected in BOXES.items():
        (image,) = coco.loadImgs([object_id])
        assert (image["width"], image["height"], image["answers"]) == (WIDTH, HEIGHT, 2)
        assert image["file_name"].endswith(f"img-{object_id:04d}.png")
        found = coco.loadAnns(coco.getAnnIds(imgIds=[object_id]))
        assert [(coco.cats[a["category_id"]]["name"], *a["bbox"]) for a in found] == expected
        assert [a["confidence"] for a in found] == [1.0] * len(expected)

    export_job(dep, "street", "yolo", tmp_path / "yolo")
    label = (tmp_path / "yolo" / "labels" / "0.txt").read_text().splitlines()
    assert label == [
        f"0 {14 / 64:.6f} {10 / 48:.6f} {20 / 64:.6f} {10 / 48:.6f}",
        f"1 {33 / 64:.6f} {23 / 48:.6f} {6 / 64:.6f} {30 / 48:.6f}",
    ]
    data = (tmp_path / "yolo" / "data.yaml").read_text()
    assert 'nc: 2\nnames:\n  0: "car"\n  1: "pedestrian"\n' in data
    index = (tmp_path / "yolo" / "images.tsv").read_text().splitlines()
    assert index[0] == "object_id\tsource-ref" and index[2].startswith("1\t/")

    export_job(dep, "street", "voc", tmp_path / "voc")
    root = ET.parse(tmp_path / "voc" / "Annotations" / "0.xml").getroot()
    assert root.findtext("filename") == "img-0000.png"
    assert root.findtext("size/width") == "64" and root.findtext("answers") == "2"
    found = [
        (
            o.findtext("name"),
            *(int(o.findtext(f"bndbox/{k}") or 0) for k in ("xmin", "ymin", "xmax", "ymax")),
        )
        for o in root.iter("object")
    ]
    assert found == [("car", 5, 6, 24, 15), ("pedestrian", 31, 9, 36, 38)]
    assert [o.findtext("confidence") for o in root.iter("object")] == ["1.0", "1.0"]

    export_job(dep, "street", "hf", tmp_path / "hf")
    table = datasets.load_from_disk(str(tmp_path / "hf"))
    assert len(table) == 2
    categories = table.features["objects"]["category"].feature
    first = table[0]
    assert [categories.int2str(c) for c in first["objects"]["category"]] == ["car", "pedestrian"]
    assert first["objects"]["bbox"] == [[4, 5, 20, 10], [30, 8, 6, 30]]
    assert first["objects"]["confidence"] == [1.0, 1.0]
    assert (first["width"], first["height"], first["answers"]) == (64, 48, 2)


def test_a_format_that_does_not_fit_the_task_type_is_refused(
    dep: Deployment, tmp_path: Path
) -> None:
    box_job(dep)
    with pytest.raises(Invalid) as error:
        export_job(dep, "street", "conll", tmp_path / "x")
    assert error.value.message == (
        "the conll format does not apply to bounding-box jobs; use coco, yolo, voc, hf"
    )
    with pytest.raises(Invalid, match="unknown export format 'xml'"):
        export_job(dep, "street", "xml", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_min_confidence_leaves_out_unsure_objects(dep: Deployment, tmp_path: Path) -> None:
    workers = make_team(dep, workers=2)

    def answer(worker: int, object_id: int) -> Any:
        # Object 1: the workers disagree on the label, so its box is unsure.
        label = "pedestrian" if object_id == 1 and worker == 1 else "car"
        return boxes((label, 4, 5, 20, 10))

    labeled_job(dep, workers, "street", "bounding-box", answer)
    export_job(dep, "street", "coco", tmp_path / "all")
    export_job(dep, "street", "coco", tmp_path / "sure", min_confidence=0.9)
    assert len(COCO(str(tmp_path / "all" / "annotations.json")).imgs) == 2
    assert list(COCO(str(tmp_path / "sure" / "annotations.json")).imgs) == [0]
    with pytest.raises(Invalid, match="from 0 to 1"):
        export_job(dep, "street", "coco", tmp_path / "bad", min_confidence=2)


def test_polygons_as_coco_and_yolo(dep: Deployment, tmp_path: Path) -> None:
    workers = make_team(dep, workers=2)
    triangle = [(10, 10), (40, 10), (10, 30)]

    def answer(worker: int, object_id: int) -> Any:
        return shapes(
            "polygons", [{"label": "car", "vertices": [{"x": x, "y": y} for x, y in triangle]}]
        )

    labeled_job(dep, workers, "shapes", "polygon", answer)
    export_job(dep, "shapes", "coco", tmp_path / "coco")
    coco = COCO(str(tmp_path / "coco" / "annotations.json"))
    (annotation,) = coco.loadAnns(coco.getAnnIds(imgIds=[0]))
    assert annotation["segmentation"] == [[10, 10, 40, 10, 10, 30]]
    assert annotation["bbox"] == [10, 10, 30, 20] and annotation["area"] == 300
    mask = coco.annToMask(annotation)
    assert mask.shape == (HEIGHT, WIDTH) and mask[12, 12] == 1 and mask[28, 38] == 0

    export_job(dep, "shapes", "yolo", tmp_path / "yolo")
    line = (tmp_path / "yolo" / "labels" / "1.txt").read_text()
    coords = " ".join(f"{x / 64:.6f} {y / 48:.6f}" for x, y in triangle)
    assert line == f"0 {coords}\n"


def test_masks_as_coco_rle(dep: Deployment, tmp_path: Path) -> None:
    workers = make_team(dep, workers=2)
    truth = np.zeros((HEIGHT, WIDTH), np.uint8)
    truth[10:20, 5:30] = 2  # pedestrian
    truth[30:40, 40:60] = 1  # car
    labeled_job(dep, workers, "city", "semantic-segmentation", lambda w, o: mask_answer(truth))
    export_job(dep, "city", "coco", tmp_path / "coco")
    coco = COCO(str(tmp_path / "coco" / "annotations.json"))
    found = coco.loadAnns(coco.getAnnIds(imgIds=[0]))
    by_label = {coco.cats[a["category_id"]]["name"]: a for a in found}
    assert sorted(by_label) == LABELS
    for k, label in enumerate(LABELS):
        assert (coco.annToMask(by_label[label]) == (truth == k + 1)).all()
        assert by_label[label]["confidence"] == 1.0
    assert by_label["pedestrian"]["bbox"] == [5, 10, 25, 10]
    assert by_label["pedestrian"]["area"] == 250


def test_keypoints_as_coco(dep: Deployment, tmp_path: Path) -> None:
    workers = make_team(dep, workers=2)
    points = [{"label": "car", "x": 12, "y": 7}, {"label": "pedestrian", "x": 50, "y": 40}]
    labeled_job(dep, workers, "marks", "keypoint", lambda w, o: shapes("keypoints", points))
    export_job(dep, "marks", "coco", tmp_path / "coco")
    coco = COCO(str(tmp_path / "coco" / "annotations.json"))
    assert coco.loadCats([1])[0]["keypoints"] == ["car"]
    found = coco.loadAnns(coco.getAnnIds(imgIds=[1]))
    assert [(a["category_id"], a["keypoints"], a["num_keypoints"]) for a in found] == [
        (1, [12, 7, 2], 1),
        (2, [50, 40, 2], 1),
    ]
    text = json.loads((tmp_path / "coco" / "annotations.json").read_text())
    assert len(text["images"]) == 2 and len(text["annotations"]) == 4
