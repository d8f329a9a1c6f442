"""SQUAREM (Varadhan and Roland, 2008): extrapolation that makes EM converge in fewer steps.

EM on sparse crowd data creeps: hundreds of steps that each move the posteriors a little in
the same direction. SQUAREM takes two EM steps, extrapolates along their path and takes one
more step from there; on the benchmark datasets it reaches the same labels with 2-5x fewer EM
steps. States are rows of probabilities, so an extrapolated state is clipped to the simplex
before the stabilising step. (Discarding jumps whose residual grows, a common safeguard, was
tried: it threw away most good jumps and tripled the step count, for the same labels.)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from truthset.consolidation.posteriors import Table, simplex_rows


def _to_simplex(state: Table) -> Table:
    # A row clipped to all zeros stays zero: the next EM step recomputes it from scratch.
    rows = simplex_rows(state.reshape(len(state), -1))
    return rows.reshape(state.shape)


def fixed_point(
    step: Callable[[Table], Table], start: Table, tolerance: float, max_steps: int
) -> tuple[Table, int]:
    """Iterates ``step`` from ``start`` until the entries move by less than ``tolerance`` on
    average. (The largest move is a poor criterion: an item sitting on a near-tie swings with
    every small change of the worker estimates long after everything else has settled.)

    Returns the state and the number of EM steps taken (at most about ``max_steps``).
    """
    state, steps = start, 0
    while steps < max_steps:
        first = step(state)
        change = first - state
        steps += 1
        if not change.size or float(np.abs(change).mean()) < tolerance:
            return first, steps
        second = step(first)
        steps += 1
        curvature = second - 2 * first + state
        # Squares summed elementwise: states may be transposed views (see softmax_rows), and
        # flattening one for a dot product would copy it.
        squared = max(float((curvature * curvature).sum()), 1e-300)
        length = float(np.sqrt(float((change * change).sum()) / squared))
        alpha = -max(length, 1.0)
        jumped = _to_simplex(state - 2 * alpha * change + alpha * alpha * curvature)
        state = step(jumped)
        steps += 1
    return state, steps
