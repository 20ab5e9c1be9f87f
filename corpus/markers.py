"""Cheap math markers and out-links read straight from raw HTML, before any extraction.

Per document we count markup of each family in `corpus.schema.MATH_FAMILIES`. The counts are
signals for later stages (the classifier's recall, the math extractor's routing, audits), not a
verdict: a blog theme that loads MathJax on every page has `mathjax > 0` and no math. What counts:

- mathjax:    MathJax script/config tags, `<script type="math/tex">` blocks, rendered
              `mjx-container` / `MathJax_*` elements
- katex:      elements with a `katex` class, KaTeX scripts/styles
- mathml:     `<math>` elements
- latex_img:  `<img>` whose src or class names a LaTeX renderer (WordPress `latex.php`, CodeCogs,
              mathtex, `class="latex"`/`tex`)
- tex_delims: TeX delimiters in the markup: `$$…$$`, `\\(…\\)`, `\\[…\\]`, `\\begin{equation…}`, and
              inline `$…$` whose content looks like TeX (a backslash command, `^`, `_` or `=`), so
              prices such as "$60 million" do not count
- asciimath:  AsciiMath scripts (`math/asciimath`, `ASCIIMathML`) and `amath` markup

Regular expressions rather than an HTML parse: one linear scan per family costs far less than the
DOM build, and ingest runs this on every page of the pool.
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urljoin, urlsplit

from corpus.schema import MATH_FAMILIES

_I = re.IGNORECASE
# Each family is a few patterns that start with a literal (or a tight class), so the regex engine
# can skip ahead to candidate positions; a pattern that starts with a look-around would be
# tried at every byte and runs ~10x slower on large pages.
# A class token: the literal comes first (fast scan), then a look-behind checks the char before it.
_CLASS_END = r"(?=[\"'\s])"
_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "mathjax": [
        re.compile(r"<script[^>]*?(?:mathjax|math/tex)", _I),
        re.compile(r"<mjx-container\b"),
        re.compile(r"MathJax(?<=[\"'\s]MathJax)(?:_Display|_Preview|_SVG|_CHTML)?" + _CLASS_END),
    ],
    "katex": [
        re.compile(r"katex(?<=[\"'\s]katex)" + _CLASS_END),
        re.compile(r"katex(?:\.min)?\.(?:js|css)\b"),
    ],
    "mathml": [re.compile(r"<(?:[A-Za-z]+:)?math[\s>]", _I)],
    "latex_img": [
        re.compile(
            r"<img\b[^>]*?(?:latex\.php|latex\.codecogs|codecogs\.com/(?:png|gif|svg)|mathtex\.cgi|/mimetex"
            r"|class\s*=\s*[\"'][^\"'>]*\b(?:latex|tex|mwe-math-fallback-image\w*)\b)",
            _I,
        )
    ],
    "tex_delims": [
        re.compile(r"\$\$[^$]{1,4000}?\$\$"),
        re.compile(r"\\\(.{1,2000}?\\\)", re.DOTALL),
        re.compile(r"\\\[.{1,4000}?\\\]", re.DOTALL),
        re.compile(r"\\begin\{(?:equation|align|gather|multline|eqnarray|displaymath|math)\*?\}"),
    ],
    "asciimath": [
        re.compile(r"math/asciimath"),
        re.compile(r"ASCIIMathML"),
        re.compile(r"asciimathml"),
        re.compile(r"amath(?<=[\"'\s]amath)" + _CLASS_END),
    ],
}
assert tuple(_PATTERNS) == MATH_FAMILIES, "markers must cover exactly the schema's families"

# Inline $…$: candidates are matched left to right in linear time, then kept only if the content
# looks like TeX (a nested lazy pattern doing this in one regex backtracks O(n^2) on jQuery's `$(`).
_INLINE_DOLLAR = re.compile(r"\$(?<![$\\\w]\$)([^$<>\n]{1,300})\$(?![$\w])")  # literal first: fast scan
_TEXLIKE = re.compile(r"\\[A-Za-z]+|[\^_=]")

_HREF = re.compile(r"<a\b[^>]*?\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", _I)
_BASE = re.compile(r"<base\b[^>]*?\bhref\s*=\s*[\"']?([^\"'\s>]+)", _I)


def _bytes_version(p: re.Pattern[str], lower: bool = False) -> re.Pattern[bytes]:
    """The pattern for raw bytes; `lower=True`: without IGNORECASE, for a lower-cased copy."""
    flags = p.flags & ~re.UNICODE
    return re.compile(p.pattern.encode("utf-8"), flags & ~re.IGNORECASE if lower else flags)


# Raw payloads are scanned as bytes: no decode needed, and the regex engine runs fastest on
# 1-byte characters (a str with one CJK character is stored 2-4 bytes per character).
_BPATTERNS = {fam: [_bytes_version(p) for p in pats] for fam, pats in _PATTERNS.items()}
_BINLINE_DOLLAR, _BTEXLIKE = _bytes_version(_INLINE_DOLLAR), _bytes_version(_TEXLIKE)
_BHREF, _BBASE = _bytes_version(_HREF), _bytes_version(_BASE)

# The fast path of `math_markers`. Every pattern above is a separate scan of the page (~0.04 ms per
# 150 KB even when it starts with a literal), so the counts are computed with fewer scans:
# - the case-insensitive patterns run case-sensitively on one lower-cased copy (sre has no fast
#   literal search under IGNORECASE); lower-casing bytes maps only A-Z, so `\w`, `\s`, `\b` and
#   every match are unchanged;
# - a pattern is scanned only if a literal every one of its matches contains is present (`math`
#   for MathJax configs, MathML and AsciiMath, `katex` for KaTeX): most pages of the pool have none;
# - `\(…\)` and `\[…\]` are counted by literal searches in linear time (the lazy `.{1,4000}?`
#   walks up to 4000 bytes after every `\[` of a minified script).
# Together: 0.80 ms instead of 1.42 ms per page on the benchmark's pages (avg. 150 KB).
# tests/test_ingest_parts.py checks the counts equal the plain pattern-by-pattern scan.
_L = {fam: [_bytes_version(p, lower=True) for p in pats] for fam, pats in _PATTERNS.items()}
_MJ_SCRIPT_L, _MJX, _MJ_CLASS = _L["mathjax"][0], _BPATTERNS["mathjax"][1], _BPATTERNS["mathjax"][2]
_KATEX = _BPATTERNS["katex"]
_MATHML_L = _L["mathml"][0]
_LATEX_IMG_L = _L["latex_img"][0]
_DOUBLE_DOLLAR, _BEGIN_ENV = _BPATTERNS["tex_delims"][0], _BPATTERNS["tex_delims"][3]
_ASCIIMATH = _BPATTERNS["asciimath"]


def _literal(text: bytes) -> re.Pattern[bytes]:
    # sre's literal-prefix search is 2-3x faster than bytes.find / `in` for short needles whose
    # characters are common in HTML (`\\(`, `$$`), so literal searches go through the regex engine.
    return re.compile(re.escape(text))


_OPEN_PAREN, _CLOSE_PAREN = _literal(b"\\("), _literal(b"\\)")
_OPEN_BRACKET, _CLOSE_BRACKET = _literal(b"\\["), _literal(b"\\]")
# one scan for the three backslash delimiters (rare outside math pages), then the exact counters
_BACKSLASH_GATE = re.compile(rb"\\(?:[(\[]|begin\{)")
# every latex_img match lies inside one `<img …>` tag and contains `tex`, `codecogs` or `mwe-math`:
# the tags are collected (one scan) and the full pattern runs only if one of them holds one
_IMG_TAG, _IMG_GATE = re.compile(rb"<img\b[^>]*"), re.compile(rb"tex|codecogs|mwe-math")
_GATES = {
    w: _literal(w)
    for w in (b"math", b"mathjax", b"math/tex", b"asciimath", b"amath", b"katex", b"<math", b":math")
}


def _count_delimited(raw: bytes, opener: re.Pattern[bytes], closer: re.Pattern[bytes], max_inner: int) -> int:
    """Non-overlapping `opener .{1,max_inner}? closer` matches (DOTALL; both 2-byte literals), as
    `re.findall` counts them, in linear time: the position of the next closer is remembered across
    openers, so a script full of `\\[` with no `\\]` nearby is not rescanned 4000 bytes per opener."""
    n, pos = 0, 0
    nxt = -1  # start of the first closer at or after the last position searched from
    while True:
        m = opener.search(raw, pos)
        if m is None:
            return n
        i = m.start()
        if nxt < i + 3:
            c = closer.search(raw, i + 3)
            if c is None:
                return n  # no closer after this opener: no later opener can match either
            nxt = c.start()
        if nxt <= i + 2 + max_inner:
            n += 1
            pos = nxt + 2
        else:
            pos = i + 1


# One Hyperscan pass over the raw bytes finds which families can have a match at all (~0.05 ms per
# 150 KB page, where the separate sre gate scans above cost ~0.35 ms together). Every gate is a
# superset of its family's patterns (a page a gate misses has no match of them), so the counts are
# computed by the same regular expressions as before, and only for families present on the page;
# most pages of the pool have none. SINGLEMATCH: each gate reports once, so the Python callback
# runs at most once per gate, however often `$` or `<img` occurs. Without a Hyperscan wheel for the
# platform, the sre gates do the same job.
_HS_GATES: list[tuple[bytes, int]] = [
    (rb"<script[^>]*(?:mathjax|math/tex)", 1),  # 0  mathjax script / config (caseless below)
    (rb"<mjx-container", 0),  # 1
    (rb"MathJax", 0),  # 2  MathJax_* classes
    (rb"katex", 0),  # 3
    (rb"<(?:[A-Za-z]+:)?math[\s>]", 1),  # 4  MathML
    (rb"<img[^>]*(?:tex|codecogs|mwe-math)", 1),  # 5  LaTeX images
    (rb"\$\$", 0),  # 6
    (rb"\\(?:[(\[]|begin\{)", 0),  # 7  \( \[ \begin{
    (rb"\$[^$<>\n]*(?:\\[A-Za-z]|[\^_=])[^$<>\n]*\$", 0),  # 8  TeX-like inline $…$
    (rb"asciimath|amath", 1),  # 9
]
try:
    import hyperscan

    _HS_DB = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    _HS_DB.compile(
        expressions=[g for g, _ in _HS_GATES],
        ids=list(range(len(_HS_GATES))),
        elements=len(_HS_GATES),
        flags=[
            hyperscan.HS_FLAG_SINGLEMATCH
            | hyperscan.HS_FLAG_DOTALL
            | (hyperscan.HS_FLAG_CASELESS if caseless else 0)
            for _, caseless in _HS_GATES
        ],
    )
except ImportError:  # pragma: no cover - no wheel for this platform
    _HS_DB = None


def _hs_gates(raw: bytes) -> set[int]:
    hit: set[int] = set()
    _HS_DB.scan(raw, match_event_handler=lambda i, _s, _e, _f, _c: hit.add(i))
    return hit


def math_markers(html: str | bytes) -> dict[str, int]:
    """Count math markup of each family in raw HTML (keys: `MATH_FAMILIES`); bytes or str
    (str is scanned as its UTF-8 bytes)."""
    raw = html.encode("utf-8", "surrogatepass") if isinstance(html, str) else bytes(html)
    if _HS_DB is None:
        return _math_markers_sre(raw)
    g = _hs_gates(raw)
    if not g:
        return dict.fromkeys(MATH_FAMILIES, 0)
    low = raw.lower() if g & {0, 4, 5} else b""
    mathjax = len(_MJX.findall(raw)) if 1 in g else 0
    if 0 in g:
        mathjax += len(_MJ_SCRIPT_L.findall(low))
    if 2 in g:
        mathjax += len(_MJ_CLASS.findall(raw))
    tex = len(_DOUBLE_DOLLAR.findall(raw)) if 6 in g else 0
    if 7 in g:
        tex += (
            _count_delimited(raw, _OPEN_PAREN, _CLOSE_PAREN, 2000)
            + _count_delimited(raw, _OPEN_BRACKET, _CLOSE_BRACKET, 4000)
            + len(_BEGIN_ENV.findall(raw))
        )
    if 8 in g:
        tex += _inline_dollars(raw)
    return {
        "mathjax": mathjax,
        "katex": sum(len(p.findall(raw)) for p in _KATEX) if 3 in g else 0,
        "mathml": len(_MATHML_L.findall(low)) if 4 in g else 0,
        "latex_img": len(_LATEX_IMG_L.findall(low)) if 5 in g else 0,
        "tex_delims": tex,
        "asciimath": sum(len(p.findall(raw)) for p in _ASCIIMATH) if 9 in g else 0,
    }


def _inline_dollars(raw: bytes) -> int:
    return sum(
        1
        for inner in _BINLINE_DOLLAR.findall(raw)
        if not inner[:1].isspace() and not inner[-1:].isspace() and _BTEXLIKE.search(inner)
    )


def _math_markers_sre(raw: bytes) -> dict[str, int]:
    """`math_markers` with sre literal gates (where Hyperscan is not installed)."""
    low = raw.lower()
    has_math = _GATES[b"math"].search(low)
    mathjax = len(_MJX.findall(raw))
    if has_math:
        has_mathjax = _GATES[b"mathjax"].search(low)
        if has_mathjax or _GATES[b"math/tex"].search(low):
            mathjax += len(_MJ_SCRIPT_L.findall(low))
        if has_mathjax:
            mathjax += len(_MJ_CLASS.findall(raw))
    tex = len(_DOUBLE_DOLLAR.findall(raw))
    if _BACKSLASH_GATE.search(raw):
        tex += (
            _count_delimited(raw, _OPEN_PAREN, _CLOSE_PAREN, 2000)
            + _count_delimited(raw, _OPEN_BRACKET, _CLOSE_BRACKET, 4000)
            + len(_BEGIN_ENV.findall(raw))
        )
    latex_img = 0
    if _IMG_GATE.search(b"\0".join(_IMG_TAG.findall(low))):
        latex_img = len(_LATEX_IMG_L.findall(low))
    tex += _inline_dollars(raw)
    asciimath = 0
    if has_math and (_GATES[b"asciimath"].search(low) or _GATES[b"amath"].search(low)):
        asciimath = sum(len(p.findall(raw)) for p in _ASCIIMATH)
    return {
        "mathjax": mathjax,
        "katex": sum(len(p.findall(raw)) for p in _KATEX) if _GATES[b"katex"].search(raw) else 0,
        "mathml": len(_MATHML_L.findall(low))
        if has_math and (_GATES[b"<math"].search(low) or _GATES[b":math"].search(low))
        else 0,
        "latex_img": latex_img,
        "tex_delims": tex,
        "asciimath": asciimath,
    }


def out_links(html: str | bytes, base_url: str | None, limit: int = 256) -> list[str]:
    """Absolute http(s) link targets of `<a href>` in page order, deduplicated, fragments removed.

    Relative links are resolved against `<base href>` or the page URL, so in-domain links count for
    domain discovery. At most `limit` links are kept (link farms would otherwise bloat shards).
    Reads the raw HTML with regular expressions; ingest gets the same hrefs from its one-pass
    scanner (`corpus.text_fast.scan_page`) and calls `resolve_links` directly.
    """
    raw = isinstance(html, (bytes, bytearray))
    if limit <= 0:
        return []
    href_re, base_re = (_BHREF, _BBASE) if raw else (_HREF, _BASE)
    m = base_re.search(html, 0, 1 << 16)
    return resolve_links(
        (a or b or c for a, b, c in href_re.findall(html)), m.group(1) if m else None, base_url, limit
    )


def resolve_links(hrefs, base_href: str | bytes | None, base_url: str | None, limit: int = 256) -> list[str]:
    """`hrefs` (raw attribute values, str or UTF-8 bytes, in page order) as absolute http(s) URLs,
    deduplicated, fragments removed, at most `limit`; relative ones resolved against `base_href`
    (the page's `<base href>`) or else `base_url` (the page URL).

    The common forms (absolute, `//host/…`, `/path`) are resolved by string operations; only
    path-relative links go through `urljoin` (it costs ~10 µs a call, and pages carry hundreds).
    """
    if limit <= 0:
        return []
    base = base_url or ""
    if base_href:
        if isinstance(base_href, (bytes, bytearray)):
            base_href = base_href.decode("utf-8", "replace")
        with contextlib.suppress(ValueError):
            base = urljoin(base, base_href)
    scheme, origin = "", ""
    if base.startswith(("http://", "https://")):
        try:
            parts = urlsplit(base)
            scheme, origin = parts.scheme, f"{parts.scheme}://{parts.netloc}"
        except ValueError:
            base = ""
    seen: dict[str, None] = {}
    # navigation repeats the same hrefs many times: normalise each distinct raw href once
    # (in page order; equal raw hrefs normalise equally, so the result is the same)
    for href in dict.fromkeys(hrefs):
        if not href:
            continue
        if not isinstance(href, str):
            href = href.decode("utf-8", "replace")  # URLs are ASCII or UTF-8 in practice
        href = href.strip()
        if not href or href[0] == "#":
            continue
        if href.startswith(("http://", "https://")):
            pass
        elif href.startswith("//"):
            if not scheme:
                continue
            href = f"{scheme}:{href}"
        elif href[0] == "/":
            if not origin:
                continue
            href = origin + href
        elif ":" in href.split("/", 1)[0] or not base:
            continue  # another scheme (mailto:, javascript:, data:) or nothing to resolve against
        else:
            try:
                href = urljoin(base, href)
            except ValueError:
                continue
        href = href.split("#", 1)[0]
        if "&amp;" in href:
            href = href.replace("&amp;", "&")
        host_start = href.find("//") + 2
        if host_start >= len(href) or href[host_start] in "/?#:" or " " in href:
            continue  # no host
        if href not in seen:
            seen[href] = None
            if len(seen) >= limit:
                break
    return list(seen)
