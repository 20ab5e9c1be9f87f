"""Fixed-edge histograms: every shard uses the same bins, so per-shard counts just add up.

Scores live in [0, 1] (20 equal bins); lengths span orders of magnitude, so token counts use
power-of-two bins (0, 1, 2-3, 4-7, ... , >= 2^20).
"""

from __future__ import annotations

import numpy as np

SCORE_BINS = 20
SCORE_EDGES = np.linspace(0.0, 1.0, SCORE_BINS + 1)
LENGTH_MAX_POW = 20  # last bin: >= 2^20 tokens
LENGTH_EDGES = np.array([0, 1] + [2**k for k in range(1, LENGTH_MAX_POW + 1)], dtype=np.int64)


def score_counts(scores: np.ndarray, weights: np.ndarray | None = None) -> list[int]:
    """Counts (or weight sums) of `scores` in SCORE_BINS equal bins over [0, 1]; 1.0 lands in the
    last bin, values outside [0, 1] are clipped into the end bins."""
    idx = np.clip((np.asarray(scores, dtype=np.float64) * SCORE_BINS).astype(np.int64), 0, SCORE_BINS - 1)
    return np.bincount(idx, weights=weights, minlength=SCORE_BINS).astype(np.int64).tolist()


def length_counts(lengths: np.ndarray) -> list[int]:
    """Counts of `lengths` (tokens) per LENGTH_EDGES bin: [0], [1], [2, 4), [4, 8), ..., [2^20, inf)."""
    idx = np.searchsorted(LENGTH_EDGES, np.asarray(lengths, dtype=np.int64), side="right") - 1
    return np.bincount(np.clip(idx, 0, len(LENGTH_EDGES) - 1), minlength=len(LENGTH_EDGES)).tolist()


def length_labels() -> list[str]:
    out = []
    for i, lo in enumerate(LENGTH_EDGES):
        if i + 1 == len(LENGTH_EDGES):
            out.append(f">={lo}")
        elif LENGTH_EDGES[i + 1] - lo == 1:
            out.append(str(lo))
        else:
            out.append(f"{lo}-{LENGTH_EDGES[i + 1] - 1}")
    return out


def score_labels() -> list[str]:
    return [f"{SCORE_EDGES[i]:.2f}-{SCORE_EDGES[i + 1]:.2f}" for i in range(SCORE_BINS)]


def add(a: list[int] | None, b: list[int] | None) -> list[int] | None:
    if a is None:
        return None if b is None else list(b)
    if b is None:
        return list(a)
    return [x + y for x, y in zip(a, b, strict=True)]
