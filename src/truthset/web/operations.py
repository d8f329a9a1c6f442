"""/metrics (Prometheus text format), /healthz (the process answers) and /readyz (the
database answers and its schema is current). /metrics follows the admin networks
(TRUTHSET_ADMIN_CIDRS, web/network.py); the health checks answer everyone, as load balancers
and orchestrators need."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from truthset.operations import health
from truthset.operations.scrape import exposition, registry_for
from truthset.web.security import DeploymentDep

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(request: Request, dep: DeploymentDep) -> Response:
    registry = getattr(request.app.state, "metrics_registry", None)
    if registry is None:
        registry = request.app.state.metrics_registry = registry_for(dep)
    body = await run_in_threadpool(exposition, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz")
async def healthz() -> Response:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
async def readyz(dep: DeploymentDep) -> Response:
    problems = await run_in_threadpool(health.readiness, dep)
    if problems:
        return JSONResponse({"status": "not_ready", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ready"})
