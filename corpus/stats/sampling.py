"""A deterministic reservoir: the k documents with the smallest id hash in each bucket.

Bottom-k by a hash is a uniform random sample that does not depend on shard layout, batch size,
worker count or order, and two per-shard samples merge exactly (keep the k smallest of both). It is
what a reviewer needs: the same few documents every time the report is rebuilt.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SNIPPET_CHARS = 400
NO_HASH = np.iinfo(np.uint64).max


class BottomK:
    """Per bucket, the k entries with the smallest `key` (a uint64 hash)."""

    def __init__(self, k: int):
        self.k = k
        self.buckets: dict[str, list[dict[str, Any]]] = {}

    def threshold(self, bucket: str) -> int:
        """Entries with key >= this cannot enter `bucket` (max uint64 while it is not full)."""
        items = self.buckets.get(bucket)
        if items is None or len(items) < self.k:
            return int(NO_HASH)
        return items[-1]["key"]

    def thresholds(self, buckets: list[str]) -> np.ndarray:
        return np.array([self.threshold(b) for b in buckets], dtype=np.uint64)

    def offer(self, bucket: str, item: dict[str, Any]) -> None:
        items = self.buckets.setdefault(bucket, [])
        if len(items) >= self.k and item["key"] >= items[-1]["key"]:
            return
        if any(it["key"] == item["key"] and it["id"] == item["id"] for it in items):
            return  # the same document offered twice (a merge of overlapping inputs)
        items.append(item)
        items.sort(key=lambda it: (it["key"], it["id"]))
        del items[self.k :]

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        # keys as strings: JSON numbers lose precision beyond 2^53
        return {
            b: [{**it, "key": str(it["key"])} for it in items] for b, items in sorted(self.buckets.items())
        }

    @classmethod
    def from_json(cls, k: int, data: dict[str, list[dict[str, Any]]]) -> BottomK:
        out = cls(k)
        for b, items in data.items():
            for it in items:
                out.offer(b, {**it, "key": int(it["key"])})
        return out


def merge_samples(k: int, parts: list[dict[str, dict[str, list[dict[str, Any]]]]]) -> dict[str, Any]:
    """Merge per-shard samples {kind: {bucket: [items]}} into the global bottom-k per bucket."""
    kinds: dict[str, BottomK] = {}
    for part in parts:
        for kind, buckets in (part or {}).items():
            acc = kinds.setdefault(kind, BottomK(k))
            for b, items in buckets.items():
                for it in items:
                    acc.offer(b, {**it, "key": int(it["key"])})
    return {kind: acc.to_json() for kind, acc in sorted(kinds.items())}
