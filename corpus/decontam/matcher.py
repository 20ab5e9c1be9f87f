"""Find benchmark text in one page: the n-gram rule (hash lookups) and the short-text rule (Aho-Corasick).

A page is normalised and tokenised once; its n-gram hashes are computed in one vectorised pass and
looked up in the sorted index with one `searchsorted`. The token list, joined by single spaces, is
scanned once by the automaton of short benchmark texts, whose patterns carry a space on each side
so a match always starts and ends on token boundaries ("3 4 5" does not match inside "13 4 56").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from corpus.decontam.hashing import ngram_hashes, token_hashes
from corpus.decontam.index import BenchmarkIndex
from corpus.decontam.normalize import gram_tokens, normalize, tokenize_lines


@dataclass(frozen=True)
class Match:
    benchmark: str
    item: str
    rule: str  # "ngram" (the n-gram rule) or "exact" (a short benchmark text found whole)
    start: int  # first page token of the match
    end: int  # one past its last token
    text: str  # the matched normalised tokens, joined by spaces


def find_matches(tokens: list[bytes], index: BenchmarkIndex) -> list[Match]:
    """Every benchmark match in a page's token list, in page order. Consecutive matching n-grams are
    merged into one match spanning them (the report then shows the whole copied passage)."""
    found: list[Match] = []
    n = index.n
    if len(tokens) >= n and len(index.hashes):
        pos = index.lookup(ngram_hashes(token_hashes(tokens), n))
        hits = np.flatnonzero(pos >= 0)
        if len(hits):
            breaks = np.flatnonzero(np.diff(hits) > 1)
            run_starts = np.concatenate(([0], breaks + 1))
            run_ends = np.concatenate((breaks, [len(hits) - 1]))
            for a, b in zip(hits[run_starts], hits[run_ends]):
                bench, item = index.labels[int(index.items[pos[a]])]
                text = b" ".join(tokens[a : b + n]).decode()
                found.append(Match(bench, item, "ngram", int(a), int(b) + n, text))
    automaton = index.automaton
    if automaton is not None and tokens:
        joined = " " + b" ".join(tokens).decode() + " "
        for end, (item, pat) in automaton.iter(joined):
            first_char = end - len(pat)  # the pattern's first character (after its leading space)
            t0 = joined.count(" ", 0, first_char) - 1  # one space before each token, one leading
            bench, item_id = index.labels[item]
            found.append(Match(bench, item_id, "exact", t0, t0 + pat.count(" ") + 1, pat))
    found.sort(key=lambda m: (m.start, m.end))
    return found


def scan_text(text: str, index: BenchmarkIndex) -> list[Match]:
    """Matches in `text` (normalised and tokenised with the index's gram unit)."""
    return find_matches(gram_tokens(normalize(text), index.gram_unit), index)


def remove_segments(text: str, index: BenchmarkIndex) -> tuple[str, list[Match], int]:
    """Segment scope: drop the lines (`text.split("\\n")`) any match touches, keep the others.
    Returns the remaining text, the matches and how many lines were removed. A match may span
    several lines (a question broken over lines); all of them go."""
    tokens, lines = tokenize_lines(text, index.gram_unit)
    matches = find_matches(tokens, index)
    if not matches:
        return text, matches, 0
    bad = {lines[t] for m in matches for t in range(m.start, m.end)}
    kept = [line for i, line in enumerate(text.split("\n")) if i not in bad]
    return "\n".join(kept), matches, len(bad)
