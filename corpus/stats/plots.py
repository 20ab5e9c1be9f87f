"""Report plots (matplotlib, Agg backend), each a function of the report returning PNG bytes, or
None when the report lacks what it draws. The HTML report embeds them as base64 data URLs."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any


def _fig(w: float = 7.5, h: float = 3.4):
    import matplotlib

    matplotlib.use("Agg")  # no display; safe in worker processes and CI
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(w, h), dpi=100)
    return plt, fig, ax


def _png(plt, fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _barh(labels: list[str], values: list[float], xlabel: str, title: str, color: str = "#4c72b0") -> bytes:
    plt, fig, ax = _fig(7.5, max(2.0, 0.32 * len(labels) + 1.0))
    y = list(range(len(labels)))[::-1]
    ax.barh(y, values, color=color)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    for yi, v in zip(y, values, strict=True):
        ax.text(v, yi, f" {v:,.0f}", va="center", fontsize=7)
    return _png(plt, fig)


def funnel(r: dict[str, Any]) -> bytes | None:
    f = r.get("funnel")
    if not f:
        return None
    return _barh(
        [x["step"] for x in f], [x["documents"] for x in f], "documents", "Funnel: documents per stage"
    )


def rounds(r: dict[str, Any]) -> bytes | None:
    per = (r.get("rounds") or {}).get("per_round")
    if not per:
        return None
    plt, fig, ax = _fig()
    ks = [str(x["round"]) for x in per]
    earlier = [x["selected_earlier"] for x in per]
    new = [x["selected"] - x["selected_earlier"] for x in per]
    ax.bar(ks, earlier, label="selected by an earlier round", color="#8da0cb")
    ax.bar(ks, new, bottom=earlier, label="new this round", color="#fc8d62")
    ax.set_xlabel("round")
    ax.set_ylabel("pages selected")
    ax.set_title("Pages selected per round", fontsize=10)
    ax.legend(fontsize=8)
    return _png(plt, fig)


def overlap(r: dict[str, Any]) -> bytes | None:
    ov = r.get("overlap")
    if not ov or len(ov["rounds"]) < 2:
        return None
    import numpy as np

    plt, fig, ax = _fig(4.8, 4.0)
    m = np.array([[c["jaccard"] for c in row] for row in ov["matrix"]])
    im = ax.imshow(m, vmin=0, vmax=1, cmap="Blues")
    ks = [str(k) for k in ov["rounds"]]
    ax.set_xticks(range(len(ks)), ks)
    ax.set_yticks(range(len(ks)), ks)
    for i in range(len(ks)):
        for j in range(len(ks)):
            ax.text(
                j,
                i,
                f"{ov['matrix'][i][j]['intersection']:,}",
                ha="center",
                va="center",
                fontsize=8,
                color="black" if m[i, j] < 0.6 else "white",
            )
    ax.set_xlabel("round")
    ax.set_ylabel("round")
    ax.set_title("Round overlap (pages; colour: Jaccard)", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046)
    return _png(plt, fig)


def contamination(r: dict[str, Any]) -> bytes | None:
    c = r.get("contamination")
    if not c or not c["by_benchmark"]:
        return None
    rows = c["by_benchmark"]
    vals = [b["report_pages"] if b["report_pages"] is not None else b["dropped_first_match"] for b in rows]
    return _barh(
        [b["benchmark"] for b in rows],
        vals,
        "contaminated pages",
        "Contamination by benchmark",
        color="#d62728",
    )


def _group_bars(rows: list[dict[str, Any]] | None, title: str, limit: int = 25) -> bytes | None:
    if not rows:
        return None
    rows = rows[:limit]
    return _barh([str(x["label"]) for x in rows], [x["documents"] for x in rows], "documents", title)


def by_round(r: dict[str, Any]) -> bytes | None:
    return _group_bars(r["corpus"].get("by_round"), f"{r['focus']}: documents by first-selecting round")


def languages(r: dict[str, Any]) -> bytes | None:
    return _group_bars(r["corpus"].get("by_lang"), f"{r['focus']}: documents by language")


def domains(r: dict[str, Any]) -> bytes | None:
    d = r["corpus"].get("by_domain")
    return _group_bars(d["top"] if d else None, f"{r['focus']}: top domains")


def math(r: dict[str, Any]) -> bytes | None:
    m = r["corpus"].get("math")
    if not m:
        return None
    fams = m["families"]
    return _barh(
        [f["family"] for f in fams],
        [f["documents"] for f in fams],
        "documents with the markup",
        f"{r['focus']}: math markup families",
        color="#55a868",
    )


def _hist(labels: list[str], docs: list[int], title: str, xlabel: str, log: bool = False) -> bytes:
    plt, fig, ax = _fig()
    ax.bar(range(len(docs)), docs, color="#4c72b0", width=0.9)
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right", fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("documents")
    if log and any(docs):
        ax.set_yscale("symlog")
    ax.set_title(title, fontsize=10)
    return _png(plt, fig)


def scores(r: dict[str, Any]) -> bytes | None:
    h = r["corpus"].get("score_hist")
    if not h:
        return None
    return _hist(
        [f"{e:.2f}" for e in h["edges"][:-1]],
        h["documents"],
        f"{r['focus']}: classifier score",
        "score (bin start)",
    )


def pool_scores(r: dict[str, Any]) -> bytes | None:
    p = r.get("pool_scores")
    if not p or not p.get("score_hist"):
        return None
    h = p["score_hist"]
    return _hist(
        [f"{e:.2f}" for e in h["edges"][:-1]],
        h["documents"],
        f"{p['stage']}: classifier score over the pool",
        "score (bin start)",
        log=True,
    )


def lengths(r: dict[str, Any]) -> bytes | None:
    h = r["corpus"]["length_hist"]
    docs = h["documents"]
    nz = [i for i, d in enumerate(docs) if d]
    if not nz:
        return None
    lo, hi = nz[0], nz[-1] + 1
    return _hist(h["labels"][lo:hi], docs[lo:hi], f"{r['focus']}: length", "tokens")


PLOTS: dict[str, Callable[[dict[str, Any]], bytes | None]] = {
    f.__name__: f
    for f in (
        funnel,
        rounds,
        overlap,
        contamination,
        by_round,
        languages,
        domains,
        math,
        scores,
        pool_scores,
        lengths,
    )
}
