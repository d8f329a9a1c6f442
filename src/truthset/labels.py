"""Label sets: from a comma-separated list or Ground Truth's label category file (reference 3.4)."""

from __future__ import annotations

import json
from typing import Any

from truthset.errors import Invalid

MAX_LABEL_CHARS = 256


def labels_from_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_label_config(data: bytes | str, where: str) -> dict[str, Any]:
    """Parses a label category file; raises Invalid naming the file and the field."""
    try:
        config = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Invalid(f"{where}: not valid JSON ({error})") from None
    if not isinstance(config, dict) or not isinstance(config.get("labels"), list):
        raise Invalid(f'{where}: must be an object with a "labels" list')
    names = []
    for index, entry in enumerate(config["labels"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), str):
            raise Invalid(f'{where}: labels[{index}] must be an object with a string "label"')
        names.append(entry["label"])
    check_labels(names, where)
    return config


def check_labels(labels: list[str], where: str = "labels", minimum: int = 1) -> list[str]:
    if len(labels) < minimum:
        raise Invalid(f"{where}: this task type needs at least {minimum} labels, got {len(labels)}")
    seen: set[str] = set()
    for label in labels:
        if not label.strip() or len(label) > MAX_LABEL_CHARS:
            raise Invalid(f"{where}: label {label!r} must be 1-{MAX_LABEL_CHARS} characters")
        if label in seen:
            raise Invalid(f"{where}: label {label!r} appears twice")
        seen.add(label)
    return labels


def label_names(config: dict[str, Any]) -> list[str]:
    return [entry["label"] for entry in config["labels"]]
