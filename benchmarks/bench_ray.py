"""The sample corpus pipeline (3 rounds) on the local executor and on Ray with 1 and 2 worker nodes.

    python -m benchmarks ray

Ray runs use `corpus.ray_sandbox` (a throwaway cluster on loopback in a private namespace; root):
a head that only schedules plus N worker nodes of one CPU each. The pipeline's wall time is taken
inside the sandbox by tests/ray_driver.py (cluster start-up excluded, reported separately); the
local executor runs with 2 processes beside them. The machine has two cores shared with other
work, so each row carries the other processes' CPU use measured around it (benchmarks.common.timed).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.common import print_table, timed, write_result

ROOT = Path(__file__).resolve().parents[1]
RECIPE = str(ROOT / "pipelines" / "sample.yaml")
ROUNDS = 3


def _count_final(run: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(p).num_rows for p in (run / "final").glob("part-*.parquet"))


def run_local(base: Path, workers: int = 2) -> dict:
    from corpus.run import run_corpus

    run = base / "run"
    with timed() as t:
        run_corpus(RECIPE, str(run), ROUNDS, "local", [f"workers={workers}"])
    row = {"executor": f"local ({workers} processes)", "pipeline_s": round(t.seconds, 1), "cluster_start_s": 0.0,
           "final_pages": _count_final(run), "other_cpu_%": (t.other_cpu_before + t.other_cpu_after) / 2}  # fmt: skip
    shutil.rmtree(run)
    return row


def run_ray(base: Path, workers: int) -> dict:
    from corpus import ray_sandbox

    run, report = base / "run", base / f"ray-{workers}.json"
    cmd = [sys.executable, str(ROOT / "tests" / "ray_driver.py"), "--run", str(run), "--recipe", RECIPE,
           "--rounds", str(ROUNDS), "--report", str(report)]  # fmt: skip
    with timed() as t:
        res = ray_sandbox.run_in_sandbox(cmd, workers=workers, timeout=1200, cwd=str(ROOT))
    if res.returncode != 0:
        raise RuntimeError(f"Ray run with {workers} worker(s) failed:\n{res.stderr[-3000:]}")
    rep = json.loads(report.read_text())
    row = {"executor": f"ray ({workers} worker node{'s' if workers > 1 else ''})",
           "pipeline_s": round(rep["seconds"], 1), "cluster_start_s": round(t.seconds - rep["seconds"], 1),
           "final_pages": _count_final(run), "other_cpu_%": (t.other_cpu_before + t.other_cpu_after) / 2,
           "stages_s": {k: round(v, 1) for k, v in (rep.get("stage_seconds") or {}).items()}}  # fmt: skip
    shutil.rmtree(run)
    return row


def main() -> None:
    from corpus import ray_sandbox

    reason = ray_sandbox.available()
    if reason:
        print(f"bench_ray skipped: {reason}")
        return
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        base = Path(tmp)
        rows = [run_local(base), run_ray(base, 1), run_ray(base, 2)]
    one = rows[1]["pipeline_s"]
    for r in rows:
        r["speedup_vs_ray_1"] = round(one / r["pipeline_s"], 2)
    print_table([{k: v for k, v in r.items() if k != "stages_s"} for r in rows], "sample pipeline, 3 rounds")
    for r in rows[1:]:
        print(f"{r['executor']} stages (s): {r['stages_s']}")
    path = write_result("ray", {"recipe": "pipelines/sample.yaml", "rounds": ROUNDS, "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
