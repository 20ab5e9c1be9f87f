"""The classifier's seed for a round: OpenWebMath positives, discovered positives, pool negatives.

Positives: OpenWebMath pages (the hub dataset `open-web-math/open-web-math` read by `datasets` in
streaming mode, or a local Parquet/JSONL file or folder in the same format), cached once per run in
`RUN/seed/openwebmath.parquet`, plus every page discovery added in earlier rounds (pages under
accepted math URL paths, or linked from them, that the classifier had not selected).

Negatives: pool pages drawn at random, excluding anything selected in an earlier round or already a
positive. The draw is deterministic and needs no global view: each page gets a hash of (seed, id) in
[0, 1); each shard keeps its pages below a rate set from the pool size, and the global trim to the
exact count keeps the lowest hashes, so the sample depends only on the ids, never on shard order
or worker count.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

from corpus import shards

log = logging.getLogger(__name__)

OWM_HUB_ID = "open-web-math/open-web-math"
SEED_SCHEMA = pa.schema([("id", pa.string()), ("url", pa.string()), ("text", pa.string())])


@dataclass
class SeedConfig:
    """Where the positives come from and how many of each class (paper: 500K and 500K)."""

    positives: str = OWM_HUB_ID  # hub id (streamed via `datasets`) or a local Parquet/JSONL file or folder
    text_field: str = "text"  # column holding the page text (OpenWebMath: text)
    max_positives: int = 500_000  # OpenWebMath pages taken (the first N in file/stream order)
    negatives: int = 500_000  # random pool pages taken as negatives
    balance_discovered: bool = (
        True  # add as many extra negatives as discovered positives, keeping classes even
    )
    seed: int = 0  # seed of the negative draw
    oversample: float = 1.2  # per-shard draw rate margin above the exact rate, trimmed globally after


def unit_hash(seed: int, doc_id: str) -> float:
    """Deterministic pseudo-random number in [0, 1) for a document."""
    return xxhash.xxh64_intdigest(doc_id.encode(), seed=seed) / 2.0**64


def _iter_local(path: Path, text_field: str) -> Iterator[tuple[str, str]]:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        name = f.name.lower()
        if name.endswith(".parquet"):
            # the footer's schema only: reading the table here would load a whole OpenWebMath file
            cols = [text_field] + (["url"] if "url" in pq.read_schema(f).names else [])
            for batch in shards.iter_batches(str(f), columns=cols):
                texts = batch.column(text_field).to_pylist()
                urls = batch.column("url").to_pylist() if "url" in cols else [None] * len(texts)
                yield from zip(urls, texts)
        elif name.endswith((".jsonl", ".jsonl.gz", ".json.gz", ".ndjson")):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(f, "rt", encoding="utf-8") as fh:
                for lineno, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        log.warning("%s:%d: not JSON, skipped", f, lineno)
                        continue
                    yield row.get("url"), row.get(text_field)
        else:
            log.info("seed: ignoring %s (not Parquet or JSONL)", f)


def iter_positive_source(source: str, text_field: str = "text") -> Iterator[tuple[str | None, str]]:
    """(url, text) pairs from a local file/folder, or from a hub dataset streamed by `datasets`."""
    p = Path(source)
    if p.exists():
        yield from _iter_local(p, text_field)
        return
    if "://" in source or source.startswith("/") or source.startswith("."):
        raise FileNotFoundError(f"seed positives {source} not found")
    from datasets import load_dataset  # heavy import, only for hub sources

    for row in load_dataset(source, split="train", streaming=True):
        yield row.get("url"), row.get(text_field)


def cache_positives(source: str, out_path: str, cfg: SeedConfig) -> dict[str, int]:
    """Write the first `max_positives` non-empty positives to one Parquet file (once per run)."""
    urls, texts, skipped = [], [], 0
    for url, text in iter_positive_source(source, cfg.text_field):
        if not isinstance(text, str) or not text.strip():
            skipped += 1
            continue
        urls.append(url)
        texts.append(text)
        if len(texts) >= cfg.max_positives:
            break
    if not texts:
        raise ValueError(f"seed positives source {source} gave no text in field {cfg.text_field!r}")
    ids = [f"seed-{i:09d}" for i in range(len(texts))]
    shards.write_table(pa.table({"id": ids, "url": urls, "text": texts}, schema=SEED_SCHEMA), out_path)
    return {"records_in": len(texts) + skipped, "kept": len(texts), "dropped": {"empty_text": skipped}}


def _ids(paths: list[str]) -> set[str]:
    out: set[str] = set()
    for p in paths:
        if shards.exists(p):
            out.update(shards.read_table(p, columns=["id"]).column("id").to_pylist())
    return out


def draw_negatives(
    pool_shard: str, out_path: str, exclude_paths: list[str], rate: float, seed: int
) -> dict[str, int]:
    """Stage: pool pages of one shard whose hash is below `rate`, minus excluded ids (selected
    earlier or positives). Writes (id, url, text, h) for the global trim."""
    exclude = _ids(exclude_paths)
    t = shards.read_table(pool_shard, columns=["id", "url", "text"])
    h = pa.array([unit_hash(seed, i) for i in t.column("id").to_pylist()], pa.float64())
    keep = pc.less(h, rate)
    if exclude:
        keep = pc.and_(keep, pc.invert(pc.is_in(t.column("id"), pa.array(sorted(exclude), pa.string()))))
    out = t.append_column("h", h).filter(keep)
    shards.write_table(out, out_path)
    return {"records_in": t.num_rows, "kept": out.num_rows, "excluded": len(exclude)}


def trim_negatives(paths: list[str], n: int) -> pa.Table:
    """The `n` drawn negatives with the lowest hashes (ties by id), whatever the shard layout."""
    tables = [shards.read_table(p, columns=["id", "url", "text", "h"]) for p in paths]
    t = pa.concat_tables(tables) if tables else pa.table({"id": [], "url": [], "text": [], "h": []})
    if t.num_rows == 0:
        return t
    idx = pc.sort_indices(t, sort_keys=[("h", "ascending"), ("id", "ascending")])
    return t.take(idx.slice(0, n))


def read_texts(paths: list[str]) -> list[str]:
    """All `text` values of the given seed files, in order (missing files skipped)."""
    out: list[str] = []
    for p in paths:
        if shards.exists(p):
            out.extend(shards.read_table(p, columns=["text"]).column("text").to_pylist())
    return out


def dedupe_by_id(paths: list[str]) -> pa.Table:
    """Union of seed-addition files, first occurrence of each id kept (earlier rounds first)."""
    tables = [shards.read_table(p, columns=["id", "url", "text"]) for p in paths if shards.exists(p)]
    if not tables:
        return SEED_SCHEMA.empty_table()
    t = pa.concat_tables(tables)
    seen: set[str] = set()
    keep = []
    for i in t.column("id").to_pylist():
        keep.append(i not in seen)
        seen.add(i)
    return t.filter(pa.array(keep, pa.bool_()))
