"""Decontamination speed: pages/s on one core against the index of every benchmark in ../shared/data,
the index build time, and, side by side, the per-page cost of a text-extraction stage (resiliparse
`extract_plain_text`, the fast tier, and trafilatura) on real HTML pages, to show decontamination is
never the slowest corpus stage. Also: sorted numpy array + searchsorted vs a Python set for the gram
lookups (time and memory), and the whole stage (Parquet in/out) through `run_decontaminate`.

    python -m benchmarks decontam        # writes benchmarks/results/decontam.json
"""

from __future__ import annotations

import gzip
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import fix_threads, print_table, timed, write_result

DATA = Path(
    os.environ.get("MATHMINE_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data")
)
if not DATA.is_dir():
    DATA = Path("/work/shared/data")

ALL_BENCHMARKS = [
    "gsm8k=gsm8k/test.jsonl",
    "gsm8k=gsm8k/train.jsonl.gz",
    "math=math/test.jsonl.gz",
    "math500=math/math500_test.jsonl",
    "cmath=cmath/cmath_test.jsonl",
    "agieval-gaokao-mathqa=agieval/gaokao-mathqa.jsonl",
    "agieval-gaokao-mathcloze=agieval/gaokao-mathcloze.jsonl",
    "agieval-math=agieval/math.jsonl",
    "agieval-sat-math=agieval/sat-math.jsonl",
    "agieval-aqua-rat=agieval/aqua-rat.jsonl",
    "mgsm-zh=deepseek_math_eval/mgsm_zh.jsonl",
    "mmlu-stem=deepseek_math_eval/mmlu_stem_test.jsonl",
    "ocw=deepseek_math_eval/ocw_test.jsonl",
    "sat=deepseek_math_eval/sat_test.jsonl",
]
REPEATS = 3  # passes over the page set; the best pass is reported (least disturbed by other load)


def _text_pages() -> list[str]:
    texts = [
        json.loads(line)["text"]
        for f in sorted((DATA / "web_text_dclm").glob("*.jsonl"))
        for line in f.read_text().splitlines()
        if line.strip()
    ]
    for f in sorted((DATA / "web_text_dolma").glob("*.gz")):
        with gzip.open(f, "rt") as fh:
            texts += [json.loads(line)["text"] for line in fh if line.strip()]
    return texts


def _html_pages() -> list[str]:
    pages = []
    for f in sorted((DATA / "html_trafilatura" / "nonmath").glob("*.html.gz")):
        pages.append(gzip.decompress(f.read_bytes()).decode("utf-8", "replace"))
    for pat in (
        "html_llm_webkit/*.html",
        "html_llm_webkit/tests/*.html",
        "html_readability/*.html",
        "html_trafilatura/math/*.html",
    ):
        pages += [f.read_text(errors="replace") for f in sorted(DATA.glob(pat))]
    return pages


