"""Stats throughput (rows/s) on a generated 10M-row table, against loading it whole.

Generates Parquet shards with the Document columns the statistics read (ids, urls, Zipf-distributed
domains, languages, short texts, `n_tokens`, scores, rounds, markup counts) in a temporary folder,
then measures, each in a fresh process so peak memory is its own:

- ours: `corpus.stats.collect` on the folder (per-shard batch-wise profiles merged), 1 and 2 workers;
- anchor: the load-it-all way, `pyarrow.dataset` reading the same columns into one table and
  `Table.group_by` for the same groups (documents, tokens, bytes by language / domain / round) and
  NumPy histograms, without samples or markup statistics (so it does less work than ours).

Reported: wall seconds, rows/s, peak RSS, and our/anchor ratios.

    python -m benchmarks stats                    # 10M rows; MATHMINE_BENCH_STATS_ROWS to change
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.common import other_cpu_percent, print_table, write_result

ROWS = int(os.environ.get("MATHMINE_BENCH_STATS_ROWS", 10_000_000))
SHARD_ROWS = 500_000
WORDS = [
    "the",
    "let",
    "prove",
    "integral",
    "sum",
    "of",
    "prime",
    "matrix",
    "derivative",
    "theorem",
    "lemma",
    "so",
    "thus",
    "hence",
    "where",
    "函数",
    "integer",
]


def _hex_ids(rng: np.random.Generator, n: int) -> pa.Array:
    """n random 16-hex-digit ids built from buffers (formatting 10M strings in Python takes minutes)."""
    v = rng.integers(0, 2**63, n, dtype=np.uint64)
    nib = (v[:, None] >> (np.arange(15, -1, -1, dtype=np.uint64) * 4)) & np.uint64(15)
    chars = np.frombuffer(b"0123456789abcdef", np.uint8)[nib.astype(np.int64)]
    offsets = np.arange(0, 16 * (n + 1), 16, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(chars.tobytes()))


def generate(folder: Path, rows: int, seed: int = 0) -> float:
    """Write `rows` rows as SHARD_ROWS-row shards; returns seconds."""
    from corpus import shards
    from corpus.schema import MATH_FAMILIES, conform

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    pool_rng = np.random.default_rng(seed + 1)
    texts = pa.array(
        [" ".join(pool_rng.choice(WORDS, int(pool_rng.integers(5, 25)))) + f" $x^{i}$" for i in range(5000)]
    )
    domains = pa.array([f"site{i}.example.org" for i in range(50_000)])
    for i, start in enumerate(range(0, rows, SHARD_ROWS)):
        n = min(SHARD_ROWS, rows - start)
        ids = _hex_ids(rng, n)
        dom = domains.take(pa.array(np.minimum(rng.zipf(1.3, n) - 1, len(domains) - 1)))
        text = texts.take(pa.array(rng.integers(0, len(texts), n)))
        cols = {
            "id": ids,
            "domain": dom,
            "host": dom,
            "url": pc.binary_join_element_wise("https://", dom, "/q/", ids, ""),
            "text": text,
            "lang": pa.array(rng.choice(["en", "zh", "fr", "de", "ru"], n, p=[0.8, 0.1, 0.04, 0.03, 0.03])),
            "n_tokens": pa.array(rng.integers(5, 4000, n).astype(np.int32)),
            "score": pa.array(rng.beta(0.5, 2.0, n).astype(np.float32)),
            "round": pa.array(
                np.where(rng.random(n) < 0.5, rng.integers(1, 5, n), 0).astype(np.int16), mask=None
            ),
        }
        cols["round"] = pc.if_else(pc.equal(cols["round"], 0), pa.scalar(None, pa.int16()), cols["round"])
        for f in MATH_FAMILIES:
            cols[f"math_{f}"] = pa.array((rng.poisson(0.5, n) * (rng.random(n) < 0.3)).astype(np.int32))
        shards.write_table(conform(pa.table(cols)), str(folder / shards.shard_name(i)))
    return time.perf_counter() - t0


def _ours(folder: str, workers: int, q: mp.Queue) -> None:
    from corpus.stats.collect import collect

    t0 = time.perf_counter()
    r = collect(folder, workers=workers)
    q.put(
        {
            "seconds": time.perf_counter() - t0,
            "rows": r["corpus"]["documents"],
            "tokens": r["corpus"]["tokens"],
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        }
    )


def _anchor(folder: str, q: mp.Queue) -> None:
    import pyarrow.dataset as ds

    t0 = time.perf_counter()
    cols = ["id", "text", "n_tokens", "domain", "lang", "round", "score"]
    t = ds.dataset(folder, format="parquet").to_table(columns=cols)
    t = t.append_column("bytes", pc.binary_length(t.column("text")))
    for key in ("lang", "domain", "round"):
        t.group_by(key).aggregate([("id", "count"), ("n_tokens", "sum"), ("bytes", "sum")])
    np.histogram(t.column("score").drop_null().to_numpy(), bins=20, range=(0, 1))
    np.histogram(np.log2(t.column("n_tokens").to_numpy() + 1), bins=22)
    q.put(
        {
            "seconds": time.perf_counter() - t0,
            "rows": t.num_rows,
            "tokens": pc.sum(t.column("n_tokens")).as_py(),
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_rss_mb": 0.0,
        }
    )


def _in_process(target, *args) -> dict[str, Any]:
    ctx = mp.get_context("spawn")  # a fresh interpreter: its peak RSS is this measurement's alone
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-stats-"))
    try:
        gen = generate(tmp, ROWS)
        size = sum(f.stat().st_size for f in tmp.glob("*.parquet"))
        print(
            f"generated {ROWS:,} rows in {len(list(tmp.glob('*.parquet')))} shards ({size / 2**20:.0f} MiB) in {gen:.1f} s"
        )
        rows = []
        results = {}
        for name, target, args in (
            ("anchor: pyarrow.dataset whole table + group_by", _anchor, (str(tmp),)),
            ("ours: collect, 1 worker", _ours, (str(tmp), 1)),
            ("ours: collect, 2 workers", _ours, (str(tmp), 2)),
        ):
            load = other_cpu_percent(0.3)
            r = _in_process(target, *args)
            assert r["rows"] == ROWS, (name, r["rows"])
            results[name] = r
            rows.append(
                {
                    "method": name,
                    "seconds": round(r["seconds"], 2),
                    "rows_per_s": int(ROWS / r["seconds"]),
                    "peak_rss_mb": round(max(r["rss_mb"], r["children_rss_mb"])),
                    "other_cpu_%": load,
                }
            )
        anchor = results["anchor: pyarrow.dataset whole table + group_by"]
        tok = {r["tokens"] for r in results.values()}
        assert len(tok) == 1, f"token totals differ: {tok}"
        for row in rows:
            row["speed_vs_anchor"] = round(anchor["seconds"] / row["seconds"], 2)
            row["memory_vs_anchor"] = round(row["peak_rss_mb"] / max(anchor["rss_mb"], 1), 3)
        print_table(rows, f"stats throughput, {ROWS:,} rows")
        write_result(
            "stats",
            {
                "rows": ROWS,
                "shards": len(list(tmp.glob("*.parquet"))),
                "bytes_on_disk": size,
                "generate_seconds": round(gen, 1),
                "results": rows,
            },
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
