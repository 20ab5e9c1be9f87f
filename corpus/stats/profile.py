"""Per-shard profile of documents: the one pass over the data that every statistic comes from.

`profile_shard` is a stage function (top level, deterministic, returns a small JSON-able dict), so an
executor maps it over shards of any size and `merge_profiles` adds the results. It reads only the
columns the statistics need (never `out_links`, WARC fields, ...), batch by batch, so memory is one
batch plus the per-group counters, whatever the shard size. Group counters are
`{label: [documents, tokens, bytes]}`; histograms use fixed edges (see `histogram`), so every sum is
exact.

Tokens come from, in order of preference: a named tokenizer (`transformers.AutoTokenizer`, the
exact count for a model), the `n_tokens` column (the pipeline's fast approximate count, see
`corpus.tokens`), or that approximate count computed from `text` where `n_tokens` is missing.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpus import shards
from corpus.schema import MATH_FAMILIES
from corpus.stats import histogram
from corpus.stats.idhash import hash_ids
from corpus.stats.sampling import SNIPPET_CHARS, BottomK, merge_samples

MATH_COLUMNS = [f"math_{f}" for f in MATH_FAMILIES]
# Everything a profile may read; a shard that lacks a column just lacks that statistic.
STAT_COLUMNS = ["id", "text", "n_tokens", "domain", "lang", "round", "score", *MATH_COLUMNS]
SAMPLE_COLUMNS = ["url"]  # read only when samples are asked for
GROUP_KEYS = ("round", "lang", "domain")
SAMPLE_KINDS = ("round", "lang", "math")
NULL_LABEL = "(none)"


@functools.lru_cache(maxsize=4)
def load_tokenizer(name: str):
    """A transformers tokenizer by hub id or local path, loaded once per process (lazily: the stats
    code never imports transformers unless a tokenizer is named)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(name)


def _labels(arr: pa.Array) -> pa.Array:
    """Group labels as strings, nulls as NULL_LABEL (so they are counted, not lost)."""
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return pc.fill_null(arr, NULL_LABEL)


def _group(t: pa.Table) -> pa.Table:
    g = t.group_by("k").aggregate([("d", "sum"), ("t", "sum"), ("b", "sum")])
    return pa.table(
        {"k": g.column("k"), "d": g.column("d_sum"), "t": g.column("t_sum"), "b": g.column("b_sum")}
    )


class _Groups:
    """Per-label sums of documents, tokens and bytes. Batches are grouped in Arrow and the small
    grouped tables re-grouped in Arrow; Python dicts are built once per shard, not per batch
    (a batch can hold tens of thousands of distinct domains)."""

    COMPACT = 16  # re-group after this many pending batch tables (bounds memory on huge shards)

    def __init__(self) -> None:
        self.pending: list[pa.Table] = []

    def add(self, labels: pa.Array, tokens: np.ndarray, nbytes: np.ndarray) -> None:
        t = pa.table({"k": labels, "d": np.ones(len(labels), np.int64), "t": tokens, "b": nbytes})
        self.pending.append(_group(t))
        if len(self.pending) >= self.COMPACT:
            self.pending = [_group(pa.concat_tables(self.pending))]

    def to_dict(self) -> dict[str, list[int]]:
        if not self.pending:
            return {}
        g = _group(pa.concat_tables(self.pending)) if len(self.pending) > 1 else self.pending[0]
        cols = [g.column(c).to_pylist() for c in ("k", "d", "t", "b")]
        return {k: [d, t, b] for k, d, t, b in zip(*cols, strict=True)}


