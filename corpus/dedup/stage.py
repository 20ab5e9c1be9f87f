"""The dedup stage: URL, exact and MinHash-LSH near-duplicate removal as maps and partitioned reduces.

    sketch  (map, one task per input shard)   URL key, text key, signature, band keys
                                              -> per-partition key files + per-shard metadata/signatures
    pairs   (reduce, one task per partition)  equal keys -> candidate pairs (star edges)
    cluster (one task, small data)            verify near pairs on signatures, union-find, keep rule
    filter  (map, one task per input shard)   kept docs -> part-NNNNN.parquet, removed -> dropped/

Every task writes its outputs atomically and the executor records its completion, so the same code
runs on the local process pool and on Ray, and a killed run resumes with identical output. Only the
cluster step is global, and it holds only the pair lists and the few documents they touch.

Work files live in ``OUT/_work``; refs are ``shard_index << 32 | row`` (uint64).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpus import shards
from corpus.dedup.clusters import connected_components, keep_order
from corpus.dedup.exact import text_keys, url_keys
from corpus.dedup.lsh import band_keys, partition_of, star_pairs
from corpus.dedup.minhash import MinHasher, estimate_jaccard
from corpus.dedup.shingles import HASH_VERSION
from corpus.executors import Executor, LocalExecutor, Task, merge_counts

log = logging.getLogger(__name__)

KINDS = ("url", "exact", "near")
REASONS = {"url": "url_duplicate", "exact": "exact_duplicate", "near": "near_duplicate"}
_KIND_CODE = {"url": 0, "exact": 1, "near": 2}
_ROW_MASK = np.uint64(0xFFFFFFFF)


@dataclass
class DedupConfig:
    """Settings of the dedup stage. The defaults aim at Jaccard ~0.8 on word 5-gram shingles:
    with 20 bands x 6 rows a pair is a candidate with probability 1-(1-s^6)^20 (0.27 at s=0.5,
    0.92 at 0.7, 0.998 at 0.8), and candidates whose signatures agree on fewer than
    `verify_threshold` of their 120 values are rejected, which removes the low-similarity candidates
    the steep-enough curve lets through (see docs/dedup.md for the table)."""

    kinds: list[str] = field(default_factory=lambda: list(KINDS))
    """Which dedup kinds to run: any of url, exact, near."""
    ngram: int = 5
    """Words per shingle (word n-grams of the normalised text)."""
    num_perm: int = 120
    """MinHash signature length (bins for oph, hash functions for kperm); at least bands * rows."""
    minhash: str = "oph"
    """Signature method: "oph" (one-permutation hashing + optimal densification, O(1) per shingle) or
    "kperm" (K universal hash functions, O(K) per shingle); equally accurate, see docs/dedup.md."""
    bands: int = 20
    """LSH bands: more bands, higher recall at lower similarity."""
    rows: int = 6
    """Signature values per band: more rows, fewer low-similarity candidates."""
    verify_threshold: float = 0.7
    """Candidate pairs are kept only if their signatures estimate Jaccard >= this (0 disables)."""
    seed: int = 1
    """Seed of the MinHash functions (fixed: signatures must agree across shards and runs)."""
    num_partitions: int = 16
    """On-disk partitions of band/URL/text keys; one reduce task per partition. Raise with corpus size
    so that one partition's keys fit a worker (~16 bytes per band per document)."""
    batch_size: int = 4096
    """Documents per batch in the sketch map (bounds its memory)."""

    def __post_init__(self) -> None:
        bad = [k for k in self.kinds if k not in KINDS]
        if bad:
            raise ValueError(f"unknown dedup kind(s) {bad}; choose from {list(KINDS)}")
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands*rows ({self.bands * self.rows}) must be <= num_perm ({self.num_perm})")
        if self.minhash not in ("oph", "kperm"):
            raise ValueError(f"minhash must be oph or kperm, got {self.minhash!r}")
        if self.ngram < 1 or self.num_partitions < 1 or self.batch_size < 1:
            raise ValueError("ngram, num_partitions and batch_size must be >= 1")


