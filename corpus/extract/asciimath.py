"""AsciiMath -> LaTeX for the common subset (asciimath.org syntax).

AsciiMath pages are rare in Common Crawl and the PyPI converters are unmaintained, so this is a small
hand-written recursive-descent parser of the AsciiMath grammar (simple expressions, `/` fractions,
`_`/`^` scripts, unary and binary functions, brackets). Unknown input passes through unchanged.
"""

from __future__ import annotations

import re

CONSTANTS = {
    "alpha": "\\alpha",
    "beta": "\\beta",
    "gamma": "\\gamma",
    "Gamma": "\\Gamma",
    "delta": "\\delta",
    "Delta": "\\Delta",
    "epsilon": "\\epsilon",
    "varepsilon": "\\varepsilon",
    "zeta": "\\zeta",
    "eta": "\\eta",
    "theta": "\\theta",
    "Theta": "\\Theta",
    "kappa": "\\kappa",
    "lambda": "\\lambda",
    "Lambda": "\\Lambda",
    "mu": "\\mu",
    "nu": "\\nu",
    "xi": "\\xi",
    "pi": "\\pi",
    "Pi": "\\Pi",
    "rho": "\\rho",
    "sigma": "\\sigma",
    "Sigma": "\\Sigma",
    "tau": "\\tau",
    "phi": "\\phi",
    "Phi": "\\Phi",
    "chi": "\\chi",
    "psi": "\\psi",
    "Psi": "\\Psi",
    "omega": "\\omega",
    "Omega": "\\Omega",
    "+-": "\\pm",
    "-+": "\\mp",
    "xx": "\\times",
    "**": "\\ast",
    "*": "\\cdot",
    "-:": "\\div",
    "o+": "\\oplus",
    "ox": "\\otimes",
    "@": "\\circ",
    "sum": "\\sum",
    "prod": "\\prod",
    "int": "\\int",
    "oint": "\\oint",
    "oo": "\\infty",
    "del": "\\partial",
    "grad": "\\nabla",
    "!=": "\\ne",
    "<=": "\\le",
    ">=": "\\ge",
    "-<": "\\prec",
    ">-": "\\succ",
    "~~": "\\approx",
    "~=": "\\cong",
    "-=": "\\equiv",
    "in": "\\in",
    "!in": "\\notin",
    "sub": "\\subset",
    "sup": "\\supset",
    "sube": "\\subseteq",
    "supe": "\\supseteq",
    "uu": "\\cup",
    "nn": "\\cap",
    "and": "\\text{ and }",
    "or": "\\text{ or }",
    "not": "\\neg",
    "=>": "\\Rightarrow",
    "<=>": "\\Leftrightarrow",
    "->": "\\to",
    "|->": "\\mapsto",
    "AA": "\\forall",
    "EE": "\\exists",
    "O/": "\\emptyset",
    "RR": "\\mathbb{R}",
    "NN": "\\mathbb{N}",
    "ZZ": "\\mathbb{Z}",
    "QQ": "\\mathbb{Q}",
    "CC": "\\mathbb{C}",
    "...": "\\ldots",
    "cdots": "\\cdots",
    "lim": "\\lim",
    "sin": "\\sin",
    "cos": "\\cos",
    "tan": "\\tan",
    "log": "\\log",
    "ln": "\\ln",
    "exp": "\\exp",
    "max": "\\max",
    "min": "\\min",
    "det": "\\det",
    "gcd": "\\gcd",
    "<<": "\\langle",
    ">>": "\\rangle",
    "(:": "\\langle",
    ":)": "\\rangle",
    "|__": "\\lfloor",
    "__|": "\\rfloor",
    "|~": "\\lceil",
    "~|": "\\rceil",
}
UNARY = {
    "sqrt": "\\sqrt",
    "hat": "\\hat",
    "bar": "\\overline",
    "vec": "\\vec",
    "dot": "\\dot",
    "ddot": "\\ddot",
    "tilde": "\\tilde",
    "ul": "\\underline",
    "abs": "abs",
    "text": "\\text",
    "bb": "\\mathbf",
    "bbb": "\\mathbb",
    "cc": "\\mathcal",
    "floor": "floor",
    "ceil": "ceil",
}
BINARY = {
    "frac": "\\frac",
    "root": "root",
    "stackrel": "\\stackrel",
    "overset": "\\overset",
    "underset": "\\underset",
}
OPEN, CLOSE = (
    {"(": "(", "[": "[", "{": "\\{", "(:": "\\langle", "{:": ""},
    {")": ")", "]": "]", "}": "\\}", ":)": "\\rangle", ":}": ""},
)
_SYMS = sorted([*CONSTANTS, *UNARY, *BINARY, *OPEN, *CLOSE, "/", "_", "^"], key=len, reverse=True)
_TOKEN = re.compile(
    "|".join(re.escape(s) + (r"(?![A-Za-z])" if s[-1].isalpha() else "") for s in _SYMS)
    + r"|\d+(?:\.\d+)?|\"[^\"]*\"|[A-Za-z]|\S"
)


def _strip(s: str) -> str:
    """Remove one layer of grouping brackets, as AsciiMath does for script and fraction arguments."""
    if s.startswith("\\left(") and s.endswith("\\right)"):
        return s[6:-7]
    return s


class _Parser:
    def __init__(self, text: str):
        self.toks = _TOKEN.findall(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self) -> str:
        self.i += 1
        return self.toks[self.i - 1]

    def simple(self) -> str:
        t = self.peek()
        if t is None:
            return ""
        if t in CLOSE:
            return ""
        self.next()
        if t in OPEN:
            body = self.expr(closing=True)
            close = self.next() if self.peek() in CLOSE else ""
            o, c = OPEN[t], CLOSE.get(close, "")
            return f"\\left{o or '.'}{body}\\right{c or '.'}" if (o or c) else body
        if t in UNARY:
            arg = _strip(self.simple())
            cmd = UNARY[t]
            if cmd == "abs":
                return f"\\left|{arg}\\right|"
            if cmd in ("floor", "ceil"):
                return f"\\l{cmd}{arg}\\r{cmd}"
            return f"{cmd}{{{arg}}}"
        if t in BINARY:
            a, b = _strip(self.simple()), _strip(self.simple())
            if BINARY[t] == "root":
                return f"\\sqrt[{a}]{{{b}}}"
            return f"{BINARY[t]}{{{a}}}{{{b}}}"
        if t.startswith('"'):
            return f"\\text{{{t[1:-1]}}}"
        return CONSTANTS.get(t, t)

    def intermediate(self) -> str:
        s = self.simple()
        for op in ("_", "^"):
            if self.peek() == op:
                self.next()
                s += f"{op}{{{_strip(self.simple())}}}"
        return s

    def expr(self, closing: bool = False) -> str:
        out: list[str] = []
        while self.peek() is not None and not (closing and self.peek() in CLOSE):
            if self.peek() in CLOSE:  # stray closer at top level
                out.append(CLOSE[self.next()])
                continue
            a = self.intermediate()
            if self.peek() == "/":
                self.next()
                b = self.intermediate()
                a = f"\\frac{{{_strip(a)}}}{{{_strip(b)}}}"
            out.append(a)
        return " ".join(x for x in out if x)


def asciimath_to_latex(text: str) -> str:
    """Convert an AsciiMath expression to LaTeX (best effort; never raises)."""
    try:
        return _Parser(text[:2000]).expr()
    except (IndexError, RecursionError):
        return text
