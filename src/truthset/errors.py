"""Domain errors. The web layer maps them to HTTP statuses in one place, the CLI to exit code 1."""

from __future__ import annotations


class TruthsetError(Exception):
    """Base class: a message a person can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TruthsetError):
    """The named thing does not exist (or the caller may not know it does)."""


class Conflict(TruthsetError):
    """The request clashes with existing state: a duplicate name, a stopped job."""


class Invalid(TruthsetError):
    """Bad input. `problems` lists every problem with its place (file, line, field)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class Forbidden(TruthsetError):
    """The caller is known but may not do this."""


class Unauthenticated(TruthsetError):
    """No valid credentials."""


class TooManyRequests(TruthsetError):
    """A rate limit was hit (failed logins)."""


class NotReady(TruthsetError):
    """The thing exists but is not ready yet (a job still storing its objects): ask again in
    `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int = 2) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Gone(TruthsetError):
    """The task's lease ended (time limit, release, job stopped): the answer cannot be taken."""


class StorageError(TruthsetError):
    """Reading or writing a storage URI failed; the message names the URI."""
