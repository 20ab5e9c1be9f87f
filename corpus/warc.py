"""Stream WARC records robustly: `.warc` / `.warc.gz`, local paths, globs, Common Crawl
`warc.paths.gz` listings, and `https://` / `s3://` URLs (fsspec).

**Reader design, chosen by measurement** (benchmarks/bench_ingest.py, "readers" table; docs/ingest.md):
records are *framed* here (gzip members with ISA-L or zlib, or WARC headers + Content-Length for plain
files) and each record is *parsed* with FastWARC (WARC + HTTP headers, chunked transfer and
content encodings). On the shared Common Crawl WARCs, FastWARC streaming is ~3x faster than warcio;
framing + FastWARC per record costs about the same as FastWARC streaming, and is what makes bad
input survivable: FastWARC and warcio both stop at the first corrupt gzip member or garbage bytes
(FastWARC raises, warcio raises or silently merges records), while per-member framing knows every
record's exact compressed offset and length, resynchronises at the next gzip magic / `WARC/1.`
line, and checks each record's Content-Length against its member, so one bad record costs one
record. The exact offsets also make `read_record_at` possible without rescanning.

A file that is not one record per gzip member (gzipped as one stream, or cut into blocks as
bgzip does) is recognised from its first member and read from its gunzipped stream instead; its
records are then addressed by their position in that stream (`record_offset`).

Every yielded `WarcRecord` is either a parsed record or an error (`error` set) with its position,
so callers count what was skipped instead of losing it.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

import fsspec
from fastwarc.warc import ArchiveIterator

from corpus.charset import decode_html

try:  # ISA-L's inflate is ~2x zlib's (0.28 vs 0.56 ms per 170 KB member): gzip framing is most of reading
    from isal.isal_zlib import IsalError as _InflateError
    from isal.isal_zlib import decompressobj as _inflater
except ImportError:  # no wheel for this platform: the standard library's zlib, same results
    from zlib import decompressobj as _inflater
    from zlib import error as _InflateError

GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/"
CHUNK = 1 << 20  # file read size
FEED = 1 << 15  # bytes handed to zlib at a time: its unused_data (a copy) stays small
MAX_HEADER_BYTES = 1 << 16
CC_BASE_URL = "https://data.commoncrawl.org/"
_CLEN = re.compile(rb"(?im)^content-length\s*:\s*(\d+)\s*$")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml+xhtml", "text/xhtml")


class WarcOpenError(OSError):
    """A WARC input cannot be opened or listed (the message names it)."""


@dataclass
class WarcRecord:
    """One record, or one unreadable stretch of the file (`error` set)."""

    offset: (
        int  # byte offset of the record (its gzip member) in the file; with record_offset: the stream's start
    )
    length: int  # byte length of the record in the file; with record_offset: in the gunzipped bytes
    record_offset: int | None = None  # inside a gzip stream or member holding several: its offset there
    record_type: str = ""
    record_id: str | None = None
    url: str | None = None
    date: datetime | None = None
    content_type: str | None = None  # HTTP Content-Type (media type only, lower case)
    charset: str | None = None  # HTTP Content-Type charset, if declared
    http_status: int | None = None
    payload: bytes | None = None  # HTTP body, decoded from transfer/content encodings
    payload_size: int = 0  # declared record block size (bytes)
    error: str | None = None  # reason the record (or stretch) was unusable
    extra: dict = field(default_factory=dict)

    @property
    def is_html(self) -> bool:
        if self.content_type:
            return self.content_type.startswith(_HTML_TYPES)
        head = (self.payload or b"")[:1024].lstrip().lower()  # no Content-Type: sniff
        return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


# ---------------------------------------------------------------- inputs


def expand_inputs(inputs: list[str], cc_base_url: str = CC_BASE_URL) -> list[str]:
    """Resolve paths, globs and `*.paths[.gz]` listings to a sorted, de-duplicated list of WARC URLs.

    A listing's relative lines (`crawl-data/CC-MAIN-…/x.warc.gz`) are prefixed with `cc_base_url`
    (`s3://commoncrawl/` on AWS). Raises `WarcOpenError` naming any input that does not exist.
    """
    out: set[str] = set()
    for item in inputs:
        item = str(item)
        name = item.rsplit("/", 1)[-1]
        if name.endswith((".paths", ".paths.gz", ".txt", ".txt.gz")):
            out.update(_read_listing(item, cc_base_url))
            continue
        fs, path = fsspec.core.url_to_fs(item)
        proto = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        if any(c in path for c in "*?[") and proto not in ("http", "https"):
            found = sorted(fs.glob(path))
            if not found:
                raise WarcOpenError(f"no WARC file matches {item!r}")
            out.update(found if proto in ("file", "local") else (f"{proto}://{p}" for p in found))
            continue
        if proto in ("file", "local") and not fs.exists(path):
            raise WarcOpenError(f"WARC file not found: {item}")
        out.add(item)
    return sorted(out)


def _read_listing(listing: str, base: str) -> list[str]:
    try:
        with fsspec.open(listing, "rb", compression="infer") as f:
            lines = f.read().decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as e:
        raise WarcOpenError(f"cannot read WARC listing {listing}: {e}") from e
    out = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        out.append(line if "://" in line or line.startswith("/") else base.rstrip("/") + "/" + line)
    return out


# ---------------------------------------------------------------- framing


class _Window:
    """A forward-only read buffer over a file with absolute positions."""

    def __init__(self, f):
        self.f = f
        self.buf = b""
        self.start = 0  # absolute offset of buf[0]
        self.eof = False

    def fill(self, upto: int) -> bool:
        """Make buf hold bytes up to absolute position `upto` if the file has them."""
        while self.start + len(self.buf) < upto and not self.eof:
            chunk = self.f.read(max(CHUNK, upto - self.start - len(self.buf)))
            if not chunk:
                self.eof = True
            else:
                self.buf += chunk
        return self.start + len(self.buf) >= upto

    def drop_to(self, pos: int, force: bool = False) -> None:
        """Forget bytes before `pos`; compacts only every CHUNK bytes (a copy per record is slow)."""
        if pos - self.start >= (1 if force else CHUNK):
            self.buf = self.buf[pos - self.start :]
            self.start = pos

    def view(self, a: int, b: int) -> memoryview:
        return memoryview(self.buf)[a - self.start : b - self.start]

    def find(self, needle: bytes, pos: int) -> int:
        """Absolute position of the next `needle` at or after `pos`, or -1 at end of file."""
        while True:
            i = self.buf.find(needle, max(0, pos - self.start))
            if i >= 0:
                return self.start + i
            if self.eof:
                return -1
            keep = max(pos, self.start + len(self.buf) - len(needle))
            self.drop_to(keep, force=True)
            self.fill(self.start + len(self.buf) + CHUNK)

    @property
    def end(self) -> int:
        return self.start + len(self.buf)


def _frame_gzip(win: _Window, cap: int) -> Iterator[tuple[int, int, bytes | None, str | None]]:
    """Yield (offset, length, decompressed member or None, error) per gzip member."""
    pos = 0
    while True:
        win.fill(pos + 3)
        if pos >= win.end:
            return
        if win.buf[pos - win.start : pos - win.start + 3] != GZIP_MAGIC:
            nxt = win.find(GZIP_MAGIC, pos)
            end = nxt if nxt >= 0 else win.end
            yield pos, end - pos, None, "garbage_bytes"
            if nxt < 0:
                return
            pos = nxt
            continue
        d = _inflater(31)
        out: list[bytes] = []
        size, fed, err = 0, pos, None
        try:
            while not d.eof:
                if fed >= win.end and not win.fill(fed + 1):
                    err = "truncated_gzip"
                    break
                chunk = win.view(fed, fed + FEED)
                fed += len(chunk)
                piece = d.decompress(chunk)
                size += len(piece)
                if size <= cap:
                    out.append(piece)
                elif not out or len(out[0]) < MAX_HEADER_BYTES:
                    out.append(piece[:MAX_HEADER_BYTES])  # keep the headers for the side table
                if not d.eof:
                    win.drop_to(fed)  # bounded memory on huge members
        except (_InflateError, zlib.error):
            err = "corrupt_gzip"
        if err:
            nxt = win.find(GZIP_MAGIC, pos + 1)
            end = nxt if nxt >= 0 else win.end
            yield pos, end - pos, None, err
            if nxt < 0:
                return
            pos = nxt
            continue
        end = fed - len(d.unused_data)
        data = b"".join(out)
        yield pos, end - pos, data, ("too_large" if size > cap else None)
        pos = end
        win.drop_to(pos)


def _frame_plain(
    win: _Window, cap: int, base: int = 0
) -> Iterator[tuple[int, int, bytes | None, str | None]]:
    """Yield (offset, length, record bytes or None, error) per record of an uncompressed WARC."""
    pos = 0
    while True:
        win.fill(pos + MAX_HEADER_BYTES)
        while pos < win.end and win.buf[pos - win.start : pos - win.start + 1] in (b"\r", b"\n"):
            pos += 1  # tolerate extra blank lines between records
        if pos >= win.end:
            return
        rel = pos - win.start
        if win.buf[rel : rel + 5] != WARC_MAGIC:
            nxt = win.find(b"\nWARC/1.", pos)
            end = nxt + 1 if nxt >= 0 else win.end
            yield base + pos, end - pos, None, "garbage_bytes"
            if nxt < 0:
                return
            pos = end
            continue
        hend = win.buf.find(b"\r\n\r\n", rel, rel + MAX_HEADER_BYTES)
        m = _CLEN.search(win.buf, rel, hend) if hend >= 0 else None
        if m is None:
            nxt = win.find(b"\nWARC/1.", pos + 5)
            end = nxt + 1 if nxt >= 0 else win.end
            yield base + pos, end - pos, None, "invalid_warc_header"
            if nxt < 0:
                return
            pos = end
            continue
        block_start = win.start + hend + 4
        clen = int(m.group(1))
        rec_end = block_start + clen + 4
        header = win.buf[rel : hend + 4]
        if clen + len(header) > cap:
            # too large to hold: skip forward in bounded steps, keep the headers for the side table
            while win.end < rec_end and not win.eof:
                win.drop_to(max(pos, win.end - 16))
                win.fill(win.end + CHUNK)
            ok = win.fill(rec_end)
            yield base + pos, min(rec_end, win.end) - pos, header, "too_large" if ok else "truncated_record"
            pos = rec_end
            win.drop_to(min(pos, win.end))
            continue
        if not win.fill(rec_end) or win.buf[rec_end - 4 - win.start : rec_end - win.start] != b"\r\n\r\n":
            # Content-Length does not end where the record does: skip this record, resync on the next
            nxt = win.find(b"\nWARC/1.", block_start)
            end = nxt + 1 if nxt >= 0 else win.end
            truncated = nxt < 0 and win.eof and win.end < rec_end
            yield base + pos, end - pos, None, "truncated_record" if truncated else "bad_content_length"
            if nxt < 0:
                return
            pos = end
            continue
        yield base + pos, rec_end - pos, win.buf[rel : rec_end - win.start], None
        pos = rec_end
        win.drop_to(pos)


class _GunzipStream:
    """A file-like view of a gzip stream's decompressed bytes, over every member in turn (zero
    padding between members skipped), starting with the compressed bytes `head` already read
    from `f`. Memory stays bounded whatever the compression ratio (each inflate call returns at
    most CHUNK bytes). It never raises on bad data: a corrupt or truncated stream ends it with
    `error` set. `pos` counts the bytes returned."""

    def __init__(self, head: bytes, f):
        self.f = f
        self.src, self.si = head, 0  # compressed bytes, and how many of them the inflater took
        self.d, self.fed = _inflater(31), 0  # fed: compressed bytes the current member took
        self.out, self.oi = bytearray(), 0  # decompressed bytes; out[oi:] not yet returned
        self.pos = 0
        self.error: str | None = None
        self.done = False

    def _source(self) -> bool:
        """Some compressed bytes at src[si:]; False at the end of the file."""
        if self.si >= len(self.src):
            self.src, self.si = self.f.read(CHUNK), 0
        return self.si < len(self.src)

    def _inflate_more(self) -> None:
        if self.d.eof:  # a member ended: the next one starts where its input stopped
            self.d, self.fed = _inflater(31), 0
        while self.fed == 0 and self._source() and self.src[self.si] == 0:  # zero padding between members
            rest = self.src[self.si :]
            self.si += len(rest) - len(rest.lstrip(b"\0"))
            if self.si < len(self.src):
                break
        if not self._source():  # input ended: cleanly only between members
            self.done = True
            self.error = "truncated_gzip" if self.fed else None
            return
        chunk = self.src[self.si : self.si + FEED]
        try:
            piece = self.d.decompress(chunk, CHUNK)
        except (_InflateError, zlib.error):
            self.done, self.error = True, "corrupt_gzip"
            return
        left = self.d.unused_data if self.d.eof else self.d.unconsumed_tail
        self.si += len(chunk) - len(left)
        self.fed += len(chunk) - len(left)
        self.out += piece

    def read_at(self, pos: int, n: int) -> bytes:
        """`n` decompressed bytes from position `pos` (not before the current one), skipping
        forward to it; b"" when the stream ends before `pos`."""
        while self.pos < pos and not self.done:
            self.read(min(CHUNK, pos - self.pos))
        return self.read(n) if self.pos == pos else b""

    def read(self, n: int) -> bytes:
        """`n` decompressed bytes (fewer only at the end)."""
        while len(self.out) - self.oi < n and not self.done:
            self._inflate_more()
        data = bytes(self.out[self.oi : self.oi + n])
        self.oi += len(data)
        if self.oi >= CHUNK:  # drop what was returned (cheap at a bytearray's front)
            del self.out[: self.oi]
            self.oi = 0
        self.pos += len(data)
        return data


def _holds_several_records(win: _Window, cap: int) -> bool:
    """True when a gzip file is not one WARC record per member, so that its records must be read
    from the gunzipped stream: its first member holds more than one record (a WARC gzipped as one
    stream, as `gzip file.warc` makes), or ends inside its first record (a stream cut into fixed
    blocks, as bgzip makes). Decompresses the first record (up to 4 x `cap` bytes) and a few bytes
    after it; the compressed bytes read stay in `win` for the reader that follows."""
    d = _inflater(31)
    head, tail = b"", b""
    size, fed, end = 0, 0, None  # end: where the first record ends, once its header is read
    try:
        while size <= 4 * cap:
            if fed >= win.end and not win.fill(fed + 1):  # reads on by CHUNK
                return False  # the file ends inside the first member: per-member framing says how
            chunk = win.view(fed, fed + FEED)
            piece = d.decompress(chunk, CHUNK)
            fed += len(chunk) - len(d.unused_data if d.eof else d.unconsumed_tail)
            if end is None:
                head = (head + piece)[:MAX_HEADER_BYTES]
                end = _first_block_end(head)
                if end is not None and end < 0:
                    return False  # not a readable first record: leave it to per-member framing
            if end is not None and size + len(piece) > end:
                tail += piece[max(0, end - size) :][:64]
            size += len(piece)
            if len(tail.lstrip(b"\r\n")) >= len(WARC_MAGIC):
                return tail.lstrip(b"\r\n").startswith(WARC_MAGIC)
            if d.eof:  # the member ended: inside its first record (blocks), or after it (per record)
                return end is None or size < end
    except (_InflateError, zlib.error):
        return False
    return False


def _first_block_end(data: bytes) -> int | None:
    """Where the block of the record starting `data` ends (headers + Content-Length): -1 when
    `data` cannot start a record (no `WARC/`, headers without a Content-Length or longer than
    MAX_HEADER_BYTES), None while its headers are still incomplete."""
    if not data.startswith(WARC_MAGIC[: len(data)]):
        return -1
    hend = data.find(b"\r\n\r\n", 0, MAX_HEADER_BYTES)
    if hend < 0:
        return -1 if len(data) >= MAX_HEADER_BYTES else None
    m = _CLEN.search(data, 0, hend)
    return hend + 4 + int(m.group(1)) if m else -1


def _split_member(data: bytes) -> tuple[bytes, str | None, list[tuple[int, int, bytes | None, str | None]]]:
    """Check a gzip member holds exactly one record whose Content-Length fits; returns
    (record, error, further frames). Further frames come only from a member holding several
    records (in a file whose first member holds one): (position in the member's gunzipped bytes,
    length, record or None, error), as `_frame_plain` gives them."""
    end = _first_block_end(data)
    if end is None or end < 0:  # the member is whole: incomplete headers are invalid ones
        return data, "invalid_warc_header", []
    if end > len(data):
        return data, "bad_content_length", []
    rest = data[end:]
    if not rest.strip():
        return data, None, []
    # more bytes after the block: either a wrong Content-Length or several records in one member
    if rest.lstrip(b"\r\n").startswith(WARC_MAGIC):
        more = list(_frame_plain(_Window(io.BytesIO(rest)), len(rest) + 1, base=end))
        return data[: end + 4], None, more
    return data, "bad_content_length", []


# ---------------------------------------------------------------- parsing


def _parse(raw: bytes, offset: int, length: int, keep_payload: bool) -> WarcRecord:
    try:
        rec = next(
            iter(ArchiveIterator(io.BytesIO(raw), parse_http=True, auto_decode="all", quirks_mode=True))
        )
    except (StopIteration, OSError, ValueError) as e:
        return WarcRecord(offset, length, error="invalid_warc_header", extra={"detail": str(e)[:200]})
    h = rec.headers
    rtype = str(rec.record_type)
    out = WarcRecord(
        offset,
        length,
        record_type=rtype,
        record_id=h.get("WARC-Record-ID"),
        url=(h.get("WARC-Target-URI") or "").strip("<> ") or None,
        payload_size=rec.content_length,
    )
    date = h.get("WARC-Date")
    if date:
        try:
            out.date = datetime.fromisoformat(date.replace("Z", "+00:00")).astimezone(timezone.utc)
        except ValueError:
            out.date = None
    if rtype == "response" and rec.is_http:
        hh = rec.http_headers
        try:
            out.http_status = hh.status_code
        except (AttributeError, ValueError):
            out.http_status = None
        ctype = rec.http_content_type
        out.content_type = ctype.lower() if ctype else None
        out.charset = rec.http_charset
        if keep_payload:
            try:
                out.payload = rec.reader.read()
            except (OSError, ValueError) as e:  # broken chunked / gzip content encoding
                out.error = "bad_http_body"
                out.extra["detail"] = str(e)[:200]
    elif rtype == "response":
        out.error = "not_http"
    return out


def iter_warc(url: str, max_record_bytes: int = 10 << 20) -> Iterator[WarcRecord]:
    """Stream every record of one WARC file, in file order.

    Records larger than `max_record_bytes` come back with `error="too_large"` (headers only,
    payload None); unreadable stretches come back as records with an `error` and their position.
    Raises `WarcOpenError` if the file cannot be opened; never raises on bad content.
    """
    try:
        f = fsspec.open(url, "rb").open()
    except Exception as e:  # any backend error (missing file, auth, DNS) becomes one clear error
        raise WarcOpenError(f"cannot open WARC {url}: {type(e).__name__}: {e}") from e
    with f:
        win = _Window(f)
        try:
            win.fill(3)
        except Exception as e:
            raise WarcOpenError(f"cannot read WARC {url}: {type(e).__name__}: {e}") from e
        gz = win.buf[:3] == GZIP_MAGIC
        cap = max_record_bytes + MAX_HEADER_BYTES
        if gz and _holds_several_records(win, cap):
            yield from _iter_stream(win, f, cap)
            return
        if not gz:
            for frame in _frame_plain(win, cap):
                yield _record(*frame)
            return
        for offset, length, raw, err in _frame_gzip(win, cap):
            if raw is None or err:
                yield _record(offset, length, raw, err)
                continue
            raw, err, more = _split_member(raw)
            if err:
                rec = _parse(raw, offset, length, keep_payload=False) if err == "bad_content_length" else None
                if rec is None or rec.error:
                    rec = WarcRecord(offset, length)
                rec.error = err
                yield rec
                continue
            yield _parse(raw, offset, length, keep_payload=True)
            # a later member holding several records: the first is read as a per-record member,
            # the others, like a one-stream file's, by their place in its gunzipped bytes
            for record_offset, record_length, extra, extra_err in more:
                yield _record(offset, record_length, extra, extra_err, record_offset=record_offset)


def _record(
    offset: int, length: int, raw: bytes | None, err: str | None, record_offset: int | None = None
) -> WarcRecord:
    """A frame as a record: parsed (payload kept when the frame is whole), or its error with what
    its headers say (`too_large`, `truncated_record` frames carry the headers only)."""
    if raw is None:
        return WarcRecord(offset, length, record_offset=record_offset, error=err)
    rec = _parse(raw, offset, length, keep_payload=err is None)
    rec.record_offset = record_offset
    if err:
        rec.error = err
    return rec


def _iter_stream(win: _Window, f, cap: int) -> Iterator[WarcRecord]:
    """The records of a WARC read from its gunzipped stream (see `_holds_several_records`), framed
    in the gunzipped bytes; each keeps its position there (`record_offset`, `length`) so
    `read_record_at` can find it again. Damage inside a deflate stream cannot be skipped: the rest
    of the file after it is one error row (a record cut by it included)."""
    z = _GunzipStream(win.buf[: win.end - win.start], f)
    last: WarcRecord | None = None  # held back one frame: a stream error may end it
    for offset, length, raw, err in _frame_plain(_Window(z), cap):
        if last is not None:
            yield last
        last = _record(0, length, raw, err, record_offset=offset)
    if z.error and last is not None and last.error and last.record_offset + last.length >= z.pos:
        last = WarcRecord(0, z.pos - last.record_offset, record_offset=last.record_offset, error=z.error)
    elif z.error:
        if last is not None:
            yield last
        last = WarcRecord(0, 0, record_offset=z.pos, error=z.error)
    if last is not None:
        yield last


# ---------------------------------------------------------------- random access


def _read_member(f, offset: int, length: int) -> bytes:
    """The bytes of a record stored whole at `offset` (its gzip member, gunzipped, or plain);
    ValueError when the member does not inflate."""
    f.seek(offset)
    raw = f.read(length)
    if raw[:3] != GZIP_MAGIC:
        return raw
    try:
        return _inflater(31).decompress(raw)
    except (_InflateError, zlib.error) as e:
        raise ValueError(f"corrupt gzip member at {offset}+{length}: {e}") from e


def _reparsed(raw: bytes, warc_path: str, offset: int, length: int, record_offset: int | None) -> WarcRecord:
    rec = _parse(raw, offset, length, keep_payload=True)
    if rec.error:
        where = f"{warc_path}@{offset}+{length}" + (
            f" (gunzipped at {record_offset})" if record_offset is not None else ""
        )
        raise ValueError(f"no readable WARC record at {where}: {rec.error}")
    rec.record_offset = record_offset
    return rec


def read_record_at(warc_path: str, offset: int, length: int, record_offset: int | None = None) -> str:
    """The decoded HTML of the record at `offset` (length `length`; `record_offset` for a WARC
    read from its gunzipped stream) in `warc_path`.

    Later stages (the math extractor) use this to re-read a selected page without rescanning the
    file; a record inside a gzip stream or member holding several is `length` bytes at
    `record_offset` of the bytes gunzipped from `offset`, found by decompressing up to it
    (`read_records_at` reads many in one pass). ValueError when no record is readable there.
    """
    [(_, html)] = read_records_at(warc_path, [(offset, length, record_offset)])
    if isinstance(html, Exception):
        raise html
    return html


def _html(rec: WarcRecord) -> str:
    return decode_html(rec.payload or b"", rec.charset)[0]


def read_records_at(
    warc_path: str, places: list[tuple[int, int, int | None]]
) -> Iterator[tuple[int, str | Exception]]:
    """The decoded HTML of many records of one file, given as (offset, length, record_offset)
    places: yields (index in `places`, html) or (index, the error) for each, in reading order.
    The file is opened once; records of a gunzipped stream are read in one forward pass over it,
    not one pass each."""
    stream = sorted((p[0], p[2], i) for i, p in enumerate(places) if p[2] is not None)
    # a stream place asked for twice is read once (sorted: its copies come one after another)
    last_key: tuple[int, int] | None = None
    last_html: str | Exception = ""
    answered: set[int] = set()
    try:
        with fsspec.open(warc_path, "rb") as f:
            for i, (offset, length, record_offset) in enumerate(places):
                if record_offset is None:
                    try:
                        raw = _read_member(f, offset, length)
                        html: str | Exception = _html(_reparsed(raw, warc_path, offset, length, None))
                    except ValueError as e:
                        html = e
                    answered.add(i)
                    yield i, html
            z, start = None, None
            for offset, record_offset, i in stream:  # sorted: each stream read forward once
                if offset != start:  # one stream for a one-stream file, one per multi-record member
                    f.seek(offset)
                    z, start = _GunzipStream(b"", f), offset
                key = (offset, record_offset)
                if key != last_key:
                    raw = z.read_at(record_offset, places[i][1])
                    try:
                        last_html = _html(_reparsed(raw, warc_path, offset, places[i][1], record_offset))
                    except ValueError as e:
                        last_html = e
                    last_key = key
                answered.add(i)
                yield i, last_html
    except OSError as e:  # the file failed: the places not answered yet get the error
        for i in range(len(places)):
            if i not in answered:
                yield i, e
