"""Human task UIs: worker templates stored as named resources (SageMaker's CreateHumanTaskUi),
which jobs can use by name (HumanTaskUiArn) and which can be previewed against a manifest line
before any job exists. A template's own files (the scripts, styles and images it refers to by
relative name) are stored with it, and every job or flow made from it gets a copy, which the
task frame loads from the deployment (web/task_assets.py)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from truthset.db.tables import HumanTaskUi, HumanTaskUiAsset
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound
from truthset.names import check_name
from truthset.taskui import (
    MAX_ASSET_BYTES,
    MAX_ASSETS,
    check_template_text,
    relative_assets,
    render,
)


@dataclass(frozen=True)
class TaskUiInfo:
    name: str
    template: str
    created_at: datetime
    assets: tuple[str, ...] = ()  # names of the files stored with it

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.template.encode()).hexdigest()


def check_assets(template: str, assets: dict[str, bytes], where: str) -> None:
    """Only files the template refers to by a relative name inside its folder (never `..`, never
    absolute), at most MAX_ASSETS of at most MAX_ASSET_BYTES each."""
    referred = set(relative_assets(template))
    for name, data in assets.items():
        if name not in referred:
            raise Invalid(
                f"{where}: {name!r} is not a file the template refers to by relative name"
            )
        if len(data) > MAX_ASSET_BYTES:
            raise Invalid(f"{where}: {name} is larger than {MAX_ASSET_BYTES} bytes")
    if len(assets) > MAX_ASSETS:
        raise Invalid(f"{where}: a template may bring at most {MAX_ASSETS} files")


def create_task_ui(
    dep: Deployment, name: str, template: str, assets: dict[str, bytes] | None = None
) -> TaskUiInfo:
    check_name(name, "template name")
    check_template_text(template, f"template {name}")
    files = assets or {}
    check_assets(template, files, f"template {name}")
    now = dep.clock.now()
    try:
        with dep.db.write() as conn:
            ui_id = conn.execute(
                insert(HumanTaskUi).values(
                    name=name, name_key=name.lower(), template=template, created_at=now
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            if files:
                rows = [{"task_ui_id": ui_id, "name": n, "data": d} for n, d in files.items()]
                conn.execute(insert(HumanTaskUiAsset), rows)
    except IntegrityError:
        raise Conflict(f"a human task UI named {name!r} already exists") from None
    return TaskUiInfo(name, template, now, tuple(sorted(files)))


def get_task_ui(dep: Deployment, name: str) -> TaskUiInfo:
    with dep.db.read() as conn:
        row = conn.execute(
            select(HumanTaskUi.__table__).where(HumanTaskUi.name_key == name.lower())
        ).first()
        if row is None:
            raise NotFound(f"no human task UI named {name!r}")
        names = conn.scalars(
            select(HumanTaskUiAsset.name)
            .where(HumanTaskUiAsset.task_ui_id == row.id)
            .order_by(HumanTaskUiAsset.name)
        ).all()
    return TaskUiInfo(row.name, row.template, row.created_at, tuple(names))


def task_ui_assets(dep: Deployment, name: str) -> dict[str, bytes]:
    """The files stored with a template, for the job or flow being made from it."""
    with dep.db.read() as conn:
        rows = conn.execute(
            select(HumanTaskUiAsset.name, HumanTaskUiAsset.data)
            .join(HumanTaskUi, HumanTaskUi.id == HumanTaskUiAsset.task_ui_id)
            .where(HumanTaskUi.name_key == name.lower())
            .order_by(HumanTaskUiAsset.name)
        ).all()
    return {row.name: bytes(row.data) for row in rows}


def list_task_uis(dep: Deployment) -> list[TaskUiInfo]:
    with dep.db.read() as conn:
        rows = conn.execute(
            select(HumanTaskUi.__table__).order_by(HumanTaskUi.created_at, HumanTaskUi.id)
        ).all()
        named: dict[int, list[str]] = {}
        for ui_id, asset in conn.execute(
            select(HumanTaskUiAsset.task_ui_id, HumanTaskUiAsset.name).order_by(
                HumanTaskUiAsset.name
            )
        ):
            named.setdefault(ui_id, []).append(asset)
    return [TaskUiInfo(r.name, r.template, r.created_at, tuple(named.get(r.id, []))) for r in rows]


def delete_task_ui(dep: Deployment, name: str) -> None:
    """Its files go with it (ON DELETE CASCADE); jobs and flows made from it keep copies."""
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
