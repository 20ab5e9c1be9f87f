"""The ingest stage: WARC files -> Document shards (fast text tier, language ID, math markers).

One task per input WARC, in sorted order, so `part-NNNNN.parquet` always holds the same file's pages:

    RUN/ingest/part-00000.parquet          documents (corpus.schema.DOCUMENT_SCHEMA)
    RUN/ingest/dropped/part-00000.parquet  responses that did not become documents, with `reason`
    RUN/ingest/_done/part-00000.json       stats record (records read, kept, skipped/dropped by reason)
    RUN/ingest/_done/_stage.json           totals, written when every input is done

A rerun skips inputs that have a completion record; the stage function is deterministic, so a
resumed run produces byte-identical shards.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import click
import pyarrow as pa

from corpus import shards
from corpus.columns import table_from_columns
from corpus.executors import Executor, Task, executor_option, make_executor, merge_counts
from corpus.language import detect_languages
from corpus.markers import math_markers, out_links, resolve_links
from corpus.schema import DOCUMENT_SCHEMA, DROPPED_SCHEMA, MATH_FAMILIES
from corpus.text_fast import scan_page, shared_extractor
from corpus.tokens import count_tokens
from corpus.urls import domain_of_host, host_of
from corpus.warc import CC_BASE_URL, WarcOpenError, WarcRecord, expand_inputs, iter_warc

log = logging.getLogger(__name__)


@dataclass
class IngestConfig:
    """Settings of the ingest stage (recipe key `ingest`)."""

    langs: list[str] = field(default_factory=lambda: ["en", "zh"])
    """Languages kept (lid.176 codes); the paper's corpus is mostly English and Chinese. Empty: keep all."""
    min_lang_score: float = 0.5
    """Minimum lid.176 confidence of the top language; pages below go to the side table."""
    lid_chars: int = 2000
    """Characters of text given to language ID (the language is settled long before that)."""
    max_page_bytes: int = 10 << 20
    """Records larger than this (bytes) are skipped as `too_large`, never held in memory."""
    min_text_chars: int = 200
    """Pages whose extracted text is shorter are dropped as `text_too_short`."""
    extractor: str = "scan"
    """Fast tier: `scan` (one native pass, text + links; see corpus.text_fast) or `resiliparse`
    (lexbor DOM in a time-limited child process; the former default, ~5x slower)."""
    extract_timeout_s: float = 5.0
    """Wall-clock limit per page for text extraction; overruns are cut off (`extract_timeout`).
    0: no limit (with `resiliparse`, in-process: one pathological page can stall a task)."""
    main_content: bool = True
    """Fast tier keeps only main-content blocks (drops navigation/boilerplate by heuristics)."""
    max_links: int = 256
    """Out-links kept per page (for domain discovery)."""
    keep_dropped_text: bool = True
    """Store the extracted text of dropped pages in the side table (audits); False saves space."""
    cc_base_url: str = CC_BASE_URL
    """Prefix for relative paths in a Common Crawl `warc.paths.gz` listing (`s3://commoncrawl/` on AWS)."""
    skip_unopenable: bool = False
    """False: a WARC that cannot be opened stops the run with an error naming it. True: it is
    counted (`open_error`) and the run goes on (for long remote listings with a few dead URLs)."""


# ---------------------------------------------------------------- one WARC


def _doc_id(rec: WarcRecord, warc_path: str) -> str:
    if rec.record_id:
        key = rec.record_id
    elif rec.url:
        key = f"{rec.url} {rec.date.isoformat() if rec.date else ''}"
    else:  # an unreadable stretch: identify it by position
        key = f"{warc_path}@{rec.offset}" + (f"+{rec.record_offset}" if rec.record_offset is not None else "")
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


class _Rows:
    """Column lists for one output table."""

    def __init__(self, schema: pa.Schema):
        self.schema = schema
        self.cols: dict[str, list] = {f.name: [] for f in schema}

    def add(self, row: dict[str, Any]) -> None:
        for name, col in self.cols.items():
            col.append(row.get(name))

    def table(self) -> pa.Table:
        # not pa.Table.from_pydict: its pa.array check imports pandas (see corpus.columns)
        return table_from_columns(self.cols, self.schema)


