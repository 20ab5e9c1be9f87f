"""Raw TeX in page text: `$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`, LaTeX environments, `[tex]` forum tags
and AsciiMath backticks.

Which delimiters are live depends on the page: MathJax and KaTeX only render `$…$` when the page's
config says so, so we read that config (`page_config`). Without it, a `$…$` span becomes math only if
its content looks like TeX. That is what keeps "$60 million … $5" prose out of the formulas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from corpus.extract.asciimath import asciimath_to_latex
from corpus.extract.store import MathStore

_LIB_SRC = re.compile(r"mathjax|katex", re.I)
_ASCII = re.compile(r"ASCIIMathML|AM_(?:CHTML|HTMLorMML|SVG)|asciimath", re.I)
_INLINE_DOLLAR = re.compile(
    r"inlineMath[\s\"']*:\s*\[[^\]]{0,200}?[\"']\$[\"']"  # MathJax v2/v3: inlineMath: [['$','$'], …]
    r"|left[\"']?\s*:\s*[\"']\$[\"']\s*,\s*right[\"']?\s*:\s*[\"']\$[\"']",  # KaTeX auto-render
    re.I,
)
# Markup of pages whose TeX is rendered client-side by a script we may not see (bundled, lazy-loaded).
_MATH_CLASSES = (
    ".math, .math-inline, .math-display, .mathjax, .tex2jax_process, .katex, .latex, .tex, .inline-math"
)
_DOLLAR_CLASSES = ".math-inline, .tex2jax_process, .inline-math"


@dataclass
class PageMath:
    """What the page declares about math rendering."""

    tex_page: bool = False  # loads MathJax or KaTeX (so `\\(`, `\\[`, `$$` and environments are live)
    inline_dollar: bool = False  # declares `$…$` as inline math
    asciimath: bool = False  # loads AsciiMath (backticks are live)


def page_config(tree: Any) -> PageMath:
    """Read the math renderer and its delimiter config from the page's scripts and markup."""
    doc = tree.document
    tex_page = inline_dollar = asciimath = False
    for script in doc.query_selector_all("script")[:]:
        src = script.getattr("src")
        if src:
            tex_page = tex_page or bool(_LIB_SRC.search(src))
            asciimath = asciimath or bool(_ASCII.search(src))
            continue
        kind = (script.getattr("type") or "").lower()
        if kind and "javascript" not in kind and "text/x-mathjax-config" not in kind and "module" not in kind:
            continue
        code = (script.text or "")[:200_000]
        if "MathJax" in code or "katex" in code or "renderMathInElement" in code:
            tex_page = True
            inline_dollar = inline_dollar or bool(_INLINE_DOLLAR.search(code))
    if not tex_page and doc.query_selector(_MATH_CLASSES) is not None:
        tex_page = True
    if doc.query_selector(_DOLLAR_CLASSES) is not None:
        inline_dollar = True
    return PageMath(tex_page=tex_page, inline_dollar=inline_dollar, asciimath=asciimath)


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
        elif kind == "bt" and page.asciimath:
            return store.add(asciimath_to_latex(m.group("bt_b")), False, "asciimath")
        return whole

    return _PATTERN.sub(sub, text)
