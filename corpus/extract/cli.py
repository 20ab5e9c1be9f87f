"""`mathmine corpus extract FILE…`: print the math-preserving extraction of HTML files or WARC records."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import click

from corpus.extract.api import ExtractConfig, extract_math


def _warc_pages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(url, HTTP body) of each HTML response record of a WARC file (fastwarc; gz or plain)."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    with open(path, "rb") as f:
        for rec in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=True):
            http = rec.http_headers
            ctype = (http.get("Content-Type") or "").lower() if http is not None else ""
            if ctype and "html" not in ctype:
                continue
            yield (rec.headers.get("WARC-Target-URI") or "").strip("<>"), rec.reader.read()


def _is_warc(path: Path) -> bool:
    name = path.name.lower()
    return ".warc" in name or name.endswith(".arc.gz")


def _read_html(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


@click.command("extract")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per page (url, title, counts, text).")
@click.option("--all-text", is_flag=True, help="Keep all visible text (no boilerplate removal).")
@click.option(
    "--timeout", type=float, default=10.0, show_default=True, help="Per-page time limit in seconds."
)
@click.option("--limit", type=int, default=0, help="Stop after this many pages (0: all).")
def extract_cli(files: tuple[Path, ...], as_json: bool, all_text: bool, timeout: float, limit: int) -> None:
    """Print the math-preserving text of HTML FILES (.html, .html.gz) or of the HTML response records
    of WARC FILES (.warc, .warc.gz).

    Formulas come out as $…$ (inline) and $$…$$ on their own line (display); a header line per page
    gives the URL and the formulas found per markup family. Pages that fail print their reason.
    """
    cfg = ExtractConfig(main_content=not all_text, timeout_s=timeout)
    n = 0
    for path in files:
        pages = _warc_pages(path) if _is_warc(path) else iter([(str(path), _read_html(path))])
        for url, body in pages:
            res = extract_math(body, url=url, config=cfg)
            counts = {k: v for k, v in res.counts.items() if v}
            if as_json:
                click.echo(
                    json.dumps(
                        {
                            "url": url,
                            "title": res.title,
                            "ok": res.ok,
                            "reason": res.reason,
                            "counts": res.counts,
                            "text": res.text,
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                status = f"formulas {counts or 0}" if res.ok else f"FAILED: {res.reason}"
                click.echo(f"### {url}  ({status})")
                if res.title:
                    click.echo(f"# {res.title}\n")
                click.echo(res.text + "\n")
            n += 1
            if limit and n >= limit:
                return
