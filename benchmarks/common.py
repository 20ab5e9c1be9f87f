"""Helpers every benchmark uses: timing, CPU load of other processes, and result files.

This machine has two cores shared with whatever else runs, so each figure is reported beside the CPU
use of other processes measured during it, and anchors run in the same process run as ours so that
ratios, not absolute numbers, are the result.
"""

from __future__ import annotations

import json
import os
import platform
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

RESULTS = Path(__file__).resolve().parent / "results"


def other_cpu_percent(interval: float = 0.5) -> float:
    """CPU use of processes other than this one and its children, in % of one core."""
    me = psutil.Process()
    mine = {me.pid, *(c.pid for c in me.children(recursive=True))}
    procs = [p for p in psutil.process_iter() if p.pid not in mine]
    for p in procs:
        with suppress(psutil.Error):
            p.cpu_percent(None)
    time.sleep(interval)
    total = 0.0
    for p in procs:
        with suppress(psutil.Error):
            total += p.cpu_percent(None)
    return round(total, 1)


@dataclass
class Timing:
    seconds: float = 0.0
    other_cpu_before: float = 0.0
    other_cpu_after: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@contextmanager
def timed():
    """Measure wall time of a block and the other processes' CPU use just before and after it."""
    t = Timing(other_cpu_before=other_cpu_percent(0.3))
    start = time.perf_counter()
    yield t
    t.seconds = time.perf_counter() - start
    t.other_cpu_after = other_cpu_percent(0.3)


def fix_threads(n: int = 1) -> None:
    """Pin numeric libraries (and torch, if present) to `n` threads so per-core figures are comparable."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Save `result` (plus machine info) as benchmarks/results/<name>.json and return the path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), **result}, indent=2, default=str))
    return path


def print_table(rows: list[dict[str, Any]], title: str = "") -> None:
    if title:
        print(f"\n## {title}")
    if not rows:
        return
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")
