"""Contamination totals by benchmark, from the decontamination stage's outputs in `final/`.

Three sources, reported side by side so a reviewer sees they agree: the per-page report
`contamination.jsonl` (streamed line by line), the `contam_benchmark` column of the dropped table
(first matching benchmark per page) and the stage summary `contamination_summary.json`.
"""

from __future__ import annotations

import json
from typing import Any

from corpus import shards


def contamination(final_dir: str, dropped: dict[str, Any] | None) -> dict[str, Any] | None:
    """Totals by benchmark / rule / action; None when the run has no decontamination outputs."""
    report = shards.join(final_dir, "contamination.jsonl")
    summary_path = shards.join(final_dir, "contamination_summary.json")
    has_report, has_summary = shards.exists(report), shards.exists(summary_path)
    if not has_report and not has_summary and not (dropped and dropped["by_benchmark"]):
        return None
    pages = 0
    by_action: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    by_bench: dict[str, int] = {}
    bad_lines = 0
    if has_report:
        fs, p = shards.url_to_fs(report)
        with fs.open(p, "rt", encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:  # counted, never fatal: the report is an audit aid
                    bad_lines += 1
                    continue
                pages += 1
                by_action[rec.get("action", "?")] = by_action.get(rec.get("action", "?"), 0) + 1
                by_rule[rec.get("rule", "?")] = by_rule.get(rec.get("rule", "?"), 0) + 1
                for b in rec.get("benchmarks") or [rec.get("benchmark", "?")]:
                    by_bench[b] = by_bench.get(b, 0) + 1
    summary = shards.read_json(summary_path) if has_summary else {}
    table = (dropped or {}).get("by_benchmark", {})
    index_items = (summary.get("index") or {}).get("benchmarks", {})
    names = sorted(set(by_bench) | set(table) | set(summary.get("by_benchmark", {})) | set(index_items))
    return {
        "pages": pages if has_report else None,
        "bad_report_lines": bad_lines,
        "by_action": by_action,
        "by_rule": by_rule,
        "by_benchmark": [
            {
                "benchmark": b,
                "benchmark_items": index_items.get(b),
                "report_pages": by_bench.get(b, 0) if has_report else None,
                "dropped_first_match": table.get(b, 0),
                "summary_pages": summary.get("by_benchmark", {}).get(b) if has_summary else None,
            }
            for b in names
        ],
        "summary": {
            k: summary.get(k) for k in ("records_in", "kept", "contaminated", "trimmed", "segments_removed")
        }
        if has_summary
        else None,
    }
