"""Click commands: `mathmine corpus stats | compare | validate`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from corpus import shards
from corpus.executors import executor_option

FORMATS = ("json", "md", "html")


def _load_or_collect(path: str, **kw: Any) -> dict[str, Any]:
    """A saved JSON report is loaded as is; anything else (run, folder, shard) is measured."""
    if path.endswith(".json"):
        report = shards.read_json(path)
        if "corpus" not in report or "stages" not in report:
            raise click.ClickException(f"{path} is not a report of `mathmine corpus stats --format json`")
        return report
    from corpus.stats.collect import collect

    try:
        return collect(path, **kw)
    except (ValueError, FileNotFoundError) as e:
        raise click.ClickException(str(e)) from e


def default_out(path: str, fmt: str) -> str | None:
    """Where an HTML report goes without --out: RUN/stats/report.html for a run, beside a folder or
    file otherwise. JSON and Markdown go to stdout."""
    if fmt != "html":
        return None
    from corpus.stats.layout import is_run

    p = path.rstrip("/")
    if p.endswith(".json"):
        return p.removesuffix(".json") + ".html"
    if p.endswith(".parquet"):
        return p + ".stats.html"
    if is_run(p):
        return shards.join(p, "stats", "report.html")
    return p + ".stats.html"


def _write(text: str, out: str | None, what: str) -> None:
    if out is None:
        click.echo(text, nl=False)
        return
    if "://" not in out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    fs, p = shards.url_to_fs(out)
    with fs.open(p, "w", encoding="utf-8") as f:
        f.write(text)
    where = Path(out).resolve().as_uri() if "://" not in out else out
    click.echo(f"{what}: {out}  ({where})", err=True)


@click.command("stats")
@click.argument("path")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="md",
    show_default=True,
    help="json for machines, md for review, html for a self-contained page with plots.",
)
@click.option(
    "--out",
    default=None,
    help="Output file (default: stdout for json/md; RUN/stats/report.html for html of a run).",
)
@click.option(
    "--tokenizer",
    default=None,
    help="Count tokens with this transformers tokenizer (hub id or local path) instead of the fast approximate `n_tokens`.",
)
@click.option("--top", default=20, show_default=True, help="Domains listed by name.")
@click.option(
    "--samples",
    default=3,
    show_default=True,
    help="Sample documents per bucket (round, language, markup family); 0 for none.",
)
@click.option(
    "--stage", "stages", multiple=True, help="Only these stages of a run (repeatable), e.g. --stage final."
)
@executor_option()
@click.option("--workers", type=int, default=None, help="Local processes (default: one per core).")
@click.option(
    "--cache",
    default=None,
    help="Keep per-shard results here; a rebuild then reads only new or changed shards.",
)
def stats_cli(
    path: str,
    fmt: str,
    out: str | None,
    tokenizer: str | None,
    top: int,
    samples: int,
    stages: tuple[str, ...],
    executor: str,
    workers: int | None,
    cache: str | None,
) -> None:
    """Statistics of a run directory or a shard folder (or a saved JSON report, to re-render it).

    Documents, tokens and bytes per stage; by round, language, domain (top N with shares) and math
    markup family; classifier-score and length histograms; the run's funnel with drops by reason;
    overlap between rounds; contamination by benchmark; sample documents per bucket. Every shard is
    read once, only the columns needed, batch by batch.
    """
    report = _load_or_collect(
        path,
        tokenizer=tokenizer,
        top=top,
        samples=samples,
        executor=executor,
        workers=workers,
        cache=cache,
        stages=list(stages) or None,
    )
    if fmt == "json":
        text = json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"
    elif fmt == "md":
        from corpus.stats.markdown import to_markdown

        text = to_markdown(report)
    else:
        from corpus.stats.html import to_html

        text = to_html(report)
    _write(text, out or default_out(path, fmt), f"{fmt} report")


@click.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "md"]),
    default="md",
    show_default=True,
    help="json for machines, md for review.",
)
@click.option("--out", default=None, help="Output file (default: stdout).")
@click.option(
    "--top", default=15, show_default=True, help="Languages / domains listed, largest share change first."
)
@click.option("--workers", type=int, default=None, help="Local processes (default: one per core).")
def compare_cli(run_a: str, run_b: str, fmt: str, out: str | None, top: int, workers: int | None) -> None:
    """What changed from RUN_A to RUN_B: documents and tokens per stage, corpus ids added and removed,
    drops by reason, rounds, language and domain shares, markup, contamination, recipe keys.
    Either side may also be a shard folder or a saved `stats --format json` report."""
    from corpus.stats.compare import compare_markdown, compare_reports

    a = _load_or_collect(run_a, samples=0, workers=workers, top=max(top, 100))
    b = _load_or_collect(run_b, samples=0, workers=workers, top=max(top, 100))
    c = compare_reports(a, b, top=top)
    text = json.dumps(c, indent=2, default=str) + "\n" if fmt == "json" else compare_markdown(c)
    _write(text, out, "comparison")


@click.command("validate")
@click.argument("path")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--max-problems", default=200, show_default=True, help="Stop a folder after this many problems."
)
def validate_cli(path: str, as_json: bool, max_problems: int) -> None:
    """Check shards against the Document schema: readable, every schema column with its type, no null
    ids or texts, no empty text, unique ids per stage folder. Each problem names the shard and row;
    the exit status is 1 when there is any."""
    from corpus.stats.validate import validate

    results = validate(path, max_problems=max_problems)
    if as_json:
        click.echo(json.dumps([r.to_json() for r in results], indent=2))
    else:
        for r in results:
            status = "ok" if r.ok else f"{len(r.problems)} problem(s)"
            click.echo(f"{r.path}: {r.shards} shard(s), {r.rows:,} rows: {status}")
            for p in r.problems:
                click.echo(f"  {p}")
    if not all(r.ok for r in results):
        sys.exit(1)
