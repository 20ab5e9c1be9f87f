"""Word n-gram shingles, hashed to 64-bit integers for a whole batch of texts at once.

Shingling in Python (split, join n words, hash each string) costs more than the MinHash itself once
hashing is vectorised, so the batch path never touches a single shingle from Python:

1. Arrow (C++) normalises and splits every text of the batch into words (`normalize.words_arrow`);
2. Arrow dictionary-encodes the words, so each *distinct* word of the batch is hashed once (xxh3);
3. numpy combines the hashes of n consecutive words into the shingle hash
   ``mix(sum_k h[i+k] * M_k)`` (odd random multipliers ``M_k`` mod 2^64, then the splitmix64
   finaliser), for every position of every document in one vector expression.

A document with fewer than n words (but at least one) has one shingle: all its words, as in the
reference `shingle_set`. Empty documents have no shingles.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from corpus.dedup.normalize import normalize_for_shingles, words_arrow

_U64 = np.uint64
# Fixed odd multipliers (from a seeded generator) make shingle hashes identical across runs and machines.
_MULTS = np.random.Generator(np.random.PCG64(20240205)).integers(1, 2**63, size=64, dtype=np.uint64) * _U64(
    2
) + _U64(1)
_PAD = _U64(0x9E3779B97F4A7C15)  # word hash standing for "past the end of a short document"


def splitmix64(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (a bijection on uint64 with full avalanche), vectorised; in place."""
    with np.errstate(over="ignore"):
        z ^= z >> _U64(30)
        z *= _U64(0xBF58476D1CE4E5B9)
        z ^= z >> _U64(27)
        z *= _U64(0x94D049BB133111EB)
        z ^= z >> _U64(31)
    return z


def word_hashes(texts: pa.Array | pa.ChunkedArray | list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(hashes of all words, uint64; per-document word counts, int64) for a batch of texts."""
    lists = words_arrow(texts)
    n_docs = len(lists)
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    counts = np.diff(offsets)
    flat = lists.flatten()
    if len(flat) == 0:
        return np.empty(0, dtype=np.uint64), np.zeros(n_docs, dtype=np.int64)
    nonempty = pc.greater(pc.binary_length(flat), 0)
    if not pc.all(nonempty).as_py():  # a blank text splits into [""]: it has no words
        mask = nonempty.to_numpy(zero_copy_only=False)
        doc_of = np.repeat(np.arange(n_docs), counts)
        counts = np.bincount(doc_of[mask], minlength=n_docs).astype(np.int64)
        flat = flat.filter(nonempty)
    enc = pc.dictionary_encode(flat)
    uniq = enc.dictionary.cast(pa.binary()).to_pylist()  # xxhash wants bytes
    uh = np.fromiter(map(xxhash.xxh3_64_intdigest, uniq), dtype=np.uint64, count=len(uniq))
    return uh[enc.indices.to_numpy(zero_copy_only=False)], counts


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
