"""The report as sections of tables, shared by the Markdown and HTML renderers (so both always show
the same numbers), each optionally paired with a plot (see `plots`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def fmt_int(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def fmt_pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:,} B" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)


def fmt_reasons(d: dict[str, int] | None) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in (d or {}).items()) or "-"


@dataclass
class Section:
    title: str
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""
    plot: str | None = None  # name of a function in `plots`
    level: int = 2
    samples: list[dict[str, Any]] | None = None  # documents to show (the samples section)


def build_sections(r: dict[str, Any]) -> list[Section]:
    out: list[Section] = []
    c = r["corpus"]
    out.append(
        Section(
            "Summary",
            ["", "value"],
            [
                ["path", f"`{r['path']}`"],
                ["report of", f"{r['kind']} (corpus figures: `{r['focus']}`)"],
                ["documents", fmt_int(c["documents"])],
                ["tokens", f"{fmt_int(c['tokens'])} ({c['tokens_source']})"],
                ["text bytes (UTF-8)", fmt_bytes(c["bytes"])],
                ["mean tokens / document", "-" if c["mean_tokens"] is None else f"{c['mean_tokens']:,.1f}"],
                ["shards", fmt_int(c["shards"])],
                ["documents with empty text", fmt_int(c["empty_text"])],
            ],
        )
    )
    if len(r["stages"]) > 1:
        out.append(
            Section(
                "Stages",
                ["stage", "shards", "documents", "tokens", "bytes"],
                [
                    [
                        f"`{s['stage']}`",
                        fmt_int(s["shards"]),
                        fmt_int(s["documents"]),
                        fmt_int(s["tokens"]),
                        fmt_bytes(s["bytes"]),
                    ]
                    for s in r["stages"]
                ],
            )
        )
    if r.get("funnel"):
        out.append(
            Section(
                "Funnel",
                [
                    "step",
                    "stage",
                    "documents",
                    "tokens",
                    "of ingested",
                    "dropped (side table)",
                    "dropped (stats records)",
                    "records = shards",
                ],
                [
                    [
                        f["step"],
                        f"`{f['stage']}`",
                        fmt_int(f["documents"]),
                        fmt_int(f.get("tokens")),
                        fmt_pct(f.get("share_of_ingested")),
                        f"not selected {f['not_selected']:,}"
                        if "not_selected" in f and not f.get("dropped")
                        else fmt_reasons(f.get("dropped")),
                        fmt_reasons(f.get("dropped_by_records")),
                        {True: "yes", False: "**NO**", None: "-"}[f.get("consistent")],
                    ]
                    for f in r["funnel"]
                ],
                note="Drops by reason, counted in the side tables (`<stage>/dropped/`) and in the stages' stats records (`_done/`). A drop without a document (e.g. a truncated gzip member) has no side-table row.",
                plot="funnel",
            )
        )
    rounds = (r.get("rounds") or {}).get("per_round")
    if rounds:
        out.append(
            Section(
                "Rounds",
                [
                    "round",
                    "selected",
                    "tokens",
                    "selected by an earlier round",
                    "share",
                    "round report's overlap with round k-1",
                    "new math domains",
                    "accepted paths",
                ],
                [
                    [
                        str(x["round"]),
                        fmt_int(x["selected"]),
                        fmt_int(x["tokens"]),
                        fmt_int(x["selected_earlier"]),
                        fmt_pct(x["share_selected_earlier"]),
                        fmt_pct(x["report_overlap_with_previous"]),
                        fmt_int(x["new_math_domains"]),
                        fmt_int(x["accepted_paths"]),
                    ]
                    for x in rounds
                ],
                plot="rounds",
            )
        )
    ov = r.get("overlap")
    if ov and ov["rounds"]:
        ks = ov["rounds"]
        out.append(
            Section(
                "Overlap between rounds",
                ["round", *[f"∩ round {k}" for k in ks]],
                [
                    [str(a), *[f"{cell['intersection']:,} (J {cell['jaccard']:.2f})" for cell in row]]
                    for a, row in zip(ks, ov["matrix"], strict=True)
                ],
                note="Pages selected by both rounds (by id), with the Jaccard index.",
                plot="overlap",
            )
        )
    cont = r.get("contamination")
    if cont:
        out.append(
            Section(
                "Contamination by benchmark",
                [
                    "benchmark",
                    "benchmark items",
                    "pages (report)",
                    "dropped (first match)",
                    "pages (stage summary)",
                ],
                [
                    [
                        f"`{b['benchmark']}`",
                        fmt_int(b["benchmark_items"]),
                        fmt_int(b["report_pages"]),
                        fmt_int(b["dropped_first_match"]),
                        fmt_int(b["summary_pages"]),
                    ]
                    for b in cont["by_benchmark"]
                ],
                note=f"Pages in the contamination report: {fmt_int(cont['pages'])}; by action: {fmt_reasons(cont['by_action'])}; by rule: {fmt_reasons(cont['by_rule'])}.",
                plot="contamination",
            )
        )
    focus = f"`{r['focus']}`"
    if c.get("by_round"):
        out.append(
            Section(
                f"By round ({focus})",
                ["round", "documents", "share", "tokens", "token share"],
                _share_rows(c["by_round"]),
                note="The round that first selected each page.",
                plot="by_round",
            )
        )
    if c.get("by_lang"):
        out.append(
            Section(
                f"By language ({focus})",
                ["language", "documents", "share", "tokens", "token share"],
                _share_rows(c["by_lang"]),
                plot="languages",
            )
        )
    dom = c.get("by_domain")
    if dom:
        rows = _share_rows(dom["top"])
        if dom["other"]:
            o = dom["other"]
            rows.append(
                [
                    f"({o['labels']:,} other domains)",
                    fmt_int(o["documents"]),
                    fmt_pct(o["doc_share"]),
                    fmt_int(o["tokens"]),
                    fmt_pct(o["token_share"]),
                ]
            )
        out.append(
            Section(
                f"Top domains ({focus})",
                ["domain", "documents", "share", "tokens", "token share"],
                rows,
                note=f"{dom['distinct']:,} distinct domains.",
                plot="domains",
            )
        )
    m = c.get("math")
    if m:
        rows = [
            [
                f"`{f['family']}`",
                fmt_int(f["documents"]),
                fmt_pct(f["doc_share"]),
                fmt_int(f["tokens"]),
                fmt_int(f["markup"]),
            ]
            for f in m["families"]
        ]
        rows.append(
            [
                "any family",
                fmt_int(m["any"]["documents"]),
                fmt_pct(m["any"]["doc_share"]),
                fmt_int(m["any"]["tokens"]),
                "-",
            ]
        )
        out.append(
            Section(
                f"Math markup ({focus})",
                ["family", "documents with it", "share", "their tokens", "markup count"],
                rows,
                note=f"Dominant family per document: {fmt_reasons(m['dominant'])}.",
                plot="math",
            )
        )
    sh = c.get("score_hist")
    if sh:
        out.append(
            Section(
                f"Classifier score ({focus})",
                ["score", "documents", "tokens"],
                [
                    [lab, fmt_int(d), fmt_int(t)]
                    for lab, d, t in zip(sh["labels"], sh["documents"], sh["tokens"], strict=True)
                    if d
                ],
                note=f"Documents without a score: {sh['nulls']:,}.",
                plot="scores",
            )
        )
    ps = r.get("pool_scores")
    if ps and ps.get("score_hist"):
        h = ps["score_hist"]
        out.append(
            Section(
                f"Classifier score over the pool (`{ps['stage']}`)",
                ["score", "documents", "tokens"],
                [
                    [lab, fmt_int(d), fmt_int(t)]
                    for lab, d, t in zip(h["labels"], h["documents"], h["tokens"], strict=True)
                    if d
                ],
                plot="pool_scores",
            )
        )
    lh = c["length_hist"]
    out.append(
        Section(
            f"Length in tokens ({focus})",
            ["tokens", "documents"],
            [[lab, fmt_int(d)] for lab, d in zip(lh["labels"], lh["documents"], strict=True) if d],
            plot="lengths",
        )
    )
    if c.get("samples"):
        items = []
        for kind, buckets in c["samples"].items():
            for bucket, docs in buckets.items():
                items.append({"kind": kind, "bucket": bucket, "docs": docs})
        out.append(
            Section(
                f"Sample documents ({focus})",
                note="Per bucket, the documents with the smallest id hash: a uniform sample that stays the same from one report to the next.",
                samples=items,
            )
        )
    return out


def _share_rows(rows: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            f"`{x['label']}`",
            fmt_int(x["documents"]),
            fmt_pct(x["doc_share"]),
            fmt_int(x["tokens"]),
            fmt_pct(x["token_share"]),
        ]
        for x in rows
    ]
