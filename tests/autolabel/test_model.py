"""The calibrated classifier: accuracy, calibration, determinism, storage and warm start."""

from __future__ import annotations

import numpy as np
import pytest

from tests.autolabel.simulation import blobs
from truthset.autolabel import LabelModel, ModelError, train_model


def test_learns_separable_classes_with_honest_confidence():
    features, truth = blobs(900, 4, 4.0, seed=0)
    x = features.vectors
    training = train_model(x[:300], truth[:300], 4, "blobs", scale_from=x, seed=1)
    probabilities = training.model.probabilities(x[300:])
    assert probabilities.shape == (600, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    predicted, confidence = probabilities.argmax(axis=1), probabilities.max(axis=1)
    accuracy = np.mean(predicted == truth[300:])
    assert accuracy > 0.9
    # Temperature scaling: mean confidence within a few points of the accuracy.
    assert abs(confidence.mean() - accuracy) < 0.04
    out_of_fold = training.out_of_fold.argmax(axis=1)
    assert np.mean(out_of_fold == truth[:300]) > 0.85


def test_same_seed_same_model_bytes():
    features, truth = blobs(400, 3, 3.0, seed=2)
    first = train_model(features.vectors[:200], truth[:200], 3, "blobs", seed=5)
    second = train_model(features.vectors[:200], truth[:200], 3, "blobs", seed=5)
    assert first.model.to_bytes() == second.model.to_bytes()
    np.testing.assert_array_equal(first.out_of_fold, second.out_of_fold)


def test_stored_model_predicts_the_same():
    features, truth = blobs(300, 3, 3.0, seed=3)
    model = train_model(features.vectors, truth, 3, "blobs").model
    loaded = LabelModel.from_bytes(model.to_bytes())
    assert loaded.extractor == "blobs" and loaded.n_classes == 3
    np.testing.assert_array_equal(
        loaded.probabilities(features.vectors), model.probabilities(features.vectors)
    )


@pytest.mark.parametrize("data", [b"", b"not a model", b"PK\x03\x04broken zip"])
def test_anything_else_is_not_a_model(data):
    with pytest.raises(ModelError):
        LabelModel.from_bytes(data)


def test_labels_never_seen_get_probability_zero():
    features, truth = blobs(300, 3, 4.0, seed=4)
    seen = truth != 2
    model = train_model(features.vectors[seen], truth[seen], 5, "blobs").model
    probabilities = model.probabilities(features.vectors)
    assert probabilities.shape == (300, 5)
    assert np.all(probabilities[:, 2:] == 0.0)


def test_weights_follow_the_confident_labels():
    x = np.array([[0.0], [0.0], [1.0], [1.0]] * 10)
    y = np.array([0, 1, 1, 0] * 10)
    # The same points carry both labels; the weights say which label to believe.
    w = np.array([0.9, 0.1, 0.9, 0.1] * 10)
    model = train_model(x, y, 2, "toy", weights=w).model
    assert model.probabilities(np.array([[0.0], [1.0]])).argmax(axis=1).tolist() == [0, 1]


def test_warm_start_stays_near_the_previous_model_with_few_labels():
    features, truth = blobs(1000, 3, 3.0, seed=6)
    x = features.vectors
    previous = train_model(x[:600], truth[:600], 3, "blobs", scale_from=x).model
    few = slice(600, 615)
    warm = train_model(x[few], truth[few], 3, "blobs", previous=previous)
    cold = train_model(x[few], truth[few], 3, "blobs", scale_from=x)
    assert warm.warm_started and not cold.warm_started
    held = slice(700, 1000)

    def accuracy(model: LabelModel) -> float:
        return float(np.mean(model.probabilities(x[held]).argmax(axis=1) == truth[held]))

    assert accuracy(warm.model) >= accuracy(cold.model)
    other = train_model(x[few], truth[few], 3, "another-extractor", previous=previous)
    assert not other.warm_started


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (np.zeros((3, 2)), np.array([0, 1]), "one row per labeled object"),
        (np.zeros((0, 2)), np.zeros(0, dtype=np.int64), "no labeled objects"),
        (np.zeros((2, 2)), np.array([0, 7]), "label indices"),
        (np.array([[np.nan, 0.0], [1.0, 1.0]]), np.array([0, 1]), "NaN"),
    ],
)
def test_unusable_training_data_is_refused(x, y, message):
    with pytest.raises(ModelError, match=message):
        train_model(x, y, 3, "toy")


def test_features_of_another_width_are_refused():
    model = train_model(np.eye(4), np.array([0, 1, 0, 1]), 2, "toy").model
    with pytest.raises(ModelError, match="expects 4"):
        model.probabilities(np.zeros((1, 3)))
