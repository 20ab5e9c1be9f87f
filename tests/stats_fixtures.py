"""A hand-made run directory for the stats tests: every stage folder, side tables, stats records,
round reports and the decontamination outputs, with randomised (seeded) contents so the tests
compare the report against counts computed directly from the shards, not against constants."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import yaml

from corpus import shards
from corpus.schema import MATH_FAMILIES, conform

LANGS = ["en", "zh", "fr"]
DOMAINS = [f"site{i}.org" for i in range(30)]
WORDS = [
    "the",
    "sum",
    "of",
    "two",
    "primes",
    "is",
    "even",
    "integral",
    "derivative",
    "matrix",
    "proof",
    "lemma",
    "整数",
    "函数",
]


def make_docs(n: int, seed: int, prefix: str = "d") -> pa.Table:
    rng = np.random.default_rng(seed)
    ids = [hashlib.sha1(f"{prefix}{seed}-{i}".encode()).hexdigest() for i in range(n)]
    texts = [" ".join(rng.choice(WORDS, size=int(rng.integers(3, 60)))) + f" $x^{i}$" for i in range(n)]
    ntok = [int(len(t.split()) * 1.3) for t in texts]
    ntok_arr = pa.array([None if rng.random() < 0.1 else v for v in ntok], pa.int32())  # some missing
    domain_p = np.r_[0.3, np.full(len(DOMAINS) - 1, 0.7 / (len(DOMAINS) - 1))]
    cols = {
        "id": pa.array(ids),
        "url": pa.array([f"https://{d}/p/{i}" for i, d in enumerate(rng.choice(DOMAINS, n, p=domain_p))]),
        "text": pa.array(texts),
        "lang": pa.array(rng.choice(LANGS, n, p=[0.7, 0.2, 0.1]).tolist()),
        "n_tokens": ntok_arr,
        "score": pa.array([None if rng.random() < 0.05 else float(x) for x in rng.random(n)], pa.float32()),
    }
    cols["domain"] = pa.array([u.split("/")[2] for u in cols["url"].to_pylist()])
    for f in MATH_FAMILIES:
        v = rng.integers(0, 4, n) * (rng.random(n) < 0.3)
        cols[f"math_{f}"] = pa.array(v.astype(np.int32))
    return conform(pa.table(cols))


def write_stage(table: pa.Table, folder: Path, nshards: int) -> None:
    bounds = np.linspace(0, table.num_rows, nshards + 1).astype(int)
    for i in range(nshards):
        shards.write_table(
            table.slice(bounds[i], bounds[i + 1] - bounds[i]), str(folder / shards.shard_name(i))
        )


def with_reason(table: pa.Table, reasons: list[str], seed: int, **extra: list) -> pa.Table:
    rng = np.random.default_rng(seed)
    t = table.append_column("reason", pa.array(rng.choice(reasons, table.num_rows).tolist()))
    for k, v in extra.items():
        t = t.append_column(k, pa.array(v))
    return t


def make_run(root: Path, seed: int = 0, n: int = 900, nshards: int = 3) -> Path:
    """RUN/{ingest,dedup,round-1..2/selected,extract,final} plus side tables, records and reports."""
    rng = np.random.default_rng(seed)
    run = root
    run.mkdir(parents=True, exist_ok=True)
    (run / "recipe.yaml").write_text(
        yaml.safe_dump({"name": "mini", "selection": {"threshold": 0.5 + seed / 10}})
    )
    docs = make_docs(n, seed)
    ing_drop = with_reason(
        make_docs(60, seed + 100, "x"), ["text_too_short", "not_html", "lang_below_threshold"], seed
    )
    write_stage(docs, run / "ingest", nshards)
    write_stage(ing_drop, run / "ingest" / "dropped", nshards)
    # stats records per task, as the ingest stage writes them (responses = kept + dropped + 1 without a row)
    drop_counts = {}
    for r in ing_drop.column("reason").to_pylist():
        drop_counts[r] = drop_counts.get(r, 0) + 1
    shards.mark_done(
        str(run / "ingest"),
        "part-00000",
        {
            "records_in": n * 3,
            "responses": n + 61,
            "kept": n,
            "dropped": {**drop_counts, "truncated_gzip": 1},
        },
    )
    keep = rng.random(n) < 0.8
    pool = docs.filter(pa.array(keep))
    write_stage(pool, run / "dedup", nshards)
    dd = with_reason(docs.filter(pa.array(~keep)), ["url_duplicate", "near_duplicate"], seed + 1)
    write_stage(dd, run / "dedup" / "dropped", nshards)
    shards.mark_done(
        str(run / "dedup"),
        "part-00000",
        {
            "records_in": n,
            "kept": pool.num_rows,
            "dropped": {
                k: int(v)
                for k, v in zip(*np.unique(dd.column("reason").to_pylist(), return_counts=True), strict=True)
            },
        },
    )
    sc = pool.column("score").fill_null(0).to_numpy()
    sel1 = pool.filter(pa.array(sc > 0.8))
    sel1 = sel1.set_column(
        sel1.schema.get_field_index("round"), "round", pa.array(np.ones(sel1.num_rows, np.int16))
    )
    sel2 = pool.filter(pa.array(sc > 0.6))
    first = np.where(sel2.column("score").fill_null(0).to_numpy() > 0.8, 1, 2).astype(np.int16)
    sel2 = sel2.set_column(sel2.schema.get_field_index("round"), "round", pa.array(first))
    for k, sel in ((1, sel1), (2, sel2)):
        write_stage(sel, run / f"round-{k}" / "selected", nshards)
        shards.write_json(
            str(run / f"round-{k}" / "report.json"),
            {
                "round": k,
                "selected_pages": sel.num_rows,
                "overlap_with_previous": None if k == 1 else sel1.num_rows / sel2.num_rows,
                "pool_pages": pool.num_rows,
            },
        )
        scores = pool.select(["id", "url", "domain", "n_tokens", "score"])
        write_stage(scores, run / f"round-{k}" / "scores", nshards)
    write_stage(sel2, run / "extract", nshards)
    contaminated = np.zeros(sel2.num_rows, bool)
    contaminated[rng.choice(sel2.num_rows, size=min(7, sel2.num_rows), replace=False)] = True
    final = sel2.filter(pa.array(~contaminated))
    write_stage(final, run / "final", nshards)
    cont = sel2.filter(pa.array(contaminated))
    benches = rng.choice(["gsm8k", "math"], cont.num_rows).tolist()
    write_stage(
        with_reason(cont, ["contaminated"], seed, contam_benchmark=benches), run / "final" / "dropped", 1
    )
    shards.mark_done(
        str(run / "final"),
        "part-00000",
        {"records_in": sel2.num_rows, "kept": final.num_rows, "dropped": {"contaminated": cont.num_rows}},
    )
    with open(run / "final" / "contamination.jsonl", "w") as f:
        for doc_id, b in zip(cont.column("id").to_pylist(), benches, strict=True):
            f.write(
                json.dumps(
                    {"id": doc_id, "action": "dropped", "benchmark": b, "benchmarks": [b], "rule": "ngram"}
                )
                + "\n"
            )
    by_b = {b: benches.count(b) for b in set(benches)}
    shards.write_json(
        str(run / "final" / "contamination_summary.json"),
        {
            "by_benchmark": by_b,
            "records_in": sel2.num_rows,
            "kept": final.num_rows,
            "contaminated": cont.num_rows,
            "index": {"benchmarks": {"gsm8k": 5, "math": 6}},
        },
    )
    return run
