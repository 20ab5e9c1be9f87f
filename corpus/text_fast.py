"""The fast text-extraction tier: good enough to classify the whole pool, cheap enough to run on it.

Two extractors, chosen by `IngestConfig.extractor`:

- **scan** (default): `corpus/_htmlscan.c`, one streaming pass over the HTML that yields the
  visible text, main content only by default, and the `<a href>` targets at once, with no DOM.
  ~0.25 ms for a 150 KB page, against ~1.5 ms for resiliparse's DOM (most of which is lexbor's
  parse). Its main-content rules are resiliparse's (2.x) kind, evaluated in one pass: see
  `MAIN_CONTENT_RULES`. It runs in linear time with bounded memory (a fixed-depth element stack,
  a bounded end-tag search), so it runs in-process; a time limit still applies (checked every
  64 KB of input) and an overrun is counted as `extract_timeout`.
- **resiliparse**: `extract_plain_text(main_content=True)` on lexbor's DOM, the extractor this
  tier used before; kept for comparison and as a fallback. Some HTML makes lexbor super-linear
  (10,000 nested `<div>`s take ~1 s, 100,000 minutes) and native code cannot be interrupted by a
  Python signal, so with a limit set it runs in a child process that is killed and restarted when
  a page overruns (`extract_timeout`); the child also contains native crashes (`extract_crash`).

Math survives only as whatever text the markup carries (TeX in `$…$`, MathML as its characters);
the high-fidelity math extractor re-reads the selected pages from their WARC offsets later.
"""

from __future__ import annotations

import atexit
import contextlib
import html.entities
import os
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path

from corpus import _htmlscan
from corpus.charset import codec_name, decode_html, meta_charset

_PKG_ROOT = str(Path(__file__).resolve().parents[1])

# The scanner decodes named character references from the standard table (2,231 names).
_htmlscan.set_entities(
    sorted((k.encode(), v.encode("utf-8", "surrogatepass")) for k, v in html.entities.html5.items())
)

MAIN_CONTENT_RULES = """\
What the scanner drops as boilerplate (main_content=True). Depth counts from <body> (a child of
<body> is 1). A class or id is read word by word, each word split into parts at '-' and '_'.
- never read: <head>, script, style, template, iframe, noscript, svg, canvas, media, forms
  (button, select, option, label, textarea), figure/figcaption, frames
- kept whatever follows: <body>, <main>, <h1>
- tags: nav, aside, time; footer at depth < 3; ul at depth < 4
- attributes: hidden, aria-hidden=true, aria-expanded=false, rel=author|icon|search|prev|next|tag,
  itemprop=datePublished|author|url, data-ad, data-advertisement, data-text-ad,
  style display:none / visibility:hidden
- class words: hidden/invisible/collapsed/display-none/h-0/nocontent/expandable (with is-,
  visually-, -xs..-2xl); skip links (a, div, li); logos; ads (ad, advert, sponsored, banner,
  promoted, donate ...); at depth > 2 sign-in, post meta (post-date, entry-meta, byline ...),
  social (share, social, follow, newsletter, likes ...)
- block elements, unless a class/id part says article/entry/post/story/content/body/text/page
  (such an element is kept and not checked for link clusters):
  ARIA roles (navigation, banner, complementary, contentinfo, search, dialog, menu ...), ids
  header/footer/right (with site-, global- ...), class/id header (site-header ...), footer,
  copyright, cookie, consent, legal, navigation (nav*, menu*, dropdown, breadcrumb, link-bar),
  related/trending/popular/recommended, search boxes, sidebars, modals/popups, galleries,
  carousels, print-only
- link clusters, decided when the element closes: footer (depth >= 3) and ul (depth >= 4) whose
  text is > 20% link text; article (depth > 2, <= 500 bytes) > 20%; div (depth > 2, <= 1,500
  bytes, or without class/id at depth > 5, <= 800 bytes) > 60%
- when exactly one element below <body> names the article body (class article-body, articleBody,
  contentBody, article-text, main-content, post-content, postcontent, single-post, or
  role=main), only its text is kept.
"""


# 7-bit encodings that are not ASCII (escape sequences, shifts, UTF-16 NULs): ASCII bytes alone do
# not make such a page ASCII text
_NOT_ASCII_BASED = (
    "utf_7",
    "utf_16",
    "utf_32",
    "iso2022",
    "hz",
    "cp037",
    "cp273",
    "cp424",
    "cp500",
    "cp875",
    "cp1026",
    "cp1140",
)


def _plain_ascii(payload: bytes, charset: str | None) -> bool:
    """Bytes that read as the same ASCII text whatever ASCII-based charset the page declares
    (no decode needed)."""
    if not payload.isascii() or b"\0" in payload or b"\x1b" in payload:
        return False
    for label in (charset, meta_charset(payload)):
        codec = codec_name(label)
        if codec and codec.replace("-", "_").startswith(_NOT_ASCII_BASED):
            return False
    return True


def scan_page(
    payload: bytes, charset: str | None = None, main_content: bool = True, timeout_s: float = 0.0
) -> tuple[str | None, list[bytes], bytes | None]:
    """Text and link targets of an HTML payload in one pass: (text, hrefs, base_href).

    `payload` is decoded as `corpus.charset.decode_html` says (a page that is valid UTF-8 as it
    stands is scanned without a copy); `hrefs` are the raw `<a href>` values in page order
    (references decoded, see `corpus.markers.resolve_links`), `base_href` the first `<base href>`.
    `text` is None when the scan ran over `timeout_s` (<= 0: no limit)."""
    if not _plain_ascii(payload, charset):
        text, how = decode_html(payload, charset)
        if how not in ("utf-8", "http:utf-8", "meta:utf-8"):  # else: the bytes are valid UTF-8 already
            payload = text.encode("utf-8", "surrogatepass")
    out, hrefs, base = _htmlscan.scan(payload, main_content, True, timeout_s)
    return (None if out is None else out.decode("utf-8", "replace")), hrefs, base


