"""Runner leases: one owner at a time; an owner killed on this machine is taken over at once."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select, update

from tests.support.factories import make_job, make_team
from truthset.background import leases
from truthset.db.tables import Job
from truthset.deployment import Deployment


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def held_by(dep: Deployment, job_id: int, owner: str) -> None:
    with dep.db.write() as conn:
        conn.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(runner_owner=owner, runner_until=dep.clock.now().replace(year=2100))
        )


def holder(dep: Deployment, job_id: int) -> str | None:
    with dep.db.read() as conn:
        return conn.scalar(select(Job.runner_owner).where(Job.id == job_id))


def test_a_live_owner_keeps_its_lease_and_a_killed_one_is_taken_over_at_once(
    dep: Deployment,
) -> None:
    make_team(dep)
    job = make_job(dep)
    live = leases.new_owner("server")
    assert leases.acquire(dep, job.id, live)
    assert not leases.acquire(dep, job.id, leases.new_owner("server"))
    host, boot = live.split(":")[1:3]
    killed = f"server:{host}:{boot}:{dead_pid()}:0000"
    held_by(dep, job.id, killed)
    taker = leases.new_owner("server")
    assert leases.acquire(dep, job.id, taker)
    assert holder(dep, job.id) == taker


def test_an_owner_from_before_a_restart_is_gone_and_another_machines_is_not(
    dep: Deployment,
) -> None:
    make_team(dep)
    job = make_job(dep)
    host = leases.new_owner("x").split(":")[1]
    held_by(dep, job.id, f"server:other-machine:abcdef012345:{os.getpid()}:0000")
    assert not leases.acquire(dep, job.id, leases.new_owner("server"))
    held_by(dep, job.id, f"server:{host}:000000000000:{os.getpid()}:0000")
    assert leases.acquire(dep, job.id, leases.new_owner("server"))
