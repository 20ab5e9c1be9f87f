"""Word n-gram shingles, hashed to 64-bit integers for a whole batch of texts at once.

Shingling in Python (split, join n words, hash each string) costs more than the MinHash itself once
hashing is vectorised, so the batch path never touches a single shingle from Python:

1. NFKC (CPython, non-ASCII texts only), then numpy decodes the batch's UTF-8 buffer to code points
   and maps them through `normalize.char_table` (lower case or separator) in one gather;
2. every word gets a polynomial hash of its code points (one `np.add.reduceat` over the batch);
3. numpy combines the hashes of n consecutive words into the shingle hash
   ``mix(sum_k h[i+k] * M_k)`` (odd random multipliers ``M_k`` mod 2^64, then the splitmix64
   finaliser), for every position of every document in one vector expression.

A document with fewer than n words (but at least one) has one shingle: all its words, as in the
reference `shingle_set`. Empty documents have no shingles.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from corpus.dedup.normalize import char_table, nfkc_arrow, normalize_for_shingles

_U64 = np.uint64
# Fixed odd multipliers (from a seeded generator) make shingle hashes identical across runs and machines.
_MULTS = np.random.Generator(np.random.PCG64(20240205)).integers(1, 2**63, size=64, dtype=np.uint64) * _U64(
    2
) + _U64(1)
_PAD = _U64(0x9E3779B97F4A7C15)  # word hash standing for "past the end of a short document"
_WORD_BASE = _U64(0x100000001B3)  # odd base of the per-word polynomial hash (the FNV-64 prime)


def splitmix64(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (a bijection on uint64 with full avalanche), vectorised; in place."""
    with np.errstate(over="ignore"):
        z ^= z >> _U64(30)
        z *= _U64(0xBF58476D1CE4E5B9)
        z ^= z >> _U64(27)
        z *= _U64(0x94D049BB133111EB)
        z ^= z >> _U64(31)
    return z


def _codepoints(arr: pa.StringArray) -> tuple[np.ndarray, np.ndarray]:
    """(code points of all texts, concatenated; offsets of each text in that array), from the Arrow
    UTF-8 buffer without building Python strings (vectorised UTF-8 decoding)."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data_buf = arr.buffers()[2]
    if data_buf is None or offsets[-1] == offsets[0]:
        return np.empty(0, np.uint32), np.zeros(len(arr) + 1, np.int64)
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
    offsets = offsets.astype(np.int64) - offsets[0]
    multi = np.flatnonzero(data >= 0xC0)  # lead bytes of multi-byte characters (few, even in non-English)
    if multi.size == 0:
        return data.astype(np.uint32), offsets
    lead = np.flatnonzero((data & 0xC0) != 0x80)  # first byte of every character
    cp = data[lead].astype(np.uint32)
    padded = np.concatenate([data, np.zeros(3, np.uint8)])
    b0 = padded[multi].astype(np.uint32)
    b1, b2, b3 = ((padded[multi + k] & 0x3F).astype(np.uint32) for k in (1, 2, 3))
    two = ((b0 & 0x1F) << 6) | b1
    three = ((b0 & 0x0F) << 12) | (b1 << 6) | b2
    four = ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3
    cp[np.searchsorted(lead, multi)] = np.where(b0 < 0xE0, two, np.where(b0 < 0xF0, three, four))
    return cp, np.searchsorted(lead, offsets)


# Characters per numpy pass: the word pass needs ~50 bytes per character, so this bounds it to ~50 MB.
MAX_CHARS = 1 << 20


def _slices(arr: pa.StringArray, budget: int) -> list[tuple[int, int]]:
    """Consecutive [lo, hi) ranges of `arr` with at most `budget` bytes each (or one long text)."""
    off = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1].astype(
        np.int64
    )
    out, lo = [], 0
    while lo < len(arr):
        hi = int(np.searchsorted(off, off[lo] + budget, side="right")) - 1
        hi = max(hi, lo + 1)
        out.append((lo, hi))
        lo = hi
    return out


def word_hashes(texts: pa.Array | pa.ChunkedArray | list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit hash of every word of every text, uint64; word count per text, int64).

    Words are the runs of alphanumeric characters after `normalize_for_shingles`; each is hashed as a
    polynomial in its lower-cased code points (mod 2^64), finalised by splitmix64 with its length.
    Large batches are cut into slices of about `MAX_CHARS` so memory stays flat."""
    arr = nfkc_arrow(texts)
    parts = _slices(arr, MAX_CHARS)
    if len(parts) > 1:
        res = [_word_hashes(arr.slice(lo, hi - lo)) for lo, hi in parts]
        return np.concatenate([h for h, _ in res]), np.concatenate([c for _, c in res])
    return _word_hashes(arr)


