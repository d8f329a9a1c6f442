"""Augmented AI over the REST API: flow definitions (read), human loops (start, read, stop,
delete). The same domain calls as the sagemaker-a2i-runtime service and the CLI."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from truthset.errors import Invalid
from truthset.review import flows, loops
from truthset.web.security import AdminUser, DeploymentDep

router = APIRouter(tags=["augmented ai"])


class FlowOut(BaseModel):
    name: str
    team: str
    task_ui: str
    task_count: int = Field(description="Workers per loop (TaskCount)")
    title: str
    description: str
    time_limit: int
    availability: int
    output_path: str
    created_at: datetime


class LoopIn(BaseModel):
    name: str | None = Field(
        None, description="1-63 lower-case letters, digits and hyphens; a new name when absent"
    )
    input: dict[str, Any] = Field(description="The loop's input (InputContent): task.input")


class LoopOut(BaseModel):
    name: str
    flow: str
    status: str = Field(description="InProgress, Stopping, Completed, Failed or Stopped")
    created_at: datetime
    failure_reason: str | None
    output_uri: str | None = Field(description="Where output.json is, once Completed")


class LoopPageOut(BaseModel):
    loops: list[LoopOut]
    next: str | None = Field(
        None, description="Pass as `after` for the next page (absent on the last)"
    )


def _flow_out(flow: flows.FlowInfo) -> FlowOut:
    fields = {name: getattr(flow, name) for name in FlowOut.model_fields}
    return FlowOut(**fields)


def _loop_out(loop: loops.LoopInfo) -> LoopOut:
    fields = {name: getattr(loop, name) for name in LoopOut.model_fields}
    return LoopOut(**fields)


@router.get("/flows", response_model=list[FlowOut])
def list_flows(_admin: AdminUser, dep: DeploymentDep) -> list[FlowOut]:
    return [_flow_out(flow) for flow in flows.list_flows(dep)]


@router.get("/flows/{name}", response_model=FlowOut)
def get_flow(name: str, _admin: AdminUser, dep: DeploymentDep) -> FlowOut:
    return _flow_out(flows.get_flow(dep, name))


@router.post("/flows/{name}/loops", response_model=LoopOut, status_code=201)
def start_loop(name: str, body: LoopIn, _admin: AdminUser, dep: DeploymentDep) -> LoopOut:
    """Starts a human loop; returns at once (the flow's workers get it on their next task).
    The same name and input again returns the same loop; other input is 409."""
    content = json.dumps(body.input, ensure_ascii=False)
    return _loop_out(loops.start_loop(dep, name, body.name or loops.new_loop_name(), content))


@router.get("/flows/{name}/loops", response_model=LoopPageOut)
def list_loops(
    name: str,
    _admin: AdminUser,
    dep: DeploymentDep,
    limit: int = Query(100, ge=1, le=1000),
    ascending: bool = False,
    after: str | None = Query(None, description="A page token from `next`"),
) -> dict[str, Any]:
    """The flow's loops, newest first unless `ascending`."""
    cursor = _cursor(after)
    page = loops.list_loops(dep, name, ascending=ascending, limit=limit, cursor=cursor)
    result: dict[str, Any] = {"loops": [_loop_out(loop) for loop in page.loops]}
    if page.cursor is not None:
        result["next"] = f"{page.cursor[0]}|{page.cursor[1]}"
    return result


def _cursor(token: str | None) -> tuple[str, int] | None:
    if token is None:
        return None
    moment, _, loop_id = token.partition("|")
    try:
        datetime.fromisoformat(moment)
        return moment, int(loop_id)
    except ValueError:
        raise Invalid(f"after: {token!r} is not a page token") from None


@router.get("/loops/{name}", response_model=LoopOut)
def describe_loop(name: str, _admin: AdminUser, dep: DeploymentDep) -> LoopOut:
    return _loop_out(loops.describe_loop(dep, name))


@router.post("/loops/{name}/stop", response_model=LoopOut)
def stop_loop(name: str, _admin: AdminUser, dep: DeploymentDep) -> LoopOut:
    """400 unless the loop is in progress. The loop is Stopping at once; the background runner
    ends its tasks and sets it Stopped within a pass."""
    return _loop_out(loops.stop_loop(dep, name))


@router.delete("/loops/{name}", status_code=204)
def delete_loop(name: str, _admin: AdminUser, dep: DeploymentDep) -> None:
    """400 unless the loop ended (Completed, Failed, Stopped)."""
    loops.delete_loop(dep, name)
