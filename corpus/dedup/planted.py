"""Planted near-duplicate pairs at controlled similarity, to measure dedup quality against exact Jaccard.

Each pair is a base text and a copy edited by replacing a chosen fraction of its words (plus, on
some pairs, deleting or moving a span), with the fraction drawn so that the pairs' Jaccard
similarities spread over a range. The exact Jaccard of the two shingle sets (`shingles.shingle_set`)
is returned with every pair, so quality is judged against the truth, not against another estimate.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from corpus.dedup.normalize import normalize_for_shingles
from corpus.dedup.shingles import jaccard, shingle_set


@dataclass(frozen=True)
class PlantedPair:
    a: str
    b: str
    jaccard: float


def _edit(words: list[str], frac: float, pool: list[str], rng: random.Random) -> list[str]:
    out = list(words)
    for i in rng.sample(range(len(out)), int(round(frac * len(out)))):
        out[i] = rng.choice(pool)
    if len(out) > 40 and rng.random() < 0.3:  # a span edit too: deletion or move of a few words
        i = rng.randrange(len(out) - 10)
        span = out[i : i + rng.randint(2, 8)]
        del out[i : i + len(span)]
        if rng.random() < 0.5:
            j = rng.randrange(len(out))
            out[j:j] = span
    return out


def planted_pairs(
    texts: list[str], n_pairs: int, ngram: int = 5, seed: int = 0, j_range: tuple[float, float] = (0.2, 1.0),
    min_words: int = 80,
) -> list[PlantedPair]:  # fmt: skip
    """`n_pairs` pairs built from `texts` (real documents of at least `min_words` words). Each base is
    used once as is; when more pairs are asked for than there are texts, further bases are random
    re-orderings of a text's words, which share almost no n-grams with any other base."""
    rng = random.Random(seed)
    seen: set[str] = set()
    bases = []
    for t in texts:  # each distinct text once: repeated bases would tie pairs together
        key = normalize_for_shingles(t)
        if key not in seen and len(t.split()) >= min_words:
            seen.add(key)
            bases.append(t.split())
    if not bases:
        raise ValueError(f"no text has {min_words} words or more")
    pool = [w for b in bases for w in b]
    pairs = []
    for k in range(n_pairs):
        words = list(bases[k % len(bases)])
        if k >= len(bases):
            rng.shuffle(words)
        target = rng.uniform(*j_range)
        # for independent word replacements J ~ q/(2-q), q = (1-f)^n the fraction of intact n-grams
        q = 2 * target / (1 + target)
        frac = 1 - q ** (1 / ngram)
        a, b = " ".join(words), " ".join(_edit(words, frac, pool, rng))
        pairs.append(PlantedPair(a, b, jaccard(shingle_set(a, ngram), shingle_set(b, ngram))))
    return pairs


@dataclass
class PlantedResult:
    detected: list[bool]
    """Per pair: its two documents ended in the same duplicate cluster (one of them removed)."""
    wrong_removals: int
    """Documents removed into a cluster whose kept document is not from their own pair."""


def dedup_planted(
    pairs: list[PlantedPair], work_dir: str, cfg, n_shards: int = 2, executor=None
) -> PlantedResult:
    """Run the dedup stage on the documents of `pairs` (ids ``a<k>``/``b<k>``, interleaved across
    `n_shards` shards) and report which pairs it caught."""
    import pyarrow as pa

    from corpus import shards
    from corpus.dedup.stage import run_dedup

    ids, texts = [], []
    for k, p in enumerate(pairs):
        ids += [f"a{k:06d}", f"b{k:06d}"]
        texts += [p.a, p.b]
    table = pa.table({"id": ids, "text": texts})
    per = -(-table.num_rows // n_shards)
    for s in range(n_shards):
        shards.write_table(table.slice(s * per, per), shards.join(work_dir, "in", shards.shard_name(s)))
    run_dedup(shards.join(work_dir, "in"), shards.join(work_dir, "out"), cfg, executor)
    files = shards.list_shards(shards.join(work_dir, "out", "dropped"))
    cluster: dict[str, int] = {}
    wrong = 0
    for f in files:
        t = shards.read_table(f, columns=["id", "kept_id", "dup_cluster"])
        for doc, kept, c in zip(*(t.column(n).to_pylist() for n in ("id", "kept_id", "dup_cluster"))):
            cluster[doc] = cluster[kept] = c
            wrong += doc[1:] != kept[1:]
    detected = [
        cluster.get(f"a{k:06d}") is not None and cluster.get(f"a{k:06d}") == cluster.get(f"b{k:06d}")
        for k in range(len(pairs))
    ]
    return PlantedResult(detected, wrong)
