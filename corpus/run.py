"""`mathmine corpus run`: the whole corpus pipeline, resumable, from WARC files to the final shards.

    sample (optional) -> ingest -> dedup -> round 1..N -> extract -> final (decontaminated) + card

Every stage leaves completion records, so a rerun skips what is done and a killed run resumes with
identical output; `--rounds 4` after a 3-round run continues with round 4 and rebuilds the final
stage from round 4's selection. The resolved recipe is saved as RUN/recipe.yaml.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import click
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from corpus import shards
from corpus.config import CorpusRecipe, FinalConfig, substitute
from corpus.executors import Executor, Task, executor_option, make_executor, merge_counts
from corpus.recipe import load_config, recipe_option, to_dict
from corpus.rounds import run_rounds
from corpus.schema import MATH_FAMILIES, conform

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------ final
def reextract_shard(in_path: str, out_path: str, dropped_path: str, min_chars: int) -> dict[str, Any]:
    """Stage: re-read each selected page's WARC record and extract it with the math extractor,
    replacing `text`, the math markup counts and `n_tokens`. Unreadable or empty pages go to the
    dropped table with their reason."""
    from corpus.extract import extract_math
    from corpus.tokens import count_tokens
    from corpus.warc import read_records_at

    t = conform(shards.read_table(in_path))  # shards older than a nullable column get it as null
    rows = t.to_pylist()
    # Re-read file by file (records of a gunzipped-stream WARC in one pass), results by row.
    by_file: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_file.setdefault(row["warc_path"], []).append(i)
    results: list[tuple[str | None, Any]] = [(None, None)] * len(rows)
    for path, idx in by_file.items():
        places = [
            (rows[i]["warc_offset"], rows[i]["warc_length"], rows[i]["warc_record_offset"]) for i in idx
        ]
        for j, html in read_records_at(path, places):
            row = rows[idx[j]]
            if isinstance(html, Exception):  # a bad record is counted and set aside, never fatal
                log.warning("re-reading %s failed: %s", row["url"], html)
                results[idx[j]] = ("warc_unreadable", None)
                continue
            res = extract_math(html, url=row["url"])
            results[idx[j]] = (None if res.ok else f"extract_{res.reason}", res)
    kept, dropped, reasons = [], [], {}
    for row, (reason, res) in zip(rows, results):
        text = res.text if res is not None else ""
        if reason is None and len(text.strip()) < min_chars:
            reason = "extract_too_short"
        if reason:
            reasons[reason] = reasons.get(reason, 0) + 1
            dropped.append({**row, "reason": reason})
            continue
        counts = res.counts
        kept.append(
            {
                **row,
                "text": text,
                "n_tokens": count_tokens(text),
                **{f"math_{f}": counts.get(f, 0) for f in MATH_FAMILIES},
            }
        )
    schema = t.schema  # conformed above
    out = pa.Table.from_pylist(kept, schema=schema) if kept else schema.empty_table()
    shards.write_table(out, out_path)
    if dropped:
        dschema = schema.append(pa.field("reason", pa.string()))
        shards.write_table(pa.Table.from_pylist(dropped, schema=dschema), dropped_path)
    return {"records_in": len(rows), "kept": len(kept), "dropped": reasons}


def run_final(run_dir: str, last_round: int, recipe: CorpusRecipe, ex: Executor) -> dict[str, Any]:
    """Re-extract and decontaminate round `last_round`'s selection into RUN/final/."""
    extract_dir = shards.join(run_dir, "extract")
    final_dir = shards.join(run_dir, "final")
    rec = shards.read_done(final_dir, "_stage")
    if rec is not None and rec.get("round") == last_round:
        return rec
    # Built from another round (or by a version without the marker): derived data, rebuild. Work of
    # a killed run for this same round is kept, so its completed re-extraction tasks are not redone.
    built_from = shards.read_done(extract_dir, "_round")
    if built_from is None or built_from.get("round") != last_round:
        for d in (extract_dir, final_dir):
            if shards.exists(d):
                fs, p = shards.url_to_fs(d)
                fs.rm(p, recursive=True)
        shards.mark_done(extract_dir, "_round", {"round": last_round})
    sel_dir = shards.join(run_dir, f"round-{last_round}", "selected")
    cfg: FinalConfig = recipe.final
    src = sel_dir
    stats: dict[str, Any] = {"round": last_round}
    if cfg.reextract:
        st = ex.run(
            extract_dir,
            reextract_shard,
            [
                Task(
                    p.rsplit("/", 1)[-1].removesuffix(".parquet"),
                    dict(
                        in_path=p,
                        out_path=shards.join(extract_dir, p.rsplit("/", 1)[-1]),
                        dropped_path=shards.join(extract_dir, "dropped", p.rsplit("/", 1)[-1]),
                        min_chars=cfg.min_chars,
                    ),
                )
                for p in shards.list_shards(sel_dir)
            ],
            desc="final: re-extract",
        )
        stats["extract"] = merge_counts(st)
        src = extract_dir
    if cfg.decontaminate:
        from corpus.decontam import run_decontaminate

        dec = run_decontaminate(src, final_dir, recipe.decontam, ex)
        stats["decontaminate"] = {
            k: v for k, v in dec.items() if k in ("records_in", "kept", "dropped", "by_benchmark")
        }
    else:
        for p in shards.list_shards(src):
            shards.write_table(shards.read_table(p), shards.join(final_dir, p.rsplit("/", 1)[-1]))
    finals = shards.list_shards(final_dir)
    pages = tokens = 0
    for p in finals:
        t = shards.read_table(p, columns=["n_tokens"])
        pages += t.num_rows
        tokens += int(pc.sum(t.column("n_tokens")).as_py() or 0)
    stats.update({"pages": pages, "tokens": tokens, "shards": len(finals)})
    write_card(final_dir, recipe, stats, run_dir)
    shards.mark_done(final_dir, "_stage", stats)
    return stats


