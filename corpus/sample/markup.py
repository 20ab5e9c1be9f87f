"""Render page content to HTML in each math markup family found on the web.

Variants (the ground truth's `markup_variant`; `FAMILY` maps each to its `markup` family, the names of
`corpus.schema.MATH_FAMILIES`):

* mathjax_script   `<script type="math/tex">` and `<script type="math/tex; mode=display">` (MathJax 2)
* mathjax_delims   `\\(…\\)`, `$…$`, `$$…$$`, `\\[…\\]` in text, with a MathJax config script
* katex            server-rendered KaTeX: MathML with `annotation encoding="application/x-tex"` + HTML spans
* mathml_alttext   `<math alttext="TeX">`
* mathml_annotation `<math><semantics>…<annotation encoding="application/x-tex">`
* latex_img_wp     WordPress `latex.php?latex=…` images, TeX in alt and title
* latex_img_codecogs  codecogs `png.latex?…` images, TeX in alt
* tex_delims       raw `$…$` / `$$…$$` / `\\(…\\)` with no renderer on the page
* asciimath        backtick AsciiMath with MathJax's AM config
* none             no math markup
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from corpus.sample.content import Block, Math, Segment

FAMILY = {
    "mathjax_script": "mathjax",
    "mathjax_delims": "mathjax",
    "katex": "katex",
    "mathml_alttext": "mathml",
    "mathml_annotation": "mathml",
    "latex_img_wp": "latex_img",
    "latex_img_codecogs": "latex_img",
    "tex_delims": "tex_delims",
    "asciimath": "asciimath",
    "none": "none",
}

MATHJAX_SRC = '<script type="text/javascript" async src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.9/MathJax.js?config={cfg}"></script>'
MATHJAX_CONFIG = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({{ tex2jax: {{ inlineMath: [{inline}], displayMath: [['$$','$$'], ['\\\\[','\\\\]']], processEscapes: true }} }});
</script>"""


def head_scripts(variant: str, loads_mathjax: bool = False) -> str:
    """Scripts/styles a page of this variant puts in <head> (MathJax/KaTeX loaders and configs)."""
    if variant == "mathjax_script":
        return MATHJAX_SRC.format(cfg="TeX-AMS_HTML")
    if variant == "mathjax_delims":
        return (
            MATHJAX_CONFIG.format(inline="['$','$'], ['\\\\(','\\\\)']")
            + "\n"
            + MATHJAX_SRC.format(cfg="TeX-AMS-MML_HTMLorMML")
        )
    if variant == "asciimath":
        return MATHJAX_SRC.format(cfg="AM_CHTML")
    if variant == "katex":
        return '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.16.9/dist/katex.min.css">'
    if loads_mathjax:  # a theme that loads MathJax on every page, math or not (a hard negative)
        return MATHJAX_SRC.format(cfg="TeX-AMS_HTML")
    return ""


_TOKEN = re.compile(r"\\[a-zA-Z]+|[a-zA-Z]|\d+(?:\.\d+)?|[^\s{}^_a-zA-Z\d]")
_SYMBOLS = {
    "\\alpha": "α",
    "\\beta": "β",
    "\\theta": "θ",
    "\\lambda": "λ",
    "\\pi": "π",
    "\\phi": "φ",
    "\\Delta": "Δ",
    "\\cdot": "⋅",
    "\\times": "×",
    "\\leq": "≤",
    "\\geq": "≥",
    "\\neq": "≠",
    "\\infty": "∞",
    "\\to": "→",
    "\\equiv": "≡",
    "\\pm": "±",
    "\\int": "∫",
    "\\sum": "∑",
    "\\sqrt": "√",
    "\\lim": "lim",
    "\\sin": "sin",
    "\\cos": "cos",
    "\\log": "log",
    "\\ln": "ln",
    "\\det": "det",
    "\\gcd": "gcd",
}


def _strip_layout(tex: str) -> str:
    """Drop environment names and unwrap text-like commands so their arguments are not read as variables."""
    tex = re.sub(r"\\(begin|end)\{[a-z*]+\}", " ", tex)
    return re.sub(r"\\(text|operatorname|mathbf|mathbb)\{([^{}]*)\}", r"\2", tex)


def _mathml_row(tex: str) -> str:
    """A presentation-MathML <mrow> for `tex`: token-level only (mi/mn/mo), enough for a page to look like
    real MathML; the exact TeX travels in alttext/annotation, which is what extractors read."""
    parts = []
    for tok in _TOKEN.findall(_strip_layout(tex)):
        if tok.startswith("\\"):
            sym = _SYMBOLS.get(tok)
            if sym is None:
                continue  # layout commands (\frac, \left, \mathbf, ...) carry no token of their own
            tag = "mi" if sym.isalpha() else "mo"
            parts.append(f"<{tag}>{html.escape(sym)}</{tag}>")
        elif tok[0].isdigit():
            parts.append(f"<mn>{tok}</mn>")
        elif tok.isalpha():
            parts.append(f"<mi>{tok}</mi>")
        else:
            parts.append(f"<mo>{html.escape(tok)}</mo>")
    return "<mrow>" + "".join(parts) + "</mrow>"


