"""The REST API under /api/v1: handlers load, authorize, call the domain, return."""

from __future__ import annotations

from fastapi import APIRouter

from truthset.web.api import admin, session, streams, worker

router = APIRouter(prefix="/api/v1")
router.include_router(session.router)
router.include_router(admin.router)
router.include_router(streams.router)
router.include_router(worker.router)
