"""The decontamination stage: input shards -> kept shards, dropped side tables, contamination report.

    stats = run_decontaminate("RUN/round-3", "RUN/final", DecontamConfig(), make_executor("local"))

Layout written under `out_dir`:
    _index/                 the benchmark index (built once per run, reused on resume if settings match)
    part-NNNNN.parquet      kept documents (segment scope: with contaminated lines removed from `text`
                            and a `contam_segments_removed` column)
    dropped/part-NNNNN.parquet  removed documents, reason="contaminated", with contam_benchmark,
                            contam_item, contam_match (the first match on the page)
    contamination.jsonl     one line per removed/trimmed page (report.py); contamination_summary.json
    _done/<task>.json, _done/_stage.json   completion records with the stats
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from corpus import shards
from corpus.decontam.config import DecontamConfig
from corpus.decontam.index import BenchmarkIndex, ensure_index, get_index
from corpus.decontam.matcher import remove_segments, scan_text
from corpus.decontam.report import SUMMARY_FILE, join_pieces, page_record, write_piece
from corpus.executors import Executor, Task, merge_counts
from corpus.schema import DOCUMENT_SCHEMA, DROPPED_SCHEMA, conform

REASON = "contaminated"
INDEX_DIR = "_index"


def decontaminate_table(
    table: pa.Table, index: BenchmarkIndex, cfg: DecontamConfig, shard: str = ""
) -> tuple[pa.Table, pa.Table, list[dict[str, Any]], dict[str, Any]]:
    """Split one table of documents into (kept, dropped, report records, stats)."""
    col = cfg.text_column
    if col not in table.column_names:
        raise ValueError(f"shard {shard or '?'} has no {col!r} column (columns: {table.column_names})")
    texts = table.column(col).to_pylist()
    ids = (
        table.column("id").to_pylist() if "id" in table.column_names else [str(i) for i in range(len(texts))]
    )
    urls = table.column("url").to_pylist() if "url" in table.column_names else [None] * len(texts)
    keep: list[bool] = []
    new_texts: list[str] = []
    seg_removed: list[int] = []
    first: list[tuple[str, str, str]] = []  # (benchmark, item, match) of dropped rows
    records: list[dict[str, Any]] = []
    stats: dict[str, Any] = {
        "records_in": len(texts),
        "kept": 0,
        "dropped": {REASON: 0},
        "contaminated": 0,
        "trimmed": 0,
        "segments_removed": 0,
        "by_benchmark": {},
        "by_rule": {},
    }
    for doc_id, url, text in zip(ids, urls, texts):
        text = text or ""
        if cfg.scope == "page":
            matches, rest, n_seg = scan_text(text, index), "", 0
        else:
            rest, matches, n_seg = remove_segments(text, index)
        drop = bool(matches) and (cfg.scope == "page" or not rest.strip())
        keep.append(not drop)
        new_texts.append(text if not matches else rest)
        seg_removed.append(n_seg)
        if not matches:
            continue
        stats["contaminated"] += 1
        for b in {m.benchmark for m in matches}:
            stats["by_benchmark"][b] = stats["by_benchmark"].get(b, 0) + 1
        for r in {m.rule for m in matches}:
            stats["by_rule"][r] = stats["by_rule"].get(r, 0) + 1
        if drop:
            stats["dropped"][REASON] += 1
            first.append((matches[0].benchmark, matches[0].item, matches[0].text[: cfg.max_match_chars]))
        else:
            stats["trimmed"] += 1
            stats["segments_removed"] += n_seg
        records.append(
            page_record(
                str(doc_id),
                url,
                shard,
                "dropped" if drop else "trimmed",
                matches,
                cfg.max_report_matches,
                cfg.max_match_chars,
            )
        )
    stats["kept"] = sum(keep)
    mask = pa.array(keep, type=pa.bool_())
    if cfg.scope == "segment":
        table = table.set_column(table.column_names.index(col), col, pa.array(new_texts, pa.string()))
        table = table.append_column("contam_segments_removed", pa.array(seg_removed, pa.int32()))
        if "n_tokens" in table.column_names:  # trimmed pages: the count must describe the text kept
            from corpus.tokens import count_tokens

            counts = [
                count_tokens(t) if n else old
                for t, n, old in zip(new_texts, seg_removed, table.column("n_tokens").to_pylist())
            ]
            i = table.column_names.index("n_tokens")
            table = table.set_column(i, table.schema.field(i), pa.array(counts, table.schema.field(i).type))
    kept = table.filter(mask)
    dropped = table.filter(pc.invert(mask))
    dropped = dropped.append_column("reason", pa.array([REASON] * dropped.num_rows, pa.string()))
    for i, name in enumerate(("contam_benchmark", "contam_item", "contam_match")):
        dropped = dropped.append_column(name, pa.array([f[i] for f in first], pa.string()))
    return kept, dropped, records, stats


def decontaminate_shard(
    in_path: str, out_dir: str, index_dir: str, cfg: DecontamConfig, name: str
) -> dict[str, Any]:
    """Stage function for one shard (top level, so process pools and Ray can pickle it)."""
    t0 = time.perf_counter()
    index = get_index(index_dir)
    table = shards.read_table(in_path)
    kept, dropped, records, stats = decontaminate_table(table, index, cfg, shard=name)
    if "id" in kept.column_names:  # a Document shard: keep the schema's column order and types
        kept, dropped = conform(kept, DOCUMENT_SCHEMA), conform(dropped, DROPPED_SCHEMA)
    write_piece(out_dir, name, records)
    if dropped.num_rows:
        shards.write_table(dropped, shards.join(out_dir, "dropped", f"{name}.parquet"))
    shards.write_table(kept, shards.join(out_dir, f"{name}.parquet"))
    stats["index_fingerprint"] = index.meta.get("fingerprint", "")
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    return stats


_PART = re.compile(r"part-\d{5}\.parquet$")


def run_decontaminate(in_dir: str, out_dir: str, cfg: DecontamConfig, executor: Executor) -> dict[str, Any]:
    """Decontaminate every shard of `in_dir` into `out_dir` and return the merged stats, with totals
    per benchmark (`by_benchmark`, pages) and per rule, and the index summary (`index`)."""
    cfg.validate()
    inputs = shards.list_shards(in_dir)
    if not inputs:
        raise ValueError(f"no Parquet shards in {in_dir}")
    fp = cfg.index_fingerprint()
    names = []
    for i, path in enumerate(inputs):
        base = path.rsplit("/", 1)[-1]
        names.append(
            base[: -len(".parquet")] if _PART.match(base) else shards.shard_name(i)[: -len(".parquet")]
        )
    if len(set(names)) != len(names):
        names = [shards.shard_name(i)[: -len(".parquet")] for i in range(len(inputs))]
    for name in names:  # a resumed run must not mix outputs of different settings
        rec = shards.read_done(out_dir, name)
        if rec is not None and rec.get("index_fingerprint") != fp:
            raise ValueError(
                f"{out_dir} holds output made with other decontamination settings; use a new --out"
            )
    index_dir = shards.join(out_dir, INDEX_DIR)
    index = ensure_index(index_dir, cfg)
    shards.write_json(shards.join(out_dir, "decontam_config.json"), asdict(cfg))
    tasks = [
        Task(name, {"in_path": p, "out_dir": out_dir, "index_dir": index_dir, "cfg": cfg, "name": name})
        for name, p in zip(names, inputs)
    ]
    results = executor.run(out_dir, decontaminate_shard, tasks, desc="decontaminate")
    merged = merge_counts(results)
    merged.pop("seconds", None)
    report = join_pieces(out_dir, names)
    summary = {**merged, "index": index.meta, "report": report}
    shards.write_json(shards.join(out_dir, SUMMARY_FILE), summary)
    shards.mark_done(out_dir, "_stage", summary)
    return summary
