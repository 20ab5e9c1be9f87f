"""The recall loop on hand-made shards: selection, discovery, seed growth, rising recall, resumption."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from corpus import discovery as disc
from corpus import shards
from corpus.classifier import ClassifierConfig, normalize, pr_curve
from corpus.executors import LocalExecutor
from corpus.rounds import LoopConfig, RoundsConfig, run_rounds
from corpus.seed import SeedConfig
from corpus.selection import Cut, SelectionConfig, boundary_bin, resolve_cut
from tests.rounds_fixtures import make_pool


def test_normalize_keeps_latex_and_splits_punctuation():
    assert normalize("Let  $x^2+\\Alpha$,\nthen") == r"let $ x ^ 2 + \alpha $ , then"
    assert normalize("a b c d", max_tokens=2) == "a b"


def test_pr_curve_by_hand():
    c = pr_curve(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1]))
    assert c["precision"] == [1.0, 0.5, 2 / 3, 0.5]
    assert c["recall"] == [0.5, 0.5, 1.0, 1.0]
    assert math.isclose(c["average_precision"], 0.5 * 1.0 + 0.5 * 2 / 3)


def test_budget_cut_is_exact_and_breaks_ties_by_id(tmp_path):
    bins = 10
    t = pa.table(
        {
            "id": ["b", "a", "c", "d"],
            "n_tokens": [10, 10, 10, 10],
            "score": pa.array([0.55, 0.55, 0.52, 0.9], pa.float32()),
        }
    )
    shards.write_table(t, str(tmp_path / "b.parquet"))
    hist = np.zeros(bins, np.int64)
    hist[9], hist[5] = 10, 30
    b, remaining = boundary_bin(hist, 25)  # 10 tokens in bin 9, then 15 left inside bin 5
    assert (b, remaining) == (5, 15)
    boundary = t.filter(pa.array([True, True, True, False]))
    shards.write_table(boundary, str(tmp_path / "bb.parquet"))
    cut = resolve_cut([str(tmp_path / "bb.parquet")], bins, b, remaining)
    assert (cut.score, cut.id) == (pytest.approx(0.55), "a")  # a before b at equal score
    mask = cut.mask(t.column("score").to_numpy(), t.column("id").to_pylist())
    assert mask.tolist() == [False, True, False, True]
    assert boundary_bin(hist, 1000) == (-1, 0)
    assert Cut("budget", bins, -1).mask(np.array([0.0], np.float32), ["x"]).tolist() == [True]


def test_annotation_file_round_trip_and_edits(tmp_path):
    rows = [
        {"accept": "yes", "domain": "a.com", "path": "/q/", "pages": 3, "selected": 2, "rate": "0.6"},
        {"accept": "no", "domain": "a.com", "path": "/blog/", "pages": 9, "selected": 0, "rate": "0"},
    ]
    p = tmp_path / "paths.tsv"
    p.write_text(disc.format_annotations(rows, "header line"))
    assert disc.read_annotations(str(p)) == [("a.com", "/q/")]
    p.write_text(p.read_text().replace("no\ta.com\t/blog/", "YES\ta.com\tblog/"))
    assert disc.read_annotations(str(p)) == [("a.com", "/blog/"), ("a.com", "/q/")]
    assert disc.path_prefixes("https://x.org/q/12/title", 2) == ["/q/", "/q/12/"]
    assert disc.path_prefixes("https://x.org/", 2) == []
    assert disc.under("https://x.org/q/1", "/q/") and not disc.under("https://x.org/qq/1", "/q/")


def loop_config(seed_path: str, truth: str) -> LoopConfig:
    return LoopConfig(
        seed=SeedConfig(positives=seed_path, max_positives=80, negatives=80),
        classifier=ClassifierConfig(dim=16, bucket=20_000, epoch=10, min_count=1, word_ngrams=2, lr=0.5),
        selection=SelectionConfig(mode="threshold", threshold=0.5, bins=1000),
        discovery=disc.DiscoveryConfig(
            min_domain_pages=10, accept_min_pages=10, accept_min_rate=0.3, max_depth=1
        ),
        rounds=RoundsConfig(count=3, stop_overlap=None, truth=truth),
    )


def test_three_rounds_discovery_raises_recall(tmp_path):
    pool, seed, truth = make_pool(tmp_path)
    cfg = loop_config(seed, truth)
    reports = run_rounds(pool, str(tmp_path / "run"), cfg, LocalExecutor(1))
    assert [r["round"] for r in reports] == [1, 2, 3]
    r1, r2, r3 = reports
    assert "mixedqa.com" in r1["math_domains"]
    assert "mixedqa.com/questions/" in r1["accepted_paths"]
    assert r2["seed"]["discovered_this_round"] > 0
    plain1 = r1["truth"]["recall_by_math_style"]["plain"]
    plain3 = r3["truth"]["recall_by_math_style"]["plain"]
    assert plain1 < 0.5 < plain3
    assert r3["truth"]["recall"] > r1["truth"]["recall"]
    assert r3["truth"]["precision"] > 0.8
    rd = tmp_path / "run" / "round-1"
    assert (rd / "model" / "classifier_pr_curve.png").stat().st_size > 0
    assert "precision / recall" in (rd / "report.md").read_text()
    sel = shards.read_table(str(rd.parent / "round-3" / "selected" / "part-00000.parquet"))
    assert set(sel.column("round").to_pylist()) <= {1, 2, 3} and 1 in sel.column("round").to_pylist()


def test_reviewer_edits_win(tmp_path):
    pool, seed, truth = make_pool(tmp_path)
    cfg = loop_config(seed, truth)
    run = str(tmp_path / "run")
    run_rounds(pool, run, cfg, LocalExecutor(1), rounds=1)
    ann = tmp_path / "run" / "round-1" / "discovery" / "paths.tsv"
    ann.write_text("\n".join(ln.replace("yes\t", "no\t", 1) for ln in ann.read_text().splitlines()) + "\n")
    reports = run_rounds(pool, run, cfg, LocalExecutor(1), rounds=2)
    assert reports[1]["seed"]["discovered_this_round"] == 0  # everything rejected: nothing discovered
    assert reports[1]["truth"]["recall_by_math_style"]["plain"] < 0.5


def test_local_parquet_positives_are_streamed_not_read_whole(tmp_path, monkeypatch):
    """A local OpenWebMath file can be GBs: the seed reader must stream it (never `read_table`)."""
    from corpus import seed as seedmod

    with_url = tmp_path / "owm" / "a.parquet"
    without_url = tmp_path / "owm" / "b.parquet"
    with_url.parent.mkdir()
    shards.write_table(pa.table({"url": ["u1", "u2"], "text": ["x + y", "a^2"]}), str(with_url))
    shards.write_table(pa.table({"text": ["\\frac{1}{2}"]}), str(without_url))

    def no_whole_read(*a, **k):
        raise AssertionError("read_table loads the whole file")

    monkeypatch.setattr(seedmod.shards, "read_table", no_whole_read)
    got = list(seedmod.iter_positive_source(str(with_url.parent)))
    assert got == [("u1", "x + y"), ("u2", "a^2"), (None, "\\frac{1}{2}")]
