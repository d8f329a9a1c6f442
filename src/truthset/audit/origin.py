"""Where the current action comes from: the caller's address, the request id and who signed in.

Set once per request by the web layer (a context variable holding a mutable holder, so that a
dependency running in a worker thread can still fill in the actor); the CLI runs as "cli".
Domain code reads it when it records an entry, so no domain signature needs a Request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Origin:
    actor: str = "system"
    actor_id: int | None = None
    address: str | None = None
    request_id: str | None = None


_ORIGIN: ContextVar[Origin | None] = ContextVar("truthset_audit_origin", default=None)


def current_origin() -> Origin:
    """The current request's origin, or a fresh "system" one outside any request."""
    return _ORIGIN.get() or Origin()


@contextmanager
def request_origin(origin: Origin) -> Iterator[Origin]:
    """Makes `origin` current for the code run inside (one request, one CLI command)."""
    token = _ORIGIN.set(origin)
    try:
        yield origin
    finally:
        _ORIGIN.reset(token)


def set_actor(email: str, user_id: int | None) -> None:
    """Names who is acting in the current request (called once the caller is authenticated)."""
    origin = _ORIGIN.get()
    if origin is not None:
        origin.actor, origin.actor_id = email, user_id


def use_origin(origin: Origin) -> None:
    """Makes `origin` current for the rest of this context (a CLI command's whole run)."""
    _ORIGIN.set(origin)
