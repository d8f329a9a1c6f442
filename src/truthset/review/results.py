"""A loop's output.json, where and as A2I writes it, plus truthset's consolidated answer.

A2I has no consolidation: `humanAnswers` holds every worker's answer. When the answers are
comparable (the same form fields, short values: a choice, a yes/no, a corrected label),
truthset adds `consolidatedAnswer`: the answer most workers gave and the share that gave it.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from truthset.deployment import Deployment
from truthset.output import worker_answer
from truthset.storage.base import join
from truthset.tasktypes.base import WorkerAnswer, round_confidence
from truthset.tasktypes.custom import answer_code

# Longer values are free text: two workers rarely write the same, so a vote means nothing.
MAX_COMPARABLE_CHARS = 1_000


def output_uri(output_path: str, flow: str, created_at: datetime, loop: str) -> str:
    """<S3OutputPath>/<flow>/YYYY/MM/DD/hh/mm/ss/<loop>/output.json, from the loop's creation
    time (UTC). https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-output-data.html"""
    return join(output_path, flow, created_at.strftime("%Y/%m/%d/%H/%M/%S"), loop, "output.json")


def _comparable(answers: list[WorkerAnswer]) -> bool:
    fields = {tuple(sorted(answer.content)) for answer in answers}
    if len(fields) != 1:
        return False
    return all(
        len(json.dumps(value, ensure_ascii=False)) <= MAX_COMPARABLE_CHARS
        for answer in answers
        for value in answer.content.values()
    )


def consolidated(answers: list[WorkerAnswer]) -> dict[str, Any] | None:
    """The answer given by most workers (ties: the first given) and the share of workers who
    gave it (Ground Truth's rule: 0.00 with a single answer); None when not comparable."""
    if not answers or not _comparable(answers):
        return None
    codes = [answer_code(answer.content) for answer in answers]
    votes = Counter(codes)
    best = max(votes.values())
    winner = next(code for code in codes if votes[code] == best)
    chosen = answers[codes.index(winner)]
    return {
        "answerContent": chosen.content,
        "confidence": round_confidence(best / len(answers), len(answers)),
        "agreeingWorkers": best,
        "workers": len(answers),
    }


def output_document(
    dep: Deployment,
    flow_arn: str,
    loop: str,
    input_content: dict[str, Any],
    answers: list[WorkerAnswer],
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "flowDefinitionArn": flow_arn,
        "humanAnswers": [worker_answer(dep, answer) for answer in answers],
        "humanLoopName": loop,
        "inputContent": input_content,
    }
    if (consensus := consolidated(answers)) is not None:
        document["consolidatedAnswer"] = consensus
    return document
