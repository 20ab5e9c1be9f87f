"""MinHash signatures for a batch of documents, vectorised over all permutations with numpy.

Each of the K hash functions is a multiply-add-shift hash ``h_i(x) = ((a_i * x + b_i) mod 2^64) >> 32``
on 32-bit keys x (the top half of the 64-bit shingle hash), with random odd a_i and random b_i:
Dietzfelbinger's universal family, the shift-based equivalent of ``(a*x+b) mod p`` without the
modulo (numpy has no 128-bit product). The whole batch is one ``(K, shingles)`` uint64 product per
chunk followed by ``np.minimum.reduceat`` over the document boundaries, so the per-document Python
cost is nil. Chunks bound the temporary to ``K * chunk * 8`` bytes whatever the document sizes.

datasketch and rensa were measured against this in `benchmarks/bench_dedup.py` (same shingles, same
K); see docs/dedup.md for the figures.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from corpus.dedup.shingles import shingle_hashes

EMPTY = np.uint32(0xFFFFFFFF)  # signature value of a document with no shingles


class MinHasher:
    """K seeded hash functions; `signatures` maps a batch of shingle hashes to a (docs, K) uint32 array."""

    def __init__(self, num_perm: int = 112, seed: int = 1, chunk: int = 8192):
        if num_perm < 1:
            raise ValueError("num_perm must be >= 1")
        rng = np.random.Generator(np.random.PCG64(seed))
        self.num_perm = num_perm
        self.a = (rng.integers(0, 2**63, size=num_perm, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
        self.b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64) << np.uint64(1)
        self.chunk = chunk
        self._buf = np.empty((num_perm, chunk), dtype=np.uint64)

    def signatures(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Signatures of documents whose shingle hashes are ``hashes[offsets[d]:offsets[d+1]]``."""
        n_docs = len(offsets) - 1
        out = np.full((n_docs, self.num_perm), EMPTY, dtype=np.uint32)
        keys = (np.asarray(hashes, dtype=np.uint64) >> np.uint64(32)).astype(np.uint64)
        total = int(offsets[-1])
        a, b = self.a[:, None], self.b[:, None]
        for s in range(0, total, self.chunk):
            e = min(s + self.chunk, total)
            buf = self._buf[:, : e - s]
            with np.errstate(over="ignore"):
                np.multiply(a, keys[s:e], out=buf)
                buf += b
            # documents overlapping [s, e): a contiguous range d0..d1-1
            d0 = int(np.searchsorted(offsets, s, side="right")) - 1
            d1 = int(np.searchsorted(offsets, e, side="left"))
            starts = np.clip(offsets[d0:d1], s, e) - s
            ends = np.clip(offsets[d0 + 1 : d1 + 1], s, e) - s
            live = ends > starts  # reduceat misreads empty segments, so skip them
            idx = np.arange(d0, d1)[live]
            # min commutes with the monotone `>> 32`, so shift the (K, docs) minima, not the (K, T) buffer
            mins = (np.minimum.reduceat(buf, starts[live], axis=1) >> np.uint64(32)).astype(np.uint32)
            np.minimum(out[idx], mins.T, out=mins.T)
            out[idx] = mins.T
        return out

    def text_signatures(self, texts: pa.Array | list[str | None], ngram: int = 5) -> np.ndarray:
        """End to end: texts in, signatures out (normalisation and shingling included)."""
        hashes, offsets = shingle_hashes(texts, ngram)
        return self.signatures(hashes, offsets)


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray | float:
    """Fraction of agreeing signature values: the MinHash estimate of Jaccard similarity (row-wise)."""
    eq = np.asarray(sig_a) == np.asarray(sig_b)
    return eq.mean(axis=-1)
