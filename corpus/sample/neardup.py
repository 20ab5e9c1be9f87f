"""Planted near-duplicates with a known Jaccard similarity.

Similarity is the Jaccard index of word 5-gram shingle sets of the pages' main text (lower case,
`\\w+` words), the measure MinHash estimates. A copy of a page is edited word by word (substitutions,
insertions, deletions inside text, never inside formulas) until its similarity to the original reaches
the target; the similarity actually reached is what the ground truth records.
"""

from __future__ import annotations

import copy
import random
import re

from corpus.sample.content import Content, Math, main_text

_WORD = re.compile(r"\w+")
FILLER = [
    "really",
    "quite",
    "often",
    "indeed",
    "simply",
    "actually",
    "mostly",
    "perhaps",
    "clearly",
    "also",
    "new",
    "local",
    "small",
    "large",
    "recent",
    "usual",
    "today",
    "still",
    "again",
    "later",
    "early",
]


def shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    w = _WORD.findall(text.lower())
    if len(w) < n:
        return {tuple(w)} if w else set()
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if (a or b) else 1.0


def _edit_once(content: Content, rng: random.Random) -> None:
    spots = [
        (bi, si)
        for bi, b in enumerate(content.blocks)
        if b.kind != "pre"
        for si, s in enumerate(b.segs)
        if not isinstance(s, Math) and len(s.split()) > 1
    ]
    bi, si = rng.choice(spots)
    ws = content.blocks[bi].segs[si].split(" ")
    i = rng.randrange(len(ws))
    op = rng.random()
    if op < 0.6:
        ws[i] = rng.choice(FILLER)
    elif op < 0.8:
        ws.insert(i, rng.choice(FILLER))
    elif len(ws) > 2:
        del ws[i]
    content.blocks[bi].segs[si] = " ".join(ws)


def near_duplicate(content: Content, target: float, rng: random.Random) -> tuple[Content, float]:
    """A copy of `content` edited until the 5-gram Jaccard to it is at most `target`; returns the copy and
    the similarity reached (just below `target`)."""
    orig = shingles(main_text(content))
    dup = copy.deepcopy(content)
    n = len(orig)
    # one substitution changes up to five shingles: J ~ (n - 5k) / (n + 5k); make most edits in one go
    k = int(0.8 * n * (1 - target) / (5 * (1 + target)))
    for _ in range(k):
        _edit_once(dup, rng)
    j = jaccard(orig, shingles(main_text(dup)))
    while j > target:
        _edit_once(dup, rng)
        j = jaccard(orig, shingles(main_text(dup)))
    return dup, j