class ShardProfiler:
    """Accumulates the statistics of record batches (see module docstring for the output)."""

    def __init__(self, columns: list[str], tokenizer: str | None = None, samples: int = 3):
        self.columns = columns
        self.tokenizer = tokenizer
        # one reservoir per bucket kind (round, lang, dominant math family); ids are the sample key
        self.sample_k = samples if "id" in columns else 0
        self._samplers: dict[str, BottomK] = {}
        self.math_cols = [c for c in MATH_COLUMNS if c in columns]
        self.documents = 0
        self.tokens = 0
        self.bytes = 0
        self.empty_text = 0
        self.groups: dict[str, _Groups] = {k: _Groups() for k in GROUP_KEYS if k in columns}
        self.math = {c.removeprefix("math_"): [0, 0, 0] for c in self.math_cols}
        self.math_any = [0, 0]
        self.math_dominant: dict[str, int] = {}
        self.score_docs = [0] * histogram.SCORE_BINS if "score" in columns else None
        self.score_tokens = [0] * histogram.SCORE_BINS if "score" in columns else None
        self.score_nulls = 0
        self.length = [0] * len(histogram.LENGTH_EDGES)

    @property
    def tokens_source(self) -> str:
        if self.tokenizer:
            return f"tokenizer:{self.tokenizer}"
        if "n_tokens" in self.columns:
            return "n_tokens"
        return "approx" if "text" in self.columns else "none"

    def _tokens(self, batch: pa.RecordBatch, names: list[str]) -> np.ndarray:
        n = batch.num_rows
        text = batch.column(names.index("text")) if "text" in names else None
        if self.tokenizer:
            if text is None:
                raise ValueError("a tokenizer count needs the `text` column")
            tok = load_tokenizer(self.tokenizer)
            ids = tok(text.fill_null("").to_pylist(), add_special_tokens=False, return_attention_mask=False)
            return np.fromiter((len(x) for x in ids["input_ids"]), dtype=np.int64, count=n)
        if "n_tokens" in names:
            col = batch.column(names.index("n_tokens"))
            out = col.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
            if col.null_count and text is not None:  # approximate where the column has no value
                from corpus.tokens import count_tokens

                for i in np.nonzero(col.is_null().to_numpy(zero_copy_only=False))[0]:
                    out[i] = count_tokens(text[int(i)].as_py() or "")
            return out
        if text is not None:
            from corpus.tokens import count_tokens

            return np.fromiter((count_tokens(t or "") for t in text.to_pylist()), dtype=np.int64, count=n)
        return np.zeros(n, dtype=np.int64)

    def add(self, batch: pa.RecordBatch) -> None:
        names = batch.schema.names
        n = batch.num_rows
        if n == 0:
            return
        col = {c: batch.column(names.index(c)) for c in names}
        tokens = self._tokens(batch, names)
        if "text" in col:
            nbytes = (
                pc.binary_length(col["text"]).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
            )
            self.empty_text += int(
                pc.sum(pc.equal(pc.binary_length(pc.utf8_trim_whitespace(col["text"])), 0)).as_py() or 0
            )
            self.empty_text += col["text"].null_count
        else:
            nbytes = np.zeros(n, dtype=np.int64)
        self.documents += n
        self.tokens += int(tokens.sum())
        self.bytes += int(nbytes.sum())
        labels = {k: _labels(col[k]) for k in self.groups}
        for k, acc in self.groups.items():
            acc.add(labels[k], tokens, nbytes)
        self.length = histogram.add(self.length, histogram.length_counts(tokens))
        if self.score_docs is not None:
            sc = col["score"]
            valid = sc.is_valid().to_numpy(zero_copy_only=False)
            self.score_nulls += int(n - valid.sum())
            s = sc.fill_null(0).to_numpy(zero_copy_only=False)[valid]
            self.score_docs = histogram.add(self.score_docs, histogram.score_counts(s))
            self.score_tokens = histogram.add(self.score_tokens, histogram.score_counts(s, tokens[valid]))
        dominant = None
        if self.math_cols:
            m = np.stack(
                [col[c].fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64) for c in self.math_cols]
            )
            for i, c in enumerate(self.math_cols):
                has = m[i] > 0
                acc = self.math[c.removeprefix("math_")]
                acc[0] += int(has.sum())
                acc[1] += int(tokens[has].sum())
                acc[2] += int(m[i].sum())
            anym = m.sum(axis=0) > 0
            self.math_any[0] += int(anym.sum())
            self.math_any[1] += int(tokens[anym].sum())
            fams = [c.removeprefix("math_") for c in self.math_cols] + ["none"]
            dominant = np.where(anym, m.argmax(axis=0), len(self.math_cols))
            for i, c in enumerate(np.bincount(dominant, minlength=len(fams)).tolist()):
                if c:
                    self.math_dominant[fams[i]] = self.math_dominant.get(fams[i], 0) + c
            dominant = (dominant, fams)
        if self.sample_k > 0:
            self._sample(col, labels, dominant, tokens)

    def _sample(self, col: dict[str, pa.Array], labels: dict[str, pa.Array], dominant, tokens) -> None:
        h = hash_ids(col["id"])
        kinds: dict[str, tuple[np.ndarray, list[str]]] = {}
        for k in ("round", "lang"):
            if k in labels:
                enc = labels[k].dictionary_encode()
                kinds[k] = (enc.indices.to_numpy(zero_copy_only=False), enc.dictionary.to_pylist())
        if dominant is not None:
            kinds["math"] = dominant
        for kind, (idx, buckets) in kinds.items():
            sampler = self._samplers.setdefault(kind, BottomK(self.sample_k))
            # only rows below their bucket's current threshold can enter; after the first batches
            # that is a handful, so the sort below is over candidates, not the batch
            cand = np.nonzero(h < sampler.thresholds(buckets)[idx])[0]
            if not len(cand):
                continue
            ci, ch = idx[cand], h[cand]
            order = np.lexsort((ch, ci))
            si = ci[order]
            starts = np.r_[0, np.nonzero(np.diff(si))[0] + 1]
            rank = np.arange(len(si)) - np.repeat(starts, np.diff(np.r_[starts, len(si)]))
            # the k smallest per bucket: at most k * buckets rows reach the Python loop
            pick = cand[order[rank < sampler.k]]
            for i in pick.tolist():
                text = col["text"][i].as_py() if "text" in col else None
                sampler.offer(
                    buckets[idx[i]],
                    {
                        "key": int(h[i]),
                        "id": col["id"][i].as_py(),
                        "url": col["url"][i].as_py() if "url" in col else None,
                        "domain": col["domain"][i].as_py() if "domain" in col else None,
                        "lang": col["lang"][i].as_py() if "lang" in col else None,
                        "round": col["round"][i].as_py() if "round" in col else None,
                        "score": round(float(col["score"][i].as_py()), 4)
                        if "score" in col and col["score"][i].is_valid
                        else None,
                        "tokens": int(tokens[i]),
                        "snippet": (text or "")[:SNIPPET_CHARS] if text is not None else None,
                    },
                )

    def to_json(self) -> dict[str, Any]:
        has_text = "text" in self.columns
        return {
            "documents": self.documents,
            "tokens": self.tokens if self.tokens_source != "none" else None,
            "tokens_source": self.tokens_source,
            "bytes": self.bytes if has_text else None,
            "empty_text": self.empty_text if has_text else None,
            "columns": sorted(self.columns),
            "groups": {k: g.to_dict() for k, g in self.groups.items()},
            "math": self.math if self.math_cols else None,
            "math_any": self.math_any if self.math_cols else None,
            "math_dominant": self.math_dominant if self.math_cols else None,
            "score_hist_docs": self.score_docs,
            "score_hist_tokens": self.score_tokens,
            "score_nulls": self.score_nulls,
            "length_hist": self.length,
            "samples": {k: s.to_json() for k, s in sorted(self._samplers.items())},
        }


