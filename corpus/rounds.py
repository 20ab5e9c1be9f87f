"""The iterative recall loop: round k = seed -> train -> score -> select -> discover -> report.

Each step writes into `RUN/round-K/` and leaves a completion record, so a rerun skips finished steps
and a killed run resumes with identical output (every step is deterministic: hashed negative draw,
single-thread fastText with a fixed seed, id-ordered ties). `RUN/round-K/_done/_stage.json` marks a
whole round finished. The loop stops early when a round's selection overlaps the previous one by at
least `stop_overlap` (the paper stopped at ~98% after four rounds).

Layout of a round folder:
    seed/negatives/  seed/under/  seed/links/  seed/additions/   seed draw and discovered positives
    model/           classifier.bin, classifier_metrics.json, classifier_pr_curve.png
    scores/          (id, url, domain, host, n_tokens, score) per pool shard; histograms in _done/
    boundary/ cut.json                                            the global cut-off
    selected/        selected documents (all columns + score, round); domains/: per-shard summaries
    discovery/       domains.tsv, paths.prefill.tsv, paths.tsv (edit me), paths/ per-shard counts
    report.json  report.md
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpus import discovery as disc
from corpus import seed as seedmod
from corpus import shards
from corpus.classifier import MODEL_FILE, ClassifierConfig, train_classifier
from corpus.executors import Executor, Task, merge_counts
from corpus.selection import (
    Cut,
    SelectionConfig,
    boundary_bin,
    gather_boundary,
    merge_hist,
    resolve_cut,
    score_shard,
    select_shard,
)

log = logging.getLogger(__name__)


@dataclass
class RoundsConfig:
    """How many rounds, when to stop, and (for samples) the ground truth to grade selections by."""

    count: int = 4  # rounds to run (paper: 4); `--rounds N` on the command line overrides it
    stop_overlap: float | None = 0.98  # stop once this share of a round's selection was already selected
    truth: str | None = (
        None  # Parquet with url, is_math (the sample's truth.parquet): report precision/recall
    )


@dataclass
class LoopConfig:
    """Everything the loop needs; part of the corpus recipe."""

    seed: seedmod.SeedConfig = field(default_factory=seedmod.SeedConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    discovery: disc.DiscoveryConfig = field(default_factory=disc.DiscoveryConfig)
    rounds: RoundsConfig = field(default_factory=RoundsConfig)


def round_dir(run_dir: str, k: int) -> str:
    return shards.join(run_dir, f"round-{k}")


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".parquet")


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _selected_before(run_dir: str, k: int, pool_shard: str) -> list[str]:
    """The selected-pages files of `pool_shard` in rounds 1 … k−1."""
    return [shards.join(round_dir(run_dir, j), "selected", _name(pool_shard)) for j in range(1, k)]


def _per_shard(ex: Executor, out_dir: str, fn, pool: list[str], desc: str, kwargs) -> list[dict[str, Any]]:
    """Run `fn` once per pool shard p, as a task named after p writing `out_dir/<p's name>`
    (`out_path`); `kwargs(p)` gives the task's other arguments."""
    tasks = [Task(_stem(p), {"out_path": shards.join(out_dir, _name(p)), **kwargs(p)}) for p in pool]
    return ex.run(out_dir, fn, tasks, desc=desc)


def _step(rd: str, name: str, fn) -> dict[str, Any]:
    """Run a single-process step once; its result is its completion record."""
    rec = shards.read_done(rd, name)
    if rec is None:
        rec = fn()
        shards.mark_done(rd, name, rec)
    return rec


def _num_rows(path: str) -> int:
    fs, p = shards.url_to_fs(path)
    with fs.open(p, "rb") as f:
        return pq.ParquetFile(f).metadata.num_rows


