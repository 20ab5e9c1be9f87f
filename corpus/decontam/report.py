"""The contamination report: one JSON line per removed (or trimmed) page, and the run's totals.

Each shard task writes `<out>/_report/part-NNNNN.jsonl`; when all are done the driver joins them in
shard order into `<out>/contamination.jsonl` and writes the totals per benchmark and per rule to
`<out>/contamination_summary.json` (the same totals are in the stage stats, `_done/_stage.json`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import fsspec

from corpus import shards
from corpus.decontam.matcher import Match

REPORT_DIR = "_report"
REPORT_FILE = "contamination.jsonl"
SUMMARY_FILE = "contamination_summary.json"


def page_record(
    doc_id: str,
    url: str | None,
    shard: str,
    action: str,
    matches: Sequence[Match],
    max_matches: int,
    max_chars: int,
) -> dict[str, Any]:
    """Report line of one page: the first match on top, then up to `max_matches` of them."""
    first = matches[0]
    return {
        "id": doc_id,
        "url": url,
        "shard": shard,
        "action": action,
        "benchmark": first.benchmark,
        "item": first.item,
        "rule": first.rule,
        "match": first.text[:max_chars],
        "n_matches": len(matches),
        "benchmarks": sorted({m.benchmark for m in matches}),
        "matches": [
            {"benchmark": m.benchmark, "item": m.item, "rule": m.rule, "match": m.text[:max_chars]}
            for m in matches[:max_matches]
        ],
    }


def write_piece(out_dir: str, shard: str, records: list[dict[str, Any]]) -> None:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    shards._atomic_write(shards.join(out_dir, REPORT_DIR, f"{shard}.jsonl"), lambda f: f.write(data))


def join_pieces(out_dir: str, shard_names: Sequence[str]) -> str:
    """Concatenate the per-shard pieces (in shard order) into the run's report; return its URL."""
    chunks = []
    for name in shard_names:
        url = shards.join(out_dir, REPORT_DIR, f"{name}.jsonl")
        if shards.exists(url):
            with fsspec.open(url, "rb") as f:
                chunks.append(f.read())
    data = b"".join(chunks)
    out = shards.join(out_dir, REPORT_FILE)
    shards._atomic_write(out, lambda f: f.write(data))
    return out


def read_report(out_dir: str) -> list[dict[str, Any]]:
    with fsspec.open(shards.join(out_dir, REPORT_FILE), "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
