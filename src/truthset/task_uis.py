"""Human task UIs: worker templates stored as named resources (SageMaker's CreateHumanTaskUi),
which jobs can use by name (HumanTaskUiArn) and which can be previewed against a manifest line
before any job exists."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from truthset.db.tables import HumanTaskUi
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound
from truthset.names import check_name
from truthset.taskui import check_template_text, render


@dataclass(frozen=True)
class TaskUiInfo:
    name: str
    template: str
    created_at: datetime

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.template.encode()).hexdigest()


def create_task_ui(dep: Deployment, name: str, template: str) -> TaskUiInfo:
    check_name(name, "template name")
    check_template_text(template, f"template {name}")
    now = dep.clock.now()
    try:
        with dep.db.write() as conn:
            conn.execute(
                insert(HumanTaskUi).values(
                    name=name, name_key=name.lower(), template=template, created_at=now
                )
            )
    except IntegrityError:
        raise Conflict(f"a human task UI named {name!r} already exists") from None
    return TaskUiInfo(name, template, now)


def get_task_ui(dep: Deployment, name: str) -> TaskUiInfo:
    with dep.db.read() as conn:
        row = conn.execute(
            select(HumanTaskUi.__table__).where(HumanTaskUi.name_key == name.lower())
        ).first()
    if row is None:
        raise NotFound(f"no human task UI named {name!r}")
    return TaskUiInfo(row.name, row.template, row.created_at)


def list_task_uis(dep: Deployment) -> list[TaskUiInfo]:
    with dep.db.read() as conn:
        rows = conn.execute(
            select(HumanTaskUi.__table__).order_by(HumanTaskUi.created_at, HumanTaskUi.id)
        ).all()
    return [TaskUiInfo(r.name, r.template, r.created_at) for r in rows]


def delete_task_ui(dep: Deployment, name: str) -> None:
    with dep.db.write() as conn:
        gone = conn.execute(delete(HumanTaskUi).where(HumanTaskUi.name_key == name.lower()))
    if not gone.rowcount:
        raise NotFound(f"no human task UI named {name!r}")


@dataclass(frozen=True)
class Preview:
    html: str
    errors: list[str]


def preview(template: str, task_input_json: str, where: str = "input") -> Preview:
    """The template rendered with a task input (a manifest line or a pre-hook's taskInput);
    problems come back as errors, never raised. Media URIs are left as they are."""
    try:
        task_input: Any = json.loads(task_input_json)
    except json.JSONDecodeError as error:
        return Preview("", [f"{where} is not valid JSON: {error.msg} at column {error.colno}"])
    if not isinstance(task_input, dict):
        return Preview("", [f"{where} must be a JSON object"])
    try:
        return Preview(render(template, task_input, lambda uri: uri), [])
    except Invalid as error:
        return Preview("", [error.message])
