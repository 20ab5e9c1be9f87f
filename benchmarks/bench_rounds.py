"""Recall-loop performance on the embedded sample: round wall time and classifier scoring throughput.

1. Round wall time: `mathmine corpus run` on the sample recipe (pipelines/sample.yaml, its 2 workers),
   called with `--rounds 1`, then 2, then 3 on the same run folder, so each call runs exactly one new
   round (earlier ones are skipped) plus the final stage; the stage timings of each call are recorded.
   Precision/recall against the sample's truth come from the round reports.
2. Scoring throughput (documents/s on one core): our batched list-form `MathClassifier.score`
   (normalisation included) against the naive anchor, fastText's `predict` called once per document
   (`model.predict([text])`; the string form raises under numpy 2), on the sample's deduplicated pool
   with the round-3 model.

    python -m benchmarks rounds          # results in benchmarks/results/rounds.json
    MATHMINE_BENCH_RUN=DIR python -m benchmarks rounds   # keep the run in DIR (reused when complete)
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.common import fix_threads, print_table, timed, write_result

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    fix_threads(1)
    from corpus import shards
    from corpus.classifier import ClassifierConfig, MathClassifier, normalize
    from corpus.config import CorpusRecipe
    from corpus.recipe import load_config
    from corpus.run import run_corpus

    keep = os.environ.get("MATHMINE_BENCH_RUN")
    tmp = Path(tempfile.mkdtemp(prefix="bench-rounds-"))
    run = keep or str(tmp / "run")
    recipe = str(REPO / "pipelines" / "sample.yaml")
    try:
        rows = []
        t_start = time.perf_counter()
        for k in (1, 2, 3):
            with timed() as t:
                summary = run_corpus(recipe, run, k)
            sec = summary["seconds"]
            r = summary["rounds"][-1]
            truth = r.get("truth", {})
            rows.append(
                {
                    "call": f"--rounds {k}",
                    "new_round": k,
                    "wall_s": round(t.seconds, 1),
                    "sample_s": round(sec.get("sample", 0), 1),
                    "ingest_s": round(sec.get("ingest", 0), 1),
                    "dedup_s": round(sec.get("dedup", 0), 1),
                    "round_s": round(sec.get("rounds", 0), 1),
                    "final_s": round(sec.get("final", 0), 1),
                    "pool_pages": r["pool_pages"],
                    "selected": r["selected_pages"],
                    "P": round(truth.get("precision", float("nan")), 3),
                    "R": round(truth.get("recall", float("nan")), 3),
                    "other_cpu_%": t.other_cpu_after,
                }
            )
        print_table(rows, "corpus run on the sample, one new round per call (recipe workers: 2)")

        texts: list[str] = []
        for p in shards.list_shards(shards.join(run, "dedup")):
            texts += shards.read_table(p, columns=["text"]).column("text").to_pylist()
        cfg: ClassifierConfig = load_config(CorpusRecipe, recipe).classifier
        clf = MathClassifier(shards.join(run, "round-3", "model", "classifier.bin"), cfg)
        clf.score(texts[:10])  # load the model outside the timing
        model = clf.model

        def anchor_score() -> None:
            for text in texts:
                model.predict([normalize(text, cfg.max_tokens)], k=2)

        # CPU seconds beside wall seconds: the box is shared, and one thread's CPU time is what a core
        # gives; each measured twice, alternating, keeping the faster
        wall = {"ours": [], "anchor": []}
        cpu = {"ours": [], "anchor": []}
        for _ in range(2):
            for name, fn in (("ours", lambda: clf.score(texts)), ("anchor", anchor_score)):
                c0 = time.process_time()
                with timed() as t:
                    fn()
                cpu[name].append(time.process_time() - c0)
                wall[name].append((t.seconds, t.other_cpu_after))
        thr = []
        for name, label in (
            ("ours", "mathmine batched score"),
            ("anchor", "anchor: fastText predict per doc"),
        ):
            w, other = min(wall[name])
            thr.append(
                {
                    "impl": label,
                    "docs_per_s_per_core (cpu)": round(len(texts) / min(cpu[name])),
                    "docs_per_s (wall)": round(len(texts) / w),
                    "other_cpu_%": other,
                }
            )
        print_table(thr, f"classifier scoring, {len(texts)} sample pool docs, 1 thread")
        ratio = min(cpu["anchor"]) / min(cpu["ours"])
        print(f"speed-up of batched scoring over the anchor (CPU time): {ratio:.2f}x")
        write_result(
            "rounds",
            {
                "calls": rows,
                "scoring": thr,
                "scoring_speedup_vs_anchor": ratio,
                "total_seconds": time.perf_counter() - t_start,
                "recipe": "pipelines/sample.yaml",
            },
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
