"""Find math markup in a parsed page and replace each formula by a placeholder token.

Families (counted under `corpus.schema.MATH_FAMILIES`):
- mathjax: `<script type="math/tex">` (MathJax v2 source; `mode=display`), `math/asciimath` scripts
  (counted as asciimath), and MathJax output that still carries its source (v3 `mjx-container` with
  assistive MathML or a TeX annotation, v2 `MathJax_Preview` spans next to their script).
- katex: rendered KaTeX (`.katex` with `annotation[encoding=application/x-tex]`).
- mathml: `<math>`: its TeX annotation, else `alttext`, else our MathML->LaTeX conversion.
- latex_img: images whose `alt` holds LaTeX (WordPress latex.php, codecogs, mimetex, mathtex, Wikipedia's
  fallback PNG/SVG when no MathML sits beside it, and images classed `latex`/`tex`).
Raw delimiters in text are handled later on the extracted text (`corpus.extract.delimiters`).

Replacing the whole rendered element (not just the source) is what removes MathJax/KaTeX glyph soup,
and un-hiding the formula's hidden wrapper is what keeps Wikipedia's `display:none` MathML.
"""

from __future__ import annotations

import re
from typing import Any

from resiliparse.parse.html import HTMLTree

from corpus.extract.asciimath import asciimath_to_latex
from corpus.extract.mathml import mathml_to_latex
from corpus.extract.store import MathStore

