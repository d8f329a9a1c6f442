"""Label sets: from a comma-separated list or Ground Truth's label category file (reference 3.4).

A named entity recognition config may also give each label a `shortDisplayName` (the tag shown
on highlighted text) and an `instructions` block (`shortInstruction`, `fullInstruction`: HTML).
"""

from __future__ import annotations

import json
from typing import Any

from truthset.errors import Invalid

MAX_LABEL_CHARS = 256
MAX_INSTRUCTION_CHARS = 100_000
INSTRUCTION_KEYS = ("shortInstruction", "fullInstruction")


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
        short = entry.get("shortDisplayName")
        if short is not None and (
            not isinstance(short, str) or not short.strip() or len(short) > MAX_LABEL_CHARS
        ):
            raise Invalid(
                f"{where}: labels[{index}].shortDisplayName must be 1-{MAX_LABEL_CHARS} characters"
            )
        names.append(entry["label"])
    check_labels(names, where)
    _check_instructions(config.get("instructions"), where)
    return config


def _check_instructions(block: Any, where: str) -> None:
    if block is None:
        return
    if not isinstance(block, dict):
        raise Invalid(f'{where}: "instructions" must be an object')
    unknown = sorted(set(block) - set(INSTRUCTION_KEYS))
    if unknown:
        raise Invalid(
            f"{where}: instructions.{unknown[0]} is not known; use {' and '.join(INSTRUCTION_KEYS)}"
        )
    for key in INSTRUCTION_KEYS:
        value = block.get(key, "")
        if not isinstance(value, str) or len(value) > MAX_INSTRUCTION_CHARS:
            raise Invalid(
                f"{where}: instructions.{key} must be a string of at most "
                f"{MAX_INSTRUCTION_CHARS} characters"
            )


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


def label_entries(config: dict[str, Any]) -> list[dict[str, str]]:
    """The labels as `{"label", "shortDisplayName"?}`, the shape of NER output's label list.

    >>> label_entries({"labels": [{"label": "person", "shortDisplayName": "per"}, {"label": "x"}]})
    [{'label': 'person', 'shortDisplayName': 'per'}, {'label': 'x'}]
    """
    return [
        {"label": entry["label"]}
        | ({"shortDisplayName": entry["shortDisplayName"]} if "shortDisplayName" in entry else {})
        for entry in config["labels"]
    ]


def config_instructions(config: dict[str, Any]) -> tuple[str, str]:
    """(shortInstruction, fullInstruction) of the config's `instructions` block; "" when absent."""
    block = config.get("instructions") or {}
    return str(block.get("shortInstruction", "")), str(block.get("fullInstruction", ""))