def _base_row(rec: WarcRecord, warc_path: str) -> dict[str, Any]:
    host = host_of(rec.url)
    return {
        "id": _doc_id(rec, warc_path),
        "url": rec.url,
        "host": host,
        "domain": domain_of_host(host) if host else None,
        "warc_path": warc_path,
        "warc_offset": rec.offset,
        "warc_length": rec.length,
        "warc_record_offset": rec.record_offset,
        "fetch_time": rec.date,
        "html_bytes": len(rec.payload) if rec.payload is not None else rec.payload_size,
        "text": "",
    }


def ingest_warc(warc_path: str, out_path: str, dropped_path: str, cfg: IngestConfig) -> dict[str, Any]:
    """Stage function: one WARC file -> one document shard + one dropped shard + stats.

    Pure and deterministic in (file bytes, cfg): records are processed in file order.
    """
    t0 = time.perf_counter()
    keep_langs = set(cfg.langs)
    skipped: Counter[str] = Counter()  # non-response records (requests, metadata, revisits, ...)
    dropped: Counter[str] = Counter()
    docs, drops = _Rows(DOCUMENT_SCHEMA), _Rows(DROPPED_SCHEMA)
    pending: list[dict[str, Any]] = []  # pages with text, waiting for batched language ID
    records_in = 0
    stats: dict[str, Any] = {"input": warc_path}

    def drop(row: dict[str, Any], reason: str) -> None:
        dropped[reason] += 1
        if not cfg.keep_dropped_text:
            row = {**row, "text": ""}
        drops.add({**row, "reason": reason})

    def flush() -> None:
        langs = detect_languages([r["text"] for r in pending], cfg.lid_chars)
        for row, (lang, score) in zip(pending, langs):
            row["lang"], row["lang_score"] = lang, score
            if keep_langs and lang not in keep_langs:
                drop(row, "lang_not_kept")
            elif score < cfg.min_lang_score:
                drop(row, "lang_below_threshold")
            else:
                row["n_tokens"] = count_tokens(row["text"])
                docs.add(row)
        pending.clear()

    try:
        if cfg.extractor not in ("scan", "resiliparse"):
            raise ValueError(f"ingest.extractor must be 'scan' or 'resiliparse', not {cfg.extractor!r}")
        records = iter_warc(warc_path, cfg.max_page_bytes)
        fx = (
            shared_extractor(cfg.extract_timeout_s, cfg.main_content)
            if cfg.extractor == "resiliparse"
            else None
        )
        restarts0 = fx.restarts if fx else 0
        for rec in records:
            records_in += 1
            if rec.record_type and rec.record_type != "response" and not rec.error:
                skipped[rec.record_type] += 1
                continue
            row = _base_row(rec, warc_path)
            if rec.error:
                drop(row, rec.error)
                continue
            if rec.http_status is not None and not 200 <= rec.http_status < 300:
                drop(row, "http_status_not_ok")
                continue
            if not rec.payload:
                drop(row, "empty_body")
                continue
            if not rec.is_html:
                drop(row, "not_html")
                continue
            counts = math_markers(rec.payload)  # on the raw bytes
            for fam in MATH_FAMILIES:
                row[f"math_{fam}"] = counts[fam]
            if fx is None:  # one pass: text and links
                text, hrefs, base = scan_page(
                    rec.payload, rec.charset, cfg.main_content, cfg.extract_timeout_s
                )
                row["out_links"] = resolve_links(hrefs, base, rec.url, cfg.max_links)
                err = None if text is not None else "extract_timeout"
            else:  # links from the raw bytes; decoding happens with extraction (in the child)
                row["out_links"] = out_links(rec.payload, rec.url, cfg.max_links)
                text, err = fx.extract(rec.payload, rec.charset)
            if err:
                drop(row, err.split(":", 1)[0])
                continue
            text = (text or "").strip()
            row["text"] = text
            if len(text) < cfg.min_text_chars:
                drop(row, "text_too_short")
                continue
            pending.append(row)
            if len(pending) >= 256:
                flush()
        flush()
        stats["extract_restarts"] = fx.restarts - restarts0 if fx else 0
    except WarcOpenError as e:
        if not cfg.skip_unopenable:
            raise
        log.warning("%s", e)
        dropped["open_error"] += 1
        stats["open_error"] = str(e)

    shards.write_table(docs.table(), out_path)
    shards.write_table(drops.table(), dropped_path)
    kept = len(docs.cols["id"])
    stats.update(
        records_in=records_in,
        responses=records_in - sum(skipped.values()),
        kept=kept,
        skipped=dict(sorted(skipped.items())),
        dropped=dict(sorted(dropped.items())),
        seconds=round(time.perf_counter() - t0, 3),
    )
    return stats