TEX_ENCODINGS = ("application/x-tex", "tex", "latex", "application/x-latex", "text/x-tex")
_IMG_SRC = re.compile(
    r"latex\.php|codecogs|mimetex|mathtex|/latex\?|[?&](?:latex|tex)=|chart\.apis\.google\.com/chart\?cht=tx"
    r"|/math/render/|wikimedia\.org/api/rest_v1/media/math|mathurl|forkosh|quicklatex|texrendr|l\.wordpress\.com/latex",
    re.I,
)
_IMG_CLASS = re.compile(
    r"\b(?:latex|tex|math|mwe-math-fallback-image(?:-inline|-display)?|tex-img|equation)\b", re.I
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# MathJax v2 render output that duplicates a `script[type=math/tex]` source beside it.
_MJ2_RENDERED = (
    ".MathJax_Preview, .MathJax, .MathJax_Display, .MathJax_SVG, .MathJax_SVG_Display, .MathJax_CHTML, "
    ".MathJax_MathML, .MJX_Assistive_MathML, .MathJax_PHTML, .mjx-chtml"
)


def _replace(tree: Any, node: Any, token: str) -> None:
    parent = node.parent
    if parent is None:
        return
    text = tree.create_text_node(token)
    node.replace_with(text)
    _unhide(parent, token)


def _unhide(node: Any, token: str, levels: int = 4) -> None:
    """Make hidden wrappers of a formula visible again when they hold nothing but that formula."""
    for _ in range(levels):
        if node is None or node.type != 1 or node.tag in ("body", "html"):
            return
        hidden = (
            _HIDDEN_STYLE.search(node.getattr("style") or "")
            or node.hasattr("hidden")
            or node.getattr("aria-hidden") == "true"
        )
        if hidden:
            if (node.text or "").strip() != token:
                return
            node.remove_attribute("style")
            if node.hasattr("hidden"):
                node.remove_attribute("hidden")
            if node.hasattr("aria-hidden"):
                node.remove_attribute("aria-hidden")
            if node.hasattr("class"):
                node.remove_attribute("class")  # classes such as `sr-only` / `a11y` hide too
        node = node.parent


def _tex_annotation(node: Any) -> str | None:
    for ann in node.query_selector_all("annotation")[:]:
        if (ann.getattr("encoding") or "").strip().lower() in TEX_ENCODINGS:
            tex = ann.text or ""
            if tex.strip():
                return tex
    return None


def _math_latex(math: Any) -> str:
    """LaTeX for a `<math>` element: TeX annotation, then alttext, then conversion."""
    return _tex_annotation(math) or math.getattr("alttext") or mathml_to_latex(math)


def _is_display(node: Any) -> bool:
    return (node.getattr("display") or "").lower() in ("block", "true") or (
        (node.getattr("mode") or "").lower() == "display"
    )


def _alt_latex(img: Any) -> str | None:
    alt = (img.getattr("alt") or "").strip()
    if not alt:
        return None
    src = img.getattr("src") or img.getattr("data-src") or ""
    cls = img.getattr("class") or ""
    if _IMG_SRC.search(src) or (_IMG_CLASS.search(cls) and re.search(r"[\\^_{}=]", alt)):
        return alt
    return None


def _alone_in_block(node: Any) -> bool:
    """A formula image that is the only content of its paragraph is display math."""
    parent = node.parent
    if parent is None or parent.tag not in ("p", "div", "center", "dd"):
        return False
    if (parent.text or "").strip():
        return False
    return len(parent.query_selector_all("img")[:]) == 1


def replace_math(tree: Any, store: MathStore) -> None:
    """Replace every formula in the DOM of `tree` by a store token (in place)."""
    doc = tree.document
    if doc is None:
        return

    # MathJax v2 source scripts (and AsciiMath scripts)
    scripts = doc.query_selector_all('script[type^="math/"]')[:]
    if len(scripts):
        for rendered in doc.query_selector_all(_MJ2_RENDERED)[:]:
            if rendered.parent is not None and not rendered.query_selector('script[type^="math/"]'):
                rendered.decompose()
        for s in doc.query_selector_all('script[type^="math/"]')[:]:
            kind = (s.getattr("type") or "").lower()
            src = s.text or ""
            if not src.strip():
                s.decompose()
                continue
            display = "mode=display" in kind.replace(" ", "")
            if kind.startswith("math/tex"):
                _replace(tree, s, store.add(src, display, "mathjax"))
            elif kind.startswith("math/asciimath"):
                _replace(tree, s, store.add(asciimath_to_latex(src), display, "asciimath"))
            elif kind.startswith("math/mml"):
                m = HTMLTree.parse(src).document.query_selector("math")
                if m is not None:
                    _replace(tree, s, store.add(_math_latex(m), display or _is_display(m), "mathjax"))

    # KaTeX output: the whole .katex span carries an x-tex annotation next to its HTML rendering
    for kx in doc.query_selector_all(".katex-display, .katex")[:]:
        if kx.parent is None:
            continue
        tex = _tex_annotation(kx)
        if tex is None:
            continue
        display = "katex-display" in (kx.getattr("class") or "") or kx.closest(".katex-display") is not None
        _replace(tree, kx, store.add(tex, display, "katex"))

    # MathJax v3 output: the source survives as assistive MathML or a data attribute
    for mjx in doc.query_selector_all("mjx-container")[:]:
        if mjx.parent is None:
            continue
        latex = mjx.getattr("data-latex") or mjx.getattr("data-tex")
        math = mjx.query_selector("math")
        if not latex and math is not None:
            latex = _math_latex(math)
        display = (mjx.getattr("display") or "") == "true"
        if latex:
            _replace(tree, mjx, store.add(latex, display, "mathjax"))
        else:
            mjx.decompose()  # glyph soup without recoverable source

    # Plain MathML (Wikipedia, MDPI, MathJax MathML input before rendering)
    for math in doc.query_selector_all("math")[:]:
        if math.parent is None:
            continue
        latex = _math_latex(math)
        if not latex.strip():
            continue
        wrapper = math.closest(".mwe-math-element")
        if wrapper is not None:  # Wikipedia: drop the fallback image that repeats this formula
            for img in wrapper.query_selector_all("img")[:]:
                img.decompose()
        _replace(tree, math, store.add(latex, _is_display(math), "mathml"))

    # LaTeX in image alt text
    for img in doc.query_selector_all("img[alt]")[:]:
        latex = _alt_latex(img)
        if latex is None:
            continue
        latex = re.sub(r"^\$+|\$+$", "", latex.strip())
        _replace(tree, img, store.add(latex, _alone_in_block(img), "latex_img"))