def _best_per_page(fn, items, repeats: int = REPEATS) -> float:
    """Best-of-`repeats` seconds per item of fn over all items."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for x in items:
            fn(x)
        best = min(best, time.perf_counter() - t0)
    return best / len(items)


def main() -> None:
    fix_threads(1)
    import numpy as np
    import pyarrow as pa
    import trafilatura
    from resiliparse.extract.html2text import extract_plain_text

    from corpus import shards
    from corpus.decontam.config import DecontamConfig
    from corpus.decontam.hashing import ngram_hashes, token_hashes
    from corpus.decontam.index import build_index
    from corpus.decontam.matcher import find_matches, scan_text
    from corpus.decontam.normalize import gram_tokens, normalize, token_regex
    from corpus.decontam.stage import run_decontaminate
    from corpus.executors import LocalExecutor

    cfg = DecontamConfig(benchmarks=[f"{b.split('=')[0]}={DATA / b.split('=')[1]}" for b in ALL_BENCHMARKS])
    with timed() as t_build:
        index = build_index(cfg)
    meta = index.meta
    print(
        f"index: {meta['items']:,} items, {meta['grams']:,} grams, {meta['short_texts']} short texts, "
        f"built in {t_build.seconds:.2f} s ({index.hashes.nbytes / 2**20:.1f} MiB hashes)"
    )

    texts = _text_pages()
    html = _html_pages()
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"{len(texts)} text pages ({mb:.1f} MB), {len(html)} HTML pages", flush=True)

    # --- decontamination of real text pages, one core, with a per-step breakdown ----------------------
    tok_re = token_regex(index.gram_unit)
    norms = [normalize(t) for t in texts]
    toks = [gram_tokens(n, index.gram_unit) for n in norms]
    ths = [token_hashes(t) for t in toks]
    grams = [ngram_hashes(h, index.n) for h in ths]
    with timed() as t_scan:
        per_page = _best_per_page(lambda t: scan_text(t, index), texts)
    steps = {
        "normalize": _best_per_page(normalize, texts),
        "tokenize_regex_reference": _best_per_page(tok_re.findall, norms),
        "tokenize": _best_per_page(lambda x: gram_tokens(x, index.gram_unit), norms),
        "token_hash": _best_per_page(token_hashes, toks),
        "ngram_hash": _best_per_page(lambda h: ngram_hashes(h, index.n), ths),
        "lookup_prefilter_searchsorted": _best_per_page(index.lookup, grams),
        "lookup_searchsorted_only": _best_per_page(lambda g: np.searchsorted(index.hashes, g), grams),
        "find_matches(all)": _best_per_page(lambda t: find_matches(t, index), toks),
    }
    # Python set alternative for the lookup: time and memory.
    import tracemalloc

    tracemalloc.start()
    as_set = set(index.hashes.tolist())
    set_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    steps["lookup_python_set"] = _best_per_page(lambda g: [h in as_set for h in g.tolist()], grams)

    # --- extraction stages on real HTML pages (per-page cost), and decontamination of their text -----
    plain = [extract_plain_text(h, main_content=False) for h in html]
    resil = _best_per_page(lambda h: extract_plain_text(h, main_content=False), html)
    resil_main = _best_per_page(lambda h: extract_plain_text(h, main_content=True), html)
    traf = _best_per_page(lambda h: trafilatura.extract(h, include_formatting=False), html, repeats=1)
    dec_html = _best_per_page(lambda t: scan_text(t, index), plain)

    # --- the whole stage (Parquet read, scan, write, report) through run_decontaminate, one worker ----
    rng = random.Random(0)
    stage_texts = [rng.choice(texts) for _ in range(4000)]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(4):
            part = stage_texts[i * 1000 : (i + 1) * 1000]
            shards.write_table(
                pa.table({"id": [f"{i}-{j}" for j in range(len(part))], "text": part}),
                f"{tmp}/in/part-{i:05d}.parquet",
            )
        index.save(f"{tmp}/out/_index")  # what run_decontaminate would build first (timed above)
        meta_path = Path(tmp, "out/_index/meta.json")
        meta_path.write_text(
            json.dumps({**json.loads(meta_path.read_text()), "fingerprint": cfg.index_fingerprint()})
        )
        with timed() as t_stage:
            stats = run_decontaminate(f"{tmp}/in", f"{tmp}/out", cfg, LocalExecutor(1))
    stage_pps = stats["records_in"] / t_stage.seconds

    rows = [
        {
            "stage": "decontaminate (dclm/dolma text)",
            "ms/page": per_page * 1e3,
            "pages/s/core": 1 / per_page,
            "MB/s/core": mb / (per_page * len(texts)),
        },
        {
            "stage": "decontaminate (text of the HTML pages)",
            "ms/page": dec_html * 1e3,
            "pages/s/core": 1 / dec_html,
            "MB/s/core": sum(len(t.encode()) for t in plain) / 1e6 / (dec_html * len(plain)),
        },
        {
            "stage": "decontaminate stage, Parquet in/out",
            "ms/page": 1e3 / stage_pps,
            "pages/s/core": stage_pps,
            "MB/s/core": float("nan"),
        },
        {
            "stage": "extract: resiliparse plain text",
            "ms/page": resil * 1e3,
            "pages/s/core": 1 / resil,
            "MB/s/core": float("nan"),
        },
        {
            "stage": "extract: resiliparse main content",
            "ms/page": resil_main * 1e3,
            "pages/s/core": 1 / resil_main,
            "MB/s/core": float("nan"),
        },
        {
            "stage": "extract: trafilatura",
            "ms/page": traf * 1e3,
            "pages/s/core": 1 / traf,
            "MB/s/core": float("nan"),
        },
    ]
    print_table(rows, "one core, best of passes")
    print_table([{"step": k, "us/page": v * 1e6} for k, v in steps.items()], "decontamination steps")
    ratios = {
        "resiliparse_over_decontam_same_pages": resil / dec_html,
        "trafilatura_over_decontam_same_pages": traf / dec_html,
        "set_over_numpy_memory": set_bytes / (index.hashes.nbytes + index.items.nbytes),
        "set_over_lookup_time": steps["lookup_python_set"] / steps["lookup_prefilter_searchsorted"],
        "searchsorted_only_over_lookup_time": steps["lookup_searchsorted_only"]
        / steps["lookup_prefilter_searchsorted"],
    }
    print("ratios:", json.dumps({k: round(v, 2) for k, v in ratios.items()}))
    median_words = statistics.median(len(t) for t in toks)
    path = write_result(
        "decontam",
        {
            "command": "python -m benchmarks decontam",
            "index": {
                **meta,
                "build_seconds_timed": t_build.seconds,
                "hashes_mib": index.hashes.nbytes / 2**20,
                "python_set_mib": set_bytes / 2**20,
            },
            "pages": {
                "text_pages": len(texts),
                "text_mb": mb,
                "median_tokens": median_words,
                "html_pages": len(html),
            },
            "rows": rows,
            "steps_us_per_page": {k: v * 1e6 for k, v in steps.items()},
            "ratios": ratios,
            "stage_stats": {k: stats[k] for k in ("records_in", "kept", "dropped", "by_benchmark")},
            "other_cpu_percent": [t_scan.other_cpu_before, t_scan.other_cpu_after, t_stage.other_cpu_before],
            "python": sys.version.split()[0],
            "numpy": np.__version__,
        },
    )
    print(f"saved {path}")


if __name__ == "__main__":
    main()
