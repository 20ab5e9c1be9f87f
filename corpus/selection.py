"""Recall by score: score every pool page, cut globally by token budget or threshold, select.

Scoring is a stage over pool shards (adds `score`; writes a slim score table per shard) whose stats
carry a fine histogram of the shard's scores, by pages and by tokens. The token-budget cut-off is
found from the summed histograms alone; only the pages inside the one boundary bin are gathered
and sorted, so no process ever holds every score. Ties are broken by id (ascending), so the
selection is a pure function of (scores, ids, budget), independent of shard layout and workers.

Selected pages are written with all their document columns plus `score` and `round` (the first
round that selected them), one output shard per pool shard; a small per-shard domain summary is
written beside them for discovery.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpus import shards
from corpus.classifier import ClassifierConfig, MathClassifier
from corpus.schema import conform

SCORE_COLUMNS = ["id", "url", "domain", "host", "n_tokens"]


@dataclass
class SelectionConfig:
    """How a round turns scores into a selection (paper round 1: the top 40B tokens)."""

    mode: str = (
        "budget"  # "budget": top pages by score within a token budget; "threshold": score >= threshold
    )
    token_budgets: list[int] = field(default_factory=lambda: [40_000_000_000])  # per round; the last repeats
    threshold: float = 0.5  # score cut-off in threshold mode
    bins: int = 10_000  # histogram bins over [0, 1]; only the boundary bin's pages are ever gathered

    def budget(self, round_k: int) -> int:
        return self.token_budgets[min(round_k, len(self.token_budgets)) - 1]


def score_bin(scores: np.ndarray, bins: int) -> np.ndarray:
    return np.minimum((scores.astype(np.float64) * bins).astype(np.int64), bins - 1)


def token_counts(table: pa.Table) -> np.ndarray:
    """`n_tokens` per page; where it is null (or absent), whitespace-separated words stand in."""
    if "n_tokens" in table.column_names and table.column("n_tokens").null_count == 0:
        return table.column("n_tokens").to_numpy(zero_copy_only=False).astype(np.int64)
    vals = (
        table.column("n_tokens").to_pylist() if "n_tokens" in table.column_names else [None] * table.num_rows
    )
    texts = table.column("text").to_pylist()
    return np.array([v if v is not None else len((t or "").split()) for v, t in zip(vals, texts)], np.int64)


def score_shard(
    pool_shard: str, out_path: str, model_path: str, classifier: dict[str, Any], bins: int
) -> dict[str, Any]:
    """Stage: score one pool shard; write (id, url, domain, host, n_tokens, score); return the shard's
    score histograms (sparse {bin: count}) by pages and by tokens."""
    cfg = ClassifierConfig(**classifier)
    clf = MathClassifier(model_path, cfg)
    t = shards.read_table(pool_shard, columns=[*SCORE_COLUMNS, "text"])
    tokens = token_counts(t)
    scores = clf.score(t.column("text").to_pylist()) if t.num_rows else np.zeros(0, np.float32)
    out = t.select(["id", "url", "domain", "host"]).append_column("n_tokens", pa.array(tokens, pa.int64()))
    out = out.append_column("score", pa.array(scores, pa.float32()))
    shards.write_table(out, out_path)
    b = score_bin(scores, bins)
    docs = np.bincount(b, minlength=bins)
    toks = np.bincount(b, weights=tokens, minlength=bins)
    nz = np.nonzero(docs)[0]
    return {
        "records_in": t.num_rows,
        "kept": t.num_rows,
        "tokens": int(tokens.sum()),
        "hist_docs": {str(i): int(docs[i]) for i in nz},
        "hist_tokens": {str(i): int(toks[i]) for i in nz},
    }


def merge_hist(stats: list[dict[str, Any]], key: str, bins: int) -> np.ndarray:
    h = np.zeros(bins, dtype=np.int64)
    for s in stats:
        for k, v in s.get(key, {}).items():
            h[int(k)] += int(v)
    return h


@dataclass
class Cut:
    """The selection rule, one of:
    - threshold: score >= `score`;
    - budget: bin > `bin`, or bin == `bin` and (score, id) ranks at or above (`score`, `id`) with score
      descending and id ascending. bin = -1 selects everything; score = inf selects nothing in the bin."""

    mode: str
    bins: int
    bin: int = -1
    score: float = 0.0
    id: str = ""

    def mask(self, scores: np.ndarray, ids: list[str]) -> np.ndarray:
        s = np.asarray(scores, dtype=np.float32)
        if self.mode == "threshold":
            return s >= np.float32(self.score)
        b = score_bin(s, self.bins)
        sel = b > self.bin
        at = np.nonzero(b == self.bin)[0]
        cut = np.float32(self.score) if math.isfinite(self.score) else None
        for i in at:
            if cut is None:
                continue
            sel[i] = s[i] > cut or (s[i] == cut and ids[i] <= self.id)
        return sel

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (v if not (isinstance(v, float) and math.isinf(v)) else "inf") for k, v in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cut:
        d = dict(d)
        if d.get("score") == "inf":
            d["score"] = math.inf
        return cls(**d)


def boundary_bin(hist_tokens: np.ndarray, budget: int) -> tuple[int, int]:
    """(bin, remaining budget) where the top-down cumulative token count crosses `budget`;
    (-1, 0) when everything fits."""
    total = 0
    for b in range(len(hist_tokens) - 1, -1, -1):
        if total + hist_tokens[b] > budget:
            return b, budget - total
        total += int(hist_tokens[b])
    return -1, 0


def gather_boundary(scores_shard: str, out_path: str, bins: int, bin_index: int) -> dict[str, int]:
    """Stage: the pages of one shard inside the boundary bin (score, id, tokens): small by design."""
    t = shards.read_table(scores_shard, columns=["id", "n_tokens", "score"])
    b = score_bin(t.column("score").to_numpy(zero_copy_only=False), bins)
    sub = t.filter(pa.array(b == bin_index))
    shards.write_table(sub, out_path)
    return {"records_in": t.num_rows, "kept": sub.num_rows}


def resolve_cut(boundary_paths: list[str], bins: int, bin_index: int, remaining: int) -> Cut:
    """Order the boundary bin's pages (score desc, id asc) and take them while the budget allows."""
    t = pa.concat_tables([shards.read_table(p) for p in boundary_paths]) if boundary_paths else None
    if t is None or t.num_rows == 0:
        return Cut("budget", bins, bin_index, math.inf, "")
    idx = pc.sort_indices(t, sort_keys=[("score", "descending"), ("id", "ascending")])
    t = t.take(idx)
    cum = np.cumsum(t.column("n_tokens").to_numpy(zero_copy_only=False))
    n = int(np.searchsorted(cum, remaining, side="right"))  # pages whose running total stays <= remaining
    if n == 0:
        return Cut("budget", bins, bin_index, math.inf, "")
    return Cut(
        "budget", bins, bin_index, float(t.column("score")[n - 1].as_py()), t.column("id")[n - 1].as_py()
    )