def _word_hashes(arr: pa.StringArray) -> tuple[np.ndarray, np.ndarray]:
    n_docs = len(arr)
    cp, doc_off = _codepoints(arr)
    if cp.size == 0:
        return np.empty(0, np.uint64), np.zeros(n_docs, np.int64)
    m = char_table()[cp]
    is_w = m != 0
    prev_w = np.empty_like(is_w)
    prev_w[0] = False
    prev_w[1:] = is_w[:-1]
    inner = doc_off[1:-1]
    prev_w[inner[inner < cp.size]] = False  # a word never runs across two documents
    start = is_w & ~prev_w
    chars = np.flatnonzero(is_w)
    wid = np.cumsum(start)[chars] - 1  # word number of each word character
    word_len = np.bincount(wid)
    first = np.cumsum(word_len) - word_len  # index in `chars` of each word's first character
    pos = np.arange(chars.size) - first[wid]
    with np.errstate(over="ignore"):
        powers = np.cumprod(np.full(int(word_len.max()), _WORD_BASE, dtype=np.uint64))
        h = np.add.reduceat(m[chars].astype(np.uint64) * powers[pos], first)
        h ^= word_len.astype(np.uint64) * _U64(0xC2B2AE3D27D4EB4F)
    counts = np.bincount(np.searchsorted(doc_off, np.flatnonzero(start), side="right") - 1, minlength=n_docs)
    return splitmix64(h), counts.astype(np.int64)


def shingle_hashes(
    texts: pa.Array | pa.ChunkedArray | list[str | None], n: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the word n-grams of each text of a batch: (hashes uint64, offsets int64 of length
    len(texts)+1); document d's shingles are ``hashes[offsets[d]:offsets[d+1]]`` (repeats kept: MinHash
    does not care, and dropping them would cost a sort)."""
    if not 1 <= n <= len(_MULTS):
        raise ValueError(f"n-gram size must be in 1..{len(_MULTS)}, got {n}")
    words, counts = word_hashes(texts)
    n_docs = len(counts)
    # Lay the words out with n-1 pad slots after each document so every window stays inside one doc.
    slot = counts + (n - 1)
    doc_start = np.zeros(n_docs, dtype=np.int64)
    np.cumsum(slot[:-1], out=doc_start[1:])
    padded = np.full(int(slot.sum()), _PAD, dtype=np.uint64)
    word_doc_start = np.cumsum(counts) - counts
    padded[np.arange(words.size) + np.repeat(doc_start - word_doc_start, counts)] = words
    n_windows = padded.size - n + 1
    with np.errstate(over="ignore"):
        acc = padded[:n_windows] * _MULTS[0]
        for k in range(1, n):
            acc += padded[k : k + n_windows] * _MULTS[k]
    n_sh = np.where(counts > 0, np.maximum(counts - n + 1, 1), 0)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(n_sh, out=offsets[1:])
    pos = np.arange(offsets[-1]) + np.repeat(doc_start - offsets[:-1], n_sh)
    return splitmix64(acc[pos]), offsets


def shingle_set(text: str, n: int = 5) -> set[tuple[str, ...]]:
    """Reference shingles of one text as a set of word tuples (exact Jaccard, tests, anchors)."""
    words = normalize_for_shingles(text or "").split()
    if not words:
        return set()
    if len(words) < n:
        return {tuple(words)}
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def shingle_strings(text: str, n: int = 5) -> list[str]:
    """Reference shingles of one text as strings (what datasketch and rensa are fed)."""
    words = normalize_for_shingles(text or "").split()
    if not words:
        return []
    if len(words) < n:
        return [" ".join(words)]
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def jaccard(a: set, b: set) -> float:
    """Exact Jaccard similarity of two sets (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
