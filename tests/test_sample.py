"""The generated sample crawl: deterministic, and its ground truth matches the WARC bytes."""

from __future__ import annotations

import io
import json
import zlib
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from fastwarc.warc import ArchiveIterator, WarcRecordType

from corpus.benchmarks import load_benchmark
from corpus.sample import generate_sample
from corpus.sample.benchmark import ngrams10, words
from corpus.sample.neardup import jaccard, shingles
from corpus.schema import MATH_FAMILIES

SMALL = 700  # regular pages; duplicates, contamination and broken records come on top


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate_sample(out, seed=0, n_pages=SMALL, n_seed=120)
    return out


@pytest.fixture(scope="module")
def truth(sample) -> list[dict]:
    return pq.read_table(sample / "truth.parquet").to_pylist()


def _members(data: bytes):
    """Every gzip member of a file as (offset, decompressed bytes, complete?), skipping garbage between
    members: an independent reader, so the test does not trust the generator's own offsets."""
    pos = 0
    while pos < len(data):
        start = data.find(b"\x1f\x8b\x08", pos)
        if start < 0:
            return
        d = zlib.decompressobj(wbits=31)
        try:
            out = d.decompress(data[start:])
        except zlib.error:
            pos = start + 1
            continue
        yield start, out, d.eof
        if not d.eof:
            return
        pos = len(data) - len(d.unused_data)


def _warc_headers(record: bytes) -> dict[str, str]:
    head = record.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace").split("\r\n")
    return dict(line.split(": ", 1) for line in head[1:] if ": " in line)