def write_card(final_dir: str, recipe: CorpusRecipe, stats: dict[str, Any], run_dir: str) -> None:
    """The dataset card RUN/final/README.md: what is in the shards and how they were made."""

    from corpus.schema import DOCUMENT_SCHEMA

    rows = []
    for k in range(1, stats["round"] + 1):
        p = shards.join(run_dir, f"round-{k}", "report.json")
        if shards.exists(p):
            r = shards.read_json(p)
            t = r.get("truth", {})
            ov = r.get("overlap_with_previous")
            rows.append(
                f"| {k} | {r['selected_pages']:,} | {r['selected_tokens']:,} | {'-' if ov is None else f'{ov:.1%}'} | "
                f"{r['seed']['discovered_total']:,} | {len(r['accepted_paths'])} | "
                + (f"{t['precision']:.3f} / {t['recall']:.3f} |" if t else "- |")
            )
    schema_rows = [
        f"| `{f.name}` | {f.type} | {(f.metadata or {}).get(b'doc', b'').decode()} |" for f in DOCUMENT_SCHEMA
    ]
    dropped = stats.get("decontaminate", {}).get("dropped", {})
    text = "\n".join(
        [
            f"# {recipe.name}: math corpus",
            "",
            "Mined from Common Crawl-style WARC files by `mathmine corpus run` (DeepSeekMath recipe): fastText",
            "recall over a deduplicated pool in rounds with domain/path discovery, then re-extraction with",
            "the math extractor and benchmark decontamination.",
            "",
            "## Counts",
            "",
            f"- pages: {stats['pages']:,}",
            f"- tokens: {stats['tokens']:,}",
            f"- shards: {stats['shards']} (`part-NNNNN.parquet`, zstd)",
            f"- from round: {stats['round']}",
            f"- re-extraction: {stats.get('extract', {})}",
            f"- decontamination drops: {dropped}",
            "",
            "## Rounds",
            "",
            "| round | pages | tokens | overlap with previous | discovered seed pages | accepted paths | precision / recall vs truth |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "## Schema",
            "",
            "| column | type | meaning |",
            "|---|---|---|",
            *schema_rows,
            "",
            "## Recipe",
            "",
            "```yaml",
            yaml.safe_dump(to_dict(recipe), sort_keys=False, allow_unicode=True).rstrip(),
            "```",
            "",
        ]
    )
    shards._atomic_write(shards.join(final_dir, "README.md"), lambda f: f.write(text.encode()))


