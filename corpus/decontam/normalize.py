r"""Text normalisation and tokenisation shared by the benchmark index and the page scan.

Both sides of a comparison go through exactly the same steps, so a benchmark question copied onto a
web page with other case, spacing, punctuation, line breaks or LaTeX spacing still gives the same
gram sequence. The steps, in order (each is documented in docs/decontamination.md):

1. superscript/subscript digits become separate digits (`x²` -> `x 2`, as `x^2` and `x^{2}` give);
   NFKC alone would glue them to the letter (`x2`).
2. Unicode NFKC: full-width forms, ligatures, `ℝ` -> `R`, compatibility digits.
3. LaTeX presentation that carries no content is removed: spacing commands (`\quad`, `\qquad`,
   `\hspace{..}`, `\,` `\;` `\!` fall out with punctuation anyway), sizing (`\left`, `\right`,
   `\big`...), style wrappers whose argument stays (`\text{cm}` -> `cm`, `\mathrm`, `\mathbf`,
   `\mathbb`, `\boxed`, `\displaystyle`...); synonyms are unified (`\dfrac`/`\tfrac` -> `\frac`,
   `\leq` -> `\le`, `\geq` -> `\ge`, `\neq` -> `\ne`); `\frac12` -> `\frac{1}{2}`; every other
   command name becomes a token of its own (`\sqrt2` -> `sqrt 2`).
4. thousands separators inside numbers are dropped (`1,000` -> `1000`).
5. casefold (done right after NFKC, so the LaTeX passes see lower case).
6. tokenisation: punctuation, symbols, braces and all whitespace (line breaks included) only
   separate tokens. The gram unit decides what a token is:
   - `auto` (default): a CJK character is one token, any other run of letters/digits one token:
     words for English, characters for Chinese, mixed text handled per character class;
   - `word`: every run of letters/digits (a CJK run is one token: only for space-separated text);
   - `char`: every letter or digit is a token.
"""

from __future__ import annotations

import re
import unicodedata

NORMALIZE_VERSION = 1  # bump when a step changes: persisted indexes record it and are rebuilt
GRAM_UNITS = ("auto", "word", "char")

# CJK ideographs (basic, ext. A, compatibility), kana and hangul: one token per character in `auto`.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN_RE = {
    "auto": re.compile(rf"(?=[^\W_])[{_CJK}]|[^\W_{_CJK}]+"),  # CJK letters only, not marks like ・
    "word": re.compile(r"[^\W_]+"),
    "char": re.compile(r"[^\W_]"),
}

