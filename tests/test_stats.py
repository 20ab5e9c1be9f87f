"""Stats, compare and validate on a hand-made run: every figure is checked against counts computed
directly from the shards (whole tables read here; the code under test reads batch-wise)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from corpus import shards
from corpus.cli import main
from corpus.schema import MATH_FAMILIES
from corpus.stats import histogram
from corpus.stats.collect import collect
from corpus.stats.idhash import hash_ids
from corpus.stats.profile import merge_profiles, profile_shard
from corpus.stats.validate import validate, validate_folder
from corpus.tokens import count_tokens
from tests.stats_fixtures import make_docs, make_run, write_stage


def read_stage(folder: Path) -> pa.Table:
    return pa.concat_tables([pq.read_table(p) for p in sorted(folder.glob("part-*.parquet"))])


def direct_tokens(t: pa.Table) -> list[int]:
    return [
        n if n is not None else count_tokens(tx)
        for n, tx in zip(t.column("n_tokens").to_pylist(), t.column("text").to_pylist(), strict=True)
    ]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("stats") / "run")


@pytest.fixture(scope="module")
def report(run) -> dict:
    return collect(str(run), workers=1, top=5, samples=2)


def test_corpus_figures_equal_direct_counts(run, report):
    t = read_stage(run / "final")
    toks = direct_tokens(t)
    c = report["corpus"]
    assert report["focus"] == "final"
    assert c["documents"] == t.num_rows
    assert c["tokens"] == sum(toks)
    assert c["bytes"] == sum(len(x.encode()) for x in t.column("text").to_pylist())
    langs = Counter(t.column("lang").to_pylist())
    assert {r["label"]: r["documents"] for r in c["by_lang"]} == dict(langs)
    lang_tokens = Counter()
    for lang, n in zip(t.column("lang").to_pylist(), toks, strict=True):
        lang_tokens[lang] += n
    assert {r["label"]: r["tokens"] for r in c["by_lang"]} == dict(lang_tokens)
    doms = Counter(t.column("domain").to_pylist())
    top = c["by_domain"]["top"]
    assert len(top) == 5 and c["by_domain"]["distinct"] == len(doms)
    assert [(r["label"], r["documents"]) for r in top] == sorted(
        doms.items(), key=lambda kv: (-kv[1], kv[0])
    )[:5]
    assert sum(r["documents"] for r in top) + c["by_domain"]["other"]["documents"] == t.num_rows
    assert top[0]["doc_share"] == pytest.approx(top[0]["documents"] / t.num_rows)
    rounds = Counter(str(r) for r in t.column("round").to_pylist())
    assert {r["label"]: r["documents"] for r in c["by_round"]} == dict(rounds)
    for fam in c["math"]["families"]:
        col = np.array(t.column(f"math_{fam['family']}").to_pylist())
        assert fam["documents"] == int((col > 0).sum())
        assert fam["markup"] == int(col.sum())
    anym = sum(np.array(t.column(f"math_{f}").to_pylist()) for f in MATH_FAMILIES) > 0
    assert c["math"]["any"]["documents"] == int(anym.sum())
    scores = [s for s in t.column("score").to_pylist() if s is not None]
    expect = np.histogram(scores, bins=histogram.SCORE_EDGES)[0].tolist()
    assert c["score_hist"]["documents"] == expect
    assert c["score_hist"]["nulls"] == t.num_rows - len(scores)
    assert sum(c["length_hist"]["documents"]) == t.num_rows
    assert c["length_hist"]["documents"] == histogram.length_counts(np.array(toks))


def test_stage_rows_funnel_and_drops(run, report):
    names = [s["stage"] for s in report["stages"]]
    assert names == ["ingest", "dedup", "round-1/selected", "round-2/selected", "extract", "final"]
    for s in report["stages"]:
        t = read_stage(Path(s["path"]))
        assert s["documents"] == t.num_rows
        assert s["tokens"] == sum(direct_tokens(t))
    funnel = {f["stage"] + ":" + f["step"]: f for f in report["funnel"]}
    resp = funnel["ingest:WARC response records"]
    assert resp["documents"] == shards.read_done(str(run / "ingest"), "part-00000")["responses"]
    for stage in ("ingest", "dedup", "final"):
        drop = read_stage(run / stage / "dropped")
        step = next(f for f in report["funnel"] if f["stage"] == stage and f["source"] == "shards")
        assert step["dropped"] == dict(Counter(drop.column("reason").to_pylist()))
        assert step["consistent"] is True
    ing = next(f for f in report["funnel"] if f["stage"] == "ingest" and f["source"] == "shards")
    assert ing["dropped_by_records"]["truncated_gzip"] == 1  # a record-only drop is shown, not lost
    assert "truncated_gzip" not in ing["dropped"]
    r2 = next(f for f in report["funnel"] if f["stage"] == "round-2/selected")
    assert r2["not_selected"] == read_stage(run / "dedup").num_rows - r2["documents"]


def test_rounds_overlap_and_contamination(run, report):
    s1 = set(read_stage(run / "round-1" / "selected").column("id").to_pylist())
    s2 = set(read_stage(run / "round-2" / "selected").column("id").to_pylist())
    ov = report["overlap"]
    assert ov["rounds"] == [1, 2]
    assert ov["matrix"][0][1]["intersection"] == len(s1 & s2)
    assert ov["matrix"][1][0]["jaccard"] == pytest.approx(len(s1 & s2) / len(s1 | s2))
    per = {r["round"]: r for r in report["rounds"]["per_round"]}
    sel2 = read_stage(run / "round-2" / "selected")
    assert per[2]["selected_earlier"] == sum(1 for r in sel2.column("round").to_pylist() if r < 2)
    assert per[2]["share_selected_earlier"] == pytest.approx(per[2]["report_overlap_with_previous"])
    drop = read_stage(run / "final" / "dropped")
    want = Counter(drop.column("contam_benchmark").to_pylist())
    got = {b["benchmark"]: b for b in report["contamination"]["by_benchmark"]}
    for b, n in want.items():
        assert (
            got[b]["report_pages"] == n
            and got[b]["dropped_first_match"] == n
            and got[b]["summary_pages"] == n
        )
    assert report["contamination"]["pages"] == drop.num_rows
    pool = read_stage(run / "round-2" / "scores")
    assert report["pool_scores"]["documents"] == pool.num_rows


def test_samples_are_bottom_k_and_independent_of_sharding(tmp_path):
    t = make_docs(700, seed=3)
    write_stage(t, tmp_path / "a", 1)
    write_stage(t, tmp_path / "b", 5)
    pa_ = merge_profiles(
        [profile_shard(str(p), samples=3, batch_size=97) for p in sorted((tmp_path / "a").glob("*.parquet"))],
        3,
    )
    pb = merge_profiles(
        [profile_shard(str(p), samples=3, batch_size=50) for p in sorted((tmp_path / "b").glob("*.parquet"))],
        3,
    )
    assert pa_["samples"] == pb["samples"]
    h = hash_ids(t.column("id"))
    for lang in set(t.column("lang").to_pylist()):
        mask = np.array(t.column("lang").to_pylist()) == lang
        ids = np.array(t.column("id").to_pylist())[mask][np.argsort(h[mask], kind="stable")][:3].tolist()
        assert [d["id"] for d in pa_["samples"]["lang"][lang]] == ids
    assert pa_["groups"] == pb["groups"] and pa_["length_hist"] == pb["length_hist"]


def test_tokenizer_counts(tmp_path):
    from training.tiny_model import train_tokenizer

    t = make_docs(120, seed=5)
    texts = t.column("text").to_pylist()
    tok = train_tokenizer(texts, vocab_size=300)
    tok.save_pretrained(tmp_path / "tok")
    write_stage(t, tmp_path / "docs", 2)
    rep = collect(str(tmp_path / "docs"), tokenizer=str(tmp_path / "tok"), workers=1, samples=0)
    assert rep["kind"] == "shards"
    assert rep["corpus"]["tokens_source"].startswith("tokenizer:")
    assert rep["corpus"]["tokens"] == sum(len(tok(x, add_special_tokens=False)["input_ids"]) for x in texts)


def test_cli_formats_and_make_target_path(run, tmp_path):
    r = CliRunner()
    res = r.invoke(main, ["corpus", "stats", str(run), "--format", "json", "--workers", "1"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["corpus"]["documents"] == read_stage(run / "final").num_rows
    js = tmp_path / "r.json"
    js.write_text(res.stdout)
    res = r.invoke(main, ["corpus", "stats", str(js), "--format", "md"])
    assert (
        res.exit_code == 0
        and "## Funnel" in res.stdout
        and f"| documents | {rep['corpus']['documents']:,} |" in res.stdout
    )
    out = tmp_path / "x" / "report.html"
    res = r.invoke(main, ["corpus", "stats", str(js), "--format", "html", "--out", str(out)])
    assert res.exit_code == 0 and str(out) in res.stderr
    page = out.read_text()
    assert (
        page.count("data:image/png;base64,") >= 8
        and "<script" not in page
        and "http://" not in page.replace("https://site", "")
    )
    res = r.invoke(main, ["corpus", "stats", str(run / "nothing")])
    assert res.exit_code != 0 and "no Parquet shards" in res.output


def test_compare_runs(tmp_path):
    a = make_run(tmp_path / "a", seed=0, n=400)
    b = make_run(tmp_path / "b", seed=1, n=500)
    res = CliRunner().invoke(
        main, ["corpus", "compare", str(a), str(b), "--format", "json", "--workers", "1"]
    )
    assert res.exit_code == 0, res.output
    c = json.loads(res.stdout)
    fa, fb = read_stage(a / "final"), read_stage(b / "final")
    st = {s["stage"]: s for s in c["stages"]}
    assert (
        st["final"]["documents_a"] == fa.num_rows
        and st["final"]["documents_delta"] == fb.num_rows - fa.num_rows
    )
    common = len(set(fa.column("id").to_pylist()) & set(fb.column("id").to_pylist()))
    assert c["ids"] == {
        "a": fa.num_rows,
        "b": fb.num_rows,
        "common": common,
        "only_a": fa.num_rows - common,
        "only_b": fb.num_rows - common,
    }
    assert [r["key"] for r in c["recipe"]] == ["selection.threshold"]


def test_validate_names_shard_and_row(tmp_path):
    t = make_docs(300, seed=7)
    write_stage(t, tmp_path / "ok", 3)
    assert all(v.ok for v in validate(str(tmp_path / "ok")))
    bad = tmp_path / "bad"
    ids = t.column("id").to_pylist()
    ids[250] = ids[10]  # duplicate across shards 0 and 2
    texts = t.column("text").to_pylist()
    texts[120] = "  \n "  # shard 1, row 20
    t2 = t.set_column(0, t.schema.field("id"), pa.array(ids)).set_column(
        t.schema.get_field_index("text"), t.schema.field("text"), pa.array(texts)
    )
    write_stage(t2, bad, 3)
    write_stage(t.drop_columns(["lang"]), bad / "extra", 1)
    (bad / "part-00003.parquet").write_bytes(b"PAR1 this is not parquet")
    v = validate_folder(str(bad))
    msgs = [str(p) for p in v.problems]
    assert any(
        p.check == "empty_text" and p.shard.endswith("part-00001.parquet") and p.row == 20 for p in v.problems
    ), msgs
    dup = [p for p in v.problems if p.check == "duplicate_id"]
    assert len(dup) == 1 and dup[0].shard.endswith("part-00000.parquet") and dup[0].row == 10
    assert "part-00002.parquet row 50" in dup[0].message
    assert any(p.check == "unreadable" and p.shard.endswith("part-00003.parquet") for p in v.problems)
    # the spilled (partitioned) id index finds the same duplicate
    v2 = validate_folder(str(bad), partition_rows=16)
    assert [str(p) for p in v2.problems if p.check == "duplicate_id"] == [str(p) for p in dup]
    v3 = validate_folder(str(bad / "extra"))
    assert any(p.check == "schema" and p.column == "lang" for p in v3.problems)
    res = CliRunner().invoke(main, ["corpus", "validate", str(bad)])
    assert res.exit_code == 1 and "part-00001.parquet row 20" in res.output


def test_hash_collisions_are_not_duplicates(tmp_path, monkeypatch):
    import corpus.stats.validate as val

    t = make_docs(50, seed=9)
    write_stage(t, tmp_path / "d", 2)
    monkeypatch.setattr(val, "hash_ids", lambda ids: np.zeros(len(ids), np.uint64))  # every id collides
    v = val.validate_folder(str(tmp_path / "d"))
    assert v.ok, [str(p) for p in v.problems]


def test_dropped_table_without_reason_is_a_clear_error(tmp_path):
    from corpus.stats.reasons import count_reasons

    shards.write_table(make_docs(5, 1), str(tmp_path / "dropped.parquet"))
    with pytest.raises(ValueError, match="without a `reason`"):
        count_reasons(str(tmp_path / "dropped.parquet"))
