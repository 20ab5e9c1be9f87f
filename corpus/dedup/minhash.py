"""MinHash signatures for a batch of documents, vectorised with numpy. Two methods, same interface:

``oph`` (default): one-permutation hashing (Li, Owen & Zhang, NeurIPS 2012) with optimal
densification (Shrivastava, ICML 2017). Each shingle hash is split into a bin (its top 32 bits scaled
to K bins) and a value (its low 32 bits); a document's signature holds the smallest value per bin,
computed for the whole batch with one ``np.minimum.at``. A bin left empty (short documents) copies
the value of the first non-empty bin on a probe sequence that depends only on the bin and the seed,
so two documents borrow alike and P[sig_a[j] == sig_b[j]] stays their Jaccard similarity. Cost: O(1)
per shingle instead of O(K), which is what makes signatures cheap next to shingling.

``kperm``: classic K-hash MinHash. Each of the K hash functions is a multiply-add-shift hash ``h_i(x) = ((a_i * x + b_i) mod 2^64) >> 32``
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

from corpus.dedup import shingles
from corpus.dedup.shingles import as_utf8, shingle_hashes, splitmix64, text_slices

EMPTY = np.uint32(0xFFFFFFFF)  # signature value of a document with no shingles


class MinHasher:
    """K seeded hash functions; `signatures` maps a batch of shingle hashes to a (docs, K) uint32 array."""

    def __init__(self, num_perm: int = 120, seed: int = 1, chunk: int = 8192, method: str = "oph"):
        if num_perm < 1:
            raise ValueError("num_perm must be >= 1")
        if method not in ("oph", "kperm"):
            raise ValueError(f"unknown MinHash method {method!r}: choose oph or kperm")
        self.method = method
        self.seed = seed
        rng = np.random.Generator(np.random.PCG64(seed))
        self.num_perm = num_perm
        self.a = (rng.integers(0, 2**63, size=num_perm, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
        self.b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64) << np.uint64(1)
        self.chunk = chunk
        self._buf = np.empty((num_perm, chunk), dtype=np.uint64) if method == "kperm" else None
        self._probes = np.empty((0, num_perm), dtype=np.int64)

    def signatures(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Signatures of documents whose shingle hashes are ``hashes[offsets[d]:offsets[d+1]]``."""
        if self.method == "oph":
            return self._oph(hashes, offsets)
        return self._kperm(hashes, offsets)

    def _probe(self, t: int) -> np.ndarray:
        """Bin probed by each bin at densification attempt t (seeded, the same for every document)."""
        if t >= len(self._probes):
            n = max(2 * len(self._probes), t + 1, 64)
            with np.errstate(over="ignore"):
                ids = np.arange(n * self.num_perm, dtype=np.uint64) + np.uint64(self.seed) * np.uint64(
                    0x9E3779B97F4A7C15
                )
            probes = (splitmix64(ids) % np.uint64(self.num_perm)).astype(np.int64).reshape(n, self.num_perm)
            self._probes = probes
        return self._probes[t]

    def _oph(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        k = self.num_perm
        n_docs = len(offsets) - 1
        h = np.asarray(hashes, dtype=np.uint64)
        counts = np.diff(offsets)
        doc = np.repeat(np.arange(n_docs, dtype=np.int64), counts)
        bins = (((h >> np.uint64(32)) * np.uint64(k)) >> np.uint64(32)).astype(np.int64)
        out = np.full(n_docs * k, EMPTY, dtype=np.uint32)
        np.minimum.at(out, doc * k + bins, (h & np.uint64(0xFFFFFFFF)).astype(np.uint32))
        out = out.reshape(n_docs, k)
        # Optimal densification; the sentinel never occurs as a value since EMPTY marks "no shingle".
        filled = out != EMPTY
        need = np.flatnonzero((~filled).any(axis=1) & (counts > 0))
        if need.size:
            orig, orig_filled = out[need], filled[need]
            rows, cols = np.nonzero(~orig_filled)  # the empty (document, bin) pairs still to fill
            pending = np.arange(rows.size)
            t = 0
            while pending.size:  # few rounds for most; ~K ln K for a one-shingle document, on few pairs
                r, c = rows[pending], self._probe(t)[cols[pending]]
                hit = orig_filled[r, c]
                orig[r[hit], cols[pending[hit]]] = orig[r[hit], c[hit]]
                pending = pending[~hit]
                t += 1
            out[need] = orig
        return out

    def _kperm(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
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

    def sketch(self, texts: pa.Array | list[str | None], ngram: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """End to end: texts in, (signatures, shingle count per text) out, normalisation and shingling
        included. Runs in slices of about `shingles.MAX_CHARS` bytes of text, so the word pass, the
        n-grams and the signatures of one slice all stay in cache (~10% faster than whole batches)."""
        arr = as_utf8(texts)
        sigs, counts = [], []
        for lo, hi in text_slices(arr, shingles.MAX_CHARS):
            hashes, offsets = shingle_hashes(arr.slice(lo, hi - lo), ngram)
            sigs.append(self.signatures(hashes, offsets))
            counts.append(np.diff(offsets))
        if not sigs:
            return np.empty((0, self.num_perm), dtype=np.uint32), np.zeros(0, dtype=np.int64)
        return np.concatenate(sigs), np.concatenate(counts)

    def text_signatures(self, texts: pa.Array | list[str | None], ngram: int = 5) -> np.ndarray:
        """End to end: texts in, signatures out (normalisation and shingling included)."""
        return self.sketch(texts, ngram)[0]


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray | float:
    """Fraction of agreeing signature values: the MinHash estimate of Jaccard similarity (row-wise)."""
    eq = np.asarray(sig_a) == np.asarray(sig_b)
    return eq.mean(axis=-1)
