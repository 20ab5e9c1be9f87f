"""SIGKILL at an arbitrary point of the round loop, rerun: the outputs are byte-identical."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.rounds_fixtures import make_pool

REPO = Path(__file__).resolve().parents[1]

LOOP = """
import sys
from corpus.executors import LocalExecutor
from corpus.rounds import run_rounds
from tests.test_rounds import loop_config
pool, seed, truth, run = sys.argv[1:5]
run_rounds(pool, run, loop_config(seed, truth), LocalExecutor(1))
"""


def _run(args: list[str], kill_after_files: int | None = None) -> bool:
    """Run the loop in a child; with `kill_after_files`, SIGKILL it once the run folder holds that many
    files. Returns True if it was killed."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", LOOP, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if kill_after_files is None:
        assert proc.wait(timeout=300) == 0
        return False
    run = Path(args[3])
    while proc.poll() is None:
        if run.exists() and sum(1 for _ in run.rglob("*")) >= kill_after_files:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    assert proc.returncode == 0
    return False


def _outputs(run: Path) -> dict[str, bytes]:
    keep = (".parquet", ".bin", ".tsv", "cut.json", "report.json")
    return {
        str(p.relative_to(run)): p.read_bytes()
        for p in sorted(run.rglob("*"))
        if p.is_file() and p.name.endswith(keep) and not p.name.startswith(".tmp-")
    }


@pytest.mark.parametrize("trial", [0, pytest.param(1, marks=pytest.mark.slow)])
def test_sigkill_then_resume_is_byte_identical(tmp_path, trial):
    pool, seed, truth = make_pool(tmp_path)
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    _run([pool, seed, truth, str(clean)])
    total = sum(1 for _ in clean.rglob("*"))
    point = random.Random(1000 + trial).randint(5, total - 5)  # an arbitrary point, reproducible
    was_killed = _run([pool, seed, truth, str(killed)], kill_after_files=point)
    _run([pool, seed, truth, str(killed)])
    a, b = _outputs(clean), _outputs(killed)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    assert was_killed or trial  # the first trial must really have been interrupted