def profile_shard(
    path: str, tokenizer: str | None = None, samples: int = 3, batch_size: int = 65536
) -> dict[str, Any]:
    """Stage function: the profile of one document shard (see module docstring)."""
    fs, p = shards.url_to_fs(path)
    with fs.open(p, "rb") as f:
        pf = pq.ParquetFile(f)
        present = set(pf.schema_arrow.names)
        cols = [c for c in STAT_COLUMNS if c in present]
        if samples > 0:
            cols += [c for c in SAMPLE_COLUMNS if c in present]
        prof = ShardProfiler(cols, tokenizer=tokenizer, samples=samples)
        for batch in pf.iter_batches(batch_size=batch_size, columns=cols):
            prof.add(batch)
        out = prof.to_json()
        out["rows_metadata"] = pf.metadata.num_rows
    if out["documents"] != out["rows_metadata"]:  # a reader bug or a truncated file: never silent
        raise ValueError(f"{path}: read {out['documents']} rows, metadata says {out['rows_metadata']}")
    out["path"] = path
    out["shards"] = 1
    return out


def _sum_opt(a: int | None, b: int | None, first: bool) -> int | None:
    if first:
        return b
    return None if a is None or b is None else a + b


def merge_profiles(parts: list[dict[str, Any]], samples: int = 3) -> dict[str, Any]:
    """Add shard profiles into one (counts summed, histograms added, samples re-reduced)."""
    out: dict[str, Any] = {
        "documents": 0,
        "tokens": None,
        "bytes": None,
        "empty_text": None,
        "shards": 0,
        "tokens_source": None,
        "columns": [],
        "groups": {},
        "math": None,
        "math_any": None,
        "math_dominant": None,
        "score_hist_docs": None,
        "score_hist_tokens": None,
        "score_nulls": 0,
        "length_hist": None,
    }
    cols: set[str] = set()
    sources: set[str] = set()
    for i, p in enumerate(parts):
        first = i == 0
        out["documents"] += p["documents"]
        out["shards"] += p.get("shards", 1)
        for k in ("tokens", "bytes", "empty_text"):
            out[k] = _sum_opt(out[k], p[k], first)
        sources.add(p["tokens_source"])
        cols.update(p["columns"])
        for g, labels in p["groups"].items():
            acc = out["groups"].setdefault(g, {})
            for lab, v in labels.items():
                cur = acc.setdefault(lab, [0, 0, 0])
                for j in range(3):
                    cur[j] += v[j]
        if p["math"] is not None:
            out["math"] = out["math"] or {}
            for fam, v in p["math"].items():
                cur = out["math"].setdefault(fam, [0, 0, 0])
                for j in range(3):
                    cur[j] += v[j]
            out["math_any"] = [a + b for a, b in zip(out["math_any"] or [0, 0], p["math_any"], strict=True)]
            out["math_dominant"] = out["math_dominant"] or {}
            for fam, v in p["math_dominant"].items():
                out["math_dominant"][fam] = out["math_dominant"].get(fam, 0) + v
        for k in ("score_hist_docs", "score_hist_tokens", "length_hist"):
            out[k] = histogram.add(out[k], p[k])
        out["score_nulls"] += p["score_nulls"]
    out["columns"] = sorted(cols)
    out["tokens_source"] = "+".join(sorted(sources)) if sources else None
    out["samples"] = merge_samples(samples, [p.get("samples") or {} for p in parts])
    return out