_SUPER_SUB = {c: f" {d}" for c, d in zip("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "0123456789" * 2)}
_SUPER_SUB_RE = re.compile("[" + "".join(_SUPER_SUB) + "]")

_SPACING = re.compile(
    r"\\(?:q?quad|enspace|thinspace|medspace|thickspace|negthinspace|negmedspace|negthickspace)(?![A-Za-z])"
    r"|\\[hv]space\*?\{[^{}\n]*\}"
)
_WRAPPERS = [
    "text",
    "textrm",
    "textbf",
    "textit",
    "textsf",
    "texttt",
    "textnormal",
    "mathrm",
    "mathbf",
    "mathit",
    "mathsf",
    "mathtt",
    "mathbb",
    "mathcal",
    "mathscr",
    "mathfrak",
    "mathnormal",
    "boldsymbol",
    "bm",
    "mbox",
    "operatorname",
    "boxed",
    "fbox",
    "displaystyle",
    "textstyle",
    "scriptstyle",
    "left",
    "right",
    "middle",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "biggl",
    "biggr",
    "Biggl",
    "Biggr",
]
_WRAPPER_RE = re.compile(
    r"\\(?:" + "|".join(sorted({w.lower() for w in _WRAPPERS}, key=len, reverse=True)) + r")(?![a-z])\*?"
)
_SYNONYMS = {
    "dfrac": "frac",
    "tfrac": "frac",
    "leq": "le",
    "geq": "ge",
    "neq": "ne",
    "leqslant": "le",
    "geqslant": "ge",
    "to": "rightarrow",
}
_SYNONYM_RE = re.compile(r"\\(" + "|".join(sorted(_SYNONYMS, key=len, reverse=True)) + r")(?![A-Za-z])")
_FRAC_DIGITS = re.compile(r"\\frac[ \t]*(\d)(\d)")
# a command name is already cut from what precedes it by its backslash; only a digit glued after it
# (`\sqrt2`) needs a space (a replacement at every command cost 30% of normalising a LaTeX page)
_COMMAND_DIGIT = re.compile(r"(\\[a-z]+)(?=\d)")
# starts with the literal "," so the regex engine jumps between commas (a look-behind for the digit
# before it would be tried at every position: 50x slower); the digit is checked in normalize()
_THOUSANDS = re.compile(r",(?=\d{3}(?!\d))")


def normalize(text: str) -> str:
    """Steps 1-5 above. Line breaks are kept (only tokenisation drops them), so line numbers of the
    result match those of `text`: segment-scope removal relies on it."""
    # casefold before the LaTeX passes: text copied with its case changed ("\\Frac", "\\MATHRM") still
    # normalises; TeX's own case distinctions (\\Delta vs \\delta) are lost either way.
    if not text.isascii():  # ASCII is already NFKC; most pages skip both passes
        if _SUPER_SUB_RE.search(text):
            text = _SUPER_SUB_RE.sub(lambda m: _SUPER_SUB[m.group()], text)
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    if "\\" in text:  # most web text has no LaTeX: skip the LaTeX passes
        text = _SPACING.sub(" ", text)
        text = _WRAPPER_RE.sub(" ", text)
        text = _SYNONYM_RE.sub(lambda m: "\\" + _SYNONYMS[m.group(1)], text)
        text = _FRAC_DIGITS.sub(r"\\frac{\1}{\2}", text)
        text = _COMMAND_DIGIT.sub(r"\1 ", text)
    if "," in text:
        text = _THOUSANDS.sub(lambda m: "" if m.start() and text[m.start() - 1].isdigit() else ",", text)
    return text


# Fast tokeniser: the same tokens as _TOKEN_RE, made by C-level passes instead of a Python-visible
# regex match per token (3x faster on real pages). Non-ASCII non-word characters become spaces and,
# in `auto`, CJK characters get spaces around them; then one bytes.translate maps every ASCII
# character that is not [0-9a-z] to a space (bytes >= 128, i.e. the UTF-8 of the remaining non-ASCII
# letters, are kept) and bytes.split() cuts. Tokens stay UTF-8 bytes, which is what the hash needs.
_NONASCII_SEP = re.compile(r"[^\x00-\x7f\w]")
_CJK_RE = re.compile(f"[{_CJK}]")
_BYTE_TABLE = bytes(
    c if (48 <= c <= 57 or 97 <= c <= 122 or c >= 128) else (c + 32 if 65 <= c <= 90 else 32)
    for c in range(256)
)


def gram_tokens(norm: str, unit: str = "auto") -> list[bytes]:
    """Tokens (UTF-8 bytes) of already normalised text; equal to `token_regex(unit).findall(norm)`."""
    if unit == "char":
        return [t.encode() for t in _TOKEN_RE["char"].findall(norm)]
    if not norm.isascii():
        norm = _NONASCII_SEP.sub(" ", norm)
        if unit == "auto" and _CJK_RE.search(norm):  # CJK text: one token per character anyway
            return [t.encode() for t in _TOKEN_RE["auto"].findall(norm)]
    return norm.encode().translate(_BYTE_TABLE).split()


def tokenize(text: str, unit: str = "auto") -> list[str]:
    """Tokens of `text` (normalised first) in the gram unit `unit`."""
    return [t.decode() for t in gram_tokens(normalize(text), check_unit(unit))]


def tokenize_lines(text: str, unit: str = "auto") -> tuple[list[bytes], list[int]]:
    """Tokens of `text` (as gram_tokens) and, for each, the index of its line in `text.split("\\n")`."""
    check_unit(unit)
    norm = normalize(text)
    # normalisation keeps line breaks; should a line count ever differ, normalise line by line
    lines = (
        norm.split("\n") if norm.count("\n") == text.count("\n") else [normalize(x) for x in text.split("\n")]
    )
    tokens: list[bytes] = []
    line_of: list[int] = []
    for i, line in enumerate(lines):
        t = gram_tokens(line, unit)
        tokens += t
        line_of += [i] * len(t)
    return tokens, line_of


def token_regex(unit: str = "auto") -> re.Pattern[str]:
    """The compiled tokeniser of `unit`, to apply to already normalised text."""
    return _TOKEN_RE[check_unit(unit)]


def check_unit(unit: str) -> str:
    if unit not in _TOKEN_RE:
        raise ValueError(f"unknown gram unit {unit!r}; choose one of {', '.join(GRAM_UNITS)}")
    return unit
