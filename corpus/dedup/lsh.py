"""Locality-sensitive hashing over MinHash signatures: band keys, on-disk partitions, candidate pairs.

A signature of ``bands * rows`` values is cut into `bands` bands of `rows` values; two documents are
candidates when any band agrees exactly, which happens with probability ``1 - (1 - s^rows)^bands`` for
Jaccard similarity s (`detection_probability`). Each band is reduced to one 64-bit key (band index
mixed in, so equal values in different bands never meet). Keys are spread over `num_partitions`
partitions by their value: every shard writes one small Parquet file per partition, and one reduce task
per partition sorts its keys and emits the pairs, so no process ever holds more than one partition's
keys. Buckets become *star* edges (every member to the bucket's smallest ref), linear in the bucket
size, never quadratic; union-find later makes the closure.
"""

from __future__ import annotations

import numpy as np

from corpus.dedup.shingles import splitmix64

_U64 = np.uint64
_BAND_MULTS = np.random.Generator(np.random.PCG64(77)).integers(0, 2**63, size=512, dtype=np.uint64) * _U64(
    2
) + _U64(1)


def detection_probability(s: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """Probability that two documents of Jaccard similarity `s` share at least one band."""
    return 1.0 - (1.0 - np.asarray(s, dtype=float) ** rows) ** bands


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(docs, bands) uint64 keys: a mixed linear combination of each band's values and its index."""
    n_docs, k = signatures.shape
    if bands * rows > k:
        raise ValueError(f"bands*rows = {bands * rows} exceeds the signature length {k}")
    if rows > len(_BAND_MULTS):
        raise ValueError(f"rows must be <= {len(_BAND_MULTS)}")
    sig = signatures[:, : bands * rows].reshape(n_docs, bands, rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        acc = (np.arange(bands, dtype=np.uint64) + _U64(1)) * _U64(0xD6E8FEB86659FD93)
        acc = np.broadcast_to(acc, (n_docs, bands)).copy()
        for j in range(rows):
            acc += sig[:, :, j] * _BAND_MULTS[j]
    return splitmix64(acc)


def partition_of(keys: np.ndarray, num_partitions: int) -> np.ndarray:
    """Partition of each (well mixed) 64-bit key."""
    return (np.asarray(keys, dtype=np.uint64) % _U64(num_partitions)).astype(np.int64)


def star_pairs(key_columns: list[np.ndarray], refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges (first, member) of every group of equal keys with two or more members; `first` is the
    smallest ref of the group. `key_columns` together form the key (e.g. the two halves of a 128-bit hash)."""
    refs = np.asarray(refs, dtype=np.uint64)
    if refs.size < 2:
        return np.empty(0, np.uint64), np.empty(0, np.uint64)
    order = np.lexsort([refs, *reversed([np.asarray(c) for c in key_columns])])
    sorted_keys = [np.asarray(c)[order] for c in key_columns]
    r = refs[order]
    same_as_prev = np.ones(r.size, dtype=bool)
    same_as_prev[0] = False
    for c in sorted_keys:
        same_as_prev[1:] &= c[1:] == c[:-1]
    group_start = np.maximum.accumulate(np.where(same_as_prev, 0, np.arange(r.size)))
    members = np.flatnonzero(same_as_prev)
    return r[group_start[members]], r[members]
