"""`mathmine corpus decontaminate IN --out DIR --benchmark NAME[=PATH] …`."""

from __future__ import annotations

import json

import click

from corpus.benchmarks import REGISTRY
from corpus.executors import executor_option


@click.command("decontaminate")
@click.argument("in_dir", metavar="IN")
@click.option("--out", "out_dir", required=True, help="Output stage folder (kept shards, dropped/, report).")
@click.option(
    "--benchmark",
    "-b",
    "benchmarks",
    multiple=True,
    metavar="NAME[=PATH]",
    help="Benchmark to decontaminate against, from its hub id or a local file; repeatable "
    f"(a name may repeat with other files). Default: all of {', '.join(sorted(REGISTRY))}.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="YAML file with DecontamConfig settings.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a DecontamConfig setting, e.g. --set n=13 --set gram_unit=char.",
)
@click.option("--n", type=int, default=None, help="Gram length of the n-gram rule (default 10).")
@click.option(
    "--scope",
    type=click.Choice(["page", "segment"]),
    default=None,
    help="Remove the whole page (default) or only the lines that match.",
)
@executor_option("executor_kind")
@click.option("--workers", type=int, default=None, help="Local worker processes (default: all cores).")
def decontaminate_cli(
    in_dir: str,
    out_dir: str,
    benchmarks: tuple[str, ...],
    config_path: str | None,
    overrides: tuple[str, ...],
    n: int | None,
    scope: str | None,
    executor_kind: str,
    workers: int | None,
) -> None:
    """Remove pages of IN (a folder of Parquet document shards) that contain benchmark text.

    A page is removed when it holds any 10-gram (after normalisation) of a benchmark question,
    solution or choice, or a whole benchmark text of 3-9 grams (DeepSeekMath). Kept pages go to
    DIR/part-*.parquet, removed ones to DIR/dropped/ with the benchmark, item and matched text, and
    DIR/contamination.jsonl lists every removed page. See docs/decontamination.md.
    """
    from corpus.decontam.config import DecontamConfig
    from corpus.decontam.stage import run_decontaminate
    from corpus.executors import make_executor
    from corpus.recipe import RecipeError, load_config

    extra = list(overrides)
    if n is not None:
        extra.append(f"n={n}")
    if scope is not None:
        extra.append(f"scope={scope}")
    try:
        cfg = load_config(DecontamConfig, config_path, extra)
        if benchmarks:
            cfg.benchmarks = list(benchmarks)
        cfg.validate()
    except (RecipeError, ValueError) as e:
        raise click.UsageError(str(e)) from None
    try:
        with make_executor(executor_kind, workers) as ex:  # closing stops the pool / leaves Ray
            stats = run_decontaminate(in_dir, out_dir, cfg, ex)
    except ValueError as e:  # no shards, a resumed folder with other settings, a bad benchmark file
        raise click.ClickException(str(e)) from None
    idx = stats.get("index", {})
    click.echo(
        f"index: {idx.get('grams', 0):,} grams, {idx.get('short_texts', 0):,} short texts, "
        f"{idx.get('items', 0):,} items, built in {idx.get('build_seconds', 0)} s"
    )
    click.echo(
        f"pages: {stats.get('records_in', 0):,} in, {stats.get('kept', 0):,} kept, "
        f"{stats.get('dropped', {}).get('contaminated', 0):,} dropped, {stats.get('trimmed', 0):,} trimmed"
    )
    click.echo("by benchmark (pages): " + json.dumps(stats.get("by_benchmark", {}), sort_keys=True))
    click.echo(f"report: {stats.get('report')}")
