"""Image classification (single label): `crowd-image-classifier`, output per reference 4.3."""

from __future__ import annotations

from typing import Any

from truthset.errors import Invalid
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


class ImageClassification:
    name = "image-classification"
    gt_type = "groundtruth/image-classification"
    input_key = "source-ref"
    lambda_suffix = "ImageMultiClass"
    min_labels = 2
    needs_ref = False
    default_workers = 3
    default_time_limit = 300
    element = "crowd-image-classifier"

    def template(self) -> str:
        return load_template("image-classification.liquid")

    joint = False

    def task_input(self, job: JobSpec, line: dict[str, Any], sign: Signer) -> dict[str, Any]:
        return {
            "taskObject": sign(line[self.input_key]),
            "labels": job.labels,
            "header": job.title,
            "shortInstructions": job.description,
            "fullInstructions": job.instructions,
        }

    def validate_answer(self, job: JobSpec, answer: dict[str, Any]) -> dict[str, Any]:
        label_of(answer, job.labels)
        return answer

    def answer_code(self, job: JobSpec, answer: dict[str, Any]) -> str | None:
        return str(job.labels.index(label_of(answer, job.labels)))

    def consolidate(
        self, job: JobSpec, objects: list[ObjectAnswers], context: ConsolidationContext
    ) -> list[ObjectLabel]:
        votes = [[label_of(a.content, job.labels) for a in obj.answers] for obj in objects]
        results = [_majority(v) for v in votes]
        return [
            classification_label(
                job, self.gt_type, obj, label, confidence, now=obj.answers[-1].submitted_at
            )
            for obj, (label, confidence) in zip(objects, results, strict=True)
        ]


def label_of(answer: dict[str, Any], labels: list[str]) -> str:
    """The chosen label in an answer of the shape {"<element name>": {"label": "..."}}."""
    if not isinstance(answer, dict) or len(answer) != 1:
        raise Invalid(
            'answer must be an object with one key, e.g. {"crowd-image-classifier": {"label": ...}}'
        )
    ((name, value),) = answer.items()
    if not isinstance(value, dict) or not isinstance(value.get("label"), str):
        raise Invalid(f"answer.{name}.label must be a string")
    if value["label"] not in labels:
        raise Invalid(f"answer.{name}.label {value['label']!r} is not one of the job's labels")
    return str(value["label"])


def classification_label(
    job: JobSpec,
    gt_type: str,
    obj: ObjectAnswers,
    label: str,
    confidence: float,
    now: Any,
    human: bool = True,
) -> ObjectLabel:
    attr = job.label_attribute_name
    metadata = {
        "class-name": label,
        "confidence": round_confidence(confidence, len(obj.answers))
        if human
        else round(confidence, 2),
        "type": gt_type,
        "job-name": f"labeling-job/{job.name}",
        "human-annotated": "yes" if human else "no",
        "creation-date": creation_date(now),
    }
    return ObjectLabel(
        obj.object_id, {attr: job.labels.index(label), f"{attr}-metadata": metadata}, not human
    )


def _majority(votes: list[str]) -> tuple[str, float]:
    # Placeholder until the EM consolidation lands: most frequent, ties by first answer.
    best = max(dict.fromkeys(votes), key=votes.count)
    return best, votes.count(best) / len(votes)