# ---------------------------------------------------------------------------------------------- seed
def build_seed(k: int, pool: list[str], run_dir: str, cfg: LoopConfig, ex: Executor) -> dict[str, Any]:
    """Positives (OpenWebMath + everything discovery added up to round k) and drawn negatives."""
    rd = round_dir(run_dir, k)
    owm = shards.join(run_dir, "seed", "openwebmath.parquet")
    _step(
        shards.join(run_dir, "seed"),
        "openwebmath",
        lambda: seedmod.cache_positives(cfg.seed.positives, owm, cfg.seed),
    )

    # additions of this round come from round k-1's annotation file, as a reviewer left it
    additions: dict[str, Any] = {"accepted_paths": 0, "under_paths": 0, "linked": 0, "kept": 0}
    if k > 1:
        prev = round_dir(run_dir, k - 1)
        ann = shards.join(prev, "discovery", "paths.tsv")
        accepted = [list(a) for a in disc.read_annotations(ann)] if shards.exists(ann) else []
        rejected = [list(a) for a in disc.read_annotations(ann, accepted=False)] if shards.exists(ann) else []
        math_keys = _math_keys(prev)

        _per_shard(
            ex,
            shards.join(rd, "seed", "under"),
            disc.collect_under_paths,
            pool,
            f"round {k}: discovered paths",
            lambda p: dict(
                pool_shard=p,
                links_path=shards.join(rd, "seed", "links", _name(p)),
                accepted=accepted,
                selected_paths=_selected_before(run_dir, k, p),
                key=cfg.discovery.key,
                follow_links=cfg.discovery.follow_links,
                math_keys=math_keys,
                links_same_domain=cfg.discovery.links_same_domain,
            ),
        )
        links = [shards.join(rd, "seed", "links", _name(p)) for p in pool]
        st = _per_shard(
            ex,
            shards.join(rd, "seed", "additions"),
            disc.collect_linked,
            pool,
            f"round {k}: linked pages",
            lambda p: dict(
                pool_shard=p,
                under_path=shards.join(rd, "seed", "under", _name(p)),
                links_paths=links if cfg.discovery.follow_links else [],
                selected_paths=_selected_before(run_dir, k, p),
                rejected=rejected,
                key=cfg.discovery.key,
            ),
        )
        additions = {**merge_counts(st), "accepted_paths": len(accepted)}

    addition_files = [
        shards.join(round_dir(run_dir, j), "seed", "additions", _name(p))
        for j in range(2, k + 1)
        for p in pool
    ]
    discovered = seedmod.dedupe_by_id(addition_files)
    n_neg = cfg.seed.negatives + (discovered.num_rows if cfg.seed.balance_discovered else 0)

    def draw() -> dict[str, Any]:
        total = sum(_num_rows(p) for p in pool)
        excluded = discovered.num_rows + sum(
            _num_rows(f)
            for j in range(1, k)
            for f in shards.list_shards(shards.join(round_dir(run_dir, j), "selected"))
        )
        eligible = max(total - excluded, 1)
        rate = min(1.0, n_neg * cfg.seed.oversample / eligible)
        st = _per_shard(
            ex,
            shards.join(rd, "seed", "negatives"),
            seedmod.draw_negatives,
            pool,
            f"round {k}: negatives",
            lambda p: dict(
                pool_shard=p,
                exclude_paths=_selected_before(run_dir, k, p)
                + [
                    shards.join(round_dir(run_dir, j), "seed", "additions", _name(p)) for j in range(2, k + 1)
                ],
                rate=rate,
                seed=cfg.seed.seed + k,
            ),
        )
        return {"rate": rate, "drawn": merge_counts(st).get("kept", 0), "pool_pages": total}

    drawn = _step(rd, "negatives", draw)
    return {
        "openwebmath": _num_rows(owm),
        "discovered": discovered.num_rows,
        "discovered_this_round": additions.get("kept", 0),
        "additions": additions,
        "negatives_wanted": n_neg,
        "negatives_drawn": drawn["drawn"],
        "owm_path": owm,
        "addition_files": addition_files,
        "negative_files": [shards.join(rd, "seed", "negatives", _name(p)) for p in pool],
    }


def _math_keys(rd: str) -> list[str]:
    p = shards.join(rd, "discovery", "domains.parquet")
    if not shards.exists(p):
        return []
    t = shards.read_table(p)
    return sorted(k for k, m in zip(t.column("key").to_pylist(), t.column("math").to_pylist()) if m)


