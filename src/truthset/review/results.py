"""A loop's output.json, where and as A2I writes it, plus truthset's consolidated answer.

A2I has no consolidation: `humanAnswers` holds every worker's answer. When the answers are
comparable (the same form fields, short values: a choice, a yes/no, a corrected label),
truthset adds `consolidatedAnswer`. When the flow's answers fall into few distinct values (a
categorical review), it is Bayesian Dawid-Skene's over the flow's recent answers, which learns
each worker's reliability from all their loops (so two workers who disagree are not a coin
toss); otherwise the answer most workers gave and the share that gave it.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from truthset.consolidation import consolidate, encode_answers
from truthset.deployment import Deployment
from truthset.output import worker_answer
from truthset.storage.base import join
from truthset.tasktypes.base import WorkerAnswer, round_confidence
from truthset.tasktypes.custom import answer_code

# Longer values are free text: two workers rarely write the same, so a vote means nothing.
MAX_COMPARABLE_CHARS = 1_000
# Up to this many distinct answers over the flow, worker reliability can be learned from them.
MAX_CLASSES = 20
# (object id, worker id, answer code) of the flow's answers consolidation learns from.
History = list[tuple[int, str, str]]


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


def flow_estimates(history: History, objects: set[int]) -> dict[int, tuple[str, float]]:
    """For each of `objects`, the answer code Dawid-Skene chooses and its confidence, learned
    over the whole history; empty when the flow's answers are not categorical."""
    codes = {code for _, _, code in history}
    if not 2 <= len(codes) <= MAX_CLASSES:
        return {}
    encoded = encode_answers(
        [o for o, _, _ in history], [w for _, w, _ in history], [c for _, _, c in history]
    )
    chosen = consolidate(encoded).labels_by_item_id()
    return {
        int(object_id): (str(code), confidence)
        for object_id, (code, confidence) in chosen.items()
        if object_id in objects
    }


def consolidated(
    answers: list[WorkerAnswer], estimate: tuple[str, float] | None = None
) -> dict[str, Any] | None:
    """The consolidated answer: Dawid-Skene's `estimate` (code, confidence) when there is one,
    else the answer given by most workers (ties: the first given) and the share of workers who
    gave it; confidences rounded by Ground Truth's rule (0.00 with a single answer). None when
    the answers are not comparable."""
    if not answers or not _comparable(answers):
        return None
    codes = [answer_code(answer.content) for answer in answers]
    votes = Counter(codes)
    if estimate is not None and estimate[0] in votes:
        winner, confidence, method = estimate[0], estimate[1], "bayes-ds"
    else:
        best = max(votes.values())
        winner = next(code for code in codes if votes[code] == best)
        confidence, method = best / len(answers), "majority"
    return {
        "answerContent": answers[codes.index(winner)].content,
        "confidence": round_confidence(confidence, len(answers)),
        "agreeingWorkers": votes[winner],
        "workers": len(answers),
        "method": method,
    }


def output_document(
    dep: Deployment,
    flow_arn: str,
    loop: str,
    input_content: dict[str, Any],
    answers: list[WorkerAnswer],
    estimate: tuple[str, float] | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "flowDefinitionArn": flow_arn,
        "humanAnswers": [worker_answer(dep, answer) for answer in answers],
        "humanLoopName": loop,
        "inputContent": input_content,
    }
    if (consensus := consolidated(answers, estimate)) is not None:
        document["consolidatedAnswer"] = consensus
    return document
