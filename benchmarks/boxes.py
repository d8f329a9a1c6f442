"""Bounding-box consolidation against known boxes, and its speed.

Simulated workers draw noisy boxes around known boxes: each misses a box now and then, adds a
spurious one, picks a wrong class, and jitters every edge by a share of the box size (a few
workers are sloppy). Prints mean IoU with the true boxes for the consolidated boxes and for single
workers, box precision/recall, and the speed over 100,000 data objects (images, about 4.5 true
boxes and 5 workers' answers each).

Run: .venv/bin/python benchmarks/boxes.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from truthset.consolidation.boxes import consolidate_boxes, pairwise_iou

WIDTH, HEIGHT = 1000, 800
N_CLASSES = 5
N_WORKERS = 5
MISS = 0.10  # chance a worker misses a box
SPURIOUS = 0.15  # expected spurious boxes per worker per image
MISLABEL = 0.05
SPEED_OBJECTS = 100_000
QUALITY_IMAGES = 1_000


@dataclass
class Image:
    truth: NDArray[np.float64]  # rows (class_id, left, top, width, height)
    answers: list[NDArray[np.float64]]


def true_boxes(rng: np.random.Generator) -> NDArray[np.float64]:
    """1-8 boxes of 30-300 px placed independently (they seldom overlap)."""
    count = int(rng.integers(1, 9))
    width = rng.uniform(30, 300, count)
    height = rng.uniform(30, 300, count)
    left = rng.uniform(0, WIDTH - width)
    top = rng.uniform(0, HEIGHT - height)
    labels = rng.integers(0, N_CLASSES, count)
    return np.rint(np.column_stack([labels, left, top, width, height]))


def crowded_boxes(rng: np.random.Generator) -> NDArray[np.float64]:
    """3-8 pedestrians in a row, each shifted 35-50% of a width: neighbours overlap, IoU 0.3-0.5."""
    count = int(rng.integers(3, 9))
    width = rng.uniform(40, 100)
    left = 50 + np.cumsum(np.r_[0, rng.uniform(0.35, 0.5, count - 1)]) * width
    top = 200 + rng.normal(0, 5, count)
    labels = rng.integers(0, N_CLASSES, count)
    rows: NDArray[np.float64] = np.column_stack(
        [labels, left, top, np.full(count, width), np.full(count, 2 * width)]
    )
    return np.rint(rows)


def worker_answer(
    truth: NDArray[np.float64], sigma: float, rng: np.random.Generator
) -> NDArray[np.float64]:
    kept = truth[rng.random(len(truth)) >= MISS].copy()
    size = np.column_stack([kept[:, 3], kept[:, 4], kept[:, 3], kept[:, 4]])
    edges = np.column_stack(
        [kept[:, 1], kept[:, 2], kept[:, 1] + kept[:, 3], kept[:, 2] + kept[:, 4]]
    )
    edges += rng.normal(0, sigma, edges.shape) * size
    edges[:, 2] = np.maximum(edges[:, 2], edges[:, 0] + 2)
    edges[:, 3] = np.maximum(edges[:, 3], edges[:, 1] + 2)
    wrong = rng.random(len(kept)) < MISLABEL
    kept[wrong, 0] = (kept[wrong, 0] + rng.integers(1, N_CLASSES, wrong.sum())) % N_CLASSES
    boxes = np.column_stack([kept[:, 0], edges[:, :2], edges[:, 2:] - edges[:, :2]])
    spurious = true_boxes(rng)[: rng.poisson(SPURIOUS)]
    return np.rint(np.vstack([boxes, spurious]))


def simulate(
    n_images: int,
    seed: int,
    scene: Callable[[np.random.Generator], NDArray[np.float64]] = true_boxes,
) -> list[Image]:
    rng = np.random.default_rng(seed)
    # Most workers are careful (3-8% of the size per edge), one in five is sloppy (20%).
    sigmas = np.where(
        rng.random(N_WORKERS * 50) < 0.2, 0.20, rng.uniform(0.03, 0.08, N_WORKERS * 50)
    )
    images = []
    for _ in range(n_images):
        truth = scene(rng)
        crew = rng.choice(len(sigmas), N_WORKERS, replace=False)
        images.append(Image(truth, [worker_answer(truth, sigmas[w], rng) for w in crew]))
    return images


def to_edges(rows: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.column_stack(
        [rows[:, 1], rows[:, 2], rows[:, 1] + rows[:, 3], rows[:, 2] + rows[:, 4]]
    )


def match(
    predicted: NDArray[np.float64], truth: NDArray[np.float64]
) -> tuple[list[float], int, int]:
    """IoUs of matched pairs (IoU >= 0.5, Hungarian), and how many of those have the right class."""
    if len(predicted) == 0:
        return [], 0, 0
    iou = pairwise_iou(np.vstack([to_edges(predicted), to_edges(truth)]))[
        : len(predicted), len(predicted) :
    ]
    rows, cols = linear_sum_assignment(-iou)
    good = iou[rows, cols] >= 0.5
    right_class = int((predicted[rows[good], 0] == truth[cols[good], 0]).sum())
    return iou[rows, cols][good].tolist(), int(good.sum()), right_class


@dataclass
class Score:
    ious: list[float]
    matched: int = 0
    right_class: int = 0
    predicted: int = 0
    true: int = 0

    def row(self, name: str) -> str:
        precision = self.matched / max(self.predicted, 1)
        recall = self.matched / max(self.true, 1)
        return (
            f"| {name:<36} | {np.mean(self.ious):.3f} | {precision:.3f} | {recall:.3f} "
            f"| {self.right_class / max(self.matched, 1):.3f} |"
        )

    def add(self, predicted: NDArray[np.float64], truth: NDArray[np.float64]) -> None:
        ious, matched, right_class = match(predicted, truth)
        self.ious += ious
        self.matched += matched
        self.right_class += right_class
        self.predicted += len(predicted)
        self.true += len(truth)


def consolidated(image: Image, **options: float) -> NDArray[np.float64]:
    boxes = consolidate_boxes(image.answers, WIDTH, HEIGHT, **options)  # type: ignore[arg-type]
    return np.array([(b.class_id, b.left, b.top, b.width, b.height) for b in boxes]).reshape(-1, 5)


def quality(images: list[Image], scene: str) -> None:
    n_true = sum(len(i.truth) for i in images)
    print(f"\n{scene}: {len(images)} images, {n_true} true boxes, {N_WORKERS} workers each")
    print("| method                               | mean IoU | precision | recall | class acc |")
    print("|---|---|---|---|---|")
    single = Score([])
    for image in images:
        for answer in image.answers:
            single.add(answer, image.truth)
    print(single.row("single worker (mean over workers)"))
    for name, options in [
        ("consolidated (defaults: IoU 0.4)", {}),
        ("consolidated, iou_threshold 0.3", {"iou_threshold": 0.3}),
        ("consolidated, iou_threshold 0.5", {"iou_threshold": 0.5}),
        ("consolidated, iou_threshold 0.7", {"iou_threshold": 0.7}),
        ("consolidated, min_share 0 (keep all)", {"min_share": 0.0}),
    ]:
        score = Score([])
        for image in images:
            score.add(consolidated(image, **options), image.truth)
        print(score.row(name))


def speed(images: list[Image]) -> None:
    boxes = sum(len(i.truth) for i in images)
    answered = sum(len(a) for i in images for a in i.answers)
    # CPU time is reported next to wall time: on a shared machine it is the steadier figure.
    wall, cpu = time.perf_counter(), time.process_time()
    for image in images:
        consolidate_boxes(image.answers, WIDTH, HEIGHT)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"Speed: {len(images):,} data objects (images) x {N_WORKERS} workers, {boxes:,} true "
        f"boxes, {answered:,} drawn boxes: {wall:.2f} s wall, {cpu:.2f} s CPU = "
        f"{len(images) / cpu:,.0f} objects/s ({answered / cpu:,.0f} drawn boxes/s) of CPU time"
    )


def main() -> None:
    print(
        f"Workers miss {MISS:.0%} of boxes, add {SPURIOUS} spurious boxes per image, mislabel "
        f"{MISLABEL:.0%}; edge jitter 3-8% of the size (one worker in five: 20%)."
    )
    print("Matched = Hungarian pairs with IoU >= 0.5; mean IoU is over matched pairs.")
    quality(simulate(QUALITY_IMAGES, seed=1), "Scattered objects")
    quality(simulate(QUALITY_IMAGES, seed=3, scene=crowded_boxes), "Crowded row of objects")
    speed(simulate(SPEED_OBJECTS, seed=2))


if __name__ == "__main__":
    main()
