"""Deduplication: URL, exact-text and MinHash-LSH near-duplicate removal at Common Crawl scale.

One idea per module: `urls` (URL keys), `normalize` (text normalisation), `shingles` (word n-gram
hashes), `minhash` (signatures), `lsh` (band hashes, partitions, candidate pairs), `clusters`
(union-find and the keep rule), `exact` (text keys), `stage` (`DedupConfig`, `run_dedup`), `cli`.
"""

from corpus.dedup.stage import DedupConfig, run_dedup

__all__ = ["DedupConfig", "run_dedup"]
