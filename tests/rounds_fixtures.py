"""Hand-made Document shards for the rounds tests: a tiny crawl with a known answer.

- `mathsite.org`: LaTeX-style math pages (the seed's vocabulary).
- `mixedqa.com`: a general site whose `/questions/` section holds LaTeX math pages *and* plain-language
  math pages (words only, vocabulary absent from the seed); `/blog/` is not math.
- `news-N.com`: non-math pages.
The plain pages are what round 1 misses and discovery should recover.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa

from corpus import shards
from corpus.schema import conform

LATEX = [
    r"\frac{a}{b}",
    r"\int_0^1 x^2 dx",
    r"\sum_{n=1}^\infty",
    r"x^2 + y^2 = z^2",
    r"\sqrt{2}",
    r"\alpha + \beta",
    r"\lim_{x \to 0}",
    r"\binom{n}{k}",
    "theorem",
    "lemma",
    "proof",
    "equation",
    r"\mathbb{R}",
]
PLAIN = [
    "twelve apples shared among four friends",
    "how many marbles remain",
    "divide the remainder by three",
    "double the number then subtract seven",
    "the total cost of nine pencils",
    "half of the eggs hatched",
    "trains leave the station at noon",
    "what fraction of the pie",
    "sum of his ages",
    "times as many",
]
NEWS = [
    "the mayor announced",
    "football season opens",
    "weather forecast rain",
    "stock markets closed",
    "the recipe uses garlic",
    "concert tickets sold",
    "election results tonight",
    "new phone released",
    "traffic on the highway",
    "movie review stars",
    "holiday travel tips",
    "garden flowers bloom",
]


def _text(rng: random.Random, vocab: list[str], n: int = 30) -> str:
    return " ".join(rng.choice(vocab) for _ in range(n))


def make_pool(root: Path, n_shards: int = 3, seed: int = 0) -> tuple[str, str, str]:
    """Write pool shards, an OpenWebMath-style seed JSONL and a truth Parquet; return their paths."""
    rng = random.Random(seed)
    docs, truth = [], []

    def add(url: str, domain: str, text: str, is_math: bool, style: str | None, section: str, links=()):
        i = len(docs)
        docs.append(
            {
                "id": f"doc-{i:05d}",
                "url": url,
                "domain": domain,
                "host": domain,
                "text": text,
                "n_tokens": len(text.split()),
                "out_links": list(links),
            }
        )
        truth.append({"url": url, "is_math": is_math, "math_style": style, "section": section})

    for i in range(60):
        add(
            f"https://mathsite.org/wiki/page{i}",
            "mathsite.org",
            _text(rng, LATEX),
            True,
            "latex",
            "math_site",
        )
    for i in range(40):
        add(
            f"https://mixedqa.com/questions/{i}/q",
            "mixedqa.com",
            _text(rng, LATEX),
            True,
            "latex",
            "mixed_site_math_path",
        )
    plain_urls = [f"https://mixedqa.com/questions/{100 + i}/p" for i in range(40)]
    for u in plain_urls:
        add(u, "mixedqa.com", _text(rng, PLAIN), True, "plain", "mixed_site_math_path")
    for i in range(150):
        add(f"https://mixedqa.com/blog/{i}", "mixedqa.com", _text(rng, NEWS), False, None, "mixed_site_other")
    for d in range(10):
        for i in range(40):
            add(f"https://news-{d}.com/a/{i}", f"news-{d}.com", _text(rng, NEWS), False, None, "nonmath_site")
    order = list(range(len(docs)))
    rng.shuffle(order)
    pool = root / "pool"
    for s in range(n_shards):
        part = [docs[i] for i in order[s::n_shards]]
        shards.write_table(conform(pa.Table.from_pylist(part)), str(pool / shards.shard_name(s)))
    seed = root / "openwebmath.jsonl"
    with seed.open("w") as f:
        for i in range(80):
            f.write(
                json.dumps(
                    {
                        "url": f"https://owm.example/{i}",
                        "text": _text(rng, LATEX),
                        "date": "",
                        "metadata": "{}",
                    }
                )
                + "\n"
            )
    tp = root / "truth.parquet"
    shards.write_table(pa.Table.from_pylist(truth), str(tp))
    return str(pool), str(seed), str(tp)
