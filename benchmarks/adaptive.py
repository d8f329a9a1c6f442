"""Adaptive workers per object, replayed on the 16 real crowd datasets.

Run: ``TRUTHSET_CROWD_DATA=/work/shared/datasets/crowd .venv/bin/python benchmarks/adaptive.py``
(about 30 s on 2 cores; ``--sweep`` adds the plot of accuracy against answers used for a range of
targets, ``--plot FILE`` names the PNG). It prints the table and whether each of the issue's
goals is met.
Each dataset's answers are replayed object by object in a seeded random order, with worker skills
re-estimated online (``truthset.consolidation.replay``); the final labels are ``bayes_ds`` on the
answers collected, scored against gold, beside ``bayes_ds`` on every answer. One stopping rule
(``StoppingRule`` defaults, no maximum but the data's) for every dataset.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from consolidation import ORDER, Dataset, data_dir, load, table
from truthset.consolidation.adaptive import StoppingRule
from truthset.consolidation.bayes_ds import bayes_ds
from truthset.consolidation.replay import replay

UNLIMITED = 10_000  # the data's own answers are the maximum
SWEEP = (0.9, 0.93, 0.95, 0.97, 0.99)
SEEDS = 3
# The goals, with one setting for every dataset.
GOAL_SAVED, GOAL_MEAN, GOAL_WORST = 0.40, -0.5, -2.0


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    share: float  # answers used / all answers
    adaptive: float  # accuracy in points
    full: float


def score(data: Dataset, label: np.ndarray) -> float:
    return 100.0 * float(np.mean(label[data.gold_items] == data.gold_labels))


def run(
    datasets: list[Dataset], rule: StoppingRule, full: dict[str, float], seeds: int = SEEDS
) -> list[Row]:
    """Per dataset, the means over ``seeds`` replays (answer orders): on the small datasets one
    gold item is a point of accuracy (bluebirds: 108 items), so one order alone is mostly
    noise."""
    rows = []
    for data in datasets:
        runs = [replay(data.answers, rule, seed=seed) for seed in range(seeds)]
        share = float(np.mean([r.share for r in runs]))
        accuracy = float(np.mean([score(data, r.result.label) for r in runs]))
        rows.append(Row(data.name, share, accuracy, full[data.name]))
    return rows


def summary(rows: list[Row]) -> tuple[float, float, float]:
    """Mean share of answers saved, mean accuracy change, worst accuracy change (points)."""
    saved = 1 - float(np.mean([r.share for r in rows]))
    changes = [r.adaptive - r.full for r in rows]
    return saved, float(np.mean(changes)), min(changes)


def print_rows(rows: list[Row], rule: StoppingRule) -> None:
    print(
        f"target {rule.target}, min {rule.min_answers} answers, urn {rule.urn}, evidence weight "
        f"{rule.evidence_weight}, new-worker prior {rule.new_worker} answers, reviewer "
        f"{rule.reviewer}\n"
    )
    body = [
        [
            r.name,
            f"{100 * r.share:.1f}%",
            f"{r.adaptive:.2f}",
            f"{r.full:.2f}",
            f"{r.adaptive - r.full:+.2f}",
        ]
        for r in rows
    ]
    saved, mean_change, worst = summary(rows)
    mean_adaptive = float(np.mean([r.adaptive for r in rows]))
    mean_full = float(np.mean([r.full for r in rows]))
    body.append(
        [
            "mean",
            f"{100 * (1 - saved):.1f}%",
            f"{mean_adaptive:.2f}",
            f"{mean_full:.2f}",
            f"{mean_change:+.2f}",
        ]
    )
    table(["dataset", "answers used", "adaptive acc", "all-answers acc", "change"], body)
    worst_name = min(rows, key=lambda r: r.adaptive - r.full).name
    for goal, value, met in (
        ("answers saved on the mean >= 40%", f"{100 * saved:.1f}%", saved >= GOAL_SAVED),
        ("mean accuracy change >= -0.5 points", f"{mean_change:+.2f}", mean_change >= GOAL_MEAN),
        ("no dataset below -2 points", f"{worst:+.2f} ({worst_name})", worst >= GOAL_WORST),
    ):
        print(f"goal {goal}: {value} -> {'met' if met else 'NOT met'}")


def plot(sweep: list[tuple[float, list[Row]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 5))
    shares = [100 * (1 - summary(rows)[0]) for _, rows in sweep]
    accuracies = [float(np.mean([r.adaptive for r in rows])) for _, rows in sweep]
    axes.plot(shares, accuracies, "o-", label="adaptive (mean over 16 datasets)")
    for (target, _), x, y in zip(sweep, shares, accuracies, strict=True):
        axes.annotate(f"{target}", (x, y), textcoords="offset points", xytext=(4, -12))
    full = float(np.mean([r.full for r in sweep[0][1]]))
    axes.plot([100], [full], "s", color="black", label="every answer")
    axes.set_xlabel("answers used (% of all, mean over datasets)")
    axes.set_ylabel("accuracy against gold (%, mean over datasets)")
    axes.set_title("Adaptive workers per object: targets swept")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    print(f"plot written to {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=StoppingRule().target)
    parser.add_argument("--min-answers", type=int, default=StoppingRule().min_answers)
    parser.add_argument("--evidence-weight", type=float, default=StoppingRule().evidence_weight)
    parser.add_argument("--new-worker", type=float, default=StoppingRule().new_worker)
    parser.add_argument("--urn", type=float, default=StoppingRule().urn)
    parser.add_argument(
        "--reviewer",
        action=argparse.BooleanOptionalAction,
        default=StoppingRule().reviewer,
        help="confidence as a reviewer's agreement rather than the posterior",
    )
    parser.add_argument("--seeds", type=int, default=SEEDS, help="answer orders per dataset")
    parser.add_argument("--only", nargs="*", default=None, help="datasets to replay")
    parser.add_argument("--sweep", action="store_true", help="also sweep targets and plot")
    parser.add_argument("--plot", type=Path, default=Path("adaptive-sweep.png"))
    args = parser.parse_args(argv)
    root = data_dir()
    datasets = [load(name, root) for name in (args.only or ORDER)]
    full = {d.name: score(d, bayes_ds(d.answers).label) for d in datasets}
    rule = StoppingRule(
        target=args.target,
        min_answers=args.min_answers,
        max_answers=UNLIMITED,
        evidence_weight=args.evidence_weight,
        new_worker=args.new_worker,
        urn=args.urn,
        reviewer=args.reviewer,
    )
    start = time.perf_counter()
    print_rows(run(datasets, rule, full, args.seeds), rule)
    print(f"replayed in {time.perf_counter() - start:.0f} s\n")
    if args.sweep:
        sweep = []
        for target in SWEEP:
            rows = run(datasets, dataclasses.replace(rule, target=target), full, args.seeds)
            saved, change, worst = summary(rows)
            print(
                f"target {target}: {100 * (1 - saved):.1f}% of answers, "
                f"mean change {change:+.2f}, worst {worst:+.2f}"
            )
            sweep.append((target, rows))
        plot(sweep, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
