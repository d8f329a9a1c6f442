"""Classification consolidation on 16 real crowdsourced datasets, beside crowd-kit 1.4.2.

Run: ``.venv/bin/python benchmarks/consolidation.py`` (about 50 s on 2 cores; ``--sensitivity``
adds the settings sweep, about 20 s more). The datasets are found in
``$TRUTHSET_CROWD_DATA`` or ``../shared/datasets/crowd`` next to the repository; their README
holds crowd-kit's accuracies and times, which are parsed from it. Prints: accuracy per method
and dataset, calibration of the default method, speed beside crowd-kit's DawidSkene (run live
when crowd-kit is importable), and a synthetic job of 1,000,000 answers.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import re
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from truthset.consolidation import (
    DEFAULT_METHOD,
    METHODS,
    Answers,
    BayesSettings,
    encode_answers,
    expected_calibration_error,
    reliability,
)
from truthset.consolidation.bayes_ds import SETTINGS, bayes_ds
from truthset.consolidation.result import Result

REPO = Path(__file__).resolve().parents[1]
ORDER = [
    "rte", "temp", "bluebirds", "product", "possent", "sp", "zencrowd", "trec2010",
    "wsd", "dog", "face", "adult", "web", "ms", "cf", "relevance",
]  # fmt: skip
LARGEST = ("relevance", "adult", "trec2010")


def data_dir() -> Path:
    env = os.environ.get("TRUTHSET_CROWD_DATA")
    return Path(env) if env else REPO.parent / "shared" / "datasets" / "crowd"


@dataclass
class Dataset:
    name: str
    answers: Answers
    gold_items: np.ndarray
    gold_labels: np.ndarray
    rows: list[tuple[str, str, str]]


def load(name: str, root: Path) -> Dataset:
    with open(root / name / "answers.csv", newline="") as f:
        rows = [(r["item"], r["worker"], r["label"]) for r in csv.DictReader(f)]
    with open(root / name / "gold.csv", newline="") as f:
        gold = [(r["item"], r["label"]) for r in csv.DictReader(f)]
    items, workers, labels = zip(*rows, strict=True)
    answers = encode_answers(items, workers, labels)
    gold_items = np.array([answers.index_of("item", i) for i, _ in gold])
    gold_labels = np.array([answers.index_of("label", g) for _, g in gold])
    return Dataset(name, answers, gold_items, gold_labels, rows)


def parse_readme_table(text: str, heading: str) -> dict[str, dict[str, str]]:
    """The markdown table under ``heading``, as {first cell: {column: cell}}."""
    section = text.split(heading, 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    table: list[list[str]] = []
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if table and len(cells) != len(table[0]):
            break
        table.append(cells)
    header, body = table[0], table[2:]
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


def accuracy(result: Result, data: Dataset) -> float:
    return 100.0 * float(np.mean(result.label[data.gold_items] == data.gold_labels))


def timed(run: Callable[[], Any], repeats: int = 1) -> tuple[Any, float]:
    best, value = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        value = run()
        best = min(best, time.perf_counter() - start)
    return value, best


def crowdkit_dawid_skene() -> Callable[[Dataset, float], tuple[float, int]] | None:
    """Times crowd-kit's DawidSkene(n_iter=100, tol); also returns how many EM iterations it
    ran. With its default tol=1e-5 it stops as soon as its evidence bound per answer rises by
    less than that, or falls; tol=-1 runs all 100 iterations."""
    try:
        import pandas as pd
        from crowdkit.aggregation import DawidSkene
    except ImportError:
        return None

    def run(data: Dataset, tol: float = 1e-5) -> tuple[float, int]:
        frame = pd.DataFrame(data.rows, columns=["task", "worker", "label"])
        # fit() is fit_predict() without returning the labels_ it has already computed.
        model, seconds = timed(lambda: DawidSkene(n_iter=100, tol=tol).fit(frame))
        return seconds, len(model.loss_history_)

    return run


def table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) + " |")
    print()


CK_METHODS = ["MV", "MV_rt", "Wawa", "ZBS", "DS", "OneCoinDS", "GLAD", "MACE", "MMSR", "KOS"]


def crowdkit_best(row: dict[str, str]) -> tuple[float, str]:
    scores = {m: float(row[m]) for m in CK_METHODS if re.fullmatch(r"[\d.]+", row[m])}
    best = max(scores.values())
    return best, ", ".join(m for m, v in scores.items() if v == best)


def accuracy_table(
    datasets: list[Dataset], reference: dict[str, dict[str, str]]
) -> dict[str, dict[str, Result]]:
    names = list(METHODS)
    results: dict[str, dict[str, Result]] = {}
    rows, ours, ck_ds, misses = [], {m: [] for m in names}, [], []
    for data in datasets:
        results[data.name] = {m: METHODS[m](data.answers, None, 0) for m in names}
        scores = {m: accuracy(results[data.name][m], data) for m in names}
        ref = reference[data.name]
        best, best_names = crowdkit_best(ref)
        gap = scores[DEFAULT_METHOD] - best
        misses += [data.name] if gap < -1.0 else []
        for m in names:
            ours[m].append(scores[m])
        ck_ds.append(float(ref["DS"]))
        rows.append(
            [data.name, ref["K"], f"{data.answers.n_answers:,}"]
            + [f"{scores[m]:.2f}" for m in names]
            + [ref["MV"], ref["DS"], f"{best:.2f} ({best_names})", f"{gap:+.2f}"]
        )
    mean_best = np.mean([crowdkit_best(reference[d.name])[0] for d in datasets])
    rows.append(
        ["mean", "", ""]
        + [f"{np.mean(ours[m]):.2f}" for m in names]
        + [f"{np.mean([float(reference[d.name]['MV']) for d in datasets]):.2f}"]
        + [f"{np.mean(ck_ds):.2f}", f"{mean_best:.2f}", ""]
    )
    print("## Accuracy on gold items (%): ours (seed 0) beside crowd-kit 1.4.2 (README)\n")
    header = [
        "dataset",
        "K",
        "answers",
        *names,
        "ck MV",
        "ck DS",
        "ck best",
        f"{DEFAULT_METHOD} - best",
    ]
    table(header, rows)
    target = np.mean(ck_ds) + 1.0
    print(
        f"{DEFAULT_METHOD}: mean {np.mean(ours[DEFAULT_METHOD]):.2f} (goal >= {target:.2f});"
        f" datasets more than 1 point below crowd-kit's best: {', '.join(misses) or 'none'}\n"
    )
    return results


def calibration_table(datasets: list[Dataset], results: dict[str, dict[str, Result]]) -> None:
    rows, all_conf, all_hits, eces = [], [], [], []
    for data in datasets:
        result = results[data.name][DEFAULT_METHOD]
        conf = result.confidence[data.gold_items]
        hits = result.label[data.gold_items] == data.gold_labels
        all_conf.append(conf)
        all_hits.append(hits)
        ece = expected_calibration_error(conf, hits)
        eces.append(ece)
        rows.append(
            [data.name, str(len(conf)), f"{conf.mean():.3f}", f"{hits.mean():.3f}", f"{ece:.3f}"]
        )
    conf, hits = np.concatenate(all_conf), np.concatenate(all_hits)
    pooled = expected_calibration_error(conf, hits)
    rows.append(
        ["pooled", str(len(conf)), f"{conf.mean():.3f}", f"{hits.mean():.3f}", f"{pooled:.3f}"]
    )
    rows.append([f"mean of the {len(datasets)} ECEs", "", "", "", f"{np.mean(eces):.3f}"])
    print(f"## Calibration of {DEFAULT_METHOD} confidence on gold items (10 bins)\n")
    table(["dataset", "gold items", "mean confidence", "accuracy", "ECE"], rows)
    bins = reliability(conf, hits)
    rel_rows = [
        [f"{lo:.1f}-{hi:.1f}", str(n), "" if n == 0 else f"{c:.3f}", "" if n == 0 else f"{a:.3f}"]
        for lo, hi, n, c, a in zip(
            bins.lower, bins.upper, bins.count, bins.confidence, bins.accuracy, strict=True
        )
    ]
    print(f"Reliability, pooled over the {len(datasets)} datasets:\n")
    table(["confidence bin", "items", "mean confidence", "accuracy"], rel_rows)


def gold_calibration_table(datasets: list[Dataset], share: float = 0.2) -> None:
    """Passes a random ``share`` of the gold labels as known gold and scores the rest."""
    rows: list[list[str]] = []
    confidence: dict[bool, list[np.ndarray]] = {False: [], True: []}
    correct: dict[bool, list[np.ndarray]] = {False: [], True: []}
    eces: dict[bool, list[float]] = {False: [], True: []}
    rng = np.random.default_rng(11)
    for data in datasets:
        known = rng.random(len(data.gold_items)) < share
        gold = dict(
            zip(data.gold_items[known].tolist(), data.gold_labels[known].tolist(), strict=True)
        )
        held_items, held_labels = data.gold_items[~known], data.gold_labels[~known]
        scores = []
        for given in (False, True):
            result = METHODS[DEFAULT_METHOD](data.answers, gold if given else None, 0)
            conf, hits = result.confidence[held_items], result.label[held_items] == held_labels
            confidence[given].append(conf)
            correct[given].append(hits)
            eces[given].append(expected_calibration_error(conf, hits))
            scores.append(f"{100 * hits.mean():.2f}")
        ece_cells = [f"{eces[given][-1]:.3f}" for given in (False, True)]
        rows.append([data.name, str(len(gold)), str(len(held_items)), *scores, *ece_cells])
    pooled = [
        f"{expected_calibration_error(np.concatenate(confidence[g]), np.concatenate(correct[g])):.3f}"
        for g in (False, True)
    ]
    rows.append(["pooled", "", str(sum(len(c) for c in confidence[True])), "", "", *pooled])
    means = [f"{np.mean(eces[given]):.3f}" for given in (False, True)]
    rows.append([f"mean of the {len(datasets)} ECEs", "", "", "", "", *means])
    print(
        f"## {DEFAULT_METHOD} given {share:.0%} of the gold labels (scored on the other gold items)\n"
    )
    header = ["dataset", "gold given", "scored", "acc without", "acc with", "ECE without",
              "ECE with"]  # fmt: skip
    table(header, rows)


def speed_table(datasets: list[Dataset], reference: dict[str, dict[str, str]], live: bool) -> None:
    crowdkit = crowdkit_dawid_skene() if live else None
    rows = []
    for data in datasets:
        repeats = 3 if data.answers.n_answers < 50_000 else 5
        columns = list(zip(*data.rows, strict=True))  # as the CLI has them after reading
        _, ours = timed(lambda d=data: METHODS[DEFAULT_METHOD](fresh(d.answers), None, 0), repeats)
        _, classic = timed(lambda d=data: METHODS["dawid-skene"](fresh(d.answers), None, 0), 2)
        _, encoding = timed(lambda c=columns: encode_answers(*c), repeats)
        both = ours + encoding
        ck_live, ck_steps = crowdkit(data, 1e-5) if crowdkit else (float("nan"), 0)
        full = crowdkit(data, -1.0)[0] if crowdkit and data.name in LARGEST else float("nan")
        ck_readme = float(reference[data.name]["DS"])
        rows.append(
            [data.name, f"{data.answers.n_answers:,}", f"{encoding:.3f}", f"{ours:.3f}",
             f"{both:.3f}", f"{classic:.3f}", f"{ck_readme:.2f}", f"{ck_live:.2f}",
             str(ck_steps or ""), "" if np.isnan(full) else f"{full:.2f}",
             f"{ck_readme / both:.0f}x", f"{ck_live / both:.0f}x" if crowdkit else "",
             "" if np.isnan(full) else f"{full / both:.0f}x"]
        )  # fmt: skip
    source = "live on this machine" if crowdkit else "README (crowd-kit not importable)"
    print(f"## Speed (seconds, best of 3-5 runs); crowd-kit DawidSkene(n_iter=100) {source}\n")
    header = ["dataset", "answers", "encode ids", DEFAULT_METHOD, "encode + fit", "dawid-skene",
              "ck DS README", "ck DS live", "ck EM steps", "ck DS 100 steps",
              "README / ours", "live / ours", "100 steps / ours"]  # fmt: skip
    table(header, rows)
    print(
        f"The goal is >= 10x on {', '.join(LARGEST)}. 'ours' is encoding the ids plus"
        f" {DEFAULT_METHOD}, as crowd-kit's time includes its own pandas factorising; neither"
        " includes building the input from the CSV rows. 'ck DS 100 steps' is crowd-kit run"
        " with tol=-1, so that it does all 100 EM iterations instead of stopping after 2 or 3."
        " crowd-kit is timed once, ours as the best of several runs.\n"
    )


def fresh(answers: Answers) -> Answers:
    """The same answers without cached sparse matrices, as a caller would pass them."""
    return Answers(
        answers.item, answers.worker, answers.label,
        answers.item_ids, answers.worker_ids, answers.label_ids,
    )  # fmt: skip


SWEEP: list[tuple[str, dict[str, float]]] = [
    ("none", {}),
    ("prior_strength 2 (3)", {"prior_strength": 2}),
    ("prior_strength 4 (3)", {"prior_strength": 4}),
    ("one_coin_share 0.05 (0.1)", {"one_coin_share": 0.05}),
    ("one_coin_share 0.2 (0.1)", {"one_coin_share": 0.2}),
    ("accuracy_strength 10 (20)", {"accuracy_strength": 10}),
    ("accuracy_strength 50 (20)", {"accuracy_strength": 50}),
    ("subtype_strength 4 (5)", {"subtype_strength": 4}),
    ("subtype_strength 6 (5)", {"subtype_strength": 6}),
    ("class_concentration 0.5 (1)", {"class_concentration": 0.5}),
    ("class_concentration 2 (1)", {"class_concentration": 2}),
    ("tolerance 1e-5 (1e-4)", {"tolerance": 1e-5, "subtype_tolerance": 1e-5}),
    ("strength_growth 0: fixed row prior (0.5)", {"strength_growth": 0}),
    ("strength_growth 1: row prior ~ K (0.5)", {"strength_growth": 1}),
    ("subtype_classes 20: subtypes for every K (2)", {"subtype_classes": 20}),
    ("min_answers 1: single answers fit too (2)", {"min_answers": 1}),
    ("reviewer_share 0.1 (0.25)", {"reviewer_share": 0.1}),
    ("reviewer_share 0.5 (0.25)", {"reviewer_share": 0.5}),
    ("reviewer_strength 10 (30)", {"reviewer_strength": 10}),
    ("reviewer_strength 100 (30)", {"reviewer_strength": 100}),
    ("reviewer_share 0: confidence = posterior", {"reviewer_share": 0, "reviewer_strength": 1e12}),
]


def sensitivity_table(datasets: list[Dataset], reference: dict[str, dict[str, str]]) -> None:
    """Each row changes one setting of ``bayes-ds`` and leaves the others at their defaults."""
    rows = []
    for name, change in SWEEP:
        settings: BayesSettings = dataclasses.replace(SETTINGS, **change)  # type: ignore[arg-type]
        scores, confidence, correct, misses = [], [], [], []
        for data in datasets:
            result = bayes_ds(data.answers, settings=settings)
            score = accuracy(result, data)
            gap = score - crowdkit_best(reference[data.name])[0]
            misses += [f"{data.name} {gap:+.2f}"] if gap < -1.0 else []
            scores.append(score)
            confidence.append(result.confidence[data.gold_items])
            correct.append(result.label[data.gold_items] == data.gold_labels)
        ece = expected_calibration_error(np.concatenate(confidence), np.concatenate(correct))
        rows.append([name, f"{np.mean(scores):.2f}", ", ".join(misses) or "none", f"{ece:.3f}"])
    print(f"## Sensitivity of {DEFAULT_METHOD}: one setting changed at a time (default)\n")
    table(["change (default)", "mean", "more than 1 point below crowd-kit's best", "ECE"], rows)


def synthetic_job(
    n_answers: int = 1_000_000, classes: int = 20, workers: int = 2000, per_item: int = 5
) -> tuple[Answers, np.ndarray]:
    """Workers of mixed skill (10% spammers) on items answered ``per_item`` times each."""
    rng = np.random.default_rng(7)
    items = n_answers // per_item
    truth = rng.integers(0, classes, items)
    skill = np.where(rng.random(workers) < 0.1, 1.0 / classes, rng.beta(6, 2, workers))
    chosen = rng.integers(0, workers, (items, per_item))
    for _ in range(20):  # redraw rows where a worker would answer the same item twice
        ordered = np.sort(chosen, axis=1)
        clash = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if not clash.any():
            break
        chosen[clash] = rng.integers(0, workers, (int(clash.sum()), per_item))
    item = np.repeat(np.arange(items), per_item)
    worker = chosen.ravel()
    right = rng.random(len(item)) < skill[worker]
    wrong = (truth[item] + rng.integers(1, classes, len(item))) % classes
    label = np.where(right, truth[item], wrong)
    answers = Answers(
        item.astype(np.int64), worker.astype(np.int64), label.astype(np.int64),
        tuple(range(items)), tuple(range(workers)), tuple(range(classes)),
    )  # fmt: skip
    return answers, truth


def synthetic_table() -> None:
    answers, truth = synthetic_job()
    run = METHODS[DEFAULT_METHOD]
    result, seconds = timed(lambda: run(answers, None, 0))
    majority = METHODS["majority"](answers, None, 0)
    fresh, _ = synthetic_job()
    tracemalloc.start()
    run(fresh, None, 0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("## Synthetic job: 1,000,000 answers, 20 classes, 2,000 workers, 5 answers per item\n")
    rows = [
        ["time (s)", f"{seconds:.2f}"],
        ["iterations", str(result.iterations)],
        ["peak traced memory (MB)", f"{peak / 2**20:.0f}"],
        ["process max RSS so far (MB)", f"{rss:.0f}"],
        [f"accuracy {DEFAULT_METHOD} (%)", f"{100 * np.mean(result.label == truth):.2f}"],
        ["accuracy majority (%)", f"{100 * np.mean(majority.label == truth):.2f}"],
    ]
    table(["measure", "value"], rows)
    print("Goal: under 10 s with bounded memory.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-crowdkit", action="store_true", help="use README times only")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the 1M-answer job")
    parser.add_argument("--only", nargs="*", default=None, help="dataset names to run")
    parser.add_argument("--sensitivity", action="store_true", help="also sweep the settings")
    args = parser.parse_args(argv)
    root = data_dir()
    if not (root / "README.md").exists():
        print(f"datasets not found in {root}; set TRUTHSET_CROWD_DATA", file=sys.stderr)
        return 1
    readme = (root / "README.md").read_text()
    reference = parse_readme_table(readme, "### Accuracy (%)")
    times = parse_readme_table(readme, "### Time (seconds")
    datasets = [load(name, root) for name in (args.only or ORDER)]
    results = accuracy_table(datasets, reference)
    calibration_table(datasets, results)
    gold_calibration_table(datasets)
    speed_table(datasets, times, live=not args.no_crowdkit)
    if args.sensitivity:
        sensitivity_table(datasets, reference)
    if not args.no_synthetic:
        synthetic_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
