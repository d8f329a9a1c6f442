"""What every kind of hook provides, and the limits every hook runs under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

# AWS Lambda's limit on a synchronous response; a larger answer is a failed invocation.
MAX_RESPONSE = 6 * 1024 * 1024


@dataclass(frozen=True)
class HookLimits:
    seconds: float = 30.0
    memory_mb: int = 1024
    max_response: int = MAX_RESPONSE


@dataclass(frozen=True)
class Outcome:
    """One invocation: the handler's return value, or why there is none."""

    value: Any = None
    error: str | None = None


class Hook(Protocol):
    """A hook, used as a context manager around a batch of invocations."""

    name: str

    def __enter__(self) -> Hook: ...

    def __exit__(self, *_exc: object) -> None: ...

    def invoke(self, event: dict[str, Any]) -> Outcome: ...
