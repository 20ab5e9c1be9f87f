"""The funnel of a run: documents (and tokens) at each stage, from WARC responses to the final corpus,
with what each stage dropped and why.

Drop counts come from two independent places and are shown side by side: the side tables
(`<stage>/dropped/`, counted by `reason`) and the stages' stats records (`_done/<task>.json`). Some
drops have no row by design (a truncated gzip member yields no document to write), so the two may
differ; `consistent` checks what must hold: a stage's records say it kept exactly the rows its
shards hold.
"""

from __future__ import annotations

from typing import Any

from corpus.stats.layout import Stage


def build_funnel(
    stages: list[Stage],
    profiles: dict[str, dict[str, Any]],
    dropped: dict[str, dict[str, Any]],
    records: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    ingest = records.get("ingest") or {}
    if "responses" in ingest:
        steps.append(
            {
                "step": "WARC response records",
                "stage": "ingest",
                "documents": ingest["responses"],
                "tokens": None,
                "source": "records",
            }
        )
    first_docs = None
    for s in stages:
        prof = profiles[s.name]
        rec = records.get(s.name) or {}
        drop = dropped.get(s.name)
        kept_rec = rec.get("kept")
        step = {
            "step": s.step,
            "stage": s.name,
            "documents": prof["documents"],
            "tokens": prof["tokens"],
            "bytes": prof["bytes"],
            "source": "shards",
            "records_in": rec.get("records_in"),
            "kept_by_records": kept_rec,
            "consistent": None if kept_rec is None else kept_rec == prof["documents"],
            "dropped": {r: v[0] for r, v in sorted(drop["by_reason"].items())} if drop else {},
            "dropped_tokens": {r: v[1] for r, v in sorted(drop["by_reason"].items())} if drop else {},
            "dropped_by_records": dict(sorted((rec.get("dropped") or {}).items())),
        }
        if s.name.startswith("round-"):
            # a round scores the whole deduplicated pool: what it did not select is the rest of it
            pool = rec.get("records_in", (profiles.get("dedup") or {}).get("documents"))
            if pool is not None:
                step["not_selected"] = pool - prof["documents"]
        if first_docs is None:
            first_docs = prof["documents"]
        step["share_of_ingested"] = prof["documents"] / first_docs if first_docs else None
        steps.append(step)
    return steps