# -------------------------------------------------------------------------------------------- run
# Keys a resumed run may change: they steer how far the loop goes, not what completed stages contain.
RESUMABLE_KEYS = frozenset({"rounds.count", "rounds.stop_overlap", "workers"})


def _write_yaml(url: str, data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()
    shards._atomic_write(url, lambda f: f.write(text))


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(d, dict):
        return {prefix: d}
    out: dict[str, Any] = {}
    for k, v in d.items():
        out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    return out


# The recipe before `${run}` is filled in: resumes compare against it, so a run folder that was moved
# or copied still resumes (RUN/recipe.yaml holds the resolved recipe the stages used).
TEMPLATE_NAME = "recipe.template.yaml"


def check_recipe_unchanged(run_dir: str, template: CorpusRecipe) -> None:
    """Refuse to resume a run with settings other than those its completed stages were made with:
    the skipped stages would silently keep the old ones while recipe.yaml and the card claimed new.
    `template` is the recipe before `${run}` substitution."""
    path = shards.join(run_dir, TEMPLATE_NAME)
    if not shards.exists(path):
        return
    fs, p = shards.url_to_fs(path)
    with fs.open(p, "rb") as f:
        old = _flatten(yaml.safe_load(f.read()) or {})
    new = _flatten(to_dict(template))
    changed = sorted(
        k for k in old.keys() | new.keys() if old.get(k) != new.get(k) and k not in RESUMABLE_KEYS
    )
    if changed:
        detail = ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in changed[:8])
        raise click.UsageError(
            f"{run_dir} was made with a different recipe ({detail}{', ...' if len(changed) > 8 else ''}). "
            "Use a new --run directory, or --allow-recipe-change to resume anyway "
            "(completed stages keep the settings they were made with)."
        )


def run_corpus(
    recipe_path: str | None,
    run_dir: str,
    rounds: int | None,
    executor: str = "local",
    overrides: list[str] | tuple[str, ...] = (),
    allow_recipe_change: bool = False,
) -> dict[str, Any]:
    """Run (or resume) every stage; return a summary of each."""
    recipe = load_config(CorpusRecipe, recipe_path, list(overrides))
    # file:///x and /x are the same directory; the plain path keeps local-only helpers (the sample
    # generator, seed files) working. Other URLs (s3://...) stay URLs throughout.
    run_dir = str(run_dir).removeprefix("file://")
    n_rounds = rounds or recipe.rounds.count
    recipe.rounds.count = n_rounds
    if not allow_recipe_change:
        check_recipe_unchanged(run_dir, recipe)
    if "://" not in run_dir:
        Path(run_dir).mkdir(parents=True, exist_ok=True)
    _write_yaml(shards.join(run_dir, TEMPLATE_NAME), to_dict(recipe))
    substitute(recipe, {"run": run_dir})
    _write_yaml(shards.join(run_dir, "recipe.yaml"), to_dict(recipe))
    ex = make_executor(executor, recipe.workers or None)
    summary: dict[str, Any] = {}
    timings: dict[str, float] = {}

    def stage(name: str, fn) -> Any:
        t0 = time.perf_counter()
        out = fn()
        timings[name] = time.perf_counter() - t0
        return out

    if recipe.sample.generate:
        sd = shards.join(run_dir, "sample")

        def sample() -> dict[str, Any]:
            if not shards.stage_complete(sd):
                from corpus.sample.generate import generate_sample

                kw = {"n_pages": recipe.sample.pages} if recipe.sample.pages else {}
                generate_sample(sd, seed=recipe.sample.seed, **kw)
                shards.mark_done(sd, "_stage", {"seed": recipe.sample.seed, "pages": recipe.sample.pages})
            return shards.read_done(sd, "_stage")

        stage("sample", sample)

    ingest_dir = shards.join(run_dir, "ingest")
    dedup_dir = shards.join(run_dir, "dedup")

    def ingest() -> dict[str, Any]:
        if not shards.stage_complete(ingest_dir):
            from corpus.ingest import run_ingest

            st = run_ingest(recipe.inputs, ingest_dir, recipe.ingest, ex)
            shards.mark_done(ingest_dir, "_stage", _small(st))
        return shards.read_done(ingest_dir, "_stage")

    def dedup() -> dict[str, Any]:
        if not shards.stage_complete(dedup_dir):
            from corpus.dedup import run_dedup

            st = run_dedup(ingest_dir, dedup_dir, recipe.dedup, ex)
            shards.mark_done(dedup_dir, "_stage", _small(st))
        return shards.read_done(dedup_dir, "_stage")

    try:
        summary["ingest"] = stage("ingest", ingest)
        summary["dedup"] = stage("dedup", dedup)
        reports = stage("rounds", lambda: run_rounds(dedup_dir, run_dir, recipe.loop(), ex, n_rounds))
        summary["rounds"] = reports
        summary["final"] = stage("final", lambda: run_final(run_dir, reports[-1]["round"], recipe, ex))
    finally:
        ex.close()
    summary["seconds"] = timings
    return summary