# --------------------------------------------------------------------------------------------- round
def run_round(k: int, pool: list[str], run_dir: str, cfg: LoopConfig, ex: Executor) -> dict[str, Any]:
    """Run (or resume) round k over the pool shards; return its report."""
    rd = round_dir(run_dir, k)
    if shards.stage_complete(rd):
        return shards.read_json(shards.join(rd, "report.json"))
    seed_info = build_seed(k, pool, run_dir, cfg, ex)
    model_dir = shards.join(rd, "model")
    model_path = shards.join(model_dir, MODEL_FILE)

    def train() -> dict[str, Any]:
        pos = seedmod.read_texts([seed_info["owm_path"]])
        pos += seedmod.dedupe_by_id(seed_info["addition_files"]).column("text").to_pylist()
        neg = seedmod.trim_negatives(seed_info["negative_files"], seed_info["negatives_wanted"])
        m = train_classifier(pos, neg.column("text").to_pylist(), model_dir, cfg.classifier)
        return {
            "heldout": m.get("heldout"),
            "n_positive": m["n_positive"],
            "n_negative": m["n_negative"],
            "average_precision": m.get("pr_curve", {}).get("average_precision"),
        }

    train_rec = _step(rd, "train", train)

    sel = cfg.selection
    score_stats = _per_shard(
        ex,
        shards.join(rd, "scores"),
        score_shard,
        pool,
        f"round {k}: score",
        lambda p: dict(
            pool_shard=p,
            model_path=model_path,
            classifier=asdict(cfg.classifier),
            bins=sel.bins,
        ),
    )
    hist_docs = merge_hist(score_stats, "hist_docs", sel.bins)
    hist_tokens = merge_hist(score_stats, "hist_tokens", sel.bins)

    def cut() -> dict[str, Any]:
        if sel.mode == "threshold":
            return Cut("threshold", sel.bins, score=sel.threshold).to_dict()
        if sel.mode != "budget":
            raise ValueError(f"selection.mode must be budget or threshold, not {sel.mode!r}")
        b, remaining = boundary_bin(hist_tokens, sel.budget(k))
        if b < 0:
            return Cut("budget", sel.bins, -1).to_dict()
        _per_shard(
            ex,
            shards.join(rd, "boundary"),
            gather_boundary,
            pool,
            f"round {k}: boundary bin",
            lambda p: dict(
                scores_shard=shards.join(rd, "scores", _name(p)),
                bins=sel.bins,
                bin_index=b,
            ),
        )
        return resolve_cut(shards.list_shards(shards.join(rd, "boundary")), sel.bins, b, remaining).to_dict()

    cut_rec = _step(rd, "cut", cut)

    sel_stats = _per_shard(
        ex,
        shards.join(rd, "selected"),
        select_shard,
        pool,
        f"round {k}: select",
        lambda p: dict(
            pool_shard=p,
            scores_shard=shards.join(rd, "scores", _name(p)),
            summary_path=shards.join(rd, "domains", _name(p)),
            cut=cut_rec,
            round_k=k,
            earlier_selected=_selected_before(run_dir, k, p),
            previous_selected=shards.join(round_dir(run_dir, k - 1), "selected", _name(p)) if k > 1 else None,
            key=cfg.discovery.key,
        ),
    )
    disc_rec = discover(k, pool, run_dir, cut_rec, cfg.discovery, ex)
    report = make_report(k, run_dir, cfg, seed_info, train_rec, score_stats, hist_docs, sel_stats, disc_rec)
    shards.write_json(shards.join(rd, "report.json"), report)
    _write_text(shards.join(rd, "report.md"), report_markdown(report))
    shards.mark_done(rd, "_stage", {"round": k, "selected_pages": report["selected_pages"]})
    return report


def discover(
    k: int, pool: list[str], run_dir: str, cut: dict[str, Any], cfg: disc.DiscoveryConfig, ex: Executor
):
    """Math-related domains and the annotation file of their URL paths."""
    rd = round_dir(run_dir, k)
    dd = shards.join(rd, "discovery")
    domains_pq = shards.join(dd, "domains.parquet")

    def domains() -> dict[str, Any]:
        t = disc.reduce_domains(shards.list_shards(shards.join(rd, "domains")), cfg)
        shards.write_table(t, domains_pq)
        _write_text(shards.join(dd, "domains.tsv"), _tsv(t))
        return {"domains": t.num_rows, "math_domains": sum(t.column("math").to_pylist())}

    dom_rec = _step(rd, "domains", domains)
    math_keys = _math_keys(rd)
    _per_shard(
        ex,
        shards.join(dd, "paths"),
        disc.count_paths,
        pool,
        f"round {k}: discovery",
        lambda p: dict(
            scores_shard=shards.join(rd, "scores", _name(p)),
            cut=cut,
            math_keys=math_keys,
            key=cfg.key,
            max_depth=cfg.max_depth,
        ),
    )

    def annotate() -> dict[str, Any]:
        rows = disc.prefill(disc.reduce_paths(shards.list_shards(shards.join(dd, "paths"))), cfg)
        header = (
            f"mathmine discovery, round {k}: URL paths inside math-related {cfg.key}s (> {cfg.domain_rate:.0%} of pages selected).\n"
            f"Set `accept` to yes/no; round {k + 1} reads this file as you leave it (delete round-{k + 1}/ to re-read after it ran).\n"
            f"Pre-filled rule: accept if rate >= {cfg.accept_min_rate} and pages >= {cfg.accept_min_pages}."
        )
        text = disc.format_annotations(rows, header)
        _write_text(shards.join(dd, "paths.prefill.tsv"), text)
        if not shards.exists(shards.join(dd, "paths.tsv")):  # a reviewer's file is never overwritten
            _write_text(shards.join(dd, "paths.tsv"), text)
        return {"paths": len(rows), "prefill_accepted": sum(r["accept"] == "yes" for r in rows)}

    ann_rec = _step(rd, "annotate", annotate)
    return {**dom_rec, **ann_rec, "math_keys": math_keys}


