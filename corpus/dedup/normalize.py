"""Text normalisation for deduplication, in two strengths.

- *shingle* normalisation (near-dup): Unicode NFKC, then each character lower-cased on its own, then
  every run of characters that are not alphanumeric (``str.isalnum``) becomes one space. Digits are
  kept on purpose: math pages that differ only in their numbers are different exercises. Operators
  vanish, so "x+1" and "x-1" share shingles; near-dup tolerates that, exact dedup does not (below).
  Per-character lower-casing (no final-sigma rule, 'İ' -> 'i') keeps one character one character, so
  the rule applies to any piece of text cut at a separator, which is what lets the batch path in
  `shingles` normalise ASCII words with a byte table and only the rare non-ASCII runs with this function.
- *exact* normalisation: NFKC, whitespace runs collapsed, ends trimmed; case and punctuation kept, so
  only copies that differ in layout count as exact duplicates.

`normalize_for_shingles` is the exact rule (tests, the anchors in the benchmark, and the batch path's
non-ASCII runs).
"""

from __future__ import annotations

import re
import unicodedata

# Python's \W in str patterns is "not str.isalnum() and not '_'", so [\W_] is exactly "not alnum".
_NON_ALNUM = re.compile(r"[\W_]+")


def normalize_for_shingles(text: str) -> str:
    """Reference (per string) shingle normalisation: NFKC, per-character lower case, runs of
    non-alphanumeric characters -> ' ', trimmed."""
    t = unicodedata.normalize("NFKC", text or "").replace("İ", "i").lower().replace("ς", "σ")
    return _NON_ALNUM.sub(" ", t).strip()


def normalize_for_exact(text: str | None) -> str:
    """Exact-dedup normalisation: NFKC, whitespace (any Unicode space) collapsed, ends trimmed."""
    t = text or ""
    if not t.isascii():
        t = unicodedata.normalize("NFKC", t)
    return " ".join(t.split())
