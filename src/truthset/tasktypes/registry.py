"""All task types by name."""

from __future__ import annotations

from truthset.errors import Invalid
from truthset.tasktypes.base import TaskType
from truthset.tasktypes.classification import (
    IMAGE_CLASSIFICATION,
    IMAGE_MULTILABEL,
    TEXT_CLASSIFICATION,
    TEXT_MULTILABEL,
)

TASK_TYPES: dict[str, TaskType] = {
    t.name: t
    for t in (IMAGE_CLASSIFICATION, IMAGE_MULTILABEL, TEXT_CLASSIFICATION, TEXT_MULTILABEL)
}


def task_type(name: str) -> TaskType:
    try:
        return TASK_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(TASK_TYPES))
        raise Invalid(f"unknown task type {name!r}; known: {known}") from None