def _write_text(url: str, text: str) -> None:
    shards._atomic_write(url, lambda f: f.write(text.encode()))


def _tsv(t: pa.Table) -> str:
    lines = ["\t".join(t.column_names)]
    for row in t.to_pylist():
        lines.append("\t".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.values()))
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------------------------- report
def truth_eval(run_dir: str, k: int, truth_path: str) -> dict[str, Any]:
    """Precision and recall of round k's selection for math pages, against a ground-truth table.

    Recall is over the math pages that reached the pool (dedup removes copies; those cannot be
    selected), broken down by `section` / `math_style` when the truth has them."""
    truth = shards.read_table(truth_path).to_pylist()
    by_url = {r["url"]: r for r in truth}
    rd = round_dir(run_dir, k)
    pool_urls: set[str] = set()
    for p in shards.list_shards(shards.join(rd, "scores")):
        pool_urls.update(shards.read_table(p, columns=["url"]).column("url").to_pylist())
    sel_urls: set[str] = set()
    for p in shards.list_shards(shards.join(rd, "selected")):
        sel_urls.update(shards.read_table(p, columns=["url"]).column("url").to_pylist())
    math_pool = {u for u in pool_urls if by_url.get(u, {}).get("is_math")}
    tp = len(sel_urls & math_pool)
    out: dict[str, Any] = {
        "math_pages_in_pool": len(math_pool),
        "selected_with_truth": len([u for u in sel_urls if u in by_url]),
        "true_positives": tp,
        "precision": tp / len(sel_urls) if sel_urls else 0.0,
        "recall": tp / len(math_pool) if math_pool else 0.0,
    }
    for col in ("math_style", "section"):
        groups: dict[str, list[int]] = {}
        for u in math_pool:
            g = str(by_url[u].get(col))
            c = groups.setdefault(g, [0, 0])
            c[0] += 1
            c[1] += u in sel_urls
        if any(g != "None" for g in groups):
            out[f"recall_by_{col}"] = {g: c[1] / c[0] for g, c in sorted(groups.items())}
    return out


