"""Runner leases: which process works on a job's background steps right now. A row update, so
it holds across server processes and the CLI on SQLite and PostgreSQL alike.

An owner names its process: `<kind>:<host>:<boot id>:<pid>:<random>`. A lease lapses after
LEASE_SECONDS, but a process need not wait that long for a lease whose owner was killed on its
own machine: the same host and boot id with a pid that no longer runs (or another boot id: the
machine restarted) means the owner is gone, and its lease is taken over at once.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta
from pathlib import Path

from sqlalchemy import or_, select, update

from truthset.db.tables import Job
from truthset.deployment import Deployment

LEASE_SECONDS = 60
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _boot_id() -> str:
    try:
        return _BOOT_ID.read_text().strip().replace("-", "")[:12]
    except OSError:
        return "unknown"


def _host() -> str:
    return socket.gethostname()[:20]  # the owner column holds 64 characters


def new_owner(kind: str) -> str:
    return f"{kind}:{_host()}:{_boot_id()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_is_gone(owner: str) -> bool:
    """Whether the owner is a process of this machine that no longer runs."""
    parts = owner.split(":")
    if len(parts) != 5 or parts[1] != _host() or parts[2] == "unknown":
        return False  # another machine's (or an old-style) owner: wait for its lease to lapse
    if parts[2] != _boot_id():
        return True  # this machine restarted since
    try:
        os.kill(int(parts[3]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


def acquire(dep: Deployment, job_id: int, owner: str) -> bool:
    """Takes (or renews) the job's lease; False when another live owner holds it."""
    now = dep.clock.now()
    until = now + timedelta(seconds=LEASE_SECONDS)
    with dep.db.write() as conn:
        taken = conn.execute(
            update(Job)
            .where(
                Job.id == job_id,
                or_(Job.runner_until.is_(None), Job.runner_until < now, Job.runner_owner == owner),
            )
            .values(runner_owner=owner, runner_until=until)
        )
        if taken.rowcount == 1:
            return True
        holder = conn.scalar(select(Job.runner_owner).where(Job.id == job_id))
        if holder is None or not owner_is_gone(holder):
            return False
        # Guarded by the holder's name: of two processes that find it gone, one takes it.
        taken = conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.runner_owner == holder)
            .values(runner_owner=owner, runner_until=until)
        )
    return taken.rowcount == 1


def release(dep: Deployment, job_id: int, owner: str) -> None:
    with dep.db.write() as conn:
        conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.runner_owner == owner)
            .values(runner_owner=None, runner_until=None)
        )
