"""The content model of a generated page, independent of how its math is marked up.

A page body is a list of blocks; a block is a kind ("p", "h2", "li", "pre") and a list of segments;
a segment is either plain text or a `Math` formula. The same content renders to HTML in any markup
family (see `markup.py`) and to the plain "main text" (TeX in `$…$`), which is what the ground truth
records and what near-duplicate Jaccard and contamination checks are computed on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Math:
    """One formula: TeX source, display or inline, and an AsciiMath spelling for AsciiMath pages."""

    tex: str
    display: bool = False

    @property
    def ascii(self) -> str:
        return tex_to_asciimath(self.tex)


Segment = str | Math


@dataclass
class Block:
    kind: str  # "p", "h2", "li", "pre"
    segs: list[Segment]


@dataclass
class Content:
    title: str
    blocks: list[Block]
    lang: str = "en"
    style: str | None = None  # "latex" | "plain" for math, None for non-math
    topic: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def n_formulas(self) -> int:
        return sum(isinstance(s, Math) for b in self.blocks for s in b.segs)


def P(*segs: Segment) -> Block:
    return Block("p", list(segs))


def H(text: str) -> Block:
    return Block("h2", [text])


def LI(*segs: Segment) -> Block:
    return Block("li", list(segs))


def PRE(text: str) -> Block:
    return Block("pre", [text])


def m(tex: str) -> Math:
    return Math(tex, False)


def d(tex: str) -> Math:
    return Math(tex, True)


def seg_text(seg: Segment) -> str:
    """A segment as it appears in main text: TeX in `$…$` / `$$…$$`."""
    if isinstance(seg, Math):
        return f"$${seg.tex}$$" if seg.display else f"${seg.tex}$"
    return seg


def block_text(block: Block) -> str:
    sep = "\n" if block.kind == "br" else ""  # "br": one paragraph written as separate lines
    return sep.join(seg_text(s) for s in block.segs)


def main_text(content: Content) -> str:
    """The page's main content as text: title, then one block per paragraph."""
    return "\n\n".join([content.title, *(block_text(b) for b in content.blocks)])


# --- TeX -> AsciiMath for the templates' limited TeX vocabulary -------------------------------------
# Written by hand: no maintained Python library converts TeX to AsciiMath, and our templates use a
# small fixed set of commands, so a few ordered rewrites cover them.
_ASCII_REWRITES = [
    (r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)"),
    (r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)"),
    (r"\\binom\{([^{}]*)\}\{([^{}]*)\}", r"((\1),(\2))"),
    (r"\\left|\\right", ""),
    (r"\\cdot", "*"),
    (r"\\times", "xx"),
    (r"\\leq?", "<="),
    (r"\\geq?", ">="),
    (r"\\neq", "!="),
    (r"\\infty", "oo"),
    (r"\\to", "->"),
    (r"\\equiv", "-="),
    (r"\\pmod\{([^{}]*)\}", r"(mod \1)"),
    (r"\\int_\{([^{}]*)\}\^\{([^{}]*)\}", r"int_(\1)^(\2)"),
    (r"\\sum_\{([^{}]*)\}\^\{([^{}]*)\}", r"sum_(\1)^(\2)"),
    (r"\\lim_\{([^{}]*)\}", r"lim_(\1)"),
    (r"\\(alpha|beta|gamma|theta|lambda|pi|sigma|omega|mu|epsilon|delta|phi)", r"\1"),
    (r"\\(sin|cos|tan|log|ln|det|exp|gcd)", r"\1"),
    (r"\\mathbb\{R\}", "RR"),
    (r"\\pm", "+-"),
    (r"\\,|\\;|\\quad", " "),
]


def tex_to_asciimath(tex: str) -> str:
    out = tex
    for _ in range(3):  # nested \frac{..}{\sqrt{..}} needs more than one pass, innermost first
        for pat, rep in _ASCII_REWRITES:
            out = re.sub(pat, rep, out)
    return out.replace("\\", "").replace("{", "(").replace("}", ")")
