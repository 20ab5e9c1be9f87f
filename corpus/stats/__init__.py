"""Shard statistics and audit reports: `mathmine corpus stats | compare | validate`.

One pass per shard (`profile`, `reasons`) mapped by a `corpus.executors` executor, exact merges of
the per-shard results (`collect`), and renderers for machines (JSON), review (`markdown`) and a
self-contained page with plots (`html`). `compare` diffs two reports; `validate` checks shards
against the Document schema.
"""

from corpus.stats.collect import collect

__all__ = ["collect"]
