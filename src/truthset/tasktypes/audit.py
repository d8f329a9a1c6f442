"""Audit jobs (verification and adjustment, reference 9.4): the earlier label they start from.

The input manifest is an earlier job's output manifest; the audited label is named by the job
option `audit_label_attribute_name`, or by `auditLabelAttributeName` in the label category file
(as Ground Truth's audit jobs name it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from truthset.consolidation.masks import MaskError, parse_hex_color
from truthset.errors import Invalid
from truthset.names import check_label_attribute_name
from truthset.tasktypes.base import JobSpec
from truthset.tasktypes.images import is_number

OPTION = "audit_label_attribute_name"
CONFIG_KEY = "auditLabelAttributeName"


def audited_attribute(job: JobSpec) -> str:
    name = job.options.get(OPTION) or job.label_config.get(CONFIG_KEY)
    if not isinstance(name, str) or not name:
        raise Invalid(
            "name the label to audit: the label attribute name of the earlier job "
            "(--audit-label-attribute-name, or auditLabelAttributeName in the label file)"
        )
    return name


def check_audit_job(job: JobSpec, task_type: str, mask: bool) -> None:
    """The audited label's name: a valid attribute name, `-ref` exactly when it names a mask,
    and not the name this job writes its labels under (reference 2.1)."""
    audited = audited_attribute(job)
    source = "semantic-segmentation" if mask else "bounding-box"
    what = f"audited label attribute name ({task_type} jobs audit {source} labels):"
    check_label_attribute_name(audited, mask, source, what)
    if audited == job.label_attribute_name:
        raise Invalid(
            f"the label attribute name must differ from the audited one ({audited!r}); "
            "give this job its own --label-attribute-name"
        )


def _metadata(job: JobSpec, line: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    audited = audited_attribute(job)
    if audited not in line:
        raise Invalid(f"has no {audited!r} label to audit")
    meta = line.get(f"{audited}-metadata")
    if not isinstance(meta, dict):
        raise Invalid(f"has no {audited + '-metadata'!r} object beside its label")
    return audited, line[audited], meta


@dataclass(frozen=True)
class EarlierBoxes:
    labels: list[str]  # the class-map's names in class id order
    boxes: list[dict[str, Any]]  # {label, left, top, width, height}, as the tools take them


def earlier_boxes(job: JobSpec, line: dict[str, Any]) -> EarlierBoxes:
    """The bounding box label of a line (reference 4.5); raises Invalid naming the field."""
    audited, value, meta = _metadata(job, line)
    annotations = value.get("annotations") if isinstance(value, dict) else None
    if not isinstance(annotations, list):
        raise Invalid(f"{audited}.annotations must be a list of boxes")
    names = meta.get("class-map")
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        raise Invalid(f"{audited}-metadata.class-map must map class ids to label names")
    boxes = []
    for index, box in enumerate(annotations):
        where = f"{audited}.annotations[{index}]"
        if not isinstance(box, dict):
            raise Invalid(f"{where} must be an object")
        class_id = box.get("class_id")
        if str(class_id) not in names:
            raise Invalid(f"{where}.class_id {class_id!r} is not in the class-map")
        if not all(is_number(box.get(key)) for key in ("left", "top", "width", "height")):
            raise Invalid(f"{where} needs numbers left, top, width and height")
        boxes.append(
            {"label": names[str(class_id)]}
            | {key: box[key] for key in ("left", "top", "width", "height")}
        )
    ordered = sorted(names.items(), key=lambda item: int(item[0]) if item[0].isdigit() else 0)
    return EarlierBoxes([name for _, name in ordered], boxes)


@dataclass(frozen=True)
class EarlierMask:
    uri: str
    labels: list[str]  # class names by index, the background (index 0) left out
    colors: dict[str, str]  # label -> "#rrggbb"

    @property
    def label_mappings(self) -> dict[str, dict[str, str]]:
        return {label: {"color": color} for label, color in self.colors.items()}


def earlier_mask(job: JobSpec, line: dict[str, Any]) -> EarlierMask:
    """The semantic segmentation label of a line (reference 4.7): its mask URI and colours.
    Outputs without hex colours cannot be audited, as in Ground Truth."""
    audited, uri, meta = _metadata(job, line)
    if not isinstance(uri, str) or not uri:
        raise Invalid(f"{audited} must be the URI of a mask PNG")
    color_map = meta.get("internal-color-map")
    if not isinstance(color_map, dict):
        raise Invalid(f"{audited}-metadata.internal-color-map must be an object")
    entries = []
    for key, entry in color_map.items():
        where = f"{audited}-metadata.internal-color-map.{key}"
        if not key.isdigit() or not isinstance(entry, dict):
            raise Invalid(f"{where} must be an object under a class index")
        name, color = entry.get("class-name"), entry.get("hex-color")
        if not isinstance(name, str) or not isinstance(color, str):
            raise Invalid(f"{where} needs a class-name and a hex-color")
        try:
            parse_hex_color(color)
        except MaskError as error:
            raise Invalid(f"{where}.hex-color: {error}") from None
        if int(key) != 0:
            entries.append((int(key), name, color.lower()))
    entries.sort()
    return EarlierMask(uri, [n for _, n, _ in entries], {n: c for _, n, c in entries})


def check_labels_kept(job: JobSpec, labels: list[str]) -> None:
    """Adjustment jobs must keep the earlier labels (new ones may be added; reference 3.4)."""
    missing = [label for label in labels if label not in job.labels]
    if missing:
        raise Invalid(
            f"its label {missing[0]!r} is not one of the job's labels; an adjustment job's "
            "labels must include every label of the earlier job"
        )
