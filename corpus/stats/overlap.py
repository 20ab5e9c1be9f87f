"""Overlap between rounds' selections, by document id.

Each round's ids are hashed to uint64 (see `idhash`) and kept as a sorted unique array, read from
the `id` column only: 35M selected pages (the paper's final corpus) are 280 MB, and intersections
run in NumPy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow.parquet as pq

from corpus import shards
from corpus.stats.idhash import hash_ids


def id_hashes(folder: str, batch_size: int = 262144) -> np.ndarray:
    """Sorted unique id hashes of every shard in `folder` (or of one shard file)."""
    paths = [folder] if folder.endswith(".parquet") else shards.list_shards(folder, "part-*.parquet")
    parts = []
    for path in paths:
        fs, p = shards.url_to_fs(path)
        with fs.open(p, "rb") as f:
            for batch in pq.ParquetFile(f).iter_batches(batch_size=batch_size, columns=["id"]):
                parts.append(hash_ids(batch.column(0)))
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.uint64)


def round_overlap(selected: dict[int, str]) -> dict[str, Any]:
    """Pairwise overlap of rounds' selections ({round: selected folder}): intersection sizes, Jaccard,
    and for each round the share of its pages the previous round had also selected (the paper's
    stopping criterion compares consecutive rounds)."""
    ids = {k: id_hashes(path) for k, path in sorted(selected.items())}
    ks = sorted(ids)
    matrix = []
    for a in ks:
        row = []
        for b in ks:
            inter = int(np.intersect1d(ids[a], ids[b], assume_unique=True).size)
            union = int(ids[a].size + ids[b].size - inter)
            row.append({"intersection": inter, "jaccard": inter / union if union else 0.0})
        matrix.append(row)
    consecutive = []
    for i, k in enumerate(ks):
        prev = ks[i - 1] if i else None
        inter = matrix[i][i - 1]["intersection"] if i else None
        consecutive.append(
            {
                "round": k,
                "selected": int(ids[k].size),
                "previous": prev,
                "also_in_previous": inter,
                "share_in_previous": (inter / ids[k].size if ids[k].size else 0.0) if i else None,
                "new_vs_previous": int(ids[k].size - inter) if i else int(ids[k].size),
            }
        )
    return {"rounds": ks, "matrix": matrix, "consecutive": consecutive}
