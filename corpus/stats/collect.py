"""Build the statistics report of a run or a shard folder: one executor map over every shard, then
small reductions.

Per-shard work (profiles of document shards, reason counts of dropped tables) runs as tasks of a
`corpus.executors` executor, so it spreads over local processes or a Ray cluster. Their stats
records go to a cache folder: by default a temporary one, or `cache=DIR` to make a rebuild on a
grown run compute only the new or changed shards (a task's name carries a digest of the shard's
path, size, modification time and the options).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from typing import Any

from corpus import shards
from corpus.executors import Task, make_executor
from corpus.stats import histogram
from corpus.stats.contamination import contamination
from corpus.stats.funnel import build_funnel
from corpus.stats.layout import Stage, dropped_shards, is_run, merged_records, rounds, run_stages, scores_dir
from corpus.stats.overlap import round_overlap
from corpus.stats.profile import merge_profiles, profile_shard
from corpus.stats.reasons import count_reasons, merge_reasons

log = logging.getLogger(__name__)
REPORT_VERSION = 1


def stats_task(kind: str, path: str, tokenizer: str | None, samples: int) -> dict[str, Any]:
    """Stage function for the executor: profile a document shard or count a dropped table."""
    if kind == "profile":
        return profile_shard(path, tokenizer=tokenizer, samples=samples)
    if kind == "scores":  # pool scores: no text, so no tokenizer and no samples
        return profile_shard(path, tokenizer=None, samples=0)
    if kind == "dropped":
        return count_reasons(path)
    raise ValueError(f"unknown stats task kind {kind!r}")


def _task_name(label: str, kind: str, path: str, opts: str) -> str:
    fs, p = shards.url_to_fs(path)
    info = fs.info(p)
    key = f"{path}|{info.get('size')}|{info.get('mtime') or info.get('LastModified') or info.get('ETag')}|{opts}"
    stem = path.rsplit("/", 1)[-1].removesuffix(".parquet")
    return f"{label}__{kind}__{stem}__{hashlib.sha1(key.encode()).hexdigest()[:12]}"


def share(part: int | None, whole: int | None) -> float | None:
    return part / whole if part is not None and whole else None


def summarize(prof: dict[str, Any], top: int) -> dict[str, Any]:
    """A merged profile as report tables: groups as sorted rows with shares, top-N domains."""
    docs, toks = prof["documents"], prof["tokens"]

    def rows(
        group: str, key=None, limit: int | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        items = list((prof["groups"].get(group) or {}).items())
        items.sort(key=key or (lambda kv: (-kv[1][0], kv[0])))
        out = [
            {
                "label": lab,
                "documents": v[0],
                "tokens": v[1],
                "bytes": v[2],
                "doc_share": share(v[0], docs),
                "token_share": share(v[1], toks),
            }
            for lab, v in items
        ]
        if limit is None or len(out) <= limit:
            return out, None
        rest = items[limit:]
        other = {k: sum(v[j] for _, v in rest) for j, k in enumerate(("documents", "tokens", "bytes"))}
        other.update(
            labels=len(rest),
            doc_share=share(other["documents"], docs),
            token_share=share(other["tokens"], toks),
        )
        return out[:limit], other

    def round_key(kv):
        lab = kv[0]
        return (0, int(lab), "") if lab.lstrip("-").isdigit() else (1, 0, lab)

    by_round, _ = rows("round", key=round_key)
    by_lang, _ = rows("lang")
    top_domains, other = rows("domain", limit=top)
    math = None
    if prof.get("math") is not None:
        math = {
            "families": [
                {
                    "family": f,
                    "documents": v[0],
                    "tokens": v[1],
                    "markup": v[2],
                    "doc_share": share(v[0], docs),
                }
                for f, v in sorted(prof["math"].items(), key=lambda kv: (-kv[1][0], kv[0]))
            ],
            "any": {
                "documents": prof["math_any"][0],
                "tokens": prof["math_any"][1],
                "doc_share": share(prof["math_any"][0], docs),
            },
            "dominant": dict(sorted(prof["math_dominant"].items(), key=lambda kv: (-kv[1], kv[0]))),
        }
    return {
        "documents": docs,
        "tokens": toks,
        "bytes": prof["bytes"],
        "tokens_source": prof["tokens_source"],
        "shards": prof["shards"],
        "empty_text": prof["empty_text"],
        "mean_tokens": toks / docs if toks is not None and docs else None,
        "by_round": by_round if "round" in prof["groups"] else None,
        "by_lang": by_lang if "lang" in prof["groups"] else None,
        "by_domain": {"distinct": len(prof["groups"].get("domain") or {}), "top": top_domains, "other": other}
        if "domain" in prof["groups"]
        else None,
        "math": math,
        "score_hist": {
            "edges": histogram.SCORE_EDGES.round(4).tolist(),
            "labels": histogram.score_labels(),
            "documents": prof["score_hist_docs"],
            "tokens": prof["score_hist_tokens"],
            "nulls": prof["score_nulls"],
        }
        if prof["score_hist_docs"] is not None
        else None,
        "length_hist": {
            "labels": histogram.length_labels(),
            "edges": histogram.LENGTH_EDGES.tolist(),
            "documents": prof["length_hist"],
        },
        "samples": prof.get("samples") or {},
    }


def _stage_row(s: Stage, prof: dict[str, Any]) -> dict[str, Any]:
    return {
        "stage": s.name,
        "step": s.step,
        "path": s.path,
        "shards": prof["shards"],
        "documents": prof["documents"],
        "tokens": prof["tokens"],
        "bytes": prof["bytes"],
        "tokens_source": prof["tokens_source"],
        "empty_text": prof["empty_text"],
    }


def collect(
    path: str,
    *,
    tokenizer: str | None = None,
    top: int = 20,
    samples: int = 3,
    executor: str = "local",
    workers: int | None = None,
    cache: str | None = None,
    stages: list[str] | None = None,
) -> dict[str, Any]:
    """The statistics report (a JSON-able dict) of a run directory or a shard folder / file.

    `stages` restricts a run's report to the named stages (e.g. ["final"]); the funnel then lists
    only those. `top` is the number of domains listed; `samples` the documents kept per bucket.
    """
    t0 = time.perf_counter()
    path = str(path).rstrip("/")
    run = not path.endswith(".parquet") and is_run(path)
    if run:
        doc_stages = run_stages(path)
        if stages:
            unknown = set(stages) - {s.name for s in doc_stages}
            if unknown:
                raise ValueError(
                    f"{path} has no stage(s) {sorted(unknown)}; it has {[s.name for s in doc_stages]}"
                )
            doc_stages = [s for s in doc_stages if s.name in stages]
        if not doc_stages:
            raise ValueError(f"{path} looks like a run but holds no stage shards yet")
    else:
        files = [path] if path.endswith(".parquet") else shards.list_shards(path)
        if not files:
            raise ValueError(
                f"{path}: no Parquet shards found (give a shard folder, a .parquet file or a run)"
            )
        doc_stages = [Stage(path.rsplit("/", 1)[-1] or path, path, "documents")]
    opts = f"tok={tokenizer}|samples={samples}|v={REPORT_VERSION}"
    tasks: list[Task] = []
    owner: dict[str, tuple[str, str]] = {}  # task name -> (kind, stage name)

    def add(kind: str, stage: str, label: str, shard: str) -> None:
        name = _task_name(label, kind, shard, opts)
        if name in owner:
            return
        owner[name] = (kind, stage)
        tasks.append(Task(name, {"kind": kind, "path": shard, "tokenizer": tokenizer, "samples": samples}))

    for s in doc_stages:
        files = (
            [s.path]
            if s.path.endswith(".parquet")
            else shards.list_shards(s.path, "part-*.parquet" if run else "*.parquet")
        )
        for f in files:
            add("profile", s.name, s.label, f)
        if run:
            for f in dropped_shards(s.path):
                add("dropped", s.name, s.label, f)
    round_nums = rounds(path) if run else []
    pool = None
    if run and round_nums and (not stages or any(s.startswith("round-") for s in stages)):
        pool_dir = scores_dir(path, round_nums[-1])
        pool_files = shards.list_shards(pool_dir, "part-*.parquet")
        if pool_files:
            pool = f"round-{round_nums[-1]}/scores"
            for f in pool_files:
                add("scores", pool, pool.replace("/", "_"), f)

    tmp = None
    if cache is None:
        tmp = tempfile.TemporaryDirectory(prefix="mathmine-stats-")
        cache = tmp.name
    ex = make_executor(executor, workers)
    try:
        results = ex.run(cache, stats_task, tasks, desc="stats: shards")
    finally:
        ex.close()
        if tmp is not None:
            tmp.cleanup()
    by_stage: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for t, r in zip(tasks, results, strict=True):
        by_stage.setdefault(owner[t.name], []).append(r)
    profiles = {s.name: merge_profiles(by_stage.get(("profile", s.name), []), samples) for s in doc_stages}
    dropped = {
        s.name: merge_reasons(by_stage[("dropped", s.name)])
        for s in doc_stages
        if ("dropped", s.name) in by_stage
    }

    focus = doc_stages[-1]  # the corpus itself: final/ in a complete run, else the latest stage
    report: dict[str, Any] = {
        "report_version": REPORT_VERSION,
        "kind": "run" if run else "shards",
        "path": path,
        "focus": focus.name,
        "options": {"tokenizer": tokenizer, "top": top, "samples": samples, "executor": executor},
        "stages": [_stage_row(s, profiles[s.name]) for s in doc_stages],
        "corpus": summarize(profiles[focus.name], top),
    }
    if run:
        records = {s.name: merged_records(s.path) for s in doc_stages}
        report["funnel"] = build_funnel(doc_stages, profiles, dropped, records)
        report["dropped"] = {
            name: {
                "documents": d["documents"],
                "shards": d["shards"],
                "by_reason": {
                    r: {"documents": v[0], "tokens": v[1]} for r, v in sorted(d["by_reason"].items())
                },
            }
            for name, d in dropped.items()
        }
        if pool:
            pool_prof = merge_profiles(by_stage[("scores", pool)], 0)
            report["pool_scores"] = {
                "stage": pool,
                **{
                    k: v
                    for k, v in summarize(pool_prof, top).items()
                    if k in ("documents", "tokens", "score_hist")
                },
            }
        report["rounds"] = _rounds(path, round_nums, doc_stages, profiles)
        if report["rounds"]["per_round"]:
            report["overlap"] = round_overlap(
                {k: shards.join(path, f"round-{k}", "selected") for k in report["rounds"]["with_selection"]}
            )
        if any(s.name == "final" for s in doc_stages):
            report["contamination"] = contamination(shards.join(path, "final"), dropped.get("final"))
    report["seconds"] = round(time.perf_counter() - t0, 3)
    return report


def _rounds(
    run: str, round_nums: list[int], doc_stages: list[Stage], profiles: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Per round: pages and tokens selected, and how many had been selected by an earlier round
    (from the `round` column: the round that first selected a page), beside the round report."""
    per = []
    with_sel = []
    for k in round_nums:
        name = f"round-{k}/selected"
        prof = profiles.get(name)
        if prof is None:
            continue
        with_sel.append(k)
        groups = prof["groups"].get("round") or {}
        earlier = sum(v[0] for lab, v in groups.items() if lab.lstrip("-").isdigit() and int(lab) < k)
        rep_path = shards.join(run, f"round-{k}", "report.json")
        rep = shards.read_json(rep_path) if shards.exists(rep_path) else {}
        per.append(
            {
                "round": k,
                "selected": prof["documents"],
                "tokens": prof["tokens"],
                "selected_earlier": earlier,
                "share_selected_earlier": share(earlier, prof["documents"]),
                "report_overlap_with_previous": rep.get("overlap_with_previous"),
                "pool_pages": rep.get("pool_pages"),
                "new_math_domains": len(rep.get("new_math_domains") or []),
                "accepted_paths": len(rep.get("accepted_paths") or []),
            }
        )
    return {"per_round": per, "with_selection": with_sel}
