"""Which benchmark n-grams are specific enough to prove contamination.

The paper's literal rule indexes every 10-gram. Measured on 829 real non-benchmark pages (DCLM,
Dolma, saved HTML), it removes five of them, each for a gram with no words in it: a countdown
"10 9 8 7 6 5 4 3 2 1", "1 2 3 … 13", the alphabet "a b c … i", and the identity
a³+b³ = (a+b)(a²−ab+b²). Such grams (numbers, single letters, LaTeX operator names) occur on any
math page, which is exactly what the corpus is made of. So, by default, a benchmark n-gram enters
the index only if at least `min_informative` of its tokens are informative: a CJK character, or a
run of two or more letters that is not LaTeX math notation. Setting `min_informative_tokens: 0`
restores the literal rule. Short texts (exact rule) are whole benchmark texts and are not filtered;
a long text none of whose grams passes (a question made only of notation) is matched whole too.
"""

from __future__ import annotations

import re

import numpy as np

# LaTeX command names and operator words that are notation, not prose (after normalisation the
# backslash is gone, so "\frac" is the token "frac").
MATH_WORDS = frozenset(
    [
        "frac",
        "sqrt",
        "cdot",
        "times",
        "div",
        "pm",
        "mp",
        "le",
        "ge",
        "ne",
        "lt",
        "gt",
        "approx",
        "sim",
        "equiv",
        "pi",
        "infty",
        "sum",
        "prod",
        "int",
        "oint",
        "lim",
        "log",
        "ln",
        "lg",
        "exp",
        "sin",
        "cos",
        "tan",
        "cot",
        "sec",
        "csc",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "begin",
        "end",
        "array",
        "matrix",
        "pmatrix",
        "bmatrix",
        "vmatrix",
        "cases",
        "align",
        "aligned",
        "binom",
        "choose",
        "over",
        "circ",
        "angle",
        "triangle",
        "overline",
        "underline",
        "hat",
        "vec",
        "bar",
        "dot",
        "ddot",
        "tilde",
        "widehat",
        "dots",
        "ldots",
        "cdots",
        "vdots",
        "ddots",
        "cup",
        "cap",
        "subset",
        "subseteq",
        "supset",
        "supseteq",
        "setminus",
        "emptyset",
        "varnothing",
        "rightarrow",
        "leftarrow",
        "leftrightarrow",
        "uparrow",
        "downarrow",
        "mapsto",
        "implies",
        "iff",
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "varepsilon",
        "zeta",
        "eta",
        "theta",
        "vartheta",
        "iota",
        "kappa",
        "lambda",
        "mu",
        "nu",
        "xi",
        "omicron",
        "rho",
        "sigma",
        "tau",
        "upsilon",
        "phi",
        "varphi",
        "chi",
        "psi",
        "omega",
        "partial",
        "nabla",
        "forall",
        "exists",
        "neg",
        "land",
        "lor",
        "oplus",
        "otimes",
        "perp",
        "parallel",
        "mid",
        "nmid",
        "pmod",
        "bmod",
        "mod",
        "det",
        "max",
        "min",
        "sup",
        "inf",
        "gcd",
        "lcm",
        "deg",
        "dim",
        "ker",
        "arg",
        "hline",
        "tfrac",
        "dfrac",
        "cdotp",
        "colon",
        "prime",
        "ell",
        "hbar",
        "deg",
        "circ",
    ]
)
_WORD = re.compile(r"[^\W\d_]{2,}")


def is_informative(token: str) -> bool:
    """A CJK character, or a word of 2+ letters that is not math notation."""
    if len(token) == 1:
        return "\u3040" <= token <= "\ud7af" or "\uf900" <= token <= "\ufaff"
    return bool(_WORD.fullmatch(token)) and token not in MATH_WORDS


def informative_windows(tokens: list[str], n: int) -> np.ndarray:
    """For each window of `n` tokens, how many of them are informative (len(tokens) - n + 1 values)."""
    flags = np.fromiter((is_informative(t) for t in tokens), dtype=np.int32, count=len(tokens))
    cs = np.concatenate(([0], np.cumsum(flags)))
    return cs[n:] - cs[: len(tokens) - n + 1]
