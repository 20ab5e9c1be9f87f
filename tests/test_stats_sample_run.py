"""Slow: stats of a real sample run (`mathmine corpus run` on pipelines/sample.yaml), every figure
checked against the shards, the stages' records and the round reports; and the HTML report rendered
in headless Chromium."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.screenshot_stats import find_chromium, make_sample_run, screenshot
from corpus import shards
from corpus.stats.collect import collect
from corpus.stats.html import to_html
from corpus.stats.validate import validate

pytestmark = pytest.mark.slow


def read(folder: Path, columns=None) -> pa.Table:
    return pa.concat_tables(
        [pq.read_table(p, columns=columns) for p in sorted(folder.glob("part-*.parquet"))]
    )


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> Path:
    return make_sample_run(tmp_path_factory.mktemp("sample") / "run")


@pytest.fixture(scope="module")
def report(sample_run) -> dict:
    return collect(str(sample_run), workers=2)


def test_stage_figures_equal_shards(sample_run, report):
    for s in report["stages"]:
        t = read(Path(s["path"]), ["text", "n_tokens", "lang"])
        assert s["documents"] == t.num_rows, s["stage"]
        assert s["tokens"] == pa.compute.sum(t.column("n_tokens")).as_py()
        assert s["bytes"] == sum(len(x.encode()) for x in t.column("text").to_pylist())
    final = read(sample_run / "final")
    c = report["corpus"]
    assert {r["label"]: r["documents"] for r in c["by_lang"]} == dict(
        Counter(final.column("lang").to_pylist())
    )
    assert {r["label"]: r["documents"] for r in c["by_round"]} == dict(
        Counter(str(x) for x in final.column("round").to_pylist())
    )
    for fam in c["math"]["families"]:
        assert fam["documents"] == int(
            (np.array(final.column(f"math_{fam['family']}").to_pylist()) > 0).sum()
        )
    card = shards.read_done(str(sample_run / "final"), "_stage")
    assert c["documents"] == card["pages"] and c["tokens"] == card["tokens"]


def test_funnel_drops_rounds_contamination(sample_run, report):
    for f in report["funnel"]:
        if f["source"] != "shards":
            continue
        assert f["consistent"] in (True, None), f
        drop_dir = sample_run / f["stage"] / "dropped"
        if drop_dir.is_dir():
            assert f["dropped"] == dict(Counter(read(drop_dir, ["reason"]).column("reason").to_pylist()))
    ingest = shards.read_done(str(sample_run / "ingest"), "_stage")
    assert report["funnel"][0]["documents"] == ingest["responses"]
    ks = report["overlap"]["rounds"]
    for r in report["rounds"]["per_round"]:
        k = r["round"]
        rep = shards.read_json(str(sample_run / f"round-{k}" / "report.json"))
        assert r["selected"] == rep["selected_pages"] and r["tokens"] == rep["selected_tokens"]
        if rep["overlap_with_previous"] is not None:
            # The round report's overlap is with round k-1 only; the stats' pairwise matrix gives it...
            inter = report["overlap"]["matrix"][ks.index(k)][ks.index(k - 1)]["intersection"]
            assert inter / r["selected"] == pytest.approx(rep["overlap_with_previous"])
            # ...while "selected earlier" counts any earlier round, a superset of round k-1's pages.
            assert r["share_selected_earlier"] >= rep["overlap_with_previous"] - 1e-9
    ids = {k: set(read(sample_run / f"round-{k}" / "selected", ["id"]).column("id").to_pylist()) for k in ks}
    for i, a in enumerate(ks):
        for j, b in enumerate(ks):
            assert report["overlap"]["matrix"][i][j]["intersection"] == len(ids[a] & ids[b])
    summary = shards.read_json(str(sample_run / "final" / "contamination_summary.json"))
    got = {
        b["benchmark"]: b["report_pages"]
        for b in report["contamination"]["by_benchmark"]
        if b["report_pages"]
    }
    assert got == summary["by_benchmark"]
    assert all(v.ok for v in validate(str(sample_run))), [
        str(p) for v in validate(str(sample_run)) for p in v.problems
    ]


@pytest.mark.skipif(find_chromium() is None, reason="needs Debian's chromium package")
def test_html_report_in_headless_chromium(sample_run, report, tmp_path):
    html = tmp_path / "report.html"
    html.write_text(to_html(report), encoding="utf-8")
    png = screenshot(html, tmp_path / "shot.png", height=3000)
    from PIL import Image

    img = np.asarray(Image.open(png).convert("RGB"))
    assert img.shape[:2] == (3000, 1400)
    # plots and filled tables: many distinct colours and a large non-white area, not a blank page
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 200
    assert (img.sum(axis=2) < 600).mean() > 0.05
    shutil.copy(png, tmp_path / "kept.png")