def test_same_seed_gives_byte_identical_files(sample, tmp_path):
    generate_sample(tmp_path, seed=0, n_pages=SMALL, n_seed=120)
    files = sorted(p.relative_to(sample) for p in sample.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert len([f for f in files if f.suffix == ".gz"]) >= 4
    for f in files:
        assert (sample / f).read_bytes() == (tmp_path / f).read_bytes(), f


def test_other_seed_gives_other_files(sample, tmp_path):
    generate_sample(tmp_path, seed=1, n_pages=SMALL, n_seed=120)
    assert (sample / "warc/sample-00000.warc.gz").read_bytes() != (
        tmp_path / "warc/sample-00000.warc.gz"
    ).read_bytes()


def test_truth_matches_warc_records(sample, truth):
    found: dict[str, tuple[str, int, bool]] = {}
    types = Counter()
    for path in sorted((sample / "warc").glob("*.warc.gz")):
        for offset, rec, complete in _members(path.read_bytes()):
            h = _warc_headers(rec)
            types[h.get("WARC-Type")] += 1
            if h.get("WARC-Type") == "response":
                found[h["WARC-Record-ID"]] = (path.name, offset, complete)
    by_id = {r["record_id"]: r for r in truth}
    assert set(found) == set(by_id)  # every response record is in truth and vice versa
    assert len(by_id) == len(truth)
    for rid, (name, offset, complete) in found.items():
        row = by_id[rid]
        assert (row["warc_file"], row["warc_offset"]) == (name, offset)
        assert complete == (row["broken_kind"] != "truncated_gzip")
    assert types["warcinfo"] >= 4 and types["request"] >= len(truth) - 1
    assert types["metadata"] > 0 and types["revisit"] > 0


def test_good_records_read_with_fastwarc_at_their_offsets(sample, truth):
    files = {p.name: p.read_bytes() for p in (sample / "warc").glob("*.warc.gz")}
    good = [r for r in truth if not r["broken"]]
    assert len(good) > 0.98 * len(truth)
    for row in good:
        member = files[row["warc_file"]][row["warc_offset"] : row["warc_offset"] + row["warc_length"]]
        recs = [
            (rec.record_id, rec.headers["WARC-Target-URI"], rec.reader.read())
            for rec in ArchiveIterator(io.BytesIO(member), record_types=WarcRecordType.response)
        ]
        assert [r[:2] for r in recs] == [(row["record_id"], row["url"])]
        html = recs[0][2].decode("utf-8")
        assert html.startswith("<!DOCTYPE html>")
        for link in row["out_links"] or []:
            assert f'href="{link}"' in html


def test_categories_are_all_present(truth):
    math = [r for r in truth if r["is_math"]]
    assert {r["markup"] for r in math} == {*MATH_FAMILIES, "none"}
    assert {r["markup_variant"] for r in math} >= {
        "mathjax_script",
        "mathjax_delims",
        "latex_img_wp",
        "latex_img_codecogs",
        "mathml_alttext",
        "mathml_annotation",
    }
    assert {r["math_style"] for r in math} == {"latex", "plain"}
    assert all(r["n_formulas"] == 0 and r["markup"] == "none" for r in math if r["math_style"] == "plain")
    assert {(r["lang"], r["is_math"]) for r in truth if r["lang"]} == {
        ("en", True),
        ("en", False),
        ("zh", True),
        ("zh", False),
    }
    assert {r["section"] for r in truth} >= {
        "math_site",
        "mixed_site_math_path",
        "mixed_site_other",
        "nonmath_site",
        "hard_negative",
    }
    assert {r["dup_kind"] for r in truth if r["dup_of"]} == {
        "url_recapture",
        "tracking_params",
        "scheme_or_slash",
        "other_url",
    }
    assert {r["broken_kind"] for r in truth if r["broken"]} == {
        "truncated_gzip",
        "garbage_before",
        "content_length_short",
        "content_length_long",
        "charset_meta_only_gbk",
        "charset_wrong_header",
        "non_html_pdf",
        "non_html_png",
        "empty_body",
    }
    assert 25 <= len({r["domain"] for r in truth}) <= 45
    hard = [r for r in truth if r["section"] == "hard_negative"]
    assert any("$" in r["main_text"] for r in hard) and not any(r["is_math"] for r in hard)


def test_duplicates_are_what_truth_says(sample, truth):
    by_url: dict[str, list[dict]] = {}
    for r in truth:
        by_url.setdefault(r["url"], []).append(r)
    by_id = {r["record_id"]: r for r in truth}
    for r in truth:
        if r["dup_of"]:
            orig = by_id[r["dup_of_record"]]
            assert orig["url"] == r["dup_of"] and orig["main_text"] == r["main_text"]
            assert (r["url"] == orig["url"]) == (r["dup_kind"] == "url_recapture")
            assert r["fetch_time"] > orig["fetch_time"]
        if r["near_dup_of"]:
            orig = by_id[r["near_dup_of_record"]]
            j = jaccard(shingles(orig["main_text"]), shingles(r["main_text"]))
            assert j == pytest.approx(r["near_dup_jaccard"], abs=1e-4)
    js = [r["near_dup_jaccard"] for r in truth if r["near_dup_of"]]
    assert min(js) < 0.55 and max(js) > 0.9
    # pages that are not planted duplicates are not accidentally similar
    plain = [
        r for r in truth if r["main_text"] and not r["dup_of"] and not r["near_dup_of"] and r["lang"] == "en"
    ]
    sh = [shingles(r["main_text"]) for r in plain[:300]]
    worst = max(jaccard(a, b) for i, a in enumerate(sh) for b in sh[i + 1 :])
    assert worst < 0.5


def test_contamination_truth(sample, truth):
    gsm = load_benchmark("gsm8k", sample / "benchmark" / "sample-gsm8k.jsonl")
    mth = load_benchmark("math", sample / "benchmark" / "sample-math.jsonl")
    assert len(gsm) >= 20 and len(mth) >= 20
    assert all(i.answer and i.solution.rstrip().endswith(f"#### {i.answer}") for i in gsm)
    assert all(i.answer and "\\boxed" in i.solution and i.meta["level"].startswith("Level") for i in mth)
    items = {f"gsm8k:{i.id}": i for i in gsm} | {f"math:{i.id}": i for i in mth}
    contaminated = [r for r in truth if r["contaminated_by"]]
    assert {r["contamination_kind"].split("+")[0] for r in contaminated} == {
        "verbatim",
        "case",
        "whitespace",
        "punctuation",
        "line_breaks",
    }
    for r in contaminated:
        item = items[r["contaminated_by"]]
        page = words(r["main_text"])
        q = words(item.question)
        assert " ".join(q) in " ".join(
            page
        )  # changes of case, spacing, punctuation, line breaks keep the words
    twins = [r for r in truth if r["clean_twin_of"]]
    assert twins
    for r in twins:
        item = items[r["clean_twin_of"]]
        assert not ngrams10(r["main_text"]) & (ngrams10(item.question) | ngrams10(item.solution))


def test_hidden_math_sections(truth):
    by_domain: dict[str, list[dict]] = {}
    for r in truth:
        if r["domain"] and not r["broken"]:
            by_domain.setdefault(r["domain"], []).append(r)
    mixed = {d: rs for d, rs in by_domain.items() if any(r["section"] == "mixed_site_math_path" for r in rs)}
    assert len(mixed) >= 5
    for rs in mixed.values():
        latex = sum(r["math_style"] == "latex" for r in rs)
        plain = [r for r in rs if r["math_style"] == "plain"]
        assert latex / len(rs) > 0.10 and plain
        path_urls = {r["url"] for r in rs if r["section"] == "mixed_site_math_path"}
        # math pages link to other math pages of their section, so link-following reaches the plain ones
        assert any(set(r["out_links"] or []) & path_urls for r in plain)
    plain_elsewhere = [r for r in truth if r["math_style"] == "plain" and r["section"] == "math_site"]
    assert plain_elsewhere


def test_seed_has_openwebmath_columns_and_latex_only(sample, truth):
    rows = [json.loads(line) for line in (sample / "seed" / "openwebmath.jsonl").read_text().splitlines()]
    assert len(rows) == 120
    assert all(set(r) == {"url", "text", "date", "metadata"} for r in rows)
    assert all(json.loads(r["metadata"])["extraction_info"]["found_math"] for r in rows)
    assert all("$" in r["text"] for r in rows)
    assert not {r["url"] for r in rows} & {r["url"] for r in truth}


def test_manifest_and_cli(sample, tmp_path):
    manifest = json.loads((sample / "manifest.json").read_text())
    assert manifest["seed"] == 0 and manifest["counts"]["response_records"] == len(
        pq.read_table(sample / "truth.parquet")
    )
    assert "truth.parquet" in manifest["files"]
    from corpus.cli import main

    res = CliRunner().invoke(main, ["corpus", "sample", "--help"])
    assert res.exit_code == 0 and "--out" in res.output
    res = CliRunner().invoke(
        main, ["corpus", "sample", "--out", str(tmp_path / "s"), "--pages", "300", "--seed-docs", "20"]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s" / "truth.parquet").exists() and len(
        list((tmp_path / "s" / "warc").glob("*.warc.gz"))
    ) == 6


def test_undamaged_files_read_end_to_end_with_warcio(sample, truth):
    from warcio.archiveiterator import ArchiveIterator as WarcioIterator

    damaging = {"truncated_gzip", "garbage_before", "content_length_short", "content_length_long"}
    damaged_files = {r["warc_file"] for r in truth if r["broken_kind"] in damaging}
    clean = sorted(p for p in (sample / "warc").glob("*.warc.gz") if p.name not in damaged_files)
    assert clean and len(damaged_files) >= 2
    for path in clean:
        with path.open("rb") as f:
            ids = [
                r.rec_headers.get_header("WARC-Record-ID")
                for r in WarcioIterator(f)
                if r.rec_type == "response"
            ]
        assert sorted(ids) == sorted(r["record_id"] for r in truth if r["warc_file"] == path.name)
