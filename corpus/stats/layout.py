"""Where the statistics live in a run directory (see docs/corpus-run.md for the layout).

A run is `RUN/{ingest, dedup, round-K/selected, extract, final}/part-*.parquet` with side tables of
dropped documents in `<stage>/dropped/` and per-task stats records in `<stage>/_done/`. Anything else
given to `mathmine corpus stats` is a plain shard folder (or one Parquet file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from corpus import shards
from corpus.executors import merge_counts

_ROUND = re.compile(r"round-(\d+)$")


@dataclass(frozen=True)
class Stage:
    """One folder of document shards in a run, in pipeline order."""

    name: str  # "ingest", "round-2/selected", ...
    path: str
    step: str  # what the funnel calls the documents it holds

    @property
    def label(self) -> str:
        return self.name.replace("/", "_")


def is_run(path: str) -> bool:
    """A run directory: it has a saved recipe or any stage folder."""
    if shards.exists(shards.join(path, "recipe.yaml")):
        return True
    return any(shards.exists(shards.join(path, s)) for s in ("ingest", "dedup", "final")) or bool(
        rounds(path)
    )


def rounds(run: str) -> list[int]:
    """Round numbers that have a folder, ascending."""
    fs, p = shards.url_to_fs(run)
    if not fs.exists(p):
        return []
    found = []
    for entry in fs.ls(p, detail=False):
        m = _ROUND.search(entry.rstrip("/"))
        if m:
            found.append(int(m.group(1)))
    return sorted(found)


def run_stages(run: str) -> list[Stage]:
    """The document stages of `run` that hold shards, in pipeline order."""
    cand = [
        Stage("ingest", shards.join(run, "ingest"), "ingested"),
        Stage("dedup", shards.join(run, "dedup"), "deduplicated pool"),
    ]
    cand += [
        Stage(f"round-{k}/selected", shards.join(run, f"round-{k}", "selected"), f"selected in round {k}")
        for k in rounds(run)
    ]
    cand += [
        Stage("extract", shards.join(run, "extract"), "re-extracted"),
        Stage("final", shards.join(run, "final"), "final (decontaminated)"),
    ]
    return [s for s in cand if shards.list_shards(s.path, "part-*.parquet")]


def scores_dir(run: str, k: int) -> str:
    return shards.join(run, f"round-{k}", "scores")


def dropped_shards(stage_path: str) -> list[str]:
    return shards.list_shards(shards.join(stage_path, "dropped"), "part-*.parquet")


def task_records(stage_path: str) -> list[dict[str, Any]]:
    """The per-task stats records of a stage (`_done/<task>.json`, not the `_stage` summary)."""
    fs, p = shards.url_to_fs(shards.join(stage_path, shards.DONE_DIR))
    if not fs.exists(p):
        return []
    out = []
    for f in sorted(fs.glob(f"{p}/*.json")):
        if f.rsplit("/", 1)[-1].startswith("_"):
            continue
        out.append(shards.read_json(f if "://" not in stage_path else f"{stage_path.split('://')[0]}://{f}"))
    return out


def merged_records(stage_path: str) -> dict[str, Any]:
    """Task records summed (records_in, kept, dropped by reason, ...); {} when there are none."""
    return merge_counts(task_records(stage_path))
