"""Text normalisation for deduplication, in two strengths.

- *shingle* normalisation (near-dup): Unicode NFKC, then each character lower-cased on its own, then
  every run of characters that are not alphanumeric (``str.isalnum``) becomes one space. Digits are
  kept on purpose: math pages that differ only in their numbers are different exercises. Operators
  vanish, so "x+1" and "x-1" share shingles; near-dup tolerates that, exact dedup does not (below).
  Per-character lower-casing (no final-sigma rule, 'İ' -> 'i') keeps one character one character, which
  is what lets the batch path in `shingles` work on code points with a lookup table.
- *exact* normalisation: NFKC, whitespace runs collapsed, ends trimmed; case and punctuation kept, so
  only copies that differ in layout count as exact duplicates.

`normalize_for_shingles` is the per-string reference (used by tests and fed to the anchors in the
benchmark); `char_table` is the same rule as a code point table for the vectorised path.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Python's \W in str patterns is "not str.isalnum() and not '_'", so [\W_] is exactly "not alnum".
_NON_ALNUM = re.compile(r"[\W_]+")
# Code points past the last assigned ideographs (CJK Ext. H ends at U+323AF) are private-use, tags or
# unassigned: none is alphanumeric, so the table stops there and everything above is a separator.
_TABLE_END = 0x32400


def _lower_char(ch: str) -> str:
    if ch == "İ":  # the only character whose lower case is two characters
        return "i"
    low = ch.lower()
    return "σ" if low == "ς" else low


def normalize_for_shingles(text: str) -> str:
    """Reference (per string) shingle normalisation: NFKC, per-character lower case, runs of
    non-alphanumeric characters -> ' ', trimmed."""
    t = unicodedata.normalize("NFKC", text or "").replace("İ", "i").lower().replace("ς", "σ")
    return _NON_ALNUM.sub(" ", t).strip()


@lru_cache(maxsize=1)
def char_table() -> np.ndarray:
    """uint32 table: code point -> its lower-case code point if alphanumeric, else 0 (separator)."""
    table = np.zeros(0x110000, dtype=np.uint32)
    for c in range(_TABLE_END):
        if 0xD800 <= c < 0xE000:
            continue
        low = _lower_char(chr(c))
        if len(low) == 1 and low.isalnum():
            table[c] = ord(low)
    return table


def nfkc_arrow(texts: pa.Array | pa.ChunkedArray | list[str | None]) -> pa.StringArray:
    """NFKC of a batch (nulls -> ''). Arrow's utf8proc NFKC costs ~50 ns/byte on non-ASCII text and
    CPython's ~7, and ASCII text is already NFKC, so only non-ASCII texts go through Python."""
    arr = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else pa.array(texts, type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    arr = arr.fill_null("")
    non_ascii = pc.invert(pc.string_is_ascii(arr))
    if not pc.any(non_ascii).as_py():
        return arr
    fixed = [unicodedata.normalize("NFKC", t) for t in arr.filter(non_ascii).to_pylist()]
    return pc.replace_with_mask(arr, non_ascii, pa.array(fixed, type=pa.string()))


def normalize_for_exact(text: str | None) -> str:
    """Exact-dedup normalisation: NFKC, whitespace (any Unicode space) collapsed, ends trimmed."""
    t = text or ""
    if not t.isascii():
        t = unicodedata.normalize("NFKC", t)
    return " ".join(t.split())
