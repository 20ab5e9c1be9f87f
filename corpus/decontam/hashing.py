"""64-bit hashes of token n-grams, computed for a whole page at once with numpy.

Each token is hashed with xxh3-64 (deterministic across processes and machines, unlike Python's
`hash`), then every window of n consecutive token hashes is combined as a polynomial mod 2**64 in
n vectorised passes (a rolling hash, without a Python loop over positions) and finished with the
splitmix64 mixer so all 64 bits are well spread. With a few million benchmark grams, the chance
that an unrelated page gram collides with one is about 1e-13 per gram, far below one page in a
trillion-token corpus.
"""

from __future__ import annotations

import numpy as np
import xxhash

_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier (golden ratio constant)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_h = xxhash.xxh3_64_intdigest


def token_hashes(tokens: list[bytes]) -> np.ndarray:
    """xxh3-64 of each token (UTF-8 bytes, as `gram_tokens` gives them), as a uint64 array."""
    return np.fromiter(map(_h, tokens), dtype=np.uint64, count=len(tokens))


def ngram_hashes(th: np.ndarray, n: int) -> np.ndarray:
    """Hash of every window of `n` consecutive token hashes: len(th) - n + 1 values (0 if shorter)."""
    m = len(th) - n + 1
    if m <= 0:
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        acc = th[:m].copy()
        for j in range(1, n):
            acc *= _BASE
            acc += th[j : j + m]
        # splitmix64 finaliser
        acc ^= acc >> _S30
        acc *= _M1
        acc ^= acc >> _S27
        acc *= _M2
        acc ^= acc >> _S31
    return acc
