"""Text normalisation for deduplication, in two strengths, each in a vectorised (Arrow) and a
per-string (Python) form that agree on ordinary text.

- *shingle* normalisation (near-dup): Unicode NFKC, lower case, every run of characters that is not
  a letter or a digit becomes one space. Digits are kept on purpose: math pages that differ only in
  their numbers are different exercises. Operators vanish, so "x+1" and "x-1" share shingles; near-dup
  tolerates that, exact dedup does not (below).
- *exact* normalisation: NFKC, whitespace runs collapsed, ends trimmed; case and punctuation kept, so
  only copies that differ in layout count as exact duplicates.

The Arrow forms run in C++ over a whole batch; the Python forms are the reference used by tests and
by the anchors in the benchmark.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex

# RE2 (Arrow) and `regex` (Python) both understand \pL / \pN.
_NON_WORD_RE2 = r"[^\pL\pN]+"
_NON_WORD = regex.compile(r"[^\p{L}\p{N}]+")
_SPACE = regex.compile(r"[\s\p{Z}]+")


def normalize_for_shingles(text: str) -> str:
    """Reference (per string) shingle normalisation: NFKC, lower, non-alphanumeric runs -> ' '."""
    t = unicodedata.normalize("NFKC", text).lower()
    return _NON_WORD.sub(" ", t).strip()


def normalize_for_exact(text: str) -> str:
    """Reference (per string) exact-dedup normalisation: NFKC, whitespace collapsed and trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _as_string_array(texts: pa.Array | pa.ChunkedArray | list[str | None]) -> pa.Array:
    arr = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else pa.array(texts, type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    return arr.fill_null("")


# ASCII fast path: a byte table that lower-cases letters and turns every other ASCII byte that is not
# a letter or digit into a space (what the regex does to ASCII). Bytes >= 0x80 are never touched.
_ASCII_TABLE = np.arange(256, dtype=np.uint8)
_ASCII_TABLE[:128] = ord(" ")
for _c in b"abcdefghijklmnopqrstuvwxyz0123456789":
    _ASCII_TABLE[_c] = _c
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    _ASCII_TABLE[_c] = _c + 32


def _ascii_map(arr: pa.StringArray) -> pa.StringArray:
    """Apply `_ASCII_TABLE` to the whole data buffer of an all-ASCII string array (numpy, one pass)."""
    _, offsets_buf, data_buf = arr.buffers()
    if data_buf is None:
        return arr
    data = _ASCII_TABLE[np.frombuffer(data_buf, dtype=np.uint8)]
    return pa.StringArray.from_buffers(
        len(arr), offsets_buf, pa.py_buffer(data), arr.buffers()[0], arr.null_count, arr.offset
    )


def shingle_normalized_arrow(texts: pa.Array | pa.ChunkedArray | list[str | None]) -> pa.StringArray:
    """`normalize_for_shingles` over a batch. RE2 is the slow part (~15 ns/byte), so texts that are
    pure ASCII after NFKC (most of the web) take a byte-table path instead; the rest take the regex."""
    arr = pc.utf8_normalize(_as_string_array(texts), "NFKC")
    is_ascii = pc.string_is_ascii(arr)
    if pc.all(is_ascii).as_py() is not False:
        return _ascii_map(arr)
    if not pc.any(is_ascii).as_py():
        return pc.replace_substring_regex(pc.utf8_lower(arr), _NON_WORD_RE2, " ")
    idx = np.arange(len(arr))
    mask = is_ascii.to_numpy(zero_copy_only=False)
    fast = _ascii_map(arr.filter(is_ascii))
    slow = pc.replace_substring_regex(pc.utf8_lower(arr.filter(pc.invert(is_ascii))), _NON_WORD_RE2, " ")
    order = np.argsort(np.concatenate([idx[mask], idx[~mask]]), kind="stable")
    return pa.concat_arrays([fast, slow.cast(pa.string())]).take(pa.array(order))


def words_arrow(texts: pa.Array | pa.ChunkedArray | list[str | None]) -> pa.ListArray:
    """Shingle-normalised words of every text as one Arrow list array (one list per text). After
    normalisation only ASCII spaces separate words, so the cheaper ASCII split is exact."""
    return pc.ascii_split_whitespace(shingle_normalized_arrow(texts))


def exact_normalized_arrow(texts: pa.Array | pa.ChunkedArray | list[str | None]) -> pa.Array:
    """Exact-dedup normalisation of a batch (see `normalize_for_exact`)."""
    arr = pc.utf8_normalize(_as_string_array(texts), "NFKC")
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, r"[\s\pZ]+", " "))
