"""A byte-exact WARC/1.0 writer with one gzip member per record, as Common Crawl writes them.

Written by hand rather than with warcio because the sample needs byte-level control: deliberately
wrong Content-Length headers, garbage between records and a truncated last member; and because every
byte must be deterministic (fixed gzip mtime, no wall clock, record ids derived from the seed).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

CRLF = b"\r\n"


def record_id(*key: object) -> str:
    """A deterministic `<urn:uuid:…>` from a key (seed, url, capture number…)."""
    digest = hashlib.sha1("\x1f".join(map(str, key)).encode()).digest()[:16]
    return f"<urn:uuid:{uuid.UUID(bytes=digest, version=4)}>"


def sha1_digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def build_record(
    warc_type: str, headers: list[tuple[str, str]], block: bytes, content_length: int | None = None
) -> bytes:
    """One uncompressed WARC record. `content_length` overrides the true block length (broken records)."""
    n = len(block) if content_length is None else content_length
    lines = [b"WARC/1.0", f"WARC-Type: {warc_type}".encode()]
    lines += [f"{k}: {v}".encode() for k, v in headers]
    lines.append(f"Content-Length: {n}".encode())
    return CRLF.join(lines) + CRLF + CRLF + block + CRLF + CRLF


def http_response(
    body: bytes, content_type: str, date_http: str, status: str = "200 OK", extra: tuple = ()
) -> bytes:
    head = [
        f"HTTP/1.1 {status}",
        f"Date: {date_http}",
        "Server: nginx",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        *extra,
        "Connection: close",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def http_request(host: str, path: str) -> bytes:
    head = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        "User-Agent: CCBot/2.0 (https://commoncrawl.org/faq/)",
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Encoding: identity",
        "Connection: close",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode()


def gzip_member(data: bytes) -> bytes:
    # mtime=0 and no file name: the same record always compresses to the same bytes
    return gzip.compress(data, compresslevel=6, mtime=0)


@dataclass
class Placed:
    offset: int  # byte offset of the record's gzip member in the file
    length: int  # byte length of the member as written (shorter than the real one when truncated)


class WarcFile:
    """Accumulates records (and, for broken files, raw bytes) for one `.warc.gz` file."""

    def __init__(self, path: Path):
        self.path = path
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, record: bytes, truncate_to: int | None = None) -> Placed:
        member = gzip_member(record)
        if truncate_to is not None:
            member = member[:truncate_to]
        return self.add_raw(member)

    def add_raw(self, data: bytes) -> Placed:
        placed = Placed(self.size, len(data))
        self.parts.append(data)
        self.size += len(data)
        return placed

    def write(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_bytes(b"".join(self.parts))
        tmp.replace(self.path)
