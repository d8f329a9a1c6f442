"""All task types by name."""

from __future__ import annotations

from truthset.errors import Invalid
from truthset.tasktypes.base import TaskType
from truthset.tasktypes.bounding_box import BOUNDING_BOX, BOUNDING_BOX_ADJUSTMENT
from truthset.tasktypes.classification import (
    IMAGE_CLASSIFICATION,
    IMAGE_MULTILABEL,
    TEXT_CLASSIFICATION,
    TEXT_MULTILABEL,
)
from truthset.tasktypes.custom import CUSTOM
from truthset.tasktypes.keypoint import KEYPOINT
from truthset.tasktypes.named_entity import NAMED_ENTITY_RECOGNITION
from truthset.tasktypes.polygon import POLYGON
from truthset.tasktypes.semantic_segmentation import (
    SEMANTIC_SEGMENTATION,
    SEMANTIC_SEGMENTATION_ADJUSTMENT,
)
from truthset.tasktypes.verification import (
    BOUNDING_BOX_VERIFICATION,
    SEMANTIC_SEGMENTATION_VERIFICATION,
)

TASK_TYPES: dict[str, TaskType] = {
    t.name: t
    for t in (
        IMAGE_CLASSIFICATION,
        IMAGE_MULTILABEL,
        TEXT_CLASSIFICATION,
        TEXT_MULTILABEL,
        NAMED_ENTITY_RECOGNITION,
        BOUNDING_BOX,
        BOUNDING_BOX_ADJUSTMENT,
        BOUNDING_BOX_VERIFICATION,
        SEMANTIC_SEGMENTATION,
        SEMANTIC_SEGMENTATION_ADJUSTMENT,
        SEMANTIC_SEGMENTATION_VERIFICATION,
        KEYPOINT,
        POLYGON,
        CUSTOM,
    )
}


def task_type(name: str) -> TaskType:
    try:
        return TASK_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(TASK_TYPES))
        raise Invalid(f"unknown task type {name!r}; known: {known}") from None
