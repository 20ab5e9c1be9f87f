"""Write WARC records: wrap saved HTML pages into `response` records (tests, benchmarks, samples).

Hand-written because the job is a few lines of bytes: FastWARC's writer and warcio need record
objects built field by field, and tests must also be able to write *wrong* records (a bad
Content-Length), which libraries refuse to do.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterable
from pathlib import Path


def response_record(
    url: str,
    body: bytes,
    content_type: str | None = "text/html; charset=utf-8",
    date: str = "2024-01-01T00:00:00Z",
    record_id: str | None = None,
    status: str = "200 OK",
    content_length_delta: int = 0,
    warc_headers: dict[str, str] | None = None,
) -> bytes:
    """One WARC/1.0 `response` record holding an HTTP response with `body`.

    `record_id` defaults to a UUID derived from url+date (deterministic files);
    `content_length_delta` makes the WARC Content-Length deliberately wrong (for tests);
    `warc_headers` adds WARC header lines (e.g. `WARC-Identified-Payload-Type`, as Common Crawl writes).
    """
    ctype = f"Content-Type: {content_type}\r\n" if content_type else ""
    http = f"HTTP/1.1 {status}\r\n{ctype}Content-Length: {len(body)}\r\n\r\n".encode() + body
    rid = record_id or f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url + date)}>"
    head = (
        "WARC/1.0\r\nWARC-Type: response\r\n"
        f"WARC-Record-ID: {rid}\r\nWARC-Date: {date}\r\nWARC-Target-URI: {url}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in (warc_headers or {}).items())
        + "Content-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(http) + content_length_delta}\r\n\r\n"
    ).encode()
    return head + http + b"\r\n\r\n"


def request_record(url: str, date: str = "2024-01-01T00:00:00Z") -> bytes:
    """A WARC `request` record (ingest skips these; used to check they are counted)."""
    http = f"GET / HTTP/1.1\r\nHost: {url.split('/')[2]}\r\n\r\n".encode()
    rid = f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'req' + url + date)}>"
    head = (
        f"WARC/1.0\r\nWARC-Type: request\r\nWARC-Record-ID: {rid}\r\nWARC-Date: {date}\r\n"
        f"WARC-Target-URI: {url}\r\nContent-Type: application/http; msgtype=request\r\n"
        f"Content-Length: {len(http)}\r\n\r\n"
    ).encode()
    return head + http + b"\r\n\r\n"


def gzip_member(record: bytes) -> bytes:
    """One record as its own gzip member (per-record compression, as Common Crawl does)."""
    return gzip.compress(record, compresslevel=6, mtime=0)


def write_warc(path: str | Path, records: Iterable[bytes], compress: bool | None = None) -> Path:
    """Write records to `path`; gzip per record when `compress` (default: path ends in .gz)."""
    path = Path(path)
    compress = path.name.endswith(".gz") if compress is None else compress
    with open(path, "wb") as f:
        for rec in records:
            f.write(gzip_member(rec) if compress else rec)
    return path
