"""Python standard-library sources as an offline code source (a stand-in for GitHub code at tiny scale).

Reads `.py` files under `sysconfig.get_paths()["stdlib"]` (sorted, so the output is deterministic for a
given Python), skips test suites and vendored packages, and writes Parquet shards with `id`, `url`
(the file's path relative to the stdlib), `text` and `lang="code"`.
"""

from __future__ import annotations

import hashlib
import sysconfig
from pathlib import Path

import click
import pyarrow as pa

from corpus.shards import join, shard_name, write_table

SKIP_PARTS = {
    "test",
    "tests",
    "idlelib",
    "site-packages",
    "dist-packages",
    "__pycache__",
    "lib2to3",
    "ensurepip",
}


def stdlib_files(root: str | Path | None = None, max_bytes: int = 200_000) -> list[Path]:
    """Sorted .py files of the standard library, minus tests and vendored code, at most `max_bytes` each."""
    base = Path(root or sysconfig.get_paths()["stdlib"])
    files = []
    for p in sorted(base.rglob("*.py")):
        rel = p.relative_to(base).parts
        if SKIP_PARTS.intersection(rel) or p.stat().st_size == 0 or p.stat().st_size > max_bytes:
            continue
        files.append(p)
    return files


def write_stdlib_shards(
    out_dir: str, max_files: int = 0, docs_per_shard: int = 200, root: str | Path | None = None
) -> dict[str, int]:
    """Write the stdlib sources as Parquet shards under `out_dir`; returns counts."""
    base = Path(root or sysconfig.get_paths()["stdlib"])
    files = stdlib_files(base)
    if max_files:
        files = files[:max_files]
    rows, shard, skipped = [], 0, 0
    for p in files:
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            skipped += 1  # a few stdlib files are Latin-1 test data; skipping them loses nothing useful
            continue
        rel = str(p.relative_to(base))
        rows.append(
            {
                "id": hashlib.sha1(rel.encode()).hexdigest(),
                "url": f"python-stdlib://{rel}",
                "text": text,
                "lang": "code",
            }
        )
        if len(rows) == docs_per_shard:
            write_table(pa.Table.from_pylist(rows), join(out_dir, shard_name(shard)))
            rows, shard = [], shard + 1
    if rows:
        write_table(pa.Table.from_pylist(rows), join(out_dir, shard_name(shard)))
        shard += 1
    return {"files": len(files), "skipped_undecodable": skipped, "shards": shard}


@click.command("stdlib-code")
@click.option("--out", required=True, help="Output folder (or fsspec URL) for the Parquet shards.")
@click.option("--max-files", default=0, show_default=True, help="Stop after this many files (0: all).")
@click.option("--docs-per-shard", default=200, show_default=True, help="Source files per Parquet shard.")
def stdlib_code_cli(out: str, max_files: int, docs_per_shard: int) -> None:
    """Write Python standard-library sources as Parquet shards (the offline code source)."""
    stats = write_stdlib_shards(out, max_files, docs_per_shard)
    click.echo(
        f"{stats['files']} files -> {stats['shards']} shards in {out} ({stats['skipped_undecodable']} skipped)"
    )
