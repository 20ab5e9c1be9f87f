"""`mathmine corpus run` end to end on the embedded sample, graded against the sample's ground truth.

One session-scoped run of the whole pipeline (sample -> ingest -> dedup -> rounds 1..3 -> final) is shared
by the tests: per-round precision/recall from the round reports, the final shards and dataset card,
contamination and duplicates, SIGKILL + resume byte-identity, and `--rounds 4` continuing a finished run.
The CLI runs in a subprocess, as `make corpus` runs it.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[1]
RECIPE = REPO / "pipelines" / "sample.yaml"


def _cmd(run: Path, rounds: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "corpus.cli",
        "corpus",
        "run",
        "--recipe",
        str(RECIPE),
        "--run",
        str(run),
        "--rounds",
        str(rounds),
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def run_cli(run: Path, rounds: int = 3) -> str:
    proc = subprocess.run(
        _cmd(run, rounds), cwd=REPO, env=_env(), capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def run_and_kill(run: Path, rounds: int, kill_after_files: int) -> bool:
    """Start the run in its own process group; SIGKILL the whole group once the run folder holds
    `kill_after_files` files (worker processes included). True if it was killed before finishing."""
    proc = subprocess.Popen(
        _cmd(run, rounds),
        cwd=REPO,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while proc.poll() is None:
            if run.exists() and sum(1 for p in run.rglob("*") if p.is_file()) >= kill_after_files:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(0.01)
    finally:
        if proc.poll() is None:  # never leave a run behind, whatever failed above
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0
    return False


def final_bytes(run: Path) -> dict[str, bytes]:
    """The corpus as shipped: final shards, their dropped side tables and the dataset card (whose recipe
    names the run folder, replaced here so that runs in two folders compare)."""
    final = run / "final"
    out = {}
    for p in sorted(final.rglob("*")):
        rel = p.relative_to(final)
        if p.is_file() and p.suffix == ".parquet" and not rel.parts[0].startswith("_"):
            out[str(rel)] = p.read_bytes()
    out["README.md"] = (final / "README.md").read_bytes().replace(str(run).encode(), b"RUN")
    return out


def file_count(run: Path) -> int:
    return sum(1 for p in run.rglob("*") if p.is_file())


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> tuple[Path, str]:
    run = tmp_path_factory.mktemp("corpus-run") / "run"
    out = run_cli(run, 3)
    return run, out


@pytest.fixture(scope="session")
def reports(sample_run) -> list[dict]:
    run, _ = sample_run
    return [json.loads((run / f"round-{k}" / "report.json").read_text()) for k in (1, 2, 3)]


@pytest.fixture(scope="session")
def truth(sample_run) -> dict[str, dict]:
    run, _ = sample_run
    return {r["url"]: r for r in pq.read_table(run / "sample" / "truth.parquet").to_pylist()}


@pytest.fixture(scope="session")
def final_rows(sample_run) -> list[dict]:
    run, _ = sample_run
    rows = []
    for p in sorted((run / "final").glob("part-*.parquet")):
        rows += pq.read_table(p, columns=["id", "url", "round", "text"]).to_pylist()
    return rows


def test_rounds_precision_high_and_recall_rises(reports):
    t = [r["truth"] for r in reports]
    # round 1: the seed's latex style only, cut by rank, so what it keeps is math
    assert t[0]["precision"] >= 0.9
    assert t[0]["recall_by_math_style"]["plain"] <= 0.1
    assert t[0]["recall_by_math_style"]["latex"] >= 0.7
    # discovery adds the plain-style pages under math paths to the seed; rounds 2-3 find plain math elsewhere
    assert reports[1]["seed"]["discovered_this_round"] > 0
    assert reports[0]["accepted_paths"], "round 1 accepted no math path"
    assert t[2]["recall"] >= t[0]["recall"] + 0.3
    assert t[2]["recall_by_math_style"]["plain"] >= 0.8
    assert t[2]["recall_by_section"]["mixed_site_math_path"] >= 0.85
    assert all(x["precision"] >= 0.9 for x in t)
    assert t[2]["precision"] >= 0.95


def test_discovered_seed_pages_are_math(sample_run, truth):
    """What discovery adds to the seed (pages under accepted paths, linked pages) is math: the specific
    path is accepted (askanything.net/questions/math/, not /questions/) and links into rejected paths
    (site navigation to the non-math rest of a mixed site) are not followed."""
    run, _ = sample_run
    urls = []
    for k in (2, 3):
        for p in (run / f"round-{k}" / "seed" / "additions").glob("part-*.parquet"):
            urls += pq.read_table(p, columns=["url"]).column("url").to_pylist()
    assert len(urls) >= 100
    assert sum(truth[u]["is_math"] for u in urls) / len(urls) >= 0.95
    plain = sum(truth[u]["math_style"] == "plain" for u in urls)
    assert plain >= 50  # the style the seed lacks


def test_report_markdown_shows_truth(sample_run):
    run, out = sample_run
    md = (run / "round-3" / "report.md").read_text()
    assert "selection vs truth: precision / recall" in md
    assert "recall, math_style=plain" in md and "recall, section=mixed_site_math_path" in md
    assert "round 3" in out and "P/R" in out  # the summary table printed at the end


def test_final_shards_and_card(sample_run, final_rows, reports):
    run, _ = sample_run
    final = run / "final"
    assert sorted(p.name for p in final.glob("part-*.parquet")) == [f"part-{i:05d}.parquet" for i in range(6)]
    card = (final / "README.md").read_text()
    assert f"- pages: {len(final_rows):,}" in card
    assert "## Schema" in card and "## Recipe" in card and "| 3 |" in card
    assert len(final_rows) > 0.9 * reports[2]["selected_pages"] - 60  # contamination aside, little lost
    assert all(r["text"].strip() for r in final_rows)


def test_final_is_math(final_rows, truth):
    known = [truth[r["url"]] for r in final_rows if r["url"] in truth]
    assert len(known) == len(final_rows)
    assert sum(t["is_math"] for t in known) / len(known) >= 0.95


def test_contaminated_pages_absent(final_rows, truth, sample_run):
    run, _ = sample_run
    contaminated = {u for u, t in truth.items() if t["contaminated_by"]}
    assert contaminated
    assert not contaminated & {r["url"] for r in final_rows}
    # they were selected (math pages) and removed by decontamination, not merely never selected
    selected = set()
    for p in (run / "round-3" / "selected").glob("part-*.parquet"):
        selected |= set(pq.read_table(p, columns=["url"]).column("url").to_pylist())
    assert len(contaminated & selected) >= len(contaminated) // 2
    # clean twins (same topic, no shared 10-gram) are kept when selected
    twins = {u for u, t in truth.items() if t["clean_twin_of"]} & selected
    assert twins and twins <= {r["url"] for r in final_rows}


def test_duplicates_removed(final_rows, truth):
    urls = [r["url"] for r in final_rows]
    assert len(urls) == len(set(urls))
    present = set(urls)
    exact = [(u, t["dup_of"]) for u, t in truth.items() if t["dup_of"] and u != t["dup_of"]]
    assert exact
    assert not [p for p in exact if p[0] in present and p[1] in present]
    near = [(u, t["near_dup_of"]) for u, t in truth.items() if (t["near_dup_jaccard"] or 0) >= 0.84]
    assert near
    assert not [p for p in near if p[0] in present and p[1] in present]


def test_sigkill_then_resume_is_byte_identical(sample_run, tmp_path):
    """Fast variant: the killed run starts from the reference run's sample, ingest and dedup (complete,
    with their completion records) and is killed at a random point of the rounds or the final stage."""
    ref, _ = sample_run
    run = tmp_path / "run"
    run.mkdir()
    for stage in ("sample", "ingest", "dedup"):
        shutil.copytree(ref / stage, run / stage)
    start, total = file_count(run), file_count(ref)
    point = random.Random(7).randint(start + 5, total - 5)
    assert run_and_kill(run, 3, point)
    run_cli(run, 3)
    assert final_bytes(run) == final_bytes(ref)


@pytest.mark.slow
@pytest.mark.parametrize("trial", [0, 1])
def test_sigkill_from_scratch_then_resume_is_byte_identical(sample_run, tmp_path, trial):
    """The whole run from nothing, killed at any point (sample generation and ingest included). Documents
    record the absolute path of their WARC file, so the uninterrupted reference runs in the same folder
    first and is moved aside."""
    ref_files = file_count(sample_run[0])
    run, ref = tmp_path / "run", tmp_path / "reference"
    run_cli(run, 3)
    reference = final_bytes(run)
    run.rename(ref)
    point = random.Random(100 + trial).randint(3, ref_files - 5)
    assert run_and_kill(run, 3, point)
    run_cli(run, 3)
    assert final_bytes(run) == reference


def test_more_rounds_continue_from_the_last(sample_run, tmp_path):
    ref, _ = sample_run
    run = tmp_path / "run"
    shutil.copytree(ref, run)
    before = {p: p.stat().st_mtime_ns for p in (run / "round-3").rglob("*") if p.is_file()}
    out = run_cli(run, 4)
    assert "round 4" in out
    after = {p: p.stat().st_mtime_ns for p in (run / "round-3").rglob("*") if p.is_file()}
    assert after == before  # rounds 1-3 were not redone
    rep = json.loads((run / "round-4" / "report.json").read_text())
    assert rep["overlap_with_previous"] >= 0.9
    assert rep["truth"]["recall"] >= 0.9
    final_rounds = set()
    for p in (run / "final").glob("part-*.parquet"):
        final_rounds |= set(pq.read_table(p, columns=["round"]).column("round").to_pylist())
    assert json.loads((run / "final" / "_done" / "_stage.json").read_text())["round"] == 4
    assert final_rounds <= {1, 2, 3, 4}
    assert "| 4 |" in (run / "final" / "README.md").read_text()