def make_report(
    k, run_dir, cfg, seed_info, train_rec, score_stats, hist_docs, sel_stats, disc_rec
) -> dict[str, Any]:
    sel = merge_counts(sel_stats)
    pages = sel.get("kept", 0)
    coarse = (
        hist_docs.reshape(20, -1).sum(axis=1)
        if len(hist_docs) % 20 == 0
        else np.histogram(
            np.repeat((np.arange(len(hist_docs)) + 0.5) / len(hist_docs), hist_docs), bins=20, range=(0, 1)
        )[0]
    )
    prev_math: set[str] = set(_math_keys(round_dir(run_dir, k - 1))) if k > 1 else set()
    ann = shards.join(round_dir(run_dir, k), "discovery", "paths.tsv")
    accepted = disc.read_annotations(ann) if shards.exists(ann) else []
    prev_ann = shards.join(round_dir(run_dir, k - 1), "discovery", "paths.tsv")
    prev_accepted = set(disc.read_annotations(prev_ann)) if k > 1 and shards.exists(prev_ann) else set()
    report: dict[str, Any] = {
        "round": k,
        "pool_pages": merge_counts(score_stats).get("records_in", 0),
        "pool_tokens": merge_counts(score_stats).get("tokens", 0),
        "selected_pages": pages,
        "selected_tokens": sel.get("selected_tokens", 0),
        "new_pages": sel.get("new_pages", 0),
        "overlap_with_previous": (sel.get("previously_selected", 0) / pages if pages else 0.0)
        if k > 1
        else None,
        "score_histogram_20": [int(x) for x in coarse],
        "classifier": train_rec,
        "seed": {
            "openwebmath": seed_info["openwebmath"],
            "discovered_total": seed_info["discovered"],
            "discovered_this_round": seed_info["discovered_this_round"],
            "negatives": min(seed_info["negatives_drawn"], seed_info["negatives_wanted"]),
            "additions": seed_info["additions"],
        },
        "math_domains": disc_rec["math_keys"],
        "new_math_domains": sorted(set(disc_rec["math_keys"]) - prev_math),
        "annotated_paths": disc_rec["paths"],
        "accepted_paths": [f"{d}{p}" for d, p in accepted],
        "new_accepted_paths": [f"{d}{p}" for d, p in accepted if (d, p) not in prev_accepted],
    }
    if cfg.rounds.truth:
        report["truth"] = truth_eval(run_dir, k, cfg.rounds.truth)
    return report


def report_markdown(r: dict[str, Any]) -> str:
    lines = [f"# Round {r['round']}", "", "| measure | value |", "|---|---|"]
    ov = r["overlap_with_previous"]
    rows = [
        ("pool pages / tokens", f"{r['pool_pages']:,} / {r['pool_tokens']:,}"),
        ("selected pages / tokens", f"{r['selected_pages']:,} / {r['selected_tokens']:,}"),
        ("new pages (never selected before)", f"{r['new_pages']:,}"),
        ("overlap with previous round", "-" if ov is None else f"{ov:.1%}"),
        (
            "seed: OpenWebMath / discovered (this round) / negatives",
            f"{r['seed']['openwebmath']:,} / {r['seed']['discovered_total']:,} ({r['seed']['discovered_this_round']:,}) / {r['seed']['negatives']:,}",
        ),
        ("classifier held-out P / R / F1", _prf(r["classifier"].get("heldout"))),
        ("math-related domains (new)", f"{len(r['math_domains'])} ({len(r['new_math_domains'])})"),
        ("accepted paths (new)", f"{len(r['accepted_paths'])} ({len(r['new_accepted_paths'])})"),
    ]
    if "truth" in r:
        t = r["truth"]
        rows.append(("selection vs truth: precision / recall", f"{t['precision']:.3f} / {t['recall']:.3f}"))
        for key in ("recall_by_math_style", "recall_by_section"):
            for g, v in t.get(key, {}).items():
                rows.append((f"recall, {key.removeprefix('recall_by_')}={g}", f"{v:.3f}"))
    lines += [f"| {a} | {b} |" for a, b in rows]
    lines += [
        "",
        "Score histogram (20 bins over [0, 1], pages):",
        "",
        "`" + " ".join(map(str, r["score_histogram_20"])) + "`",
    ]
    if r["new_accepted_paths"]:
        lines += ["", "New accepted paths:", ""] + [f"- {p}" for p in r["new_accepted_paths"]]
    return "\n".join(lines) + "\n"


def _prf(h: dict[str, Any] | None) -> str:
    return "-" if not h else f"{h['precision']:.3f} / {h['recall']:.3f} / {h['f1']:.3f}"


def run_rounds(
    pool_dir: str, run_dir: str, cfg: LoopConfig, ex: Executor, rounds: int | None = None
) -> list[dict[str, Any]]:
    """Rounds 1..N (skipping complete ones); stop early at the overlap threshold. Returns the reports."""
    pool = shards.list_shards(pool_dir)
    if not pool:
        raise ValueError(f"no pool shards in {pool_dir}")
    n = rounds or cfg.rounds.count
    reports = []
    for k in range(1, n + 1):
        rep = run_round(k, pool, run_dir, cfg, ex)
        reports.append(rep)
        ov = rep.get("overlap_with_previous")
        if cfg.rounds.stop_overlap is not None and ov is not None and ov >= cfg.rounds.stop_overlap:
            log.warning(
                "round %d overlaps the previous one by %.1f%% >= %.1f%%: stopping",
                k,
                100 * ov,
                100 * cfg.rounds.stop_overlap,
            )
            break
    return reports
