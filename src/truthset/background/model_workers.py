"""Model workers: members of a work team that are a hook (a Python file, an HTTP endpoint, a
Lambda) instead of a person (issue 14).

A model worker takes tasks through the same dispatch as people (never the same object twice,
never more answers than the job asks for), from the background runner, so no request waits for
a model. Its answers enter consolidation as any worker's: the job's model learns the model
worker's confusion matrix from the data, so a model that stops agreeing loses its weight by
itself. A model that fails, times out or answers something the task type refuses releases the
task: the object goes to the next worker (a release, not a decline: a person's declines close
an object, a model's failure must not) and the model is not offered it again.

The hook gets `{"version": "2018-10-06", "labelingJobArn", "dataObject": <the manifest line>,
"taskInput": <what a person's template would get>, "labels": [...]}` and returns
`{"answer": <what the template's crowd-form would submit>}`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select

from truthset import dispatch
from truthset.db.tables import TeamMember, User
from truthset.deployment import Deployment
from truthset.errors import Invalid, TruthsetError
from truthset.hooks.base import Hook
from truthset.hooks.events import labeling_job_arn
from truthset.hooks.targets import open_hook
from truthset.identity.accounts import user_info

log = logging.getLogger(__name__)

# Tasks one model worker answers per runner pass: a slow model does not hold up the job's
# other background work for long.
BATCH = 50


def model_members(dep: Deployment, team_id: int) -> list[Any]:
    with dep.db.read() as conn:
        return list(
            conn.execute(
                select(User.__table__)
                .join(TeamMember, TeamMember.user_id == User.id)
                .where(
                    TeamMember.team_id == team_id,
                    User.model_hook.is_not(None),
                    User.status == "active",
                )
                .order_by(User.id)
            )
        )


def model_worker_ids(dep: Deployment, job: Any) -> set[str]:
    """Worker ids of the model workers of the job's team (their answers are not a person's)."""
    return {member.worker_id for member in model_members(dep, job.team_id)}


def step(dep: Deployment, job: Any) -> int:
    """Lets each model worker of the job's team answer what it may; returns answers given."""
    given = 0
    labels = [entry["label"] for entry in json.loads(job.label_config)["labels"]]
    for member in model_members(dep, job.team_id):
        try:
            hook = open_hook(dep, json.loads(member.model_hook))
        except TruthsetError as error:
            log.warning("model worker %s cannot run: %s", member.email, error.message)
            continue
        with hook:
            given += _answer_tasks(dep, job, user_info(member), hook, labels)
    return given


def _answer_tasks(dep: Deployment, job: Any, user: Any, hook: Hook, labels: list[str]) -> int:
    given = 0
    for _ in range(BATCH):
        try:
            task = dispatch.next_task(dep, user, job.name)
        except TruthsetError:
            return given  # the job is not handing out work now
        if task is None:
            return given
        _, _, task_input = dispatch.task_context(dep, user, task.task_id)
        event = {
            "version": "2018-10-06",
            "labelingJobArn": labeling_job_arn(dep.settings, job.name),
            "dataObject": json.loads(task.line),
            "taskInput": task_input,
            "labels": labels,
        }
        outcome = hook.invoke(event)
        answer = outcome.value.get("answer") if isinstance(outcome.value, dict) else None
        if outcome.error is not None or not isinstance(answer, dict):
            log.info("model worker %s gave a task back: %s", user.email, outcome.error or answer)
            dispatch.release(dep, user, task.task_id)
            continue
        try:
            dispatch.submit_answer(dep, user, task.task_id, answer)
            given += 1
        except Invalid as problem:
            log.info("model worker %s gave a refused answer: %s", user.email, problem.message)
            dispatch.release(dep, user, task.task_id)
    return given
