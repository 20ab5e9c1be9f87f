"""128-bit keys for exact dedup (normalised text) and URL dedup (normalised URL).

128 bits because at Common Crawl scale (billions of documents) a 64-bit hash would be expected to
collide somewhere (birthday bound ~ n^2 / 2^65); each key is kept as two uint64 columns, which Arrow
and numpy sort and compare natively.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import xxhash

from corpus.dedup.normalize import normalize_for_exact
from corpus.dedup.urls import normalize_url

_MASK = (1 << 64) - 1


def key128(values: list[bytes | str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hi, lo, present) of xxh3-128 of each value; `present` is False where the value is None."""
    n = len(values)
    hi = np.zeros(n, dtype=np.uint64)
    lo = np.zeros(n, dtype=np.uint64)
    present = np.zeros(n, dtype=bool)
    for i, v in enumerate(values):
        if v is None:
            continue
        h = xxhash.xxh3_128_intdigest(v.encode() if isinstance(v, str) else v)
        hi[i], lo[i], present[i] = h >> 64, h & _MASK, True
    return hi, lo, present


def text_keys(texts: pa.Array | list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(hi, lo) key of each text after exact normalisation (NFKC, whitespace collapsed)."""
    values = texts.to_pylist() if isinstance(texts, (pa.Array, pa.ChunkedArray)) else texts
    hi, lo, _ = key128([normalize_for_exact(t) for t in values])
    return hi, lo


def url_keys(urls: list[str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hi, lo, valid) key of each URL after `normalize_url`; invalid or missing URLs are not valid."""
    return key128([normalize_url(u) for u in urls])
