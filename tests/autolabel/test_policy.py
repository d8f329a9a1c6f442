"""The loop policy on generated jobs: phases, refusals, safety, uncertainty, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from tests.autolabel.simulation import Job, blobs, run
from truthset.autolabel import (
    AutoLabelSettings,
    Features,
    HumanLabel,
    LoopState,
    decide,
    rank_by_uncertainty,
)

SETTINGS = AutoLabelSettings(batch_size=50, seed=3)


def test_too_few_objects_stays_all_human_with_a_reason():
    features, _ = blobs(150, 3, 6.0, seed=0)
    decision = decide(LoopState(features, 3, {}, set(), set(), {}), SETTINGS)
    assert decision.step == "all_human"
    assert "150 objects" in decision.reason and "at least 200" in decision.reason
    assert decision.to_humans == tuple(range(150))
    assert not decision.machine_labels


def test_a_label_set_of_one_label_stays_all_human():
    features, _ = blobs(600, 1, 6.0, seed=0)
    decision = decide(LoopState(features, 1, {}, set(), set(), {}), SETTINGS)
    assert decision.step == "all_human" and "1 label" in decision.reason


def test_training_and_validation_that_would_take_every_object_stay_all_human():
    features, _ = blobs(220, 3, 6.0, seed=0)
    settings = AutoLabelSettings(min_validation_objects=150, min_training_labels=80)
    state = LoopState(features, 3, {}, set(), set(), {})
    assert decide(state, settings).step == "probe"  # cross-fitting: 150 labels serve both
    apart = AutoLabelSettings(min_validation_objects=150, min_training_labels=80, cross_fit=False)
    decision = decide(state, apart)
    assert decision.step == "all_human" and "need 230 human labels" in decision.reason


def test_human_labels_of_a_single_label_stay_all_human():
    features, _ = blobs(600, 3, 6.0, seed=0)
    job = run(Job(features, 3), np.zeros(600, dtype=np.int64), SETTINGS)
    last = job.decisions[-1]
    assert last.step == "all_human" and "same label" in last.reason
    assert not job.machine


def test_probe_then_validation_batches_then_iterations():
    features, truth = blobs(600, 3, 6.0, seed=1)
    job = run(Job(features, 3), truth, SETTINGS)
    steps = [d.step for d in job.decisions]
    assert steps[0] == "probe" and len(job.decisions[0].to_humans) == 10
    # 20% of 600 = 120, raised to the minimum of 150 validation objects. The validation labels
    # also train (cross-fitting), so no random training batch is needed beyond the probe.
    assert steps[1:4] == ["validation", "validation", "validation"]
    assert len(job.validation) == 150
    assert steps[4] == "iteration" and steps[-1] == "done"
    assert all(len(d.to_humans) <= SETTINGS.batch_size for d in job.decisions)


def test_separable_job_machine_labels_most_objects_accurately_and_never_twice():
    features, truth = blobs(1000, 3, 8.0, seed=2)
    job = run(Job(features, 3), truth, SETTINGS)
    assert not set(job.machine) & set(job.human)
    assert set(job.machine) | set(job.human) == set(range(1000))
    assert len(job.machine) > 600
    machine_ids = np.array(sorted(job.machine))
    machine_labels = np.array([job.machine[i].label for i in machine_ids])
    assert np.mean(machine_labels == truth[machine_ids]) >= 0.95
    assert all(0.0 <= m.confidence <= 1.0 for m in job.machine.values())
    first = job.records[0]
    assert first.iteration == 1 and first.threshold is not None
    assert first.lower_bound >= first.target_accuracy
    assert first.validation_size == 200 and first.feature_extractor == "blobs"


def test_features_without_signal_machine_label_nothing():
    rng = np.random.default_rng(4)
    features = Features("noise", rng.normal(size=(800, 8)).astype(np.float32))
    truth = rng.integers(0, 3, 800)
    job = run(Job(features, 3), truth, SETTINGS)
    assert not job.machine
    assert job.records and all(r.threshold is None for r in job.records)
    assert "no threshold reaches the target" in job.records[0].reason
    assert set(job.human) == set(range(800))


def test_iteration_sends_the_least_certain_objects_to_humans():
    features, truth = blobs(800, 3, 3.0, seed=5)
    job = Job(features, 3)
    while True:
        decision = decide(job.state(), SETTINGS)
        if decision.step == "iteration":
            break
        job.apply(decision)
        job.human.update({i: HumanLabel(int(truth[i])) for i in decision.to_humans})
    assert decision.model is not None and decision.to_humans
    sent = list(decision.to_humans)
    handled = set(job.released) | set(decision.machine_labels) | set(sent)
    others = [i for i in range(800) if i not in handled]
    confidence = decision.model.probabilities(features.vectors).max(axis=1)
    assert confidence[sent].max() <= confidence[others].min()
    assert list(sent) == sorted(sent, key=lambda i: (confidence[i], i))


def test_rank_by_uncertainty_breaks_ties_by_id():
    probabilities = np.array([[0.5, 0.5], [0.9, 0.1], [0.5, 0.5], [0.7, 0.3]])
    assert rank_by_uncertainty(np.array([9, 4, 2, 7]), probabilities).tolist() == [2, 9, 7, 4]


def test_outstanding_validation_labels_make_the_loop_wait():
    features, truth = blobs(600, 3, 6.0, seed=6)
    job = Job(features, 3)
    for _ in range(4):  # probe and three validation batches, answered except the last
        decision = decide(job.state(), SETTINGS)
        job.apply(decision)
        if decision.step != "validation" or len(job.validation) < 150:
            job.human.update({i: HumanLabel(int(truth[i])) for i in decision.to_humans})
    waiting = decide(job.state(), SETTINGS)
    assert waiting.step == "wait" and "validation labels" in waiting.reason


def test_no_more_than_a_batch_is_ever_with_humans():
    features, _ = blobs(600, 3, 6.0, seed=7)
    job = Job(features, 3)
    for _ in range(5):  # nobody answers
        decision = decide(job.state(), SETTINGS)
        job.apply(decision)
    assert len(job.released) == SETTINGS.batch_size
    assert job.decisions[-1].step == "wait"


def test_decisions_are_deterministic_and_resumable():
    features, truth = blobs(700, 4, 5.0, seed=8)
    first = run(Job(features, 4), truth, SETTINGS)
    second = run(Job(features, 4), truth, SETTINGS)
    assert [d.to_humans for d in first.decisions] == [d.to_humans for d in second.decisions]
    assert first.machine == second.machine
    assert first.records == second.records


def test_a_restarted_runtime_continues_where_it_stopped():
    features, truth = blobs(700, 4, 3.0, seed=8)
    whole = run(Job(features, 4), truth, SETTINGS)
    assert len(whole.records) >= 2
    part = Job(features, 4)
    while len(part.records) < 1:
        decision = decide(part.state(), SETTINGS)
        part.apply(decision)
        part.human.update({i: HumanLabel(int(truth[i])) for i in decision.to_humans})
    # Only what a runtime stores survives: labels, released and validation ids, the last record.
    restarted = Job(
        features, 4, human=dict(part.human), machine=dict(part.machine),
        released=set(part.released), validation=set(part.validation), records=part.records[-1:],
    )  # fmt: skip
    run(restarted, truth, SETTINGS)
    assert restarted.machine == whole.machine
    assert restarted.human == whole.human


def test_another_seed_draws_another_random_probe():
    features, _ = blobs(600, 3, 6.0, seed=0)
    state = LoopState(features, 3, {}, set(), set(), {})
    assert decide(state, SETTINGS).to_humans != decide(state, AutoLabelSettings(seed=4)).to_humans


def test_retraining_waits_for_enough_new_labels():
    features, truth = blobs(800, 3, 3.0, seed=9)
    settings = AutoLabelSettings(batch_size=50, seed=3, retrain_after=30)
    job = Job(features, 3)
    while not job.records:
        decision = decide(job.state(), settings)
        job.apply(decision)
        if decision.step != "iteration":
            job.human.update({i: HumanLabel(int(truth[i])) for i in decision.to_humans})
    batch = job.decisions[-1].to_humans
    job.human.update({i: HumanLabel(int(truth[i])) for i in batch[:20]})
    assert decide(job.state(), settings).step == "wait"
    job.human.update({i: HumanLabel(int(truth[i])) for i in batch[20:30]})
    assert decide(job.state(), settings).step == "iteration"


def test_uncertain_human_labels_are_left_out_of_validation():
    features, truth = blobs(600, 3, 6.0, seed=10)
    job = Job(features, 3)
    while not job.records:
        decision = decide(job.state(), SETTINGS)
        job.apply(decision)
        for i in decision.to_humans:  # every fourth label is a tie: confidence 1/3
            job.human[i] = HumanLabel(int(truth[i]), 1 / 3 if i % 4 == 0 else 1.0)
    record = job.records[0]
    assert record.validation_size == 150
    assert record.validation_used == sum(1 for i in job.validation if i % 4 != 0)


@pytest.mark.parametrize(
    "bad",
    [
        {"target_accuracy": 1.0},
        {"bound_level": 0.0},
        {"probe_size": 20, "batch_size": 10},
        {"folds": 1},
    ],
)
def test_impossible_settings_are_refused(bad):
    with pytest.raises(ValueError):
        AutoLabelSettings(**bad)


def test_without_cross_fitting_a_random_training_batch_comes_first():
    features, truth = blobs(800, 3, 8.0, seed=11)
    settings = AutoLabelSettings(batch_size=50, seed=3, cross_fit=False)
    job = run(Job(features, 3), truth, settings)
    steps = [d.step for d in job.decisions]
    assert steps[:3] == ["probe", "training", "validation"]
    assert job.records[0].training_size == 50  # max(50, 10 * 3) random labels, no validation
    assert not set(job.machine) & set(job.human) and job.machine


def test_an_earlier_jobs_model_warm_starts_the_first_iteration():
    features, truth = blobs(800, 3, 4.0, seed=12)
    earlier = run(Job(features, 3), truth, SETTINGS).decisions
    model = next(d.model for d in earlier if d.model is not None)
    job = Job(features, 3)
    while not job.records:
        decision = decide(
            LoopState(
                features, 3, dict(job.human), set(job.released), set(job.validation), {},
                initial_model=model,
            ),
            SETTINGS,
        )  # fmt: skip
        job.apply(decision)
        job.human.update({i: HumanLabel(int(truth[i])) for i in decision.to_humans})
    assert job.records[0].warm_started
