"""COCO (https://cocodataset.org/#format-data): one annotations.json for boxes, polygons,
semantic-segmentation masks and keypoints.

Category ids are the label's index in the job's labels plus 1 (0 is background to most
trainers); image ids are object ids; `file_name` is the object's `source-ref`. Each annotation
carries its `confidence` and each image its `answers` (extra keys COCO readers ignore). A mask
becomes one annotation per class present, as uncompressed RLE (column-major run lengths, the
`{"size", "counts": [...]}` form pycocotools reads). A keypoint is one annotation of its label's
category, whose `keypoints` list names that label alone.

The file is streamed: images are written as objects are read, annotations go to a spool file
beside it and are appended at the end, so memory does not grow with the job.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image

from truthset.deployment import Deployment
from truthset.exports.records import ExportJob, LabeledObject

FILE = "annotations.json"


def write(dep: Deployment, job: ExportJob, objects: Iterator[LabeledObject], folder: Path) -> int:
    spool_path = folder / ".annotations.spool"
    count = 0
    next_id = 1
    with (folder / FILE).open("w", encoding="utf-8") as out, spool_path.open("w+") as spool:
        out.write('{"info": ' + json.dumps(_info(job)) + ', "licenses": [], ')
        out.write('"categories": ' + json.dumps(_categories(job)) + ', "images": [')
        for record in objects:
            image, annotations = _image(dep, job, record)
            out.write((",\n" if count else "\n") + json.dumps(image, ensure_ascii=False))
            for annotation in annotations:
                annotation["id"] = next_id
                spool.write(("," if next_id > 1 else "") + "\n" + json.dumps(annotation))
                next_id += 1
            count += 1
        out.write('\n], "annotations": [')
        _copy(spool, out)
        out.write("\n]}\n")
    spool_path.unlink()
    return count


def _copy(spool: IO[str], out: IO[str]) -> None:
    spool.seek(0)
    while chunk := spool.read(1 << 20):
        out.write(chunk)


def _info(job: ExportJob) -> dict[str, Any]:
    return {"description": f"truthset labeling job {job.name} ({job.task_type})", "version": "1.0"}


def _categories(job: ExportJob) -> list[dict[str, Any]]:
    categories: list[dict[str, Any]] = [
        {"id": k + 1, "name": name, "supercategory": ""} for k, name in enumerate(job.labels)
    ]
    if job.task_type == "keypoint":
        for category in categories:
            category["keypoints"] = [category["name"]]
            category["skeleton"] = []
    return categories


def _image(
    dep: Deployment, job: ExportJob, record: LabeledObject
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if isinstance(record.value, str):  # a mask: the URI of the consolidated PNG
        return _mask_image(dep, record)
    size = record.value["image_size"][0]
    confidences = [o["confidence"] for o in record.metadata.get("objects", [])]
    annotations = [
        {"image_id": record.object_id, **_shape(shape), "confidence": confidence}
        for shape, confidence in zip(record.value["annotations"], confidences, strict=True)
    ]
    return _image_entry(record, size["width"], size["height"]), annotations


def _image_entry(record: LabeledObject, width: int, height: int) -> dict[str, Any]:
    return {
        "id": record.object_id,
        "file_name": record.source,
        "width": width,
        "height": height,
        "answers": record.answers,
        "human_annotated": not record.machine_labeled,
    }


def _shape(shape: dict[str, Any]) -> dict[str, Any]:
    category = shape["class_id"] + 1
    if "vertices" in shape:
        xs = [float(v["x"]) for v in shape["vertices"]]
        ys = [float(v["y"]) for v in shape["vertices"]]
        flat = [c for pair in zip(xs, ys, strict=True) for c in pair]
        # Shoelace formula: the polygon's area.
        area = abs(sum(xs[i] * ys[i - 1] - xs[i - 1] * ys[i] for i in range(len(xs)))) / 2
        left, top = min(xs), min(ys)
        bbox = [left, top, max(xs) - left, max(ys) - top]
        return {
            "category_id": category,
            "segmentation": [flat],
            "area": area,
            "bbox": bbox,
            "iscrowd": 0,
        }
    if "x" in shape:
        x, y = shape["x"], shape["y"]
        return {
            "category_id": category,
            "keypoints": [x, y, 2],
            "num_keypoints": 1,
            "bbox": [x, y, 0, 0],
            "area": 0,
            "iscrowd": 0,
        }
    bbox = [shape["left"], shape["top"], shape["width"], shape["height"]]
    return {"category_id": category, "bbox": bbox, "area": bbox[2] * bbox[3], "iscrowd": 0}


def _mask_image(
    dep: Deployment, record: LabeledObject
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with Image.open(io.BytesIO(dep.storage.read_bytes(record.value))) as png:
        mask = np.asarray(png)  # paletted: pixel value = class index, 0 = background
    height, width = mask.shape
    colors = record.metadata.get("internal-color-map", {})
    annotations = []
    for k in (int(v) for v in np.unique(mask) if v != 0):
        binary = mask == k
        rows, columns = np.nonzero(binary)
        top, left = int(rows.min()), int(columns.min())
        bbox = [left, top, int(columns.max()) - left + 1, int(rows.max()) - top + 1]
        annotations.append(
            {
                "image_id": record.object_id,
                "category_id": k,  # class index k in the mask is label k - 1: category id k
                "segmentation": {"size": [height, width], "counts": run_lengths(binary)},
                "area": int(binary.sum()),
                "bbox": bbox,
                "iscrowd": 0,
                "confidence": colors.get(str(k), {}).get("confidence"),
            }
        )
    return _image_entry(record, width, height), annotations


def run_lengths(binary: np.ndarray) -> list[int]:
    """COCO's uncompressed RLE: run lengths over the pixels in column-major order, starting
    with a run of zeros (of length 0 when the first pixel is set).

    >>> run_lengths(np.array([[0, 1], [1, 1]], dtype=bool))
    [1, 3]
    """
    flat = binary.ravel(order="F").astype(np.int8)
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]))
    counts = [int(n) for n in np.diff(bounds)]
    return [0, *counts] if flat.size and flat[0] else counts
