"""`mathmine corpus sample --out DIR`: write the deterministic sample crawl."""

from __future__ import annotations

import json
import time

import click

from corpus.sample.sites import DEFAULT_PAGES


@click.command("sample")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Directory to write into."
)
@click.option(
    "--seed", default=0, show_default=True, help="Random seed; the same seed gives byte-identical files."
)
@click.option(
    "--pages",
    "n_pages",
    default=DEFAULT_PAGES,
    show_default=True,
    help="Regular site pages (duplicates, contaminated and broken records come on top).",
)
@click.option("--files", "n_files", default=6, show_default=True, help="Number of WARC files.")
@click.option("--seed-docs", "n_seed", default=600, show_default=True, help="Documents in the positive seed.")
def sample_cli(out_dir: str, seed: int, n_pages: int, n_files: int, n_seed: int) -> None:
    """Generate the sample crawl: OUT/warc/*.warc.gz, OUT/seed/openwebmath.jsonl, OUT/benchmark/*.jsonl,
    OUT/truth.parquet (one row per WARC response record) and OUT/manifest.json.

    Math and non-math pages in English and Chinese over a few dozen domains, every math markup family,
    hidden math sections on otherwise non-math sites, exact and near duplicates, pages quoting the sample
    benchmark and some deliberately broken records. See docs/sample.md."""
    from corpus.sample.generate import generate_sample

    t0 = time.perf_counter()
    manifest = generate_sample(out_dir, seed=seed, n_pages=n_pages, n_files=n_files, n_seed=n_seed)
    c = manifest.counts
    click.echo(
        f"wrote {out_dir} in {time.perf_counter() - t0:.1f}s: {c['response_records']} response records "
        f"over {c['domains']} domains, {len(manifest.files)} files"
    )
    click.echo(
        json.dumps(
            {k: c[k] for k in ("is_math", "math_style", "lang", "section", "broken")}, ensure_ascii=False
        )
    )
