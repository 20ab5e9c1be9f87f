"""Raw TeX in page text: `$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`, LaTeX environments, `[tex]` forum tags
and AsciiMath backticks.

Which delimiters are live depends on the page: MathJax and KaTeX only render `$…$` when the page's
config says so, so we read that config (`page_config`). Without it, a `$…$` span becomes math only if
its content looks like TeX. That is what keeps "$60 million … $5" prose out of the formulas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.extract.asciimath import asciimath_to_latex
from corpus.extract.store import MathStore

_LIB_SRC = re.compile(r"<script[^>]{0,500}?src\s*=\s*[\"']?[^\"'>]{0,300}?(mathjax|katex)", re.I)
_ASCII_SRC = re.compile(r"ASCIIMathML|AM_(?:CHTML|HTMLorMML|SVG)|asciimath", re.I)
_INLINE_DOLLAR = re.compile(
    r"inlineMath[\s\"']*:\s*\[[^\]]{0,200}?[\"']\$[\"']"  # MathJax v2/v3: inlineMath: [['$','$'], …]
    r"|left[\"']?\s*:\s*[\"']\$[\"']\s*,\s*right[\"']?\s*:\s*[\"']\$[\"']"  # KaTeX auto-render
    r"|class=[\"'][^\"']{0,100}\b(?:math-inline|tex2jax_process|inline-math)\b",  # pre-render markup
    re.I,
)
_MATH_CLASS = re.compile(r"class=[\"'][^\"']{0,100}\b(?:math|mathjax|katex|latex|tex)\b", re.I)


@dataclass
class PageMath:
    """What the page declares about math rendering."""

    tex_page: bool = False  # loads MathJax or KaTeX (so `\\(`, `\\[`, `$$` and environments are live)
    inline_dollar: bool = False  # declares `$…$` as inline math
    asciimath: bool = False  # loads AsciiMath (backticks are live)


def page_config(html: str) -> PageMath:
    """Read the math renderer and its delimiter config from the raw HTML (first 2 MB)."""
    head = html[:2_000_000]
    lib = bool(_LIB_SRC.search(head)) or "MathJax.Hub.Config" in head or "window.MathJax" in head
    return PageMath(
        tex_page=lib or bool(_MATH_CLASS.search(head)),
        inline_dollar=bool(_INLINE_DOLLAR.search(head)),
        asciimath=bool(_ASCII_SRC.search(head)),
    )


_ENVS = "equation|align|gather|multline|eqnarray|displaymath|flalign|alignat|math"
_PATTERN = re.compile(
    r"(?P<dd>(?<!\\)\$\$(?P<dd_b>[^$]{1,20000}?)\$\$)"
    r"|(?P<bb>\\\[(?P<bb_b>.{1,20000}?)\\\])"
    r"|(?P<pp>\\\((?P<pp_b>.{1,5000}?)\\\))"
    rf"|(?P<env>\\begin\{{(?P<env_n>{_ENVS})(?P<env_s>\*?)\}}.{{0,20000}}?\\end\{{(?P=env_n)(?P=env_s)\}})"
    r"|(?P<tag>\[(?P<tag_n>tex|latex|math)\](?P<tag_b>.{1,5000}?)\[/(?P=tag_n)\])"
    r"|(?P<d>(?<![\\$\w])\$(?P<d_b>[^\s$](?:[^$\n]{0,2000}?[^\s$\\])?)\$(?![\d$]))"
    r"|(?P<bt>(?<!`)`(?P<bt_b>[^`\n]{1,500})`(?!`))",
    re.S | re.I,
)
_TEXISH = re.compile(r"\\[A-Za-z]+|[\^_{}=<>]|\d\s*[+*/-]\s*\d|^[A-Za-z]$|^[A-Za-z][\s,]*[A-Za-z]?\d?$")
_CURRENCY = re.compile(r"^\d[\d,.]*\s*(?:[kKmMbB]n?|million|billion|thousand|trillion|bucks)?\b")
_PROSE = re.compile(r"(?:\b[A-Za-z]{3,}\b[\s,.;:]+){3,}")


def _inline_ok(body: str, page: PageMath) -> bool:
    """Decide whether `$body$` is math."""
    texish = bool(_TEXISH.search(body))
    if _PROSE.search(body) and not re.search(r"\\[A-Za-z]+|[\^_]", body):
        return False  # a run of words between two dollar signs is prose about money
    if _CURRENCY.match(body) and not texish:
        return False
    return page.inline_dollar or (texish and bool(re.search(r"\\[A-Za-z]+|[\^_=]", body)))


def find_text_math(text: str, page: PageMath, store: MathStore) -> str:
    """Replace the TeX-delimited formulas in `text` by store tokens (families tex_delims/asciimath)."""
    if not any(c in text for c in "$\\[`"):
        return text

    def sub(m: re.Match) -> str:
        kind = None
        for k in ("dd", "bb", "pp", "env", "tag", "d", "bt"):
            if m.group(k) is not None:
                kind = k
                break
        whole = m.group(0)
        if kind == "dd":
            body = m.group("dd_b")
            if page.tex_page or _TEXISH.search(body):
                return store.add(body, True, "tex_delims")
        elif kind == "bb":
            return store.add(m.group("bb_b"), True, "tex_delims")
        elif kind == "pp":
            return store.add(m.group("pp_b"), False, "tex_delims")
        elif kind == "env":
            if page.tex_page:
                return store.add(whole, True, "tex_delims")
        elif kind == "tag":
            body = m.group("tag_b")
            return store.add(body, "\n" in body.strip() or len(body) > 80, "tex_delims")
        elif kind == "d":
            body = m.group("d_b")
            if _inline_ok(body, page):
                return store.add(body, False, "tex_delims")
            # not math: keep the first `$` and rescan after it, so a later `$x$` is still found
            return "$" + find_text_math(whole[1:], page, store)
        elif kind == "bt":
            if page.asciimath:
                return store.add(asciimath_to_latex(m.group("bt_b")), False, "asciimath")
        return whole

    return _PATTERN.sub(sub, text)
