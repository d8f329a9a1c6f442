"""`truthset plan` and the console's live estimate: answers and worker hours a job still needs.

The simulation is ``truthset.consolidation.planning``; here are its inputs from a job (its
answers so far, the objects not yet closed, how long its workers take per answer) or from a CSV
of answers, and the figures the CLI and the console show.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from sqlalchemy import func, select

from truthset import adaptive
from truthset.consolidation.adaptive import StoppingRule
from truthset.consolidation.planning import Outcome, Plan, plan, simulate
from truthset.consolidation.result import Result
from truthset.db.tables import Annotation, DataObject
from truthset.deployment import Deployment
from truthset.errors import Invalid
from truthset.jobs import JobRecord, job_record

DEFAULT_SECONDS_PER_ANSWER = 30.0
LIVE_SIMULATED = 1000  # simulated objects for the console's estimate (fast enough per view)
LIVE_SECONDS = 60.0  # the console's estimate is recomputed at most this often per job


@dataclass(frozen=True)
class Pilot:
    result: Result
    objects: int  # objects the plan is for
    answered: int  # answers those objects already have
    seconds_per_answer: float


@dataclass(frozen=True)
class Estimate:
    """What a job still needs at its own settings: answers and worker hours."""

    answers_per_object: float
    more_answers: int
    hours: float


def hours(answers: float, pilot: Pilot) -> float:
    return answers * pilot.seconds_per_answer / 3600


def total_answers(outcome: Outcome, pilot: Pilot) -> int:
    return max(0, round(outcome.answers_per_object * pilot.objects) - pilot.answered)


def _job(dep: Deployment, name: str) -> JobRecord:
    with dep.db.read() as conn:
        job = job_record(dep, conn, name=name)
    if job is None:
        raise Invalid(f"no labeling job named {name!r}")
    if job.task_type not in ("image-classification", "text-classification"):
        raise Invalid("plans are for single-label image and text classification jobs")
    return job


def job_pilot(dep: Deployment, name: str) -> Pilot:
    """The job's answers so far as the pilot; the plan covers the objects not yet closed."""
    job = _job(dep, name)
    with dep.db.read() as conn:
        result = adaptive.job_result(conn, job)
        if result is None:
            raise Invalid(f"job {name!r} has no answers yet: a plan needs a pilot")
        still = DataObject.state.in_(("queued", "open"))
        objects = int(
            conn.scalar(select(func.count()).where(DataObject.job_id == job.id, still)) or 0
        )
        answered = int(
            conn.scalar(
                select(func.coalesce(func.sum(DataObject.answers), 0)).where(
                    DataObject.job_id == job.id, still
                )
            )
            or 0
        )
        times = conn.execute(
            select(Annotation.accepted_at, Annotation.submitted_at)
            .where(Annotation.job_id == job.id)
            .order_by(Annotation.id.desc())
            .limit(1000)
        ).all()
    seconds = [(s - a).total_seconds() for a, s in times if s is not None and a is not None]
    per_answer = statistics.median(seconds) if seconds else DEFAULT_SECONDS_PER_ANSWER
    return Pilot(result, objects, answered, max(per_answer, 1.0))


def answers_pilot(result: Result, seconds_per_answer: float) -> Pilot:
    """A CSV's answers as the pilot; the plan is for as many objects as it has."""
    return Pilot(result, result.answers.n_items, 0, seconds_per_answer)


def make_plan(pilot: Pilot, target_accuracy: float, max_answers: int, min_answers: int) -> Plan:
    if not 0 < target_accuracy < 1:
        raise Invalid("target accuracy must be between 0 and 1 (exclusive)")
    if not 1 <= min_answers <= max_answers <= 20:
        raise Invalid("need 1 <= min workers <= max workers <= 20")
    return plan(pilot.result, target_accuracy, max_answers, min_answers)


def live_estimate(dep: Deployment, name: str) -> Estimate | None:
    """The console's "at this rate": the job's own rule (adaptive or fixed N) simulated on its
    answers so far; None when there is nothing to estimate from. Cached per job."""
    key = ("plan-estimate", name.lower())
    now = dep.clock.now()
    cached = dep.job_records.get(key)
    if cached is not None and (now - cached[0]).total_seconds() < LIVE_SECONDS:
        return cached[1]  # type: ignore[no-any-return]
    try:
        job = _job(dep, name)
        pilot = job_pilot(dep, name)
    except Invalid:
        return None
    rule = adaptive.rule_of(job) or StoppingRule(
        min_answers=job.workers_per_object, max_answers=job.workers_per_object
    )
    outcome = simulate(pilot.result, rule, LIVE_SIMULATED)
    more = total_answers(outcome, pilot)
    estimate = Estimate(outcome.answers_per_object, more, hours(more, pilot))
    dep.job_records[key] = (now, estimate)
    return estimate
