"""Cloning and chaining (reference section 9.3): a new job made from an earlier one.

Clone: the old configuration over the old *input* manifest (to change instructions, team, ...).
Chain: the old configuration over the old *output* manifest, to continue a stopped, failed or
completed job. Keeping the label attribute name sends only the objects without that label and
warm-starts automated labeling from the old model; a new name sends every object again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from truthset.db.tables import Job, Team
from truthset.deployment import Deployment
from truthset.errors import Conflict, NotFound
from truthset.jobs import ENDED, JobInfo, JobRequest, create_job
from truthset.storage.base import join

# Options that belong to the old job alone: its SageMaker request, its queue.
_NOT_COPIED = ("sagemaker", "template_assets")


@dataclass(frozen=True)
class Changes:
    """What the new job does differently (None: as the old one)."""

    label_attribute_name: str | None = None
    team: str | None = None
    title: str | None = None
    description: str | None = None
    workers_per_object: int | None = None
    max_concurrent_tasks: int | None = None


def _old_job(dep: Deployment, name: str) -> Any:
    with dep.db.read() as conn:
        row = conn.execute(select(Job.__table__).where(Job.name_key == name.lower())).first()
        if row is None:
            raise NotFound(f"no labeling job named {name!r}")
        team = conn.scalar(select(Team.name).where(Team.id == row.team_id))
    return row, str(team)


def _request(dep: Deployment, old: Any, team: str, new: str, manifest: str) -> JobRequest:
    folder = join(old.output_uri, old.name, "annotation-tool")
    options = {k: v for k, v in json.loads(old.options).items() if k not in _NOT_COPIED}
    stream = options.get("streaming")
    if isinstance(stream, dict):
        # The new job gets a queue of its own (GroundTruth-<new name>).
        options["streaming"] = {k: v for k, v in stream.items() if k != "queue_url"} or True
    assets = {
        name: dep.storage.read_bytes(join(folder, "assets", name))
        for name in json.loads(old.options).get("template_assets", [])
    }
    return JobRequest(
        name=new,
        manifest=manifest,
        output=old.output_uri,
        task_type=old.task_type,
        team=team,
        label_config=join(folder, "data.json"),
        workers_per_object=old.workers_per_object,
        title=old.title,
        description=old.description,
        instructions=old.instructions,
        label_attribute_name=old.label_attribute_name,
        task_time_limit=old.task_time_limit,
        task_availability=old.task_availability,
        max_concurrent_tasks=old.max_concurrent_tasks,
        ui_template=old.ui_template,
        options=options,
        template_assets=assets,
    )


def _apply(request: JobRequest, changes: Changes) -> JobRequest:
    given = {key: value for key, value in vars(changes).items() if value is not None}
    return replace(request, **given)


def clone_job(
    dep: Deployment,
    old_name: str,
    new_name: str,
    changes: Changes | None = None,
    import_now: bool = False,
) -> JobInfo:
    """A new job with the old one's configuration and input manifest."""
    old, team = _old_job(dep, old_name)
    request = _apply(_request(dep, old, team, new_name, old.manifest_uri), changes or Changes())
    return create_job(dep, request, import_now=import_now)


def chain_job(
    dep: Deployment,
    old_name: str,
    new_name: str,
    changes: Changes | None = None,
    import_now: bool = False,
) -> JobInfo:
    """A new job over the old one's output manifest (the old job must have ended)."""
    old, team = _old_job(dep, old_name)
    if old.status not in ENDED:
        raise Conflict(
            f"labeling job {old.name!r} is {old.status}; chain a job once it has stopped, "
            "failed or completed (its output manifest is then whole)"
        )
    manifest = join(old.output_uri, old.name, "manifests/output/output.manifest")
    request = _apply(_request(dep, old, team, new_name, manifest), changes or Changes())
    auto = request.options.get("auto_label")
    if isinstance(auto, dict):
        if request.label_attribute_name == old.label_attribute_name:
            request.options["auto_label"] = {**auto, "initial_model_job": old.name}
        else:
            request.options["auto_label"] = {
                k: v for k, v in auto.items() if k != "initial_model_job"
            }
    return create_job(dep, request, import_now=import_now)
