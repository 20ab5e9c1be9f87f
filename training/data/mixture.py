"""Mix packed rows of several sources so that each source's share of *tokens* equals its weight.

Every row has the same length, so token shares are row shares. Rows are interleaved by smooth weighted
round-robin (the nginx algorithm): each pick adds every source's integer weight to its credit, takes the
source with the most credit and charges it the total. It is deterministic, needs no RNG state, and
after any n picks each source is within one row of `n · weight`: the shares hold over every window,
not only in expectation. The state is the credits (integers) plus each packer's position.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from training.data.packing import Packer

_SCALE = 1_000_000  # weights become integers so the credits are exact in a JSON checkpoint


class Mixture:
    """Iterator of (source name, row) interleaving `packers` by `weights`."""

    def __init__(
        self, packers: dict[str, Packer], weights: dict[str, float], state: dict[str, Any] | None = None
    ):
        if set(packers) != set(weights):
            raise ValueError("packers and weights must name the same sources")
        if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError(f"mixture weights must be non-negative with a positive sum: {weights}")
        total = sum(weights.values())
        self.names = [n for n in packers if weights[n] > 0]
        self.packers = packers
        self.weights = {n: round(_SCALE * weights[n] / total) for n in self.names}
        self.credit = {n: 0 for n in self.names}
        self.rows = {n: 0 for n in self.names}
        if state:
            self.credit.update({k: int(v) for k, v in state["credit"].items() if k in self.credit})
            self.rows.update({k: int(v) for k, v in state["rows"].items() if k in self.rows})

    def shares(self) -> dict[str, float]:
        """Target token share per source."""
        total = sum(self.weights.values())
        return {n: w / total for n, w in self.weights.items()}

    def state_dict(self) -> dict[str, Any]:
        return {
            "credit": dict(self.credit),
            "rows": dict(self.rows),
            "sources": {n: self.packers[n].state_dict() for n in self.names},
        }

    def __iter__(self) -> Iterator[tuple[str, np.ndarray]]:
        return self

    def __next__(self) -> tuple[str, np.ndarray]:
        while self.names:
            total = sum(self.weights[n] for n in self.names)
            for n in self.names:
                self.credit[n] += self.weights[n]
            pick = max(self.names, key=lambda n: self.credit[n])  # ties: first listed source
            self.credit[pick] -= total
            try:
                row = next(self.packers[pick])
            except StopIteration:  # a finite source ran dry (validation): mix the rest
                self.names.remove(pick)
                continue
            self.rows[pick] += 1
            return pick, row
        raise StopIteration
