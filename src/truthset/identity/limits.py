"""Slowing down guessing: counted attempts per key (an account from one address, an address,
a signed-in user's password form, reset e-mails), kept in the database so every server process
sees them.

After `free` failures in the window each further attempt under that key must wait, 1 second
doubling up to the window, counted from the last failure. Nothing is refused for longer than
that, and a key names an address: someone guessing at an account slows down the guesser's own
address, never the account's owner elsewhere.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select

from truthset.db.tables import LoginFailure
from truthset.deployment import Deployment
from truthset.errors import TooManyRequests


class Throttled(TooManyRequests):
    """Too many failures under a key; `retry_after` is the seconds to wait."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _since(dep: Deployment) -> datetime:
    return dep.clock.now() - timedelta(seconds=dep.settings.login_failure_window)


def wait_seconds(conn: Connection, dep: Deployment, key: str, free: int) -> float:
    """Seconds until the next attempt under the key is allowed (0: now)."""
    count, last = conn.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.key == key, LoginFailure.at > _since(dep)
        )
    ).one()
    if not count or count < free or last is None:
        return 0.0
    window = dep.settings.login_failure_window
    delay = min(float(window), 2.0 ** min(count - free, 32))
    remaining = (last + timedelta(seconds=delay) - dep.clock.now()).total_seconds()
    return max(0.0, remaining)


def check(conn: Connection, dep: Deployment, limits: list[tuple[str, int]], what: str) -> None:
    """Raises Throttled when any key must still wait."""
    wait = max((wait_seconds(conn, dep, key, free) for key, free in limits), default=0.0)
    if wait > 0:
        seconds = math.ceil(wait)
        raise Throttled(f"too many {what}; try again in {seconds} seconds", seconds)


def record(conn: Connection, dep: Deployment, keys: list[str]) -> None:
    now = dep.clock.now()
    conn.execute(insert(LoginFailure), [{"key": key, "at": now} for key in keys])


def clear(conn: Connection, key: str) -> None:
    conn.execute(delete(LoginFailure).where(LoginFailure.key == key))


def count(conn: Connection, dep: Deployment, key: str) -> int:
    return int(
        conn.scalar(
            select(func.count()).where(LoginFailure.key == key, LoginFailure.at > _since(dep))
        )
        or 0
    )


def forget_old_failures(dep: Deployment, now: datetime) -> None:
    since = now - timedelta(seconds=dep.settings.login_failure_window)
    with dep.db.write() as conn:
        conn.execute(delete(LoginFailure).where(LoginFailure.at <= since))