def select_shard(
    pool_shard: str,
    scores_shard: str,
    out_path: str,
    summary_path: str,
    cut: dict[str, Any],
    round_k: int,
    earlier_selected: list[str],
    previous_selected: str | None,
    key: str = "domain",
) -> dict[str, Any]:
    """Stage: apply the global cut to one shard; write the selected documents (with `score`, `round`)
    and a per-key summary (pages in pool, pages and tokens selected) for discovery."""
    rule = Cut.from_dict(cut)
    sc = shards.read_table(scores_shard)
    ids = sc.column("id").to_pylist()
    mask = rule.mask(sc.column("score").to_numpy(zero_copy_only=False), ids)
    tokens = sc.column("n_tokens").to_numpy(zero_copy_only=False)

    # first round that selected each page: min over earlier rounds' selections of this shard
    first: dict[str, int] = {}
    for p in earlier_selected:
        if shards.exists(p):
            t = shards.read_table(p, columns=["id", "round"])
            for i, r in zip(t.column("id").to_pylist(), t.column("round").to_pylist()):
                first[i] = min(first.get(i, r), r)
    prev = set()
    if previous_selected and shards.exists(previous_selected):
        prev = set(shards.read_table(previous_selected, columns=["id"]).column("id").to_pylist())

    pool = shards.read_table(pool_shard)
    if pool.column("id").to_pylist() != ids:
        raise ValueError(f"scores {scores_shard} do not match pool shard {pool_shard} row for row")
    sel_idx = np.nonzero(mask)[0]
    chosen = pool.take(pa.array(sel_idx, pa.int64()))
    for name in ("score", "round"):
        if name in chosen.column_names:
            chosen = chosen.drop_columns([name])
    chosen_ids = [ids[i] for i in sel_idx]
    chosen = chosen.append_column("score", sc.column("score").take(pa.array(sel_idx, pa.int64())))
    chosen = chosen.append_column("round", pa.array([first.get(i, round_k) for i in chosen_ids], pa.int16()))
    shards.write_table(conform(chosen), out_path)

    keys = sc.column(key).to_pylist()
    summary: dict[str, list[int]] = {}
    for k, m, n in zip(keys, mask, tokens):
        row = summary.setdefault(k or "", [0, 0, 0])
        row[0] += 1
        if m:
            row[1] += 1
            row[2] += int(n)
    names = sorted(summary)
    shards.write_table(
        pa.table(
            {
                "key": names,
                "pages": pa.array([summary[k][0] for k in names], pa.int64()),
                "selected": pa.array([summary[k][1] for k in names], pa.int64()),
                "selected_tokens": pa.array([summary[k][2] for k in names], pa.int64()),
            }
        ),
        summary_path,
    )
    return {
        "records_in": sc.num_rows,
        "kept": len(sel_idx),
        "selected_tokens": int(tokens[mask].sum()) if len(tokens) else 0,
        "previously_selected": sum(1 for i in chosen_ids if i in prev),
        "new_pages": sum(1 for i in chosen_ids if i not in first),
    }