def _katex_html(tex: str) -> str:
    spans = []
    for tok in _TOKEN.findall(_strip_layout(tex)):
        if tok.startswith("\\"):
            sym = _SYMBOLS.get(tok)
            if sym:
                spans.append(f'<span class="mop">{html.escape(sym)}</span>')
        elif tok[0].isdigit():
            spans.append(f'<span class="mord">{tok}</span>')
        elif tok.isalpha():
            spans.append(f'<span class="mord mathnormal">{tok}</span>')
        else:
            spans.append(f'<span class="mbin">{html.escape(tok)}</span>')
    return (
        '<span class="base"><span class="strut" style="height:0.8141em;"></span>' + "".join(spans) + "</span>"
    )


def render_math(f: Math, variant: str, alt: int = 0) -> str:
    """One formula as HTML. `alt` picks between equivalent spellings (e.g. `$` vs `\\(` delimiters) so a
    site's pages are not all identical."""
    tex, esc = f.tex, html.escape(f.tex)
    if variant == "mathjax_script":
        mode = "; mode=display" if f.display else ""
        return f'<script type="math/tex{mode}">{tex}</script>'  # script content is raw text in HTML
    if variant in ("mathjax_delims", "tex_delims"):
        if f.display:
            return f"$${esc}$$" if alt % 2 == 0 else f"\\[{esc}\\]"
        return f"${esc}$" if alt % 2 == 0 else f"\\({esc}\\)"
    if variant == "asciimath":
        return f"`{html.escape(f.ascii)}`"
    if variant == "katex":
        disp = ' display="block"' if f.display else ""
        inner = (
            f'<span class="katex"><span class="katex-mathml"><math xmlns="http://www.w3.org/1998/Math/MathML"{disp}>'
            f'<semantics>{_mathml_row(tex)}<annotation encoding="application/x-tex">{esc}</annotation></semantics>'
            f'</math></span><span class="katex-html" aria-hidden="true">{_katex_html(tex)}</span></span>'
        )
        return f'<span class="katex-display">{inner}</span>' if f.display else inner
    if variant == "mathml_alttext":
        disp = "block" if f.display else "inline"
        return f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{disp}" alttext="{esc}">{_mathml_row(tex)}</math>'
    if variant == "mathml_annotation":
        disp = "block" if f.display else "inline"
        return (
            f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{disp}"><semantics>{_mathml_row(tex)}'
            f'<annotation encoding="application/x-tex">{esc}</annotation></semantics></math>'
        )
    if variant == "latex_img_wp":
        src = f"https://s0.wp.com/latex.php?latex={quote(tex)}&#038;bg=ffffff&#038;fg=000000&#038;s={1 if f.display else 0}"
        return f'<img src="{src}" alt="{esc}" title="{esc}" class="latex" />'
    if variant == "latex_img_codecogs":
        prefix = "\\displaystyle " if f.display else ""
        src = f"https://latex.codecogs.com/png.latex?{quote(prefix + tex)}"
        img = f'<img src="{src}" alt="{esc}" align="absmiddle" />'
        return f'<div class="equation" style="text-align:center">{img}</div>' if f.display else img
    raise ValueError(f"unknown markup variant {variant!r}")


def render_segments(segs: list[Segment], variant: str, alt: int = 0) -> str:
    out = []
    for s in segs:
        if isinstance(s, Math):
            out.append(render_math(s, variant, alt))
        else:
            out.append(html.escape(s, quote=False))
    return "".join(out)


def render_blocks(blocks: list[Block], variant: str, alt: int = 0) -> str:
    """The main content as HTML: paragraphs, headings, list items (grouped into <ul>) and code."""
    out: list[str] = []
    in_list = False
    for b in blocks:
        if b.kind == "li" and not in_list:
            out.append("<ul>")
            in_list = True
        elif b.kind != "li" and in_list:
            out.append("</ul>")
            in_list = False
        if b.kind == "pre":
            out.append(f"<pre><code>{html.escape(''.join(map(str, b.segs)), quote=False)}</code></pre>")
        elif b.kind == "h2":
            out.append(f"<h2>{render_segments(b.segs, variant, alt)}</h2>")
        elif b.kind == "li":
            out.append(f"<li>{render_segments(b.segs, variant, alt)}</li>")
        elif b.kind == "br":  # one logical paragraph broken into lines (contamination with line breaks)
            out.append("<p>" + "<br>\n".join(render_segments([s], variant, alt) for s in b.segs) + "</p>")
        else:
            out.append(f"<p>{render_segments(b.segs, variant, alt)}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)
