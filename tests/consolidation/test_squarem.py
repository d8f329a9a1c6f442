"""SQUAREM reaches the fixed point plain iteration reaches, in fewer steps."""

from __future__ import annotations

import numpy as np

from truthset.consolidation.squarem import fixed_point


def test_linear_contraction_on_the_simplex() -> None:
    # x -> M x with a column-stochastic M slowly mixing towards its stationary distribution.
    m = np.array([[0.98, 0.01, 0.0], [0.02, 0.97, 0.02], [0.0, 0.02, 0.98]])

    def step(state: np.ndarray) -> np.ndarray:
        return state @ m.T

    start = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    state, steps = fixed_point(step, start, tolerance=1e-10, max_steps=100_000)
    plain, plain_steps = start, 0
    while np.abs(step(plain) - plain).mean() >= 1e-10:
        plain, plain_steps = step(plain), plain_steps + 1
    np.testing.assert_allclose(state, plain, atol=1e-6)
    np.testing.assert_allclose(state.sum(axis=1), 1.0)
    assert steps < plain_steps / 3


def test_stops_at_max_steps() -> None:
    _, steps = fixed_point(lambda s: 1.0 - s, np.array([[0.2, 0.8]]), 1e-12, max_steps=9)
    assert steps <= 9
