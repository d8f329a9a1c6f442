"""Classification task types, single- and multi-label, for images and text (reference 4.3, 4.4).

Consolidation is joint: every pass runs the default EM method over all answers of the job, so
each worker's skill is learned from everything they answered, and gold answers anchor it.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from dataclasses import dataclass
from typing import Any, cast

from truthset.consolidation import consolidate, consolidate_multilabel, encode_answers, encode_gold
from truthset.errors import Invalid
from truthset.tasktypes.base import (
    ConsolidationContext,
    JobSpec,
    ObjectAnswers,
    ObjectLabel,
    Signer,
    basic_task_input,
    creation_date,
    load_template,
    round_confidence,
)


def _metadata(
    job: JobSpec, gt_type: str, context: ConsolidationContext, **fields: Any
) -> dict[str, Any]:
    return {
        **fields,
        "type": gt_type,
        "job-name": f"labeling-job/{job.name}",
        "human-annotated": "yes",
        "creation-date": creation_date(context.now),
    }


def _single_answer(answer: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The one element's output in an answer of the shape {"<element name>": {...}}."""
    if not isinstance(answer, dict) or len(answer) != 1:
        raise Invalid(
            'answer must be an object with one key, e.g. {"crowd-image-classifier": {"label": ...}}'
        )
    ((name, value),) = answer.items()
    if not isinstance(value, dict):
        raise Invalid(f"answer.{name} must be an object")
    return name, value


def machine_label(
    job: JobSpec, gt_type: str, object_id: int, k: int, confidence: float, now: Any
) -> ObjectLabel:
    """A label chosen by the automated-labeling model: `human-annotated: "no"` and the model's
    own confidence (on a different scale from consolidated human labels, as in Ground Truth)."""
    attr = job.label_attribute_name
    meta = {
        "class-name": job.labels[k],
        "confidence": round(float(confidence), 2),
        "type": gt_type,
        "job-name": f"labeling-job/{job.name}",
        "human-annotated": "no",
        "creation-date": creation_date(now),
    }
    return ObjectLabel(object_id, {attr: k, f"{attr}-metadata": meta}, machine=True)


def _task_input(input_key: str, job: JobSpec, line: dict[str, Any], sign: Signer) -> dict[str, Any]:
    """An image (signed) or a text to classify, with the job's labels and instructions."""
    target = line[input_key]
    return basic_task_input(job, sign(target) if input_key == "source-ref" else target)


@dataclass(frozen=True)
class SingleLabel:
    """One label per object: `crowd-image-classifier` or `crowd-classifier`."""

    name: str
    gt_type: str
    input_key: str
    lambda_suffix: str
    template_file: str
    min_labels: int = 2
    needs_ref: bool = False
    default_workers: int = 3
    default_time_limit: int = 300
    joint: bool = True

    def template(self) -> str:
        return load_template(self.template_file)

    def task_input(self, job: JobSpec, line: dict[str, Any], sign: Signer) -> dict[str, Any]:
        return _task_input(self.input_key, job, line, sign)

    def validate_answer(self, job: JobSpec, answer: dict[str, Any]) -> dict[str, Any]:
        name, value = _single_answer(answer)
        label = value.get("label")
        if not isinstance(label, str):
            raise Invalid(f"answer.{name}.label must be a string")
        if label not in job.labels:
            raise Invalid(f"answer.{name}.label {label!r} is not one of the job's labels")
        comment = value.get("workerComment")
        if comment is not None and (not isinstance(comment, str) or len(comment) > 10_000):
            raise Invalid(
                f"answer.{name}.workerComment must be a string of at most 10000 characters"
            )
        return answer

    def answer_code(self, job: JobSpec, answer: dict[str, Any]) -> str | None:
        return str(job.labels.index(_single_answer(answer)[1]["label"]))

    def default_description(self, labels: list[str]) -> str:
        return f"Choose the label that fits best: {', '.join(labels)}"[:255]

    def check_gold(self, job: JobSpec, value: Any) -> None:
        if value not in job.labels:
            raise Invalid(f"gold answer {value!r} is not one of the job's labels")

    def consolidate(
        self, job: JobSpec, objects: list[ObjectAnswers], context: ConsolidationContext
    ) -> list[ObjectLabel]:
        rows = context.job_answers()
        answers = encode_answers(
            [r[0] for r in rows],
            [r[1] for r in rows],
            [int(r[2]) for r in rows],
            classes=list(range(len(job.labels))),
        )
        known: dict[Hashable, Hashable] = {
            o: job.labels.index(g)
            for o, g in context.gold.items()
            if g in job.labels and o in answers.item_ids
        }
        result = consolidate(
            answers, gold=encode_gold(answers, known) if known else None, seed=context.seed
        )
        counts = answers.answers_per_item
        attr = job.label_attribute_name
        labels = []
        for index, object_id in enumerate(answers.item_ids):
            if object_id in context.gold:
                continue
            k = int(result.label[index])
            confidence = round_confidence(float(result.confidence[index]), int(counts[index]))
            meta = _metadata(
                job,
                self.gt_type,
                context,
                **{"class-name": job.labels[k], "confidence": confidence},
            )
            labels.append(ObjectLabel(cast(int, object_id), {attr: k, f"{attr}-metadata": meta}))
        return labels


