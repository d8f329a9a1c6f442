"""Named-entity span consolidation against known entities.

Simulated texts are runs of words; true entities cover 1-3 words. Simulated workers of mixed skill
miss entities, move a boundary by one word, pick a wrong label and mark spurious spans. Scores are
exact-match precision/recall/F1 (label, start and end must all be right), compared with the best
single worker and with "majority of exact matches" (an entity counts only if more than half the
workers marked exactly that label and range).

Run: .venv/bin/python benchmarks/spans.py
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from truthset.consolidation.spans import consolidate_spans

LABELS = ["PER", "ORG", "LOC", "DATE"]
N_TEXTS = 400
WORDS_PER_TEXT = 200
ENTITIES_PER_TEXT = 15

Entity = tuple[str, int, int]


@dataclass
class Text:
    truth: set[Entity]
    answers: list[list[Entity]]


@dataclass
class Worker:
    miss: float
    shift: float  # chance, per boundary, of moving it by one word
    mislabel: float
    spurious: float  # expected spurious entities per text


def simulate_text(workers: Sequence[Worker], rng: np.random.Generator) -> Text:
    lengths = rng.integers(2, 11, WORDS_PER_TEXT)
    starts = np.r_[0, np.cumsum(lengths + 1)[:-1]]
    ends = starts + lengths
    first_words = np.sort(rng.choice(WORDS_PER_TEXT // 4, ENTITIES_PER_TEXT, replace=False)) * 4
    truth = []
    for word in first_words.tolist():
        last = word + int(rng.integers(0, 3))
        truth.append((word, last, LABELS[int(rng.integers(len(LABELS)))]))
    answers = [worker_answer(worker, truth, starts, ends, rng) for worker in workers]
    entities = {(label, int(starts[w]), int(ends[last])) for w, last, label in truth}
    return Text(entities, answers)


def worker_answer(
    worker: Worker,
    truth: list[tuple[int, int, str]],
    starts: np.ndarray,
    ends: np.ndarray,
    rng: np.random.Generator,
) -> list[Entity]:
    answer = []
    for first, last, label in truth:
        if rng.random() < worker.miss:
            continue
        if rng.random() < worker.shift:
            first = max(0, min(last, first + int(rng.choice([-1, 1]))))
        if rng.random() < worker.shift:
            last = min(WORDS_PER_TEXT - 1, max(first, last + int(rng.choice([-1, 1]))))
        if rng.random() < worker.mislabel:
            label = LABELS[(LABELS.index(label) + int(rng.integers(1, len(LABELS)))) % len(LABELS)]
        answer.append((label, int(starts[first]), int(ends[last])))
    for _ in range(rng.poisson(worker.spurious)):
        word = int(rng.integers(WORDS_PER_TEXT - 2))
        label = LABELS[int(rng.integers(len(LABELS)))]
        answer.append((label, int(starts[word]), int(ends[word + int(rng.integers(0, 2))])))
    return answer


def crew(n_workers: int, rng: np.random.Generator) -> list[Worker]:
    return [
        Worker(
            miss=rng.uniform(0.05, 0.3),
            shift=rng.uniform(0.05, 0.3),
            mislabel=rng.uniform(0.03, 0.2),
            spurious=rng.uniform(0.5, 2.0),
        )
        for _ in range(n_workers)
    ]


@dataclass
class Score:
    hits: int = 0
    predicted: int = 0
    true: int = 0

    def add(self, predicted: set[Entity], truth: set[Entity]) -> None:
        self.hits += len(predicted & truth)
        self.predicted += len(predicted)
        self.true += len(truth)

    def row(self, name: str) -> str:
        precision = self.hits / max(self.predicted, 1)
        recall = self.hits / max(self.true, 1)
        f1 = 2 * precision * recall / max(precision + recall, 1e-12)
        return f"| {name:<40} | {precision:.3f} | {recall:.3f} | {f1:.3f} |"


def exact_majority(answers: list[list[Entity]]) -> set[Entity]:
    votes = Counter(entity for answer in answers for entity in set(answer))
    return {entity for entity, count in votes.items() if count * 2 > len(answers)}


def consolidated(**options: float) -> Callable[[list[list[Entity]]], set[Entity]]:
    def method(answers: list[list[Entity]]) -> set[Entity]:
        entities = consolidate_spans(answers, **options)  # type: ignore[arg-type]
        return {(e.label, e.start, e.end) for e in entities}

    return method


def report(n_workers: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    workers = crew(n_workers, rng)
    texts = [simulate_text(workers, rng) for _ in range(N_TEXTS)]
    n_true = sum(len(t.truth) for t in texts)
    print(f"\n{n_workers} workers, {N_TEXTS} texts, {n_true} true entities")
    print("| method                                   | precision | recall | F1 |")
    print("|---|---|---|---|")
    singles = [Score() for _ in workers]
    for text in texts:
        for score, answer in zip(singles, text.answers, strict=True):
            score.add(set(answer), text.truth)
    best = max(range(n_workers), key=lambda w: float(singles[w].row("").split("|")[4]))
    print(singles[best].row(f"best single worker (worker {best})"))
    methods: list[tuple[str, Callable[[list[list[Entity]]], set[Entity]]]] = [
        ("majority of exact matches", exact_majority),
        ("consolidated (defaults: Jaccard 0.2)", consolidated()),
        ("consolidated, jaccard_threshold 0.4", consolidated(jaccard_threshold=0.4)),
        ("consolidated, jaccard_threshold 0.6", consolidated(jaccard_threshold=0.6)),
        ("consolidated, min_share 0 (keep all)", consolidated(min_share=0.0)),
    ]
    for name, method in methods:
        score = Score()
        for text in texts:
            score.add(method(text.answers), text.truth)
        print(score.row(name))


def speed() -> None:
    rng = np.random.default_rng(9)
    workers = crew(5, rng)
    texts = [simulate_text(workers, rng) for _ in range(1000)]
    wall, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        consolidate_spans(text.answers)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n_true = sum(len(t.truth) for t in texts)
    print(
        f"\nSpeed: {len(texts)} texts x 5 workers ({n_true} true entities): {wall:.2f} s wall, {cpu:.2f} s CPU"
    )
    print(f"= {len(texts) / cpu:,.0f} texts/s, {n_true / cpu:,.0f} entities/s of CPU time")


def main() -> None:
    print(
        f"Texts of {WORDS_PER_TEXT} words with {ENTITIES_PER_TEXT} entities of 1-3 words. Workers: "
        "miss 5-30%, move each boundary by a word 5-30%, mislabel 3-20%, 0.5-2 spurious per text."
    )
    print("Scores are exact matches of (label, start, end).")
    report(3, seed=1)
    report(5, seed=2)
    speed()


if __name__ == "__main__":
    main()
