"""`mathmine corpus compare RUN_A RUN_B`: what changed between two runs (or shard folders).

Built from two statistics reports (computed, or loaded from `stats --format json` files): documents
and tokens per stage, drops by reason, rounds, languages and domains whose share moved most,
markup families, contamination; the corpus ids added and removed (when both corpora are on disk);
and the recipe keys whose values differ.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import yaml

from corpus import shards
from corpus.stats.overlap import id_hashes
from corpus.stats.sections import fmt_int, fmt_pct


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, dict):
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): d}


def _recipe(path: str) -> dict[str, Any] | None:
    p = shards.join(path, "recipe.yaml")
    if not shards.exists(p):
        return None
    fs, lp = shards.url_to_fs(p)
    with fs.open(lp, "rt") as f:
        return _flatten(yaml.safe_load(f) or {})


def _rows_by_label(rows: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {r["label"]: r for r in rows or []}


def compare_reports(a: dict[str, Any], b: dict[str, Any], top: int = 15) -> dict[str, Any]:
    sa = {s["stage"]: s for s in a["stages"]}
    sb = {s["stage"]: s for s in b["stages"]}
    names = [s["stage"] for s in a["stages"]] + [s["stage"] for s in b["stages"] if s["stage"] not in sa]
    stages = [
        {
            "stage": n,
            "documents_a": (sa.get(n) or {}).get("documents"),
            "documents_b": (sb.get(n) or {}).get("documents"),
            "documents_delta": _delta((sa.get(n) or {}).get("documents"), (sb.get(n) or {}).get("documents")),
            "tokens_a": (sa.get(n) or {}).get("tokens"),
            "tokens_b": (sb.get(n) or {}).get("tokens"),
            "tokens_delta": _delta((sa.get(n) or {}).get("tokens"), (sb.get(n) or {}).get("tokens")),
        }
        for n in names
    ]
    drops = []
    da, db = a.get("dropped") or {}, b.get("dropped") or {}
    for st in sorted(set(da) | set(db)):
        ra, rb = (da.get(st) or {}).get("by_reason", {}), (db.get(st) or {}).get("by_reason", {})
        for reason in sorted(set(ra) | set(rb)):
            x, y = (ra.get(reason) or {}).get("documents", 0), (rb.get(reason) or {}).get("documents", 0)
            drops.append({"stage": st, "reason": reason, "a": x, "b": y, "delta": y - x})

    def movers(key: str, rows_a, rows_b) -> list[dict[str, Any]]:
        ga, gb = _rows_by_label(rows_a), _rows_by_label(rows_b)
        out = []
        for lab in set(ga) | set(gb):
            x, y = ga.get(lab) or {}, gb.get(lab) or {}
            out.append(
                {
                    key: lab,
                    "documents_a": x.get("documents", 0),
                    "documents_b": y.get("documents", 0),
                    "share_a": x.get("doc_share") or 0.0,
                    "share_b": y.get("doc_share") or 0.0,
                    "share_delta": (y.get("doc_share") or 0.0) - (x.get("doc_share") or 0.0),
                }
            )
        out.sort(key=lambda r: (-abs(r["share_delta"]), -r["documents_b"], r[key]))
        return out[:top]

    ca, cb = a["corpus"], b["corpus"]
    rounds_a = {r["round"]: r for r in (a.get("rounds") or {}).get("per_round", [])}
    rounds_b = {r["round"]: r for r in (b.get("rounds") or {}).get("per_round", [])}
    rounds = [
        {
            "round": k,
            "selected_a": (rounds_a.get(k) or {}).get("selected"),
            "selected_b": (rounds_b.get(k) or {}).get("selected"),
            "delta": _delta((rounds_a.get(k) or {}).get("selected"), (rounds_b.get(k) or {}).get("selected")),
        }
        for k in sorted(set(rounds_a) | set(rounds_b))
    ]
    cont_a = {x["benchmark"]: x for x in (a.get("contamination") or {}).get("by_benchmark", [])}
    cont_b = {x["benchmark"]: x for x in (b.get("contamination") or {}).get("by_benchmark", [])}
    contamination = [
        {
            "benchmark": n,
            "a": (cont_a.get(n) or {}).get("report_pages"),
            "b": (cont_b.get(n) or {}).get("report_pages"),
        }
        for n in sorted(set(cont_a) | set(cont_b))
    ]
    fa = {f["family"]: f for f in ((ca.get("math") or {}).get("families") or [])}
    fb = {f["family"]: f for f in ((cb.get("math") or {}).get("families") or [])}
    math = [
        {
            "family": n,
            "documents_a": (fa.get(n) or {}).get("documents"),
            "documents_b": (fb.get(n) or {}).get("documents"),
        }
        for n in sorted(set(fa) | set(fb))
    ]
    out: dict[str, Any] = {
        "a": a["path"],
        "b": b["path"],
        "focus": [a["focus"], b["focus"]],
        "stages": stages,
        "dropped": drops,
        "rounds": rounds,
        "languages": movers("lang", ca.get("by_lang"), cb.get("by_lang")),
        "domains": movers(
            "domain", (ca.get("by_domain") or {}).get("top"), (cb.get("by_domain") or {}).get("top")
        ),
        "math": math,
        "contamination": contamination,
        "ids": _id_diff(a, b),
        "recipe": _recipe_diff(a, b),
    }
    return out


def _focus_path(r: dict[str, Any]) -> str | None:
    row = next((s for s in r["stages"] if s["stage"] == r["focus"]), None)
    return row["path"] if row else None


def _id_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any] | None:
    pa_, pb = _focus_path(a), _focus_path(b)
    if not pa_ or not pb or not shards.exists(pa_) or not shards.exists(pb):
        return None
    ia, ib = id_hashes(pa_), id_hashes(pb)
    common = int(np.intersect1d(ia, ib, assume_unique=True).size)
    return {
        "a": int(ia.size),
        "b": int(ib.size),
        "common": common,
        "only_a": int(ia.size - common),
        "only_b": int(ib.size - common),
    }


def _recipe_diff(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]] | None:
    if a.get("kind") != "run" or b.get("kind") != "run":
        return None
    ra, rb = _recipe(a["path"]), _recipe(b["path"])
    if ra is None or rb is None:
        return None
    return [
        {"key": k, "a": ra.get(k), "b": rb.get(k)}
        for k in sorted(set(ra) | set(rb))
        if ra.get(k) != rb.get(k)
    ]


def _signed(n: float | None) -> str:
    return "-" if n is None else f"{n:+,}"


def compare_markdown(c: dict[str, Any]) -> str:
    L = [f"# Compare: A = `{c['a']}`, B = `{c['b']}`", ""]

    def table(title: str, headers: list[str], rows: list[list[str]]) -> None:
        if not rows:
            return
        L.extend(
            [
                f"## {title}",
                "",
                "| " + " | ".join(headers) + " |",
                "|" + "|".join("---" for _ in headers) + "|",
            ]
        )
        L.extend("| " + " | ".join(r) + " |" for r in rows)
        L.append("")

    table(
        "Stages",
        ["stage", "documents A", "documents B", "Δ", "tokens A", "tokens B", "Δ"],
        [
            [
                f"`{s['stage']}`",
                fmt_int(s["documents_a"]),
                fmt_int(s["documents_b"]),
                _signed(s["documents_delta"]),
                fmt_int(s["tokens_a"]),
                fmt_int(s["tokens_b"]),
                _signed(s["tokens_delta"]),
            ]
            for s in c["stages"]
        ],
    )
    if c["ids"]:
        i = c["ids"]
        table(
            "Corpus ids",
            ["in A", "in B", "in both", "only in A (removed)", "only in B (added)"],
            [
                [
                    fmt_int(i["a"]),
                    fmt_int(i["b"]),
                    fmt_int(i["common"]),
                    fmt_int(i["only_a"]),
                    fmt_int(i["only_b"]),
                ]
            ],
        )
    table(
        "Drops by reason",
        ["stage", "reason", "A", "B", "Δ"],
        [
            [f"`{d['stage']}`", d["reason"], fmt_int(d["a"]), fmt_int(d["b"]), _signed(d["delta"])]
            for d in c["dropped"]
        ],
    )
    table(
        "Rounds",
        ["round", "selected A", "selected B", "Δ"],
        [
            [str(r["round"]), fmt_int(r["selected_a"]), fmt_int(r["selected_b"]), _signed(r["delta"])]
            for r in c["rounds"]
        ],
    )
    for key, title in (
        ("languages", "Languages (largest share changes)"),
        ("domains", "Domains (largest share changes among the top domains)"),
    ):
        lab = "lang" if key == "languages" else "domain"
        table(
            title,
            [lab, "documents A", "documents B", "share A", "share B", "Δ share"],
            [
                [
                    f"`{x[lab]}`",
                    fmt_int(x["documents_a"]),
                    fmt_int(x["documents_b"]),
                    fmt_pct(x["share_a"]),
                    fmt_pct(x["share_b"]),
                    f"{100 * x['share_delta']:+.1f} pt",
                ]
                for x in c[key]
            ],
        )
    table(
        "Math markup",
        ["family", "documents A", "documents B"],
        [[f"`{m['family']}`", fmt_int(m["documents_a"]), fmt_int(m["documents_b"])] for m in c["math"]],
    )
    table(
        "Contamination (pages)",
        ["benchmark", "A", "B"],
        [[f"`{x['benchmark']}`", fmt_int(x["a"]), fmt_int(x["b"])] for x in c["contamination"]],
    )
    if c["recipe"] is not None:
        table(
            "Recipe differences",
            ["key", "A", "B"],
            [[f"`{r['key']}`", f"`{json.dumps(r['a'])}`", f"`{json.dumps(r['b'])}`"] for r in c["recipe"]]
            or [["(none)", "", ""]],
        )
    return "\n".join(L) + "\n"
