"""Recall-loop performance: classifier scoring throughput and round wall time.

1. Scoring throughput (documents/s on one core): our batched list-form `MathClassifier.score`
   (normalisation included) against the naive anchor, fastText's `predict` called once per document
   (`model.predict([text])`; the string form raises under numpy 2), on the same texts and model.
2. Round wall time: rounds 1..3 of the loop over a pool, per round, with one worker. The pool is the
   embedded sample's deduplicated pool when `RUN` (env MATHMINE_BENCH_RUN) holds one, else the
   hand-made Document shards of the rounds tests scaled up.

    python -m benchmarks rounds          # results in benchmarks/results/rounds.json
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.common import fix_threads, print_table, timed, write_result


def main() -> None:
    fix_threads(1)
    from corpus import shards
    from corpus.classifier import ClassifierConfig, MathClassifier, normalize
    from corpus.executors import LocalExecutor
    from corpus.rounds import run_rounds
    from tests.rounds_fixtures import make_pool
    from tests.test_rounds import loop_config

    tmp = Path(tempfile.mkdtemp(prefix="bench-rounds-"))
    try:
        pool, seed, truth = make_pool(tmp, n_shards=4)
        run_dir = os.environ.get("MATHMINE_BENCH_RUN")
        if run_dir and shards.list_shards(shards.join(run_dir, "dedup")):
            pool = shards.join(run_dir, "dedup")
        cfg = loop_config(seed, truth)
        cfg.classifier = ClassifierConfig(dim=64, bucket=200_000, epoch=5, min_count=1, word_ngrams=2, lr=0.5)
        rows = []
        t_start = time.perf_counter()
        run = str(tmp / "run")
        reports = []
        for k in (1, 2, 3):
            with timed() as t:
                reports = run_rounds(pool, run, cfg, LocalExecutor(1), rounds=k)
            r = reports[-1]
            rows.append({"round": k, "seconds": round(t.seconds, 2), "pool_pages": r["pool_pages"],
                         "selected": r["selected_pages"], "recall": round(r.get("truth", {}).get("recall", float("nan")), 3),
                         "other_cpu_%": t.other_cpu_after})
        print_table(rows, "round wall time (1 worker)")

        texts = []
        for p in shards.list_shards(pool):
            texts += shards.read_table(p, columns=["text"]).column("text").to_pylist()
        texts = (texts * (20_000 // max(len(texts), 1) + 1))[:20_000]
        clf = MathClassifier(str(tmp / "run" / "round-3" / "model" / "classifier.bin"), cfg.classifier)
        clf.score(texts[:10])  # load the model outside the timing
        with timed() as ours:
            clf.score(texts)
        model = clf.model
        with timed() as anchor:
            for text in texts:
                model.predict([normalize(text, cfg.classifier.max_tokens)], k=2)
        thr = [
            {"impl": "mathmine batched score", "docs_per_s_per_core": round(len(texts) / ours.seconds),
             "other_cpu_%": ours.other_cpu_after},
            {"impl": "anchor: fastText predict per doc", "docs_per_s_per_core": round(len(texts) / anchor.seconds),
             "other_cpu_%": anchor.other_cpu_after},
        ]
        print_table(thr, f"classifier scoring, {len(texts)} docs, 1 thread")
        ratio = anchor.seconds / ours.seconds
        print(f"speed-up of batched scoring over the anchor: {ratio:.2f}x")
        write_result("rounds", {"rounds": rows, "scoring": thr, "scoring_speedup_vs_anchor": ratio,
                                "total_seconds": time.perf_counter() - t_start, "pool": pool})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
