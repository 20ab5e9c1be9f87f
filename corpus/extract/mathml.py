"""MathML -> LaTeX for the common Presentation MathML elements.

Used only when a `<math>` element carries neither a TeX annotation nor an `alttext` (MathJax demos,
publisher pages). Written by hand because no maintained PyPI package converts MathML to LaTeX without
pulling in a browser or an XSLT stylesheet we would have to vendor; the conventions follow the
widely used `mmltex` XSLT (braced bases in scripts, `\\mathrm` for multi-letter identifiers) so the
output reads like what other math corpora produce. Works on resiliparse DOM nodes.
"""

from __future__ import annotations

from typing import Any

# Unicode operators / identifiers -> LaTeX commands (the frequent ones; others pass through as Unicode,
# which LaTeX-aware tokenizers handle fine).
SYMBOLS = {
    "−": "-",
    "∓": "\\mp",
    "·": "\\cdot",
    "⋅": "\\cdot",
    "∗": "\\ast",
    "≠": "\\ne",
    "≤": "\\le",
    "≥": "\\ge",
    "≪": "\\ll",
    "≫": "\\gg",
    "≈": "\\approx",
    "≡": "\\equiv",
    "∼": "\\sim",
    "≃": "\\simeq",
    "≅": "\\cong",
    "∝": "\\propto",
    "∑": "\\sum",
    "∏": "\\prod",
    "∫": "\\int",
    "∬": "\\iint",
    "∮": "\\oint",
    "∞": "\\infty",
    "∂": "\\partial",
    "∇": "\\nabla",
    "∈": "\\in",
    "∉": "\\notin",
    "∋": "\\ni",
    "⊂": "\\subset",
    "⊃": "\\supset",
    "⊆": "\\subseteq",
    "⊇": "\\supseteq",
    "∪": "\\cup",
    "∩": "\\cap",
    "∅": "\\emptyset",
    "∀": "\\forall",
    "∃": "\\exists",
    "¬": "\\neg",
    "∧": "\\wedge",
    "∨": "\\vee",
    "→": "\\to",
    "←": "\\leftarrow",
    "↔": "\\leftrightarrow",
    "⇒": "\\Rightarrow",
    "⇐": "\\Leftarrow",
    "⇔": "\\Leftrightarrow",
    "↦": "\\mapsto",
    "…": "\\dots",
    "⋯": "\\cdots",
    "⋮": "\\vdots",
    "⋱": "\\ddots",
    "′": "'",
    "″": "''",
    "⊕": "\\oplus",
    "⊗": "\\otimes",
    "∘": "\\circ",
    "†": "\\dagger",
    "⟨": "\\langle",
    "⟩": "\\rangle",
    "‖": "\\|",
    "⌊": "\\lfloor",
    "⌋": "\\rfloor",
    "⌈": "\\lceil",
    "⌉": "\\rceil",
    "∖": "\\setminus",
    "⁡": "",
    "⁢": "",
    "⁣": ",",
    "⁤": "+",
    "\u00a0": " ",
    "ℝ": "\\mathbb{R}",
    "ℕ": "\\mathbb{N}",
    "ℤ": "\\mathbb{Z}",
    "ℚ": "\\mathbb{Q}",
    "ℂ": "\\mathbb{C}",
    "ℏ": "\\hbar",
    "ℓ": "\\ell",
    "α": "\\alpha",
    "β": "\\beta",
    "γ": "\\gamma",
    "δ": "\\delta",
    "ϵ": "\\epsilon",
    "ε": "\\varepsilon",
    "ζ": "\\zeta",
    "η": "\\eta",
    "θ": "\\theta",
    "ϑ": "\\vartheta",
    "ι": "\\iota",
    "κ": "\\kappa",
    "λ": "\\lambda",
    "μ": "\\mu",
    "ν": "\\nu",
    "ξ": "\\xi",
    "π": "\\pi",
    "ϖ": "\\varpi",
    "ρ": "\\rho",
    "ϱ": "\\varrho",
    "σ": "\\sigma",
    "ς": "\\varsigma",
    "τ": "\\tau",
    "υ": "\\upsilon",
    "ϕ": "\\phi",
    "φ": "\\varphi",
    "χ": "\\chi",
    "ψ": "\\psi",
    "ω": "\\omega",
    "Γ": "\\Gamma",
    "Δ": "\\Delta",
    "Θ": "\\Theta",
    "Λ": "\\Lambda",
    "Ξ": "\\Xi",
    "Π": "\\Pi",
    "Σ": "\\Sigma",
    "Υ": "\\Upsilon",
    "Φ": "\\Phi",
    "Ψ": "\\Psi",
    "Ω": "\\Omega",
}
# Accents placed over a base by <mover accent="true">.
ACCENTS = {
    "^": "\\hat",
    "ˆ": "\\hat",
    "¯": "\\bar",
    "‾": "\\overline",
    "→": "\\vec",
    "⃗": "\\vec",
    "˙": "\\dot",
    "¨": "\\ddot",
    "~": "\\tilde",
    "˜": "\\tilde",
    "⏞": "\\overbrace",
}
UNDER_ACCENTS = {"_": "\\underline", "¯": "\\underline", "⏟": "\\underbrace"}
FUNCTIONS = {
    "sin",
    "cos",
    "tan",
    "cot",
    "sec",
    "csc",
    "log",
    "ln",
    "exp",
    "lim",
    "max",
    "min",
    "sup",
    "inf",
    "det",
    "dim",
    "ker",
    "deg",
    "arg",
    "gcd",
    "sinh",
    "cosh",
    "tanh",
    "arcsin",
    "arccos",
    "arctan",
    "Pr",
    "liminf",
    "limsup",
}
LARGE_OPS = {
    "\\sum",
    "\\prod",
    "\\int",
    "\\lim",
    "\\max",
    "\\min",
    "\\sup",
    "\\inf",
    "\\bigcup",
    "\\bigcap",
    "\\iint",
    "\\oint",
    "\\coprod",
}
VARIANTS = {
    "bold": "\\mathbf",
    "double-struck": "\\mathbb",
    "script": "\\mathcal",
    "fraktur": "\\mathfrak",
    "bold-italic": "\\boldsymbol",
    "sans-serif": "\\mathsf",
    "monospace": "\\mathtt",
    "normal": "\\mathrm",
}
MAX_DEPTH = 120  # deeper MathML is hostile or broken; its text is used as-is


