"""Gold solutions scored as model outputs on the real test sets (a check of extraction + verification).

For GSM8K, MATH (5,000) and MATH-500: the accuracy of the reference solutions themselves (should be
≥ 99.5%), of the reference solutions shuffled across items with a fixed seed, and the share of items
whose gold answer truly coincides with the shuffled item's gold answer (same verifier). Shuffled
accuracy above that share would mean the scorer credits answers it should not.

    python -m benchmarks eval_gold
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from benchmarks.common import print_table, timed, write_result
from corpus.benchmarks import load_benchmark
from training.evaluation.harness import score_records
from training.evaluation.verify import Verifier

DATA = Path(os.environ.get("MATHMINE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
SETS = {"gsm8k": "gsm8k/test.jsonl", "math": "math/test.jsonl.gz", "math500": "math/math500_test.jsonl"}
SEED = 0


def main() -> None:
    rows = []
    with Verifier(workers=2) as verifier:
        for name, rel in SETS.items():
            items = load_benchmark(name, DATA / rel)
            sols = [[it.solution] for it in items]
            perm = list(range(len(items)))
            random.Random(SEED).shuffle(perm)
            with timed() as t:
                gold = score_records(items, sols, verifier)[0]
            shuffled = score_records(items, [sols[j] for j in perm], verifier)[0]
            agree = verifier.check([items[j].answer for j in perm], [it.answer for it in items])
            coincide = sum(r.correct for r in agree) / len(items)
            rows.append(
                {
                    "benchmark": name,
                    "items": len(items),
                    "gold_accuracy": round(gold["accuracy"], 5),
                    "gold_statuses": gold["statuses"],
                    "shuffled_accuracy": round(shuffled["accuracy"], 5),
                    "answers_coincide": round(coincide, 5),
                    "shuffled_minus_coincide": round(shuffled["accuracy"] - coincide, 5),
                    "gold_scoring_seconds": round(t.seconds, 1),
                    "other_cpu_percent": t.other_cpu_after,
                }
            )
    print_table([{k: v for k, v in r.items() if k != "gold_statuses"} for r in rows])
    write_result("eval_gold", {"seed": SEED, "rows": rows})


if __name__ == "__main__":
    main()
