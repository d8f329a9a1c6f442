"""Garbage-collector settings for truthset's long-running processes (server and runner)."""

from __future__ import annotations

import gc


def settle() -> None:
    """Everything imported so far lives as long as the process: keep it out of the collector's
    way, and collect less often. With the defaults, full collections over the many rows a pass
    builds (a million-line output manifest, a job's answers for consolidation) cost more than
    the work itself: writing such a manifest took 3.3 s of CPU, 1.5 s with these."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