@dataclass(frozen=True)
class MultiLabel:
    """Any number of labels per object: the `-multi-select` classifiers. Per class, EM decides
    how likely the class applies; the label lists the classes at least one worker chose."""

    name: str
    gt_type: str
    input_key: str
    lambda_suffix: str
    template_file: str
    min_labels: int = 2
    needs_ref: bool = False
    default_workers: int = 3
    default_time_limit: int = 300
    joint: bool = True

    def template(self) -> str:
        return load_template(self.template_file)

    def task_input(self, job: JobSpec, line: dict[str, Any], sign: Signer) -> dict[str, Any]:
        return _task_input(self.input_key, job, line, sign)

    def validate_answer(self, job: JobSpec, answer: dict[str, Any]) -> dict[str, Any]:
        name, value = _single_answer(answer)
        chosen = value.get("labels")
        if not isinstance(chosen, list) or not all(isinstance(x, str) for x in chosen):
            raise Invalid(f"answer.{name}.labels must be a list of strings")
        unknown = [x for x in chosen if x not in job.labels]
        if unknown:
            raise Invalid(f"answer.{name}.labels: {unknown[0]!r} is not one of the job's labels")
        if len(set(chosen)) != len(chosen):
            raise Invalid(f"answer.{name}.labels lists a label twice")
        return answer

    def default_description(self, labels: list[str]) -> str:
        return f"Choose every label that applies: {', '.join(labels)}"[:255]

    def check_gold(self, job: JobSpec, value: Any) -> None:
        if not isinstance(value, list) or any(x not in job.labels for x in value):
            raise Invalid("a multi-label gold answer must be a list of the job's labels")

    def answer_code(self, job: JobSpec, answer: dict[str, Any]) -> str | None:
        chosen = _single_answer(answer)[1]["labels"]
        return ",".join(str(i) for i in sorted(job.labels.index(x) for x in chosen))

    def consolidate(
        self, job: JobSpec, objects: list[ObjectAnswers], context: ConsolidationContext
    ) -> list[ObjectLabel]:
        rows = context.job_answers()
        sets = [{int(x) for x in code.split(",") if x} for _, _, code in rows]
        gold: dict[Hashable, Collection[Hashable]] = {
            o: {job.labels.index(x) for x in g if x in job.labels}
            for o, g in context.gold.items()
            if isinstance(g, list)
        }
        result = consolidate_multilabel(
            [r[0] for r in rows],
            [r[1] for r in rows],
            sets,
            classes=list(range(len(job.labels))),
            gold=gold or None,
            seed=context.seed,
        )
        counts: dict[int, int] = {}
        for object_id, _, _ in rows:
            counts[object_id] = counts.get(object_id, 0) + 1
        attr = job.label_attribute_name
        labels = []
        for index, item in enumerate(result.item_ids):
            object_id = cast(int, item)
            if object_id in context.gold:
                continue
            columns = [c for c in range(len(result.label_ids)) if result.chosen[index, c]]
            classes = [cast(int, result.label_ids[c]) for c in columns]
            confidence = {
                str(k): round_confidence(float(result.confidence[index, c]), counts[object_id])
                for k, c in zip(classes, columns, strict=True)
            }
            meta = _metadata(
                job,
                self.gt_type,
                context,
                **{
                    "class-map": {str(k): job.labels[k] for k in classes},
                    "confidence-map": confidence,
                },
            )
            labels.append(ObjectLabel(object_id, {attr: classes, f"{attr}-metadata": meta}))
        return labels


IMAGE_CLASSIFICATION = SingleLabel(
    "image-classification",
    "groundtruth/image-classification",
    "source-ref",
    "ImageMultiClass",
    "image-classification.liquid",
)
TEXT_CLASSIFICATION = SingleLabel(
    "text-classification",
    "groundtruth/text-classification",
    "source",
    "TextMultiClass",
    "text-classification.liquid",
)
IMAGE_MULTILABEL = MultiLabel(
    "image-classification-multilabel",
    "groundtruth/image-classification-multilabel",
    "source-ref",
    "ImageMultiClassMultiLabel",
    "image-classification-multilabel.liquid",
)
TEXT_MULTILABEL = MultiLabel(
    "text-classification-multilabel",
    "groundtruth/text-classification-multilabel",
    "source",
    "TextMultiClassMultiLabel",
    "text-classification-multilabel.liquid",
)
