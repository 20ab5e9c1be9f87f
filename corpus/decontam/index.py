"""The benchmark index: every n-gram of every benchmark text, hashed, plus the short texts.

Built once per run by the driver and written to `<out>/_index/`; every worker process loads it once
(memory-mapped when local, so the OS shares one copy between workers) and keeps it in a cache.

- `hashes`: sorted unique uint64 n-gram hashes (8 bytes a gram; all benchmarks of the registry with
  GSM8K train give ~2M grams, ~16 MB). Membership is `np.searchsorted`, vectorised per page; a Python
  set of the same ints costs ~10x the memory (see benchmarks/bench_decontam.py).
- `items`: for each hash, the benchmark item it came from (first one if several share it): the
  reverse map for the report, looked up only for hits.
- `short`: normalised short texts (short_min..n-1 grams) matched with an Aho-Corasick automaton.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import ahocorasick
import numpy as np

from corpus import shards
from corpus.benchmarks import BenchmarkItem, load_benchmark, parse_benchmark_arg
from corpus.decontam.config import DecontamConfig
from corpus.decontam.hashing import ngram_hashes, token_hashes
from corpus.decontam.informative import informative_windows
from corpus.decontam.normalize import gram_tokens, normalize

_CALC = re.compile(r"<<[^<>]*>>")
_PREFILTER_BITS = 26
_SHIFT = np.uint64(64 - _PREFILTER_BITS)


@dataclass
class BenchmarkIndex:
    n: int
    gram_unit: str
    hashes: np.ndarray  # sorted unique uint64
    items: np.ndarray  # uint32, aligned with hashes
    labels: list[tuple[str, str]]  # item index -> (benchmark, item id)
    short: list[tuple[str, int]]  # (normalised tokens joined by " ", item index)
    meta: dict[str, Any] = field(default_factory=dict)
    _automaton: Any = None
    _bits: np.ndarray | None = None

    @property
    def automaton(self) -> ahocorasick.Automaton | None:
        """Aho-Corasick over " tok tok tok " patterns (spaces on both ends enforce token boundaries)."""
        if self._automaton is None and self.short:
            a = ahocorasick.Automaton()
            for pat, item in self.short:
                key = f" {pat} "
                if key not in a:
                    a.add_word(key, (item, pat))
            a.make_automaton()
            self._automaton = a
        return self._automaton

    @property
    def prefilter(self) -> np.ndarray:
        """A 2**26-bit map (8 MiB) of the top 26 bits of every indexed hash. Checking it costs one
        cache-friendly gather per page gram and rejects ~98% of them, so only the rest pay for a binary
        search in the (much larger, cache-missing) sorted array: 3-5x faster lookups measured."""
        if self._bits is None:
            top = (np.asarray(self.hashes) >> _SHIFT).astype(np.int64)
            bits = np.zeros(1 << (_PREFILTER_BITS - 3), dtype=np.uint8)
            np.bitwise_or.at(bits, top >> 3, (1 << (top & 7)).astype(np.uint8))
            self._bits = bits
        return self._bits

    def lookup(self, grams: np.ndarray) -> np.ndarray:
        """Position in `hashes` of each gram, or -1 where the gram is not a benchmark gram."""
        out = np.full(len(grams), -1, dtype=np.int64)
        if len(self.hashes) == 0 or len(grams) == 0:
            return out
        top = (grams >> _SHIFT).astype(np.int64)
        cand = np.flatnonzero((self.prefilter[top >> 3] >> (top & 7)) & 1)
        if len(cand):
            g = grams[cand]
            pos = np.searchsorted(self.hashes, g)
            pos[pos == len(self.hashes)] = 0
            hit = self.hashes[pos] == g
            out[cand[hit]] = pos[hit]
        return out

    # --- persistence --------------------------------------------------------------------------------

    def save(self, directory: str) -> None:
        """Write the index files; meta.json last, so its presence means the index is whole."""
        for name, arr in (("hashes", self.hashes), ("items", self.items)):
            _write_npy(shards.join(directory, f"{name}.npy"), arr)
        shards.write_json(shards.join(directory, "labels.json"), [list(x) for x in self.labels])
        shards.write_json(shards.join(directory, "short.json"), [list(x) for x in self.short])
        shards.write_json(
            shards.join(directory, "meta.json"), {**self.meta, "n": self.n, "gram_unit": self.gram_unit}
        )

    @classmethod
    def load(cls, directory: str) -> BenchmarkIndex:
        meta = shards.read_json(shards.join(directory, "meta.json"))
        return cls(
            n=meta["n"],
            gram_unit=meta["gram_unit"],
            hashes=_read_npy(shards.join(directory, "hashes.npy")),
            items=_read_npy(shards.join(directory, "items.npy")),
            labels=[tuple(x) for x in shards.read_json(shards.join(directory, "labels.json"))],
            short=[(p, int(i)) for p, i in shards.read_json(shards.join(directory, "short.json"))],
            meta=meta,
        )


def _write_npy(url: str, arr: np.ndarray) -> None:
    import io

    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr))
    shards._atomic_write(url, lambda f: f.write(buf.getvalue()))


def _read_npy(url: str) -> np.ndarray:
    fs, path = shards.url_to_fs(url)
    proto = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    if proto in ("file", "local"):
        return np.load(path, mmap_mode="r")  # shared page cache across worker processes
    import io

    with fs.open(path, "rb") as f:
        return np.load(io.BytesIO(f.read()))


# --- building ---------------------------------------------------------------------------------------


def load_items(benchmarks: list[str]) -> list[BenchmarkItem]:
    """Items of every "NAME[=PATH]"; a name given twice (e.g. test and train files) gets the file
    name added to its label, so item ids stay unique in the report."""
    parsed = [parse_benchmark_arg(b) for b in benchmarks]
    counts = Counter(name for name, _ in parsed)
    out: list[BenchmarkItem] = []
    for name, path in parsed:
        items = load_benchmark(name, path)
        if counts[name] > 1:
            tag = (path or "hub").rstrip("/").rsplit("/", 1)[-1]
            label = f"{name}[{tag}]"
            items = [
                BenchmarkItem(label, it.id, it.question, it.answer, it.solution, it.choices, it.meta)
                for it in items
            ]
        out += items
    return out


def _field_texts(item: BenchmarkItem, fld: str, strip_calc: bool) -> list[str]:
    texts = {"question": [item.question], "solution": [item.solution], "choices": list(item.choices)}[fld]
    out = []
    for t in texts:
        if t and t.strip():
            out.append(t)
            if strip_calc and "<<" in t:
                out.append(_CALC.sub("", t))
    return out


def build_index(cfg: DecontamConfig, items: list[BenchmarkItem] | None = None) -> BenchmarkIndex:
    """Index the benchmark texts of `cfg` (or the given `items`) under the settings of `cfg`."""
    cfg.validate()
    t0 = time.perf_counter()
    if items is None:
        items = load_items(cfg.benchmarks)
    labels: list[tuple[str, str]] = []
    chunks: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    short: dict[str, int] = {}
    n_texts: Counter[str] = Counter()
    n_grams: Counter[str] = Counter()  # grams left out as uninformative
    for idx, item in enumerate(items):
        labels.append((item.benchmark, item.id))
        for fld in sorted(set(cfg.fields) | set(cfg.short_fields)):
            for text in _field_texts(item, fld, cfg.strip_calc_annotations):
                toks = gram_tokens(normalize(text), cfg.gram_unit)
                if len(toks) >= cfg.n and fld in cfg.fields:
                    g = ngram_hashes(token_hashes(toks), cfg.n)
                    if cfg.min_informative_tokens:
                        informative = (
                            informative_windows([t.decode() for t in toks], cfg.n)
                            >= cfg.min_informative_tokens
                        )
                        n_grams["uninformative"] += int(len(g) - informative.sum())
                        g = g[informative]
                        if not len(g) and fld in cfg.short_fields:
                            # all notation ("Compute (4,5,-1) x (4,5,-1)"): no gram proves anything
                            # alone, so the text is matched whole, like a short one
                            short.setdefault(b" ".join(toks).decode(), idx)
                            n_texts["long_exact"] += 1
                            continue
                    chunks.append(g)
                    owners.append(np.full(len(g), idx, dtype=np.uint32))
                    n_texts["long"] += 1
                elif cfg.short_min <= len(toks) < cfg.n and fld in cfg.short_fields:
                    short.setdefault(b" ".join(toks).decode(), idx)
                    n_texts["short"] += 1
                else:
                    n_texts["ignored"] += 1
    all_h = np.concatenate(chunks) if chunks else np.empty(0, dtype=np.uint64)
    all_i = np.concatenate(owners) if owners else np.empty(0, dtype=np.uint32)
    hashes, first = np.unique(all_h, return_index=True)  # first occurrence -> lowest item index
    per_bench = Counter(b for b, _ in labels)
    meta = {
        "fingerprint": cfg.index_fingerprint(),
        "benchmarks": dict(per_bench),
        "items": len(items),
        "texts": dict(n_texts),
        "grams": int(len(hashes)),
        "grams_uninformative_skipped": n_grams["uninformative"],
        "short_texts": len(short),
        "build_seconds": round(time.perf_counter() - t0, 3),
    }
    return BenchmarkIndex(cfg.n, cfg.gram_unit, hashes, all_i[first], labels, sorted(short.items()), meta)


_CACHE: dict[str, BenchmarkIndex] = {}


def get_index(directory: str) -> BenchmarkIndex:
    """The index saved in `directory`, loaded once per process."""
    idx = _CACHE.get(directory)
    if idx is None:
        idx = _CACHE[directory] = BenchmarkIndex.load(directory)
    return idx


def ensure_index(directory: str, cfg: DecontamConfig) -> BenchmarkIndex:
    """Load the index in `directory` if it was built with the same settings, else build and save it."""
    meta_url = shards.join(directory, "meta.json")
    if shards.exists(meta_url) and shards.read_json(meta_url).get("fingerprint") == cfg.index_fingerprint():
        return get_index(directory)
    index = build_index(cfg)
    index.save(directory)
    _CACHE.pop(directory, None)
    return index
