"""YOLO (Ultralytics' detection and segmentation label format) for boxes and polygons.

`labels/<object id>.txt` holds one line per shape: the class index (0-based, the job's label
order) and coordinates divided by the image's width and height: `class cx cy w h` for a box,
`class x1 y1 x2 y2 ...` for a polygon. `data.yaml` names the classes; `images.tsv` maps each
object id to its `source-ref` (put or link the image as `images/<object id>.<ext>` beside
`labels/` to train). YOLO lines have no room for a confidence: a sixth number would make the
line read as a polygon.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from truthset.deployment import Deployment
from truthset.exports.records import ExportJob, LabeledObject


def write(dep: Deployment, job: ExportJob, objects: Iterator[LabeledObject], folder: Path) -> int:
    labels = folder / "labels"
    labels.mkdir()
    count = 0
    with (folder / "images.tsv").open("w", encoding="utf-8") as index:
        index.write("object_id\tsource-ref\n")
        for record in objects:
            size = record.value["image_size"][0]
            lines = [
                _line(shape, size["width"], size["height"]) for shape in record.value["annotations"]
            ]
            (labels / f"{record.object_id}.txt").write_text("".join(x + "\n" for x in lines))
            index.write(f"{record.object_id}\t{record.source}\n")
            count += 1
    (folder / "data.yaml").write_text(_data_yaml(job))
    return count


def _line(shape: dict[str, Any], width: int, height: int) -> str:
    if "vertices" in shape:
        coords = [f"{v['x'] / width:.6f} {v['y'] / height:.6f}" for v in shape["vertices"]]
        return f"{shape['class_id']} " + " ".join(coords)
    cx = (shape["left"] + shape["width"] / 2) / width
    cy = (shape["top"] + shape["height"] / 2) / height
    w, h = shape["width"] / width, shape["height"] / height
    return f"{shape['class_id']} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}"


def _data_yaml(job: ExportJob) -> str:
    # JSON strings are valid YAML scalars, so names with colons or quotes need no YAML library.
    names = "".join(f"  {k}: {json.dumps(name)}\n" for k, name in enumerate(job.labels))
    return f"path: .\ntrain: images\nval: images\nnc: {len(job.labels)}\nnames:\n{names}"
