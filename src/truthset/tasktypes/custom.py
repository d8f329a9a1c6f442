"""Custom jobs (reference 4.11): any Liquid template over Crowd HTML Elements, with optional pre-
and post-annotation hooks.

`task.input` is the pre-annotation hook's taskInput, or without one the manifest line itself
(Ground Truth's PRE-PassThrough). Answers are stored as the crowd-form sent them, checked only
for size. The label is what the post-annotation hook returns for the label attribute, or without
one Ground Truth's ACS-PassThrough: every worker's answer, `{"annotationsFromAllWorkers":
[{"workerId", "annotationData": {"content": "<answer JSON>"}}]}`, the shape of the AWS recipe's
sample consolidation function.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from truthset.errors import Invalid
from truthset.manifests import INPUT_KEYS
from truthset.tasktypes.base import (
    ConsolidationContext,
    JobSpec,
    ObjectAnswers,
    ObjectLabel,
    Signer,
    creation_date,
)

MAX_ANSWER_BYTES = 5 * 1024 * 1024
FALLBACK_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <pre>{{ task.input | to_json }}</pre>
  <label>Answer <textarea name="answer" required></textarea></label>
</crowd-form>
"""


def canonical(value: Any) -> str:
    """The JSON text two equal answers (or an answer and a label) have in common."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _digest(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()[:32]


def answer_code(value: Any) -> str:
    """A short digest of an answer: equal answers have equal codes, which is how agreement
    and exact-match gold answers are judged without reading every answer. A form with one
    element is coded by that element's output, so a label or gold answer may be given either
    way (`{"label": "cat"}` or `{"category": {"label": "cat"}}`)."""
    if isinstance(value, dict) and len(value) == 1:
        return _digest(next(iter(value.values())))
    return _digest(value)


def passthrough(obj: ObjectAnswers) -> dict[str, Any]:
    """ACS-PassThrough's label: every worker's answer, as the consolidation request holds it."""
    return {
        "annotationsFromAllWorkers": [
            {"workerId": a.worker_id, "annotationData": {"content": json.dumps(a.content)}}
            for a in obj.answers
        ]
    }


def matching_codes(value: Any) -> set[str]:
    """The answer codes that agree with a label or a gold answer; none for a PassThrough label
    (a list of answers is no answer to compare with)."""
    if isinstance(value, dict) and "annotationsFromAllWorkers" in value:
        return set()
    return {_digest(value), answer_code(value)}


@dataclass(frozen=True)
class CustomTask:
    name: str = "custom"
    gt_type: str = "groundtruth/custom"
    input_key: str = "source"
    input_keys: tuple[str, ...] = INPUT_KEYS
    lambda_suffix: str = "PassThrough"
    min_labels: int = 0
    needs_ref: bool = False
    default_workers: int = 1
    default_time_limit: int = 3600
    joint: bool = False
    consolidation_batch: int = 500

    def template(self) -> str:
        return FALLBACK_TEMPLATE

    def default_description(self, labels: list[str]) -> str:
        return "Complete the task as the instructions describe."

    def task_input(self, job: JobSpec, line: dict[str, Any], sign: Signer) -> dict[str, Any]:
        # `line` is the object's input: the pre-annotation hook's taskInput when it had one
        # (dispatch reads that in place of the line). Media are signed by the template's own
        # grant_read_access filter, as in Ground Truth.
        return line

    def validate_answer(self, job: JobSpec, answer: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise Invalid("answer must be the crowd-form's output, a JSON object")
        size = len(json.dumps(answer).encode())
        if size > MAX_ANSWER_BYTES:
            raise Invalid(f"answer is {size} bytes; the limit is {MAX_ANSWER_BYTES}")
        return answer

    def answer_code(self, job: JobSpec, answer: dict[str, Any]) -> str | None:
        return answer_code(answer)

    def check_gold(self, job: JobSpec, value: Any) -> None:
        """Any JSON: an answer compared exactly, or the label the post-hook gives an answer."""

    def consolidate(
        self, job: JobSpec, objects: list[ObjectAnswers], context: ConsolidationContext
    ) -> list[ObjectLabel]:
        attr = job.label_attribute_name
        if context.post_hook is None:
            values = {obj.object_id: passthrough(obj) for obj in objects}
        else:
            values = context.post_hook(objects)
        metadata = {
            "type": self.gt_type,
            "job-name": f"labeling-job/{job.name}",
            "human-annotated": "yes",
            "creation-date": creation_date(context.now),
        }
        return [
            ObjectLabel(obj.object_id, {attr: values[obj.object_id], f"{attr}-metadata": metadata})
            for obj in objects
            if obj.object_id in values
        ]


CUSTOM = CustomTask()
