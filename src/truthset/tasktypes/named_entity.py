"""Named entity recognition (reference 4.8): workers highlight spans of a text with labels.

Offsets are Unicode code points with an exclusive end, so `source[startOffset:endOffset]` in
Python is the entity. Consolidation is per object (`consolidation.spans`): spans clustered by
overlap, boundaries by mode or median, label by majority, one confidence per entity.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from truthset.consolidation.spans import ConsolidatedEntity, consolidate_spans
from truthset.errors import Invalid
from truthset.labels import config_instructions, label_entries
from truthset.tasktypes.base import (
    ConsolidationContext,
    JobSpec,
    ObjectAnswers,
    ObjectLabel,
    Signer,
    creation_date,
    load_template,
    round_confidence,
)

MAX_ENTITIES = 10_000
ENTITY_KEYS = {"label", "startOffset", "endOffset"}

Span = tuple[str, int, int]


def _offset(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_entities(job: JobSpec, answer: Any, text_length: int | None = None) -> list[Span]:
    """The (label, startOffset, endOffset) of a worker's answer, checked; raises Invalid naming
    the bad field. The end is checked against the text only when its length is given."""
    if not isinstance(answer, dict) or len(answer) != 1:
        raise Invalid(
            'answer must be an object with one key, e.g. {"crowd-entity-annotation": '
            '{"entities": [...]}}'
        )
    ((name, value),) = answer.items()
    if not isinstance(value, dict) or set(value) != {"entities"}:
        raise Invalid(f'answer.{name} must be an object with only an "entities" list')
    entities = value["entities"]
    if not isinstance(entities, list):
        raise Invalid(f"answer.{name}.entities must be a list")
    if len(entities) > MAX_ENTITIES:
        raise Invalid(f"answer.{name}.entities: at most {MAX_ENTITIES} entities")
    known = set(job.labels)
    spans: list[Span] = []
    seen: set[Span] = set()
    for index, entity in enumerate(entities):
        where = f"answer.{name}.entities[{index}]"
        if not isinstance(entity, dict) or set(entity) != ENTITY_KEYS:
            raise Invalid(f"{where} must be an object with label, startOffset and endOffset")
        label, start, end = entity["label"], entity["startOffset"], entity["endOffset"]
        if not isinstance(label, str) or label not in known:
            raise Invalid(f"{where}.label {label!r} is not one of the job's labels")
        if not _offset(start) or not _offset(end):
            raise Invalid(f"{where}: startOffset and endOffset must be integers")
        if not 0 <= start < end:
            raise Invalid(f"{where}: need 0 <= startOffset < endOffset, got {start}, {end}")
        if text_length is not None and end > text_length:
            raise Invalid(
                f"{where}: endOffset {end} is past the end of the text ({text_length} characters)"
            )
        if (label, start, end) in seen:
            raise Invalid(f"{where} repeats an entity")
        seen.add((label, start, end))
        spans.append((label, start, end))
    return spans


@dataclass(frozen=True)
class NamedEntityRecognition:
    """`crowd-entity-annotation` over the object's `source` text."""

    name: str = "named-entity-recognition"
    gt_type: str = "groundtruth/text-span"
    input_key: str = "source"
    lambda_suffix: str = "NamedEntityRecognition"
    min_labels: int = 1
    needs_ref: bool = False
    default_workers: int = 3
    default_time_limit: int = 3600
    joint: bool = False

    def template(self) -> str:
        return load_template("named-entity-recognition.liquid")

    def task_input(self, job: JobSpec, line: dict[str, Any], sign: Signer) -> dict[str, Any]:
        text = str(line[self.input_key])
        short, full = config_instructions(job.label_config)
        return {
            "taskObject": text,
            # An HTML parser turns CR LF in an attribute into LF, which would shift every later
            # offset; the template writes each CR back as a character reference between parts.
            "textParts": text.split("\r"),
            "labels": label_entries(job.label_config),
            "header": job.title,
            # Both are HTML, as the label config's instructions are.
            "shortInstructions": short or html.escape(job.description),
            "fullInstructions": "\n".join(part for part in (full, job.instructions) if part),
        }

    def validate_answer(
        self, job: JobSpec, answer: dict[str, Any], line: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """With the object's line the end offsets are checked against its text too."""
        text = None if line is None else line.get(self.input_key)
        read_entities(job, answer, len(text) if isinstance(text, str) else None)
        return answer

    def validate_answer_for_object(
        self, job: JobSpec, answer: dict[str, Any], line: dict[str, Any]
    ) -> dict[str, Any]:
        """Called by the dispatcher with the object's line: offsets must lie inside its text."""
        return self.validate_answer(job, answer, line)

    def answer_code(self, job: JobSpec, answer: dict[str, Any]) -> str | None:
        return None

    def consolidate(
        self, job: JobSpec, objects: list[ObjectAnswers], context: ConsolidationContext
    ) -> list[ObjectLabel]:
        labels = label_entries(job.label_config)
        result = []
        for obj in objects:
            length = len(str(obj.line.get(self.input_key, "")))
            # Answers are checked when stored, but without the text: an entity past its end
            # (a client that counted UTF-16 units, say) is left out rather than output.
            spans = [
                [span for span in read_entities(job, answer.content) if span[2] <= length]
                for answer in obj.answers
            ]
            entities = consolidate_spans(spans, seed=context.seed)
            content = self.label_content(job, labels, entities, len(obj.answers), context)
            result.append(ObjectLabel(obj.object_id, content))
        return result

    def label_content(
        self,
        job: JobSpec,
        labels: list[dict[str, str]],
        entities: list[ConsolidatedEntity],
        workers: int,
        context: ConsolidationContext,
    ) -> dict[str, Any]:
        """The label attribute and its metadata, in reference 4.8's shape and key order."""
        attr = job.label_attribute_name
        return {
            attr: {
                "annotations": {
                    "labels": labels,
                    "entities": [
                        {"label": e.label, "startOffset": e.start, "endOffset": e.end}
                        for e in entities
                    ],
                }
            },
            f"{attr}-metadata": {
                "job-name": f"labeling-job/{job.name}",
                "type": self.gt_type,
                "creation-date": creation_date(context.now),
                "human-annotated": "yes",
                "entities": [
                    {"confidence": round_confidence(e.confidence, workers)} for e in entities
                ],
            },
        }


NAMED_ENTITY_RECOGNITION = NamedEntityRecognition()
