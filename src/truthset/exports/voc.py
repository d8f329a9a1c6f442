"""Pascal VOC (the 2012 development kit's XML) for boxes: `Annotations/<object id>.xml`, one
`<object>` per box with `<bndbox>` in 1-based pixel corners as VOC writes them (xmin = left + 1,
xmax = left + width), plus `<confidence>` per box and `<answers>` per image (extra elements VOC
readers skip). `labels.txt` lists the classes; `ImageSets/Main/default.txt` the object ids."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from truthset.deployment import Deployment
from truthset.exports.records import ExportJob, LabeledObject


def write(dep: Deployment, job: ExportJob, objects: Iterator[LabeledObject], folder: Path) -> int:
    annotations = folder / "Annotations"
    annotations.mkdir()
    sets = folder / "ImageSets" / "Main"
    sets.mkdir(parents=True)
    count = 0
    with (sets / "default.txt").open("w") as image_set:
        for record in objects:
            tree = ET.ElementTree(_annotation(job, record))
            ET.indent(tree)
            tree.write(
                annotations / f"{record.object_id}.xml", encoding="utf-8", xml_declaration=True
            )
            image_set.write(f"{record.object_id}\n")
            count += 1
    (folder / "labels.txt").write_text("".join(name + "\n" for name in job.labels))
    return count


def _text(parent: ET.Element, tag: str, value: Any) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = str(value)
    return element


def _annotation(job: ExportJob, record: LabeledObject) -> ET.Element:
    root = ET.Element("annotation")
    _text(root, "folder", job.name)
    _text(root, "filename", PurePosixPath(record.source).name)
    _text(root, "path", record.source)
    size = record.value["image_size"][0]
    node = ET.SubElement(root, "size")
    for key in ("width", "height", "depth"):
        _text(node, key, size[key])
    _text(root, "segmented", 0)
    _text(root, "answers", record.answers)
    confidences = [o["confidence"] for o in record.metadata.get("objects", [])]
    for box, confidence in zip(record.value["annotations"], confidences, strict=True):
        item = ET.SubElement(root, "object")
        _text(item, "name", job.labels[box["class_id"]])
        _text(item, "pose", "Unspecified")
        _text(item, "truncated", 0)
        _text(item, "difficult", 0)
        _text(item, "confidence", confidence)
        corners = ET.SubElement(item, "bndbox")
        _text(corners, "xmin", _pixel(box["left"] + 1))
        _text(corners, "ymin", _pixel(box["top"] + 1))
        _text(corners, "xmax", _pixel(box["left"] + box["width"]))
        _text(corners, "ymax", _pixel(box["top"] + box["height"]))
    return root


def _pixel(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 2)
