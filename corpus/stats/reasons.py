"""Counts of a dropped-documents side table by `reason` (and by benchmark for contamination drops).

Reads only `reason`, `n_tokens` and `contam_benchmark`, batch by batch: the side tables of a large
run hold most of the crawl, so they are never loaded whole.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpus import shards


def count_reasons(path: str, batch_size: int = 65536) -> dict[str, Any]:
    """Stage function: {"documents", "by_reason": {reason: [docs, tokens]}, "by_benchmark": {b: docs}}."""
    fs, p = shards.url_to_fs(path)
    by_reason: dict[str, list[int]] = {}
    by_bench: dict[str, int] = {}
    n = 0
    with fs.open(p, "rb") as f:
        pf = pq.ParquetFile(f)
        names = set(pf.schema_arrow.names)
        if "reason" not in names:
            raise ValueError(f"{path}: a dropped table without a `reason` column")
        cols = [c for c in ("reason", "n_tokens", "contam_benchmark") if c in names]
        for batch in pf.iter_batches(batch_size=batch_size, columns=cols):
            n += batch.num_rows
            col = dict(zip(batch.schema.names, batch.columns, strict=True))
            tokens = (
                col["n_tokens"].fill_null(0)
                if "n_tokens" in col
                else pa.array(np.zeros(batch.num_rows, np.int64))
            )
            tbl = pa.table({"reason": col["reason"].fill_null("(none)"), "n_tokens": tokens})
            g = tbl.group_by("reason").aggregate([("reason", "count"), ("n_tokens", "sum")])
            for r, c, tk in zip(
                *(g.column(x).to_pylist() for x in ("reason", "reason_count", "n_tokens_sum")), strict=True
            ):
                cur = by_reason.setdefault(r, [0, 0])
                cur[0] += c
                cur[1] += tk or 0
            if "contam_benchmark" in col:
                for item in col["contam_benchmark"].drop_null().value_counts().to_pylist():
                    by_bench[item["values"]] = by_bench.get(item["values"], 0) + item["counts"]
    return {"documents": n, "by_reason": by_reason, "by_benchmark": by_bench, "path": path, "shards": 1}


def merge_reasons(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"documents": 0, "by_reason": {}, "by_benchmark": {}, "shards": 0}
    for p in parts:
        out["documents"] += p["documents"]
        out["shards"] += p.get("shards", 1)
        for r, v in p["by_reason"].items():
            cur = out["by_reason"].setdefault(r, [0, 0])
            cur[0] += v[0]
            cur[1] += v[1]
        for b, v in p["by_benchmark"].items():
            out["by_benchmark"][b] = out["by_benchmark"].get(b, 0) + v
    return out
