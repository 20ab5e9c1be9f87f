"""Placeholder tokens that carry formulas through boilerplate removal.

Every formula found (in the DOM or in text) is replaced by a short token of Private Use Area characters
holding its index. Main-content extractors treat the token as ordinary text, so they can neither strip
nor mangle the LaTeX (braces, backslashes, `<` inside formulas); `restore` swaps the tokens for
`$…$` / `$$…$$` at the end.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

OPEN, CLOSE = "\ue000", "\ue001"
TOKEN_RE = re.compile(f"{OPEN}(\\d+){CLOSE}")
# Input text must never contain our token characters (a hostile page could forge tokens).
SANITIZE = str.maketrans({OPEN: " ", CLOSE: " "})


@dataclass
class Formula:
    latex: str
    display: bool
    family: str


@dataclass
class MathStore:
    formulas: list[Formula] = field(default_factory=list)

    def add(self, latex: str, display: bool, family: str) -> str:
        """Register a formula and return the token that stands for it."""
        self.formulas.append(Formula(latex, display, family))
        return f"{OPEN}{len(self.formulas) - 1}{CLOSE}"

    def restore(self, text: str) -> tuple[str, Counter]:
        """Replace tokens by `$…$` (inline) or `$$…$$` on a line of its own (display); count the
        formulas that survived extraction, per family."""
        counts: Counter = Counter()

        def sub(m: re.Match) -> str:
            i = int(m.group(1))
            if i >= len(self.formulas):
                return ""
            f = self.formulas[i]
            latex = clean_latex(f.latex)
            if not latex:
                return ""
            counts[f.family] += 1
            return f"\n$${latex}$$\n" if f.display else f"${latex}$"

        out = TOKEN_RE.sub(sub, text)
        # A display formula must stand on its own line: drop blanks the newlines left at line edges.
        out = re.sub(r"[ \t]*\n[ \t]*", "\n", out)
        return out, counts


def clean_latex(latex: str) -> str:
    """Trim a formula and collapse its internal runs of blank lines (which would end a Markdown
    paragraph) without touching its content."""
    latex = latex.strip()
    latex = re.sub(r"\n\s*\n+", "\n", latex)
    # a bare `$` inside would break the `$…$` wrapping
    return latex.replace("$", "\\$") if "$" in latex and "\\$" not in latex else latex