def extract_text(html: str, main_content: bool = True, extractor: str = "scan") -> str:
    """Plain text of the page (main content only by default), block structure kept as newlines."""
    if extractor == "scan":
        return _htmlscan.scan(html.encode("utf-8", "surrogatepass"), main_content, False, 0.0)[0].decode(
            "utf-8", "replace"
        )
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=main_content, preserve_formatting=True, alt_texts=False)


def extract_payload(payload: bytes, charset: str | None, main_content: bool = True) -> str:
    """Decode an HTTP payload (see corpus.charset) and extract its text with resiliparse."""
    return extract_text(decode_html(payload, charset)[0], main_content, "resiliparse")


def _serve(main_content: bool) -> None:
    """Child loop: read `charset NL payload` from stdin, write back text or an error."""
    conn_in = Connection(sys.stdin.fileno(), readable=True, writable=False)
    conn_out = Connection(os.dup(sys.stdout.fileno()), readable=False, writable=True)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt the protocol
    while True:
        try:
            data = conn_in.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            charset, _, payload = data.partition(b"\n")
            text = extract_payload(payload, charset.decode("ascii", "ignore") or None, main_content)
            conn_out.send_bytes(b"\x00" + text.encode("utf-8", "surrogatepass"))
        except Exception as e:  # a parser error on one page must not end the worker
            conn_out.send_bytes(b"\x01" + f"extract_error:{type(e).__name__}".encode())


def _widen_pipe(fd: int) -> None:
    """Grow a pipe's kernel buffer (64 KB by default on Linux) to hold a typical page whole: a
    150 KB page then crosses in one write instead of a context switch per 64 KB."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or above pipe-max-size
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)


class FastExtractor:
    """The resiliparse extractor, page by page, each page under a wall-clock limit.

    `timeout_s <= 0` runs in-process with no limit (fastest; for trusted input and debugging).
    Use as a context manager so the child process is always reaped.
    """

    def __init__(self, timeout_s: float = 5.0, main_content: bool = True):
        self.timeout_s = timeout_s
        self.main_content = main_content
        self._proc: subprocess.Popen | None = None
        self._to: Connection | None = None
        self._from: Connection | None = None
        self.restarts = 0

    def _start(self) -> None:
        # A plain subprocess (not multiprocessing): spawn/forkserver would re-import the caller's
        # __main__, which breaks scripts without a main guard; fork is unsafe with threads around.
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [_PKG_ROOT, os.environ.get("PYTHONPATH")])),
        }
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "corpus.text_fast", "1" if self.main_content else "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._to = Connection(os.dup(self._proc.stdin.fileno()), readable=False, writable=True)
        self._from = Connection(os.dup(self._proc.stdout.fileno()), readable=True, writable=False)
        self._proc.stdin.close()
        self._proc.stdout.close()
        for conn in (self._to, self._from):
            _widen_pipe(conn.fileno())

    def _kill(self) -> None:
        for c in (self._to, self._from):
            if c is not None:
                c.close()
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
        self._proc = self._to = self._from = None

    def extract(self, payload: bytes, charset: str | None = None) -> tuple[str | None, str | None]:
        """Text of an HTML payload (raw bytes; `charset` from HTTP if declared), decoded in the
        worker so the parent never holds the page as str: (text, None), or (None, reason) when the
        page was cut off or failed."""
        if self.timeout_s <= 0:
            try:
                return extract_payload(payload, charset, self.main_content), None
            except Exception as e:
                return None, f"extract_error:{type(e).__name__}"
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        assert self._to is not None and self._from is not None
        try:
            label = (charset or "").encode("ascii", "ignore").replace(b"\n", b"")
            self._to.send_bytes(label + b"\n" + payload)
            if self._from.poll(self.timeout_s):
                data = self._from.recv_bytes()
                if data[:1] == b"\x00":
                    return data[1:].decode("utf-8", "surrogatepass"), None
                return None, data[1:].decode()
            reason = "extract_timeout"
        except (EOFError, OSError):
            reason = "extract_crash"
        self._kill()
        self.restarts += 1
        return None, reason

    def close(self) -> None:
        if self._to is not None:
            self._to.close()  # EOF on the child's stdin ends its loop
            self._to = None
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(2)
        self._kill()

    def __enter__(self) -> FastExtractor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_SHARED: dict[tuple[float, bool], FastExtractor] = {}


def shared_extractor(timeout_s: float, main_content: bool = True) -> FastExtractor:
    """One extractor per process and setting, reused across tasks: a worker that ingests many
    WARC files starts the extraction child once, not once per file (~0.15 s of CPU each)."""
    key = (float(timeout_s), bool(main_content))
    fx = _SHARED.get(key)
    if fx is None:
        if not _SHARED:
            atexit.register(close_shared_extractors)
        fx = _SHARED[key] = FastExtractor(timeout_s, main_content)
    return fx


def close_shared_extractors() -> None:
    """Stop the extraction children started by `shared_extractor` (also runs at exit)."""
    for fx in _SHARED.values():
        fx.close()
    _SHARED.clear()


if __name__ == "__main__":
    _serve(main_content=sys.argv[1:2] != ["0"])