def _sym(text: str) -> str:
    return "".join(SYMBOLS.get(ch, ch) for ch in text)


def _join(parts: list[str]) -> str:
    """Concatenate LaTeX pieces, inserting a space where a command would run into a letter."""
    out = ""
    for p in parts:
        if not p:
            continue
        if out and out[-1].isalpha() and p[0].isalpha():
            i = len(out) - 1
            while i >= 0 and out[i].isalpha():
                i -= 1
            if i >= 0 and out[i] == "\\":
                out += " "
        out += p
    return out


def _children(node: Any) -> list[Any]:
    return [c for c in node.child_nodes if c.type == 1]  # element nodes only


def _name(node: Any) -> str:
    tag = node.tag.lower()
    return tag.split(":", 1)[1] if ":" in tag else tag


def _group(s: str) -> str:
    return "{" + s + "}"


def mathml_to_latex(node: Any, depth: int = 0) -> str:
    """Convert a `<math>` (or any MathML) resiliparse element to LaTeX."""
    if depth > MAX_DEPTH:
        return _sym(node.text or "")
    tag = _name(node)
    kids = _children(node)
    conv = (
        [mathml_to_latex(k, depth + 1) for k in kids] if tag not in ("mi", "mn", "mo", "mtext", "ms") else []
    )

    def arg(i: int) -> str:
        return conv[i] if i < len(conv) else ""

    if tag in ("mi", "mn", "mo", "ms"):
        text = (node.text or "").strip()
        variant = node.getattr("mathvariant") or ""
        if tag == "mi" and len(text) > 1:
            if text in FUNCTIONS:
                return "\\" + text
            command = VARIANTS.get(variant, VARIANTS["normal"])
            return f"{command}{{{_sym(text)}}}"
        latex = _sym(text)
        if tag == "mi" and variant in VARIANTS and variant != "italic" and text:
            return f"{VARIANTS[variant]}{{{latex}}}"
        if tag == "mo" and text in ("{", "}"):
            return "\\" + text
        return latex
    if tag == "mtext":
        text = node.text or ""
        return f"\\text{{{text}}}" if text.strip() else " "
    if tag == "mspace":
        return " "
    if tag in ("annotation", "annotation-xml", "none", "mprescripts"):
        return ""
    if tag == "semantics":
        return arg(0)
    if tag == "msup":
        return f"{_group(arg(0))}^{_group(arg(1))}"
    if tag == "msub":
        return f"{_group(arg(0))}_{_group(arg(1))}"
    if tag == "msubsup":
        return f"{_group(arg(0))}_{_group(arg(1))}^{_group(arg(2))}"
    if tag == "mfrac":
        if (node.getattr("linethickness") or "").strip() in ("0", "0px", "0pt", "0em"):
            return f"\\genfrac{{}}{{}}{{0}}{{}}{_group(arg(0))}{_group(arg(1))}"
        return f"\\frac{_group(arg(0))}{_group(arg(1))}"
    if tag == "msqrt":
        return f"\\sqrt{_group(_join(conv))}"
    if tag == "mroot":
        return f"\\sqrt[{arg(1)}]{_group(arg(0))}"
    if tag in ("mover", "munder", "munderover"):
        base, first = arg(0), arg(1)
        mark = (kids[1].text or "").strip() if len(kids) > 1 else ""
        if tag == "mover" and mark in ACCENTS and len(kids) == 2:
            return f"{ACCENTS[mark]}{_group(base)}"
        if tag == "munder" and mark in UNDER_ACCENTS and len(kids) == 2:
            return f"{UNDER_ACCENTS[mark]}{_group(base)}"
        if base in LARGE_OPS or base.startswith("\\lim"):
            if tag == "mover":
                return f"{base}^{_group(first)}"
            if tag == "munder":
                return f"{base}_{_group(first)}"
            return f"{base}_{_group(first)}^{_group(arg(2))}"
        if tag == "mover":
            return f"\\stackrel{_group(first)}{_group(base)}"
        if tag == "munder":
            return f"\\underset{_group(first)}{_group(base)}"
        return f"\\overset{_group(arg(2))}{{\\underset{_group(first)}{_group(base)}}}"
    if tag == "mfenced":
        open_, close = node.getattr("open"), node.getattr("close")
        open_ = "(" if open_ is None else open_
        close = ")" if close is None else close
        seps = node.getattr("separators")
        sep = "," if seps is None else (seps.strip()[:1] or "")
        return f"\\left{_fence(open_)}{sep.join(conv)}\\right{_fence(close)}"
    if tag == "mtable":
        rows = []
        ncols = 1
        for r in kids:
            cells = [mathml_to_latex(c, depth + 2) for c in _children(r) if _name(c) == "mtd"]
            if _name(r) == "mlabeledtr" and cells:
                cells = cells[1:]
            ncols = max(ncols, len(cells))
            rows.append("& ".join(cells))
        align = (node.getattr("columnalign") or "").split()
        spec = "".join(a[0] for a in align if a[:1] in ("l", "c", "r"))[:ncols] if align else ""
        spec = spec + "c" * (ncols - len(spec))
        return f"\\begin{{array}}{{{spec}}}" + "\\\\ ".join(rows) + "\\end{array}"
    if tag == "mmultiscripts":
        base = arg(0)
        post = conv[1:]
        out = _group(base)
        for i in range(0, len(post) - 1, 2):
            if post[i]:
                out += f"_{_group(post[i])}"
            if post[i + 1]:
                out += f"^{_group(post[i + 1])}"
        return out
    if tag == "menclose":
        return f"\\boxed{_group(_join(conv))}" if "box" in (node.getattr("notation") or "") else _join(conv)
    if tag == "mphantom":
        return ""
    if tag == "mstyle" and (node.getattr("mathvariant") or "") in VARIANTS:
        return f"{VARIANTS[node.getattr('mathvariant')]}{_group(_join(conv))}"
    # math, mrow, mstyle, mpadded, merror, and unknown elements: their children in order
    return _join(conv)


def _fence(ch: str) -> str:
    ch = ch.strip()
    if not ch:
        return "."
    if ch in ("{", "}"):
        return "\\" + ch
    return SYMBOLS.get(ch, ch)
