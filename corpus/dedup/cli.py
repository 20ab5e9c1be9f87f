"""`mathmine corpus dedup IN --out DIR`: URL, exact and MinHash near-dedup of Parquet documents."""

from __future__ import annotations

import json

import click

from corpus.executors import executor_option
from corpus.recipe import load_config, to_dict


@click.command("dedup")
@click.argument("in_dir")
@click.option(
    "--out", "out_dir", required=True, help="Output folder (kept shards, dropped/, _done/, _work/)."
)
@click.option("--config", "config_path", default=None, help="YAML file with DedupConfig fields.")
@click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a field, e.g. --set bands=16."
)
@click.option(
    "--kinds", default=None, help="Comma-separated subset of url,exact,near to run (default: all three)."
)
@executor_option("executor_kind")
@click.option("--workers", type=int, default=None, help="Local worker processes (default: all cores).")
def dedup_cli(
    in_dir: str, out_dir: str, config_path: str | None, overrides: tuple[str, ...], kinds: str | None,
    executor_kind: str, workers: int | None,
) -> None:  # fmt: skip
    """Deduplicate the Parquet documents in IN_DIR (columns `id` and `text`; `url`, `fetch_time` and
    `score` are used when present).

    \b
    url    same page after URL normalisation: the newest capture is kept
    exact  same text after NFKC + whitespace normalisation
    near   MinHash LSH on word 5-gram shingles (default 20 bands x 6 rows, verified >= 0.7)

    One document per cluster is kept (highest score, then newest fetch, then smallest id). Kept
    documents go to OUT/part-NNNNN.parquet, removed ones to OUT/dropped/ with reason, dup_cluster and
    kept_id. Rerunning the same command resumes an interrupted run.
    """
    from corpus.dedup.stage import DedupConfig, run_dedup
    from corpus.executors import make_executor

    ov = list(overrides)
    if kinds:
        ov.append(f"kinds=[{kinds}]")
    cfg = load_config(DedupConfig, config_path, ov)
    stats = run_dedup(in_dir, out_dir, cfg, make_executor(executor_kind, workers))
    click.echo(
        json.dumps({k: v for k, v in stats.items() if k != "config"} | {"config": to_dict(cfg)}, indent=2)
    )
