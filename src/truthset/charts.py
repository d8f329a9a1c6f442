"""Pictures of a job, drawn server-side as SVG with matplotlib: per worker, the learned confusion
matrix as a heat map; per job, progress over time, the label distribution, a confidence
histogram, the reliability diagram of the calibration (against gold questions) and answers per
hour per worker.

Each chart is a function of the job's data (`ChartData`), so it can be tested without a server;
nothing here knows about HTTP."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sqlalchemy import select

from truthset.db.tables import Annotation, DataObject, Job, User
from truthset.deployment import Deployment
from truthset.errors import NotFound
from truthset.quality import job_model
from truthset.results import label_summary

BINS = 10
ACCENT = "#2563eb"


@dataclass
class ChartData:
    """What the job charts are drawn from, read once from the database."""

    job: str
    labels: list[str]
    labeled_at: list[datetime] = field(default_factory=list)
    answered_at: list[tuple[str, datetime]] = field(default_factory=list)  # (email, when)
    label_names: list[str] = field(default_factory=list)  # one per labeled object
    confidences: list[float] = field(default_factory=list)
    # (confidence, label right) for labeled gold questions: the reliability diagram's points.
    gold_checks: list[tuple[float, bool]] = field(default_factory=list)


def chart_data(dep: Deployment, name: str) -> ChartData:
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.name_key == name.lower())).first()
        if job is None:
            raise NotFound(f"no labeling job named {name!r}")
        data = ChartData(job.name, [e["label"] for e in json.loads(job.label_config)["labels"]])
        objects = conn.execute(
            select(DataObject.label, DataObject.labeled_at, DataObject.gold).where(
                DataObject.job_id == job.id, DataObject.label.is_not(None)
            )
        )
        for label, labeled_at, gold in objects:
            _add_label(
                data, job.label_attribute_name, json.loads(label or "null"), labeled_at, gold
            )
        answers = conn.execute(
            select(User.email, Annotation.submitted_at)
            .join(User, User.id == Annotation.user_id)
            .where(Annotation.job_id == job.id)
        )
        data.answered_at = [(email, when) for email, when in answers]
    return data


def _add_label(
    data: ChartData, attr: str, label: dict[str, Any], labeled_at: datetime | None, gold: str | None
) -> None:
    text, confidence = label_summary(attr, label)
    if labeled_at is not None:
        data.labeled_at.append(labeled_at)
    if text is not None:
        data.label_names.append(text)
    if confidence is None:
        return
    data.confidences.append(float(confidence))
    if gold is not None:
        data.gold_checks.append((float(confidence), json.loads(gold) == text))


def _svg(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="svg", bbox_inches="tight")
    plt.close(figure)
    return out.getvalue()


def _figure(title: str, width: float = 6.0, height: float = 3.6) -> tuple[Figure, Axes]:
    figure, axes = plt.subplots(figsize=(width, height))
    axes.set_title(title, loc="left", fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _empty(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes, color="#6b7280")
    axes.set_xticks([])
    axes.set_yticks([])


def progress(data: ChartData) -> bytes:
    figure, axes = _figure("Progress over time")
    for times, name, color in (
        (sorted(when for _, when in data.answered_at), "answers", "#9ca3af"),
        (sorted(data.labeled_at), "labeled objects", ACCENT),
    ):
        if times:
            axes.step(
                np.array(times, dtype="datetime64[s]"),
                np.arange(1, len(times) + 1),
                where="post",
                label=name,
                color=color,
            )
    if data.answered_at:
        axes.legend(frameon=False)
        figure.autofmt_xdate()
    else:
        _empty(axes, "no answers yet")
    return _svg(figure)


def label_distribution(data: ChartData) -> bytes:
    counts = Counter(data.label_names)
    names = [n for n in data.labels if n in counts] + sorted(set(counts) - set(data.labels))
    figure, axes = _figure("Label distribution", height=max(2.4, 0.35 * len(names) + 1))
    if names:
        axes.barh(names[::-1], [counts[n] for n in names[::-1]], color=ACCENT)
        axes.set_xlabel("objects")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        _empty(axes, "no labels yet")
    return _svg(figure)


def confidence_histogram(data: ChartData) -> bytes:
    figure, axes = _figure("Confidence of the labels")
    if data.confidences:
        axes.hist(
            data.confidences, bins=[i / (2 * BINS) for i in range(2 * BINS + 1)], color=ACCENT
        )
        axes.set_xlabel("confidence")
        axes.set_ylabel("objects")
    else:
        _empty(axes, "no labels yet")
    return _svg(figure)


def reliability(data: ChartData) -> bytes:
    """Stated confidence against the share of labels that match gold, per confidence bin: a
    calibrated job lies on the diagonal."""
    figure, axes = _figure("Reliability (labels against gold questions)", 4.8, 4.2)
    if not data.gold_checks:
        _empty(axes, "no labeled gold questions yet")
        return _svg(figure)
    scores = np.array([c for c, _ in data.gold_checks])
    right = np.array([r for _, r in data.gold_checks], dtype=float)
    edges = np.linspace(0, 1, BINS + 1)
    which = np.clip(np.digitize(scores, edges) - 1, 0, BINS - 1)
    shown = [b for b in range(BINS) if (which == b).any()]
    axes.plot([0, 1], [0, 1], linestyle="--", color="#9ca3af", label="calibrated")
    axes.plot(
        [scores[which == b].mean() for b in shown],
        [right[which == b].mean() for b in shown],
        marker="o",
        color=ACCENT,
        label=f"this job ({len(scores)} gold)",
    )
    axes.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="stated confidence", ylabel="share right")
    axes.legend(frameon=False, loc="upper left")
    return _svg(figure)


def _hour(when: datetime) -> str:
    return when.strftime("%m-%d %H:00")


def answers_per_hour(data: ChartData) -> bytes:
    figure, axes = _figure("Answers per hour, per worker (UTC)")
    if not data.answered_at:
        _empty(axes, "no answers yet")
        return _svg(figure)
    hours = sorted({_hour(when) for _, when in data.answered_at})
    emails = sorted({email for email, _ in data.answered_at})
    width = 0.8 / len(emails)
    for index, email in enumerate(emails):
        per_hour = Counter(_hour(when) for who, when in data.answered_at if who == email)
        axes.bar(
            [h + index * width for h in range(len(hours))],
            [per_hour[h] for h in hours],
            width=width,
            label=email,
        )
    axes.set_xticks([h + 0.4 - width / 2 for h in range(len(hours))], hours, rotation=30)
    axes.set_ylabel("answers")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(frameon=False, fontsize=8)
    return _svg(figure)


JOB_CHARTS: dict[str, tuple[str, Callable[[ChartData], bytes]]] = {
    "progress": ("Progress over time", progress),
    "labels": ("Label distribution", label_distribution),
    "confidence": ("Confidence histogram", confidence_histogram),
    "reliability": ("Reliability diagram", reliability),
    "answers-per-hour": ("Answers per hour per worker", answers_per_hour),
}


def job_chart(dep: Deployment, name: str, chart: str) -> bytes:
    if chart not in JOB_CHARTS:
        raise NotFound(f"no chart named {chart!r}")
    return JOB_CHARTS[chart][1](chart_data(dep, name))


def confusion(dep: Deployment, name: str, worker_id: str) -> bytes:
    """The worker's confusion matrix as the job's model learned it: the probability of each
    answer (columns) given each true class (rows)."""
    model = job_model(dep, name)
    figure, axes = _figure("Confusion matrix (learned)", 5.2, 4.6)
    result = model.result
    if result is None or worker_id not in result.answers.worker_ids:
        _empty(axes, "no model: not a single-label job, or no answers from this worker")
        return _svg(figure)
    matrix = result.worker_confusion[result.answers.index_of("worker", worker_id)]
    names = [model.names[int(str(k))] for k in result.answers.label_ids]
    image = axes.imshow(matrix, vmin=0, vmax=1, cmap="Blues")
    axes.set_xticks(range(len(names)), names, rotation=40, ha="right")
    axes.set_yticks(range(len(names)), names)
    axes.set(xlabel="worker's answer", ylabel="true class")
    for (t, a), value in np.ndenumerate(matrix):
        axes.text(
            a,
            t,
            f"{value:.2f}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if value > 0.6 else "#111827",
        )
    figure.colorbar(image, ax=axes, fraction=0.046)
    axes.set_title(
        f"{model.emails.get(worker_id, worker_id)}: confusion (learned)", loc="left", fontsize=11
    )
    return _svg(figure)