# ---------------------------------------------------------------------------------------------- sketch


def _fetch_seconds(col: pa.ChunkedArray | None, n: int) -> pa.Array:
    """Fetch time as int64 seconds since the epoch (UTC); accepts timestamps, dates, ISO strings, ints."""
    if col is None:
        return pa.nulls(n, pa.int64())
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_integer(col.type):
        return pc.cast(col, pa.int64())
    try:
        if pa.types.is_timestamp(col.type):
            ts = col
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            ts = pc.cast(col, pa.timestamp("s", tz="UTC"))
        else:
            ts = pc.cast(col, pa.timestamp("s"))
        secs = pc.cast(ts, pa.timestamp("s", tz=ts.type.tz), safe=False)  # sub-second precision is noise here
        return pc.cast(secs, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as e:
        raise ValueError(f"fetch_time column of type {col.type} cannot be read as a timestamp: {e}") from e


def _part_dir(work: str, kind: str, p: int) -> str:
    return shards.join(work, "sketch", kind, f"p-{p:05d}")


def sketch_shard(shard: str, index: int, work: str, cfg: DedupConfig) -> dict[str, Any]:
    """Map: keys, signatures and band keys of one input shard, written per partition."""
    schema = pq.read_schema(shards.url_to_fs(shard)[1], filesystem=shards.url_to_fs(shard)[0])
    missing = {"id", "text"} - set(schema.names)
    if missing:
        raise ValueError(f"{shard}: dedup needs columns id and text; missing {sorted(missing)}")
    cols = [c for c in ("id", "text", "url", "fetch_time", "score") if c in schema.names]
    hasher = MinHasher(cfg.num_perm, cfg.seed, method=cfg.minhash) if "near" in cfg.kinds else None
    base = np.uint64(index) << np.uint64(32)
    meta, sigs, bands, urls, texts = [], [], [], [], []
    stats = {"records_in": 0, "url_invalid": 0, "no_shingles": 0}
    row0 = 0
    for batch in shards.iter_batches(shard, columns=cols, batch_size=cfg.batch_size):
        n = batch.num_rows
        tb = pa.Table.from_batches([batch])
        if tb.column("id").null_count:
            raise ValueError(f"{shard}: {tb.column('id').null_count} rows have a null id")
        rows = np.arange(row0, row0 + n, dtype=np.uint64)
        refs = base | rows
        fetch = _fetch_seconds(tb.column("fetch_time") if "fetch_time" in cols else None, n)
        score = tb.column("score").cast(pa.float32()) if "score" in cols else pa.nulls(n, pa.float32())
        text = tb.column("text").combine_chunks()
        tk1, tk2 = text_keys(text)
        meta.append(
            pa.table(
                {
                    "id": tb.column("id").cast(pa.string()),
                    "fetch": fetch,
                    "score": score,
                    "tk1": tk1,
                    "tk2": tk2,
                }
            )
        )
        if "exact" in cfg.kinds:
            texts.append(pa.table({"k1": tk1, "k2": tk2, "ref": refs}))
        if "url" in cfg.kinds and "url" in cols:
            u1, u2, ok = url_keys(tb.column("url").to_pylist())
            stats["url_invalid"] += int((~ok).sum())
            urls.append(
                pa.table({"k1": u1[ok], "k2": u2[ok], "ref": refs[ok], "fetch": pc.filter(fetch, pa.array(ok)),
                          "id": pc.filter(tb.column("id").cast(pa.string()), pa.array(ok))})
            )  # fmt: skip
        if hasher is not None:
            sig, n_shingles = hasher.sketch(text, cfg.ngram)
            sigs.append(sig)
            has = n_shingles > 0  # a document without shingles has no signature to match on
            stats["no_shingles"] += int((~has).sum())
            keys = band_keys(sig[has], cfg.bands, cfg.rows)
            bands.append((keys.ravel(), np.repeat(refs[has], cfg.bands)))
        row0 += n
        stats["records_in"] += n
    if row0 >= 2**32:
        raise ValueError(f"{shard}: more than 2^32 rows in one shard")
    name = shards.shard_name(index)
    shards.write_table(
        pa.concat_tables(meta) if meta else _empty_meta(), shards.join(work, "sketch", "meta", name)
    )
    if hasher is not None:
        sig = np.concatenate(sigs) if sigs else np.empty((0, cfg.num_perm), np.uint32)
        flat = pa.FixedSizeListArray.from_arrays(pa.array(sig.ravel(), pa.uint32()), cfg.num_perm)
        shards.write_table(pa.table({"sig": flat}), shards.join(work, "sketch", "sigs", name))
        keys = np.concatenate([k for k, _ in bands]) if bands else np.empty(0, np.uint64)
        krefs = np.concatenate([r for _, r in bands]) if bands else np.empty(0, np.uint64)
        _write_partitions(pa.table({"key": keys, "ref": krefs}), partition_of(keys, cfg.num_partitions),
                          work, "bands", name, cfg.num_partitions)  # fmt: skip
    for kind, parts in (("urls", urls), ("texts", texts)):
        if parts:
            t = pa.concat_tables(parts)
            p = partition_of(t.column("k1").to_numpy(), cfg.num_partitions)
            _write_partitions(t, p, work, kind, name, cfg.num_partitions)
    return stats


def _empty_meta() -> pa.Table:
    return pa.table(
        {"id": pa.array([], pa.string()), "fetch": pa.array([], pa.int64()), "score": pa.array([], pa.float32()),
         "tk1": pa.array([], pa.uint64()), "tk2": pa.array([], pa.uint64())}
    )  # fmt: skip


def _write_partitions(table: pa.Table, part: np.ndarray, work: str, kind: str, name: str, n: int) -> None:
    """One file per non-empty partition; sorting once groups the rows of each partition together."""
    order = np.argsort(part, kind="stable")
    table, part = table.take(pa.array(order)), part[order]
    bounds = np.searchsorted(part, np.arange(n + 1))
    for p in range(n):
        lo, hi = int(bounds[p]), int(bounds[p + 1])
        if hi > lo:
            shards.write_table(table.slice(lo, hi - lo), shards.join(_part_dir(work, kind, p), name))


# ----------------------------------------------------------------------------------------------- pairs


def _read_partition(work: str, kind: str, p: int) -> pa.Table | None:
    files = shards.list_shards(_part_dir(work, kind, p))
    return pa.concat_tables([shards.read_table(f) for f in files]) if files else None


def pair_partition(work: str, partition: int, cfg: DedupConfig) -> dict[str, Any]:
    """Reduce: candidate pairs of one partition -> ``_work/pairs/part-P.parquet`` (a, b, kind).

    URL groups point every older capture at the newest one (newest fetch, then smallest id); text and
    band groups become star edges to their smallest ref (the keep rule is applied after clustering)."""
    a_parts, b_parts, k_parts = [], [], []
    stats: dict[str, int] = {}
    urls = _read_partition(work, "urls", partition)
    if urls is not None and urls.num_rows > 1:
        fetch = pc.fill_null(urls.column("fetch"), np.iinfo(np.int64).min)
        t = pa.table({"k1": urls.column("k1"), "k2": urls.column("k2"), "fetch": fetch, "id": urls.column("id"),
                      "ref": urls.column("ref")})  # fmt: skip
        t = t.take(pc.sort_indices(t, sort_keys=[("k1", "ascending"), ("k2", "ascending"),
                                                 ("fetch", "descending"), ("id", "ascending"), ("ref", "ascending")]))  # fmt: skip
        k1, k2, ref = (t.column(c).to_numpy() for c in ("k1", "k2", "ref"))
        same = np.zeros(ref.size, dtype=bool)
        same[1:] = (k1[1:] == k1[:-1]) & (k2[1:] == k2[:-1])
        first = np.maximum.accumulate(np.where(same, 0, np.arange(ref.size)))
        losers = np.flatnonzero(same)
        a_parts.append(ref[losers])
        b_parts.append(ref[first[losers]])
        k_parts.append(np.full(losers.size, _KIND_CODE["url"], np.int8))
        stats["url_pairs"] = int(losers.size)
    for kind, cols, code in (("texts", ["k1", "k2"], "exact"), ("bands", ["key"], "near")):
        t = _read_partition(work, kind, partition)
        if t is None:
            continue
        a, b = star_pairs([t.column(c).to_numpy() for c in cols], t.column("ref").to_numpy())
        a_parts.append(a)
        b_parts.append(b)
        k_parts.append(np.full(a.size, _KIND_CODE[code], np.int8))
        stats[f"{code}_pairs"] = int(a.size)
    out = pa.table(
        {"a": np.concatenate(a_parts) if a_parts else np.empty(0, np.uint64),
         "b": np.concatenate(b_parts) if b_parts else np.empty(0, np.uint64),
         "kind": np.concatenate(k_parts) if k_parts else np.empty(0, np.int8)}
    )  # fmt: skip
    shards.write_table(out, shards.join(work, "pairs", shards.shard_name(partition)))
    return stats


# --------------------------------------------------------------------------------------------- cluster


def _gather(work: str, what: str, refs: np.ndarray, columns: list[str] | None = None) -> pa.Table:
    """Rows of per-shard work files (`meta` or `sigs`) for sorted unique `refs`, in `refs` order."""
    shard_of = (refs >> np.uint64(32)).astype(np.int64)
    rows = (refs & _ROW_MASK).astype(np.int64)
    parts = []
    for s in np.unique(shard_of):
        sel = shard_of == s
        t = shards.read_table(shards.join(work, "sketch", what, shards.shard_name(int(s))), columns=columns)
        parts.append(t.take(pa.array(rows[sel])))
    return pa.concat_tables(parts) if parts else None


def _lookup(keys_sorted: np.ndarray, values: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """values[keys == x] where x is among keys_sorted, else x; and the found mask."""
    if keys_sorted.size == 0:
        return x.copy(), np.zeros(x.size, bool)
    i = np.clip(np.searchsorted(keys_sorted, x), 0, keys_sorted.size - 1)
    found = keys_sorted[i] == x
    return np.where(found, values[i], x), found


def cluster_pairs(work: str, num_shards: int, cfg: DedupConfig) -> dict[str, Any]:
    """Global step: verify near pairs, cluster, choose the kept document, write per-shard decisions."""
    files = shards.list_shards(shards.join(work, "pairs"))
    pairs = pa.concat_tables([shards.read_table(f) for f in files]) if files else None
    stats: dict[str, Any] = {"candidates": 0, "verified": 0, "rejected": 0, "clusters": 0}
    if pairs is None or pairs.num_rows == 0:
        return stats
    a, b, kind = (pairs.column(c).to_numpy() for c in ("a", "b", "kind"))
    # URL: each older capture -> the newest capture of its URL (one URL per document, so a plain map).
    u = kind == _KIND_CODE["url"]
    order = np.argsort(a[u], kind="stable")
    url_loser, url_winner = a[u][order], b[u][order]
    # Near: one edge per pair however many bands matched, then verified on the full signatures.
    n = kind == _KIND_CODE["near"]
    near = np.unique(np.stack([np.minimum(a[n], b[n]), np.maximum(a[n], b[n])], axis=1), axis=0)
    stats["candidates"] = int(len(near))
    if len(near) and cfg.verify_threshold > 0:
        ends = np.unique(near.ravel())
        sig_t = _gather(work, "sigs", ends)
        sig = sig_t.column("sig").combine_chunks().flatten().to_numpy().reshape(len(ends), cfg.num_perm)
        est = estimate_jaccard(sig[np.searchsorted(ends, near[:, 0])], sig[np.searchsorted(ends, near[:, 1])])
        near = near[est >= cfg.verify_threshold]
    stats["verified"] = int(len(near))
    stats["rejected"] = stats["candidates"] - stats["verified"]
    e = kind == _KIND_CODE["exact"]
    ea = np.concatenate([a[e], near[:, 0] if len(near) else np.empty(0, np.uint64)])
    eb = np.concatenate([b[e], near[:, 1] if len(near) else np.empty(0, np.uint64)])
    # A URL's captures act as one document (its newest capture) in the content clusters.
    ea, _ = _lookup(url_loser, url_winner, ea)
    eb, _ = _lookup(url_loser, url_winner, eb)
    keep = ea != eb
    nodes, root = connected_components(ea[keep], eb[keep])
    involved = np.unique(np.concatenate([nodes, url_loser, url_winner]))
    if involved.size == 0:
        return stats
    meta = _gather(work, "meta", involved, ["id", "fetch", "score", "tk1", "tk2"])
    idx = np.searchsorted(involved, nodes)
    # Keep rule inside each content cluster: first row of each root in keep order.
    comp = meta.take(pa.array(idx))
    ordered = keep_order(comp)
    _, first = np.unique(root[ordered], return_index=True)
    kept_rows = ordered[first]  # rows of `nodes`, one per component, components sorted by root
    roots_sorted = root[ordered][first]
    kept_of_node = nodes[kept_rows][np.searchsorted(roots_sorted, root)]
    final = np.concatenate([kept_of_node, _lookup(nodes, kept_of_node, url_winner)[0]])
    removed = np.concatenate([nodes, url_loser])
    reason = np.concatenate([np.full(nodes.size, "near", object), np.full(url_loser.size, "url", object)])
    drop = removed != final
    removed, final, reason = removed[drop], final[drop], reason[drop]
    # Same normalised text as the kept document: an exact duplicate, else a near one.
    tk1, tk2 = (meta.column(c).to_numpy() for c in ("tk1", "tk2"))
    ri, fi = np.searchsorted(involved, removed), np.searchsorted(involved, final)
    same_text = (tk1[ri] == tk1[fi]) & (tk2[ri] == tk2[fi]) & (reason == "near")
    reason[same_text] = "exact"
    ids = np.asarray(meta.column("id").to_pylist(), dtype=object)
    kept_refs = np.unique(final)
    kept_ids = ids[np.searchsorted(involved, kept_refs)]
    cluster_no = np.empty(kept_refs.size, np.int64)
    cluster_no[np.lexsort([kept_refs, kept_ids.astype(str)])] = np.arange(kept_refs.size)
    dec = pa.table(
        {"ref": removed, "reason": [REASONS[r] for r in reason],
         "dup_cluster": cluster_no[np.searchsorted(kept_refs, final)], "kept_id": ids[fi].tolist()}
    )  # fmt: skip
    dec = dec.take(pc.sort_indices(dec, sort_keys=[("ref", "ascending")]))
    shard_of = (dec.column("ref").to_numpy() >> np.uint64(32)).astype(np.int64)
    bounds = np.searchsorted(shard_of, np.arange(num_shards + 1))
    for s in range(num_shards):
        lo, hi = int(bounds[s]), int(bounds[s + 1])
        if hi > lo:
            part = dec.slice(lo, hi - lo)
            rows = (part.column("ref").to_numpy() & _ROW_MASK).astype(np.int64)
            part = part.drop_columns(["ref"]).add_column(0, "row", pa.array(rows))
            shards.write_table(part, shards.join(work, "cluster", "decisions", shards.shard_name(s)))
    stats["clusters"] = int(kept_refs.size)
    stats["removed"] = {REASONS[k]: int((reason == k).sum()) for k in ("url", "exact", "near")}
    return stats


# ---------------------------------------------------------------------------------------------- filter


def filter_shard(shard: str, index: int, work: str, out_dir: str) -> dict[str, Any]:
    """Map: write the kept documents of one shard and the removed ones (with reason) to `dropped/`."""
    table = shards.read_table(shard)
    name = shards.shard_name(index)
    dec_path = shards.join(work, "cluster", "decisions", name)
    dropped: dict[str, int] = {}
    if shards.exists(dec_path):
        dec = shards.read_table(dec_path)
        rows = dec.column("row").to_numpy()
        mask = np.zeros(table.num_rows, dtype=bool)
        mask[rows] = True
        gone = table.take(pa.array(rows))
        for col in ("reason", "dup_cluster", "kept_id"):
            gone = gone.append_column(col, dec.column(col))
        shards.write_table(gone, shards.join(out_dir, "dropped", name))
        table = table.filter(pa.array(~mask))
        for r in dec.column("reason").to_pylist():
            dropped[r] = dropped.get(r, 0) + 1
    shards.write_table(table, shards.join(out_dir, name))
    return {"records_in": table.num_rows + sum(dropped.values()), "kept": table.num_rows, "dropped": dropped}


# ----------------------------------------------------------------------------------------------- stage


def run_dedup(
    in_dir: str, out_dir: str, cfg: DedupConfig | None = None, executor: Executor | None = None
) -> dict:
    """Deduplicate the Parquet documents in `in_dir` into `out_dir` (kept: ``part-NNNNN.parquet`` with
    the input shard's number; removed: ``dropped/part-NNNNN.parquet`` with reason, dup_cluster, kept_id).
    Returns the stage stats, also saved as ``out_dir/_done/_stage.json``. Rerunning resumes."""
    cfg = cfg or DedupConfig()
    executor = executor or LocalExecutor()
    if shards.stage_complete(out_dir):
        return shards.read_done(out_dir, "_stage")
    inputs = shards.list_shards(in_dir)
    if not inputs:
        raise FileNotFoundError(f"no Parquet shards in {in_dir}")
    work = shards.join(out_dir, "_work")
    cfg_path = shards.join(work, "config.json")
    wanted = {"config": asdict(cfg), "inputs": inputs, "shingle_hash_version": HASH_VERSION}
    if shards.exists(cfg_path):
        if shards.read_json(cfg_path) != wanted:
            raise ValueError(f"{out_dir} holds a dedup run with other settings or inputs; use a fresh --out")
    else:
        shards.write_json(cfg_path, wanted)
    sketch = executor.run(
        shards.join(work, "sketch"),
        sketch_shard,
        [
            Task(f"part-{i:05d}", {"shard": s, "index": i, "work": work, "cfg": cfg})
            for i, s in enumerate(inputs)
        ],
        desc="dedup: sketch",
    )
    pairs = executor.run(
        shards.join(work, "pairs"),
        pair_partition,
        [Task(f"p-{p:05d}", {"work": work, "partition": p, "cfg": cfg}) for p in range(cfg.num_partitions)],
        desc="dedup: pairs",
    )
    cluster = executor.run(
        shards.join(work, "cluster"),
        cluster_pairs,
        [Task("cluster", {"work": work, "num_shards": len(inputs), "cfg": cfg})],
        desc="dedup: cluster",
    )[0]
    kept = executor.run(
        out_dir,
        filter_shard,
        [
            Task(f"part-{i:05d}", {"shard": s, "index": i, "work": work, "out_dir": out_dir})
            for i, s in enumerate(inputs)
        ],
        desc="dedup: filter",
    )
    stats = merge_counts(kept)
    stats.update(sketch=merge_counts(sketch), pairs=merge_counts(pairs), cluster=cluster, config=asdict(cfg))
    shards.mark_done(out_dir, "_stage", stats)
    return stats
