"""Runs the corpus pipeline on the Ray cluster at RAY_ADDRESS; optionally SIGKILLs Ray workers mid-task.

Started by tests/test_ray.py and benchmarks/bench_ray.py inside `corpus.ray_sandbox` (a private
network and PID namespace), so `ps` sees only this cluster's processes and killing a `ray::` worker
touches nothing else on the machine.

    python tests/ray_driver.py --run DIR [--recipe pipelines/sample.yaml] [--rounds 3]
        [--kill-after ingest/_done/_stage.json --kill-after round-1/model/classifier.bin]
        [--report report.json]

With --kill-after FILE (repeatable), a watcher thread waits until RUN/FILE exists, then kills the
first Ray worker it sees executing a stage task (process title `ray::<stage function>`); each FILE
triggers one kill. The report lists the kills (task name, pid) and the run's wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

import psutil

# A worker executing a stage task is titled `ray::<stage function>` (RayExecutor names tasks after
# their function); idle workers are `ray::IDLE` and Ray's own actors are CamelCase class names.
TASK_TITLE = re.compile(r"^ray::([a-z][a-z0-9_]*)$")


def running_task_workers() -> list[tuple[int, str]]:
    """(pid, stage function) of Ray workers executing a task right now."""
    out = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        cmd = p.info.get("cmdline") or []
        m = TASK_TITLE.match((cmd[0] if cmd else "").strip())
        if m:
            out.append((p.info["pid"], m.group(1)))
    return out


def watch_and_kill(run_dir: str, triggers: list[str], kills: list[dict], stop: threading.Event) -> None:
    for trigger in triggers:
        while not stop.is_set() and not (Path(run_dir) / trigger).exists():
            time.sleep(0.05)
        while not stop.is_set():
            busy = running_task_workers()
            if busy:
                pid, name = busy[0]
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:  # finished between the listing and the kill
                    continue
                kills.append({"after": trigger, "task": name, "pid": pid, "at": time.time()})
                print(f"ray_driver: killed worker {pid} running {name}", file=sys.stderr, flush=True)
                break
            time.sleep(0.01)


def flaky(marker_dir: str) -> dict:
    """Fails on its first call, succeeds on the second (counted by files, across worker processes)."""
    d = Path(marker_dir)
    d.mkdir(parents=True, exist_ok=True)
    (d / f"attempt-{os.getpid()}-{time.time_ns()}").touch()
    n = len(list(d.iterdir()))
    if n < 2:
        raise OSError("transient failure (first attempt)")
    return {"attempts": n}


def always_failing(x: int) -> dict:
    raise ValueError(f"bad input {x}")


def env_probe(name: str) -> dict:
    return {"value": os.environ.get(name)}


def check_retries(run_dir: str) -> dict:
    """Application errors: retried up to retry_exceptions (1) times, then a TaskFailed naming the
    task, and no completion record for it."""
    from corpus import shards
    from corpus.executors import RayExecutor, Task, TaskFailed

    os.environ["MATHMINE_PROBE"] = "forwarded"  # set on the driver only, after the nodes started
    ex = RayExecutor(retry_exceptions=1)
    stage = f"{run_dir}-retries"
    out: dict = {}
    [probe] = ex.run(stage, env_probe, [Task("probe", {"name": "MATHMINE_PROBE"})])
    out["worker_sees_driver_env"] = probe["value"] == "forwarded"
    [rec] = ex.run(stage, flaky, [Task("flaky", {"marker_dir": f"{stage}/markers"})])
    out["flaky_attempts"] = rec["attempts"]
    try:
        ex.run(stage, always_failing, [Task("always", {"x": 1})])
        out["always_failing"] = "no error"
    except TaskFailed:
        out["always_failing"] = "TaskFailed"
    out["always_failing_recorded"] = shards.read_done(stage, "always") is not None
    return out


def s3_ingest_dedup(warc_dir: str, out_dir: str, recipe_path: str) -> dict:
    """Ingest + dedup with the WARC inputs and the run directory on S3 (moto on this namespace's
    loopback), through Ray; the run is copied to `out_dir` for comparison. Credentials come from the
    environment `ray start` gave the nodes; the endpoint is forwarded by the driver."""
    import fsspec
    from moto.server import ThreadedMotoServer

    from corpus.config import CorpusRecipe
    from corpus.dedup import run_dedup
    from corpus.executors import RayExecutor
    from corpus.ingest import run_ingest
    from corpus.recipe import load_config

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    try:
        fs = fsspec.filesystem("s3", skip_instance_cache=True)
        fs.mkdir("mathmine")
        for w in sorted(Path(warc_dir).glob("*.warc.gz")):
            fs.put_file(str(w), f"mathmine/crawl/{w.name}")
        recipe = load_config(CorpusRecipe, recipe_path)
        with RayExecutor() as ex:
            run_ingest(["s3://mathmine/crawl/*.warc.gz"], "s3://mathmine/run/ingest", recipe.ingest, ex)
            run_dedup("s3://mathmine/run/ingest", "s3://mathmine/run/dedup", recipe.dedup, ex)
        fs.get("mathmine/run", out_dir, recursive=True)
    finally:
        server.stop()
    return {"copied_to": out_dir}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--recipe", default="pipelines/sample.yaml")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--kill-after", action="append", default=[])
    ap.add_argument("--report", default=None)
    ap.add_argument("--s3-from", default=None, help="WARC folder: run ingest+dedup on a local S3 instead")
    ap.add_argument("--rerun", action="store_true", help="then rerun: every task must be skipped")
    ap.add_argument("--check-retries", action="store_true", help="first check application-error retries")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()
    if not os.environ.get("RAY_ADDRESS"):
        print("ray_driver: RAY_ADDRESS is not set (run inside corpus.ray_sandbox)", file=sys.stderr)
        return 2

    from corpus.run import run_corpus

    if args.s3_from:
        report = s3_ingest_dedup(args.s3_from, args.run, args.recipe)
        if args.report:
            Path(args.report).write_text(json.dumps(report))
        return 0
    retries = check_retries(args.run) if args.check_retries else None
    kills: list[dict] = []
    stop = threading.Event()
    watcher = threading.Thread(
        target=watch_and_kill, args=(args.run, args.kill_after, kills, stop), daemon=True
    )
    watcher.start()
    t0 = time.perf_counter()
    try:
        summary = run_corpus(args.recipe, args.run, args.rounds, "ray", args.overrides)
    finally:
        stop.set()
        watcher.join(timeout=5)
    report = {
        "seconds": time.perf_counter() - t0,
        "kills": kills,
        "stage_seconds": summary.get("seconds"),
        "retries": retries,
    }
    if args.rerun:  # a restarted run skips completed work: no shard is written again
        outputs = sorted(p for p in Path(args.run).rglob("part-*.parquet"))
        before = {p: p.stat().st_mtime_ns for p in outputs}
        t1 = time.perf_counter()
        run_corpus(args.recipe, args.run, args.rounds, "ray", args.overrides)
        report["rerun_seconds"] = time.perf_counter() - t1
        report["rerun_rewritten"] = [str(p) for p in outputs if p.stat().st_mtime_ns != before[p]]
    report["leftover_tmp_files"] = len(list(Path(args.run).rglob(".tmp-*")))
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
