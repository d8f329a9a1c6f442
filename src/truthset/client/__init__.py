"""A Python client for truthset's REST API (httpx, typed). It imports no server code, so it
installs and runs beside any server version that speaks /api/v1."""

from truthset.client.client import ApiError, Client
from truthset.client.models import Export, Failure, Job, LabelCounters, Result, SentBack, Team

__all__ = [
    "ApiError",
    "Client",
    "Export",
    "Failure",
    "Job",
    "LabelCounters",
    "Result",
    "SentBack",
    "Team",
]
