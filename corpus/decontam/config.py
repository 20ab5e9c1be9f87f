"""Settings of the decontamination stage (DeepSeekMath §2.1: the 10-gram rule and the 3-9-gram exact rule).

Defaults follow the paper where it is explicit (n = 10, exact matching for 3-9 grams, questions and
answers of GSM8K, MATH, CMATH, AGIEval and the other evaluation benchmarks) and are reasoned choices
where it is silent (gram unit, page vs segment, which fields count); docs/decontamination.md says why.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from corpus.benchmarks import REGISTRY, parse_benchmark_arg

SCOPES = ("page", "segment")
FIELDS = ("question", "solution", "choices")


@dataclass
class DecontamConfig:
    # Benchmarks to decontaminate against: "NAME" (loaded from its hub id) or "NAME=PATH" (a local
    # file or URL in the formats of corpus.benchmarks). A name may repeat with different files
    # (e.g. gsm8k test and train); default: every benchmark of the registry, from the hub.
    benchmarks: list[str] = field(default_factory=lambda: sorted(REGISTRY))
    # Gram length of the n-gram rule: a page with any n-gram equal to one of a benchmark text is removed.
    n: int = 10
    # A benchmark n-gram is indexed only if at least this many of its tokens are informative (a CJK
    # character or a 2+-letter word that is not LaTeX notation; see informative.py). Grams of bare
    # numbers, letters and operators ("10 9 8 ... 1", "a 3 b 3 a b a 2 ab b 2") occur on countless
    # math pages and prove nothing. 0 = the paper's literal rule (every n-gram).
    min_informative_tokens: int = 3
    # Benchmark texts with fewer than `n` but at least `short_min` grams are matched exactly (as a whole,
    # on token boundaries); shorter texts are ignored (too common to mean contamination).
    short_min: int = 3
    # What a gram is: "auto" (words for English, characters for CJK, per token), "word" or "char".
    gram_unit: str = "auto"
    # What is removed on a match: "page" (the whole document) or "segment" (only the lines touched by
    # the match; the page is dropped if nothing is left).
    scope: str = "page"
    # Item fields indexed for the n-gram rule.
    fields: list[str] = field(default_factory=lambda: list(FIELDS))
    # Item fields whose short (short_min..n-1 grams) texts are exact-matched. Choices are left out by
    # default: short options ("None of the above", "(A) -1+12i") are everyday phrases, not leaks.
    short_fields: list[str] = field(default_factory=lambda: ["question", "solution"])
    # Also index GSM8K-style solutions with their calculator annotations <<3*4=12>> removed, the form
    # in which they are usually copied onto the web.
    strip_calc_annotations: bool = True
    # Column holding the page text.
    text_column: str = "text"
    # At most this many matches per page are kept in the contamination report.
    max_report_matches: int = 10
    # Matched text in the report and the contam_match column is cut to this many characters.
    max_match_chars: int = 500

    def validate(self) -> DecontamConfig:
        from corpus.decontam.normalize import check_unit

        check_unit(self.gram_unit)
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, got {self.scope!r}")
        if not 0 <= self.min_informative_tokens <= self.n:
            raise ValueError(f"min_informative_tokens must be in 0..n, got {self.min_informative_tokens}")
        if self.n < 1 or not 1 <= self.short_min <= self.n:
            raise ValueError(f"need n >= 1 and 1 <= short_min <= n (n={self.n}, short_min={self.short_min})")
        for f in (*self.fields, *self.short_fields):
            if f not in FIELDS:
                raise ValueError(f"unknown field {f!r}; fields are {FIELDS}")
        if not self.benchmarks:
            raise ValueError("no benchmarks given")
        for b in self.benchmarks:
            parse_benchmark_arg(b)  # unknown names fail here, before any work
        return self

    def index_fingerprint(self) -> str:
        """Digest of everything the index depends on; a persisted index with another one is rebuilt."""
        from corpus.decontam.normalize import NORMALIZE_VERSION

        keys = (
            "benchmarks",
            "n",
            "min_informative_tokens",
            "short_min",
            "gram_unit",
            "fields",
            "short_fields",
            "strip_calc_annotations",
        )
        d = {k: v for k, v in asdict(self).items() if k in keys}
        d["normalize_version"] = NORMALIZE_VERSION
        return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]
