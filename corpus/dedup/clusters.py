"""Clusters of duplicates: union-find over pair lists, and the rule that picks the document kept.

Union-find is done in batches with numpy ("hook and compress"): every round hooks the larger root of
each edge under the smaller, then compresses paths by pointer jumping until every node points at its
root. Rounds are O(edges) vector operations and their number grows with the log of the longest chain,
so tens of millions of pairs cluster in seconds without a Python loop per edge.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def connected_components(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Components of the graph with edges (a[i], b[i]) over arbitrary uint64 node ids.

    Returns (nodes, root): the sorted distinct nodes that appear in an edge and, for each, the
    smallest node of its component (so a component is named by its smallest member, deterministically).
    """
    a = np.asarray(a, dtype=np.uint64)
    b = np.asarray(b, dtype=np.uint64)
    nodes, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    ia, ib = inv[: a.size], inv[a.size :]
    parent = np.arange(nodes.size)
    while True:
        pa_, pb_ = parent[ia], parent[ib]
        differ = pa_ != pb_
        if not differ.any():
            break
        lo = np.minimum(pa_[differ], pb_[differ])
        hi = np.maximum(pa_[differ], pb_[differ])
        np.minimum.at(parent, hi, lo)  # hook: each root under the smallest root it touches
        while True:  # compress: pointer jumping until every node points at a root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return nodes, nodes[parent]


def keep_order(table: pa.Table) -> np.ndarray:
    """Row order of `table` (columns id, fetch, score) by the keep rule: classifier `score` high first
    (unknown last), then newest `fetch` (unknown last), then `id` ascending. The first row of a cluster
    in this order is the one kept."""
    # Nulls become the lowest values, so one portable sort (null placement per key differs across
    # pyarrow versions) puts unknown scores and fetch times last.
    score = pc.fill_null(table.column("score").cast(pa.float64()), -np.inf)
    fetch = pc.fill_null(table.column("fetch").cast(pa.int64()), np.iinfo(np.int64).min)
    key = pa.table({"score": score, "fetch": fetch, "id": table.column("id")})
    return np.asarray(
        pc.sort_indices(
            key, sort_keys=[("score", "descending"), ("fetch", "descending"), ("id", "ascending")]
        )
    )