# ---------------------------------------------------------------- the stage


def run_ingest(
    inputs: list[str], out_dir: str, cfg: IngestConfig | None = None, executor: Executor | None = None
) -> dict[str, Any]:
    """Ingest every WARC named by `inputs` (paths, globs, listings, URLs) into `out_dir`.

    Returns the stage totals (also written to `out_dir/_done/_stage.json`). Resumes: inputs with a
    completion record are skipped; a completion record for a different input is an error, since
    shard numbers follow the sorted input list.
    """
    cfg = cfg or IngestConfig()
    executor = executor or make_executor("local")
    files = expand_inputs(inputs, cfg.cc_base_url)
    if not files:
        raise WarcOpenError(f"no WARC files in {inputs!r}")
    tasks = []
    for i, path in enumerate(files):
        name = shards.shard_name(i)
        task = Task(
            name.removesuffix(".parquet"),
            {
                "warc_path": path,
                "out_path": shards.join(out_dir, name),
                "dropped_path": shards.join(out_dir, "dropped", name),
                "cfg": cfg,
            },
        )
        done = shards.read_done(out_dir, task.name)
        if done is not None and done.get("input") != path:
            raise ValueError(
                f"{out_dir} holds an ingest of other inputs ({task.name} was {done.get('input')!r}, now {path!r}); "
                "use a fresh --out directory"
            )
        tasks.append(task)
    results = executor.run(out_dir, ingest_warc, tasks, desc="ingest")
    totals = merge_counts([{k: v for k, v in r.items() if k != "seconds"} for r in results])
    summary = {"stage": "ingest", "shards": len(tasks), "inputs": files, **totals}
    shards.mark_done(out_dir, "_stage", summary)
    return summary


@click.command("ingest", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--out", "out_dir", required=True, help="Output stage directory (e.g. RUN/ingest); local or s3://."
)
@click.option(
    "--recipe",
    type=click.Path(dir_okay=False),
    help="YAML file with IngestConfig fields (or an `ingest:` section).",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config field, e.g. --set langs=[en] --set min_text_chars=100.",
)
@click.option("--workers", type=int, default=None, help="Local worker processes (default: all cores).")
@executor_option("executor_kind")
def ingest_cli(inputs, out_dir, recipe, overrides, workers, executor_kind) -> None:
    """Read WARC files into Document shards: fast text, language, math markers, out-links.

    INPUTS are .warc / .warc.gz paths, globs ('crawl/*.warc.gz'), Common Crawl listings
    (warc.paths.gz; relative lines are fetched from data.commoncrawl.org), or https:// / s3:// URLs.
    Writes OUT/part-NNNNN.parquet (one per input, in sorted order), OUT/dropped/ (what was dropped and
    why) and OUT/_done/ stats. Rerunning resumes where it stopped.
    """
    from corpus.recipe import to_dict

    cfg = _load(recipe, overrides)
    summary = run_ingest(list(inputs), out_dir, cfg, make_executor(executor_kind, workers))
    shards.write_json(shards.join(out_dir, "ingest_config.json"), to_dict(cfg))  # what the run used
    drops = ", ".join(f"{k} {v}" for k, v in sorted(summary.get("dropped", {}).items()))
    click.echo(
        f"ingest: {summary['shards']} WARC file(s), {summary.get('records_in', 0)} records, "
        f"{summary.get('responses', 0)} responses, {summary.get('kept', 0)} documents kept -> {out_dir}"
    )
    if drops:
        click.echo(f"dropped: {drops}")


def _load(recipe: str | None, overrides: tuple[str, ...]) -> IngestConfig:
    """IngestConfig from a YAML file (its fields, or the `ingest:` section of a full recipe) plus
    dotted overrides."""
    from pathlib import Path

    import yaml

    from corpus.recipe import RecipeError, deep_merge, from_dict, parse_overrides

    data: dict[str, Any] = {}
    if recipe:
        data = yaml.safe_load(Path(recipe).read_text()) or {}
        if not isinstance(data, dict):
            raise RecipeError(f"recipe {recipe} must be a mapping")
        if isinstance(data.get("ingest"), dict):
            data = data["ingest"]
    return from_dict(IngestConfig, deep_merge(data, parse_overrides(list(overrides))))