def _small(stats: Any) -> dict[str, Any]:
    """Numbers only (stage results may carry big lists)."""
    if not isinstance(stats, dict):
        return {}
    return {
        k: v for k, v in stats.items() if isinstance(v, (int, float, str, dict)) and not isinstance(v, bool)
    }


def summary_table(summary: dict[str, Any]) -> str:
    rows = [("stage", "pages in", "pages out", "tokens out", "seconds", "notes")]
    sec = summary.get("seconds", {})
    if "sample" in sec:
        rows.append(("sample", "", "", "", f"{sec['sample']:.1f}", "generated crawl (skipped if present)"))
    for name in ("ingest", "dedup"):
        s = summary.get(name) or {}
        rows.append(
            (name, f"{s.get('records_in', '-')}", f"{s.get('kept', '-')}", "", f"{sec.get(name, 0):.1f}", "")
        )
    for r in summary.get("rounds", []):
        t = r.get("truth")
        ov = r.get("overlap_with_previous")
        note = f"P/R {t['precision']:.3f}/{t['recall']:.3f}" if t else ""
        note += f" overlap {ov:.1%}" if ov is not None else ""
        note += f" seed+{r['seed']['discovered_this_round']}"
        rows.append(
            (
                f"round {r['round']}",
                f"{r['pool_pages']}",
                f"{r['selected_pages']}",
                f"{r['selected_tokens']}",
                "",
                note.strip(),
            )
        )
    rows[-1] = (
        (*rows[-1][:4], f"{sec.get('rounds', 0):.1f}", rows[-1][5]) if summary.get("rounds") else rows[-1]
    )
    f = summary.get("final") or {}
    rows.append(
        (
            "final",
            "",
            f"{f.get('pages', '-')}",
            f"{f.get('tokens', '-')}",
            f"{sec.get('final', 0):.1f}",
            f"{f.get('shards', '-')} shards",
        )
    )
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows)


@click.command("run")
@recipe_option(
    "Recipe YAML (pipelines/sample.yaml, pipelines/deepseekmath.yaml). Default: built-in defaults."
)
@click.option("--run", "run_dir", required=True, help="Run directory (local path or fsspec URL).")
@click.option("--rounds", type=int, default=None, help="Rounds to run (default: the recipe's rounds.count).")
@executor_option()
@click.option(
    "--allow-recipe-change",
    is_flag=True,
    help="Resume a run whose saved recipe.yaml differs from this one (completed stages are not redone).",
)
@click.argument("overrides", nargs=-1)
def run_cli(
    recipe: str | None,
    run_dir: str,
    rounds: int | None,
    executor: str,
    allow_recipe_change: bool,
    overrides: tuple[str, ...],
) -> None:
    """Run the corpus pipeline: ingest, dedup, recall rounds 1..N, final shards + dataset card.

    Resumable: stages with completion records are skipped, so rerunning after a crash (or with a
    larger --rounds) continues where the run stopped. OVERRIDES are dotted recipe keys, e.g.
    `selection.threshold=0.8 rounds.stop_overlap=null`. Edit RUN/round-K/discovery/paths.tsv to
    accept or reject discovered math URL paths before round K+1 runs.
    """
    summary = run_corpus(recipe, run_dir, rounds, executor, overrides, allow_recipe_change)
    click.echo(summary_table(summary))
    click.echo(f"final corpus: {shards.join(run_dir, 'final')} (dataset card: README.md)")


__all__ = ["run_corpus", "run_cli", "reextract_shard", "run_final", "to_dict"]
