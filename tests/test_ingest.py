"""The ingest stage end to end: real Common Crawl WARCs, real math pages wrapped into WARC records,
corrupt inputs, determinism, resume, and readers of the output (datasets, polars, duckdb)."""

from __future__ import annotations

import gzip
import json

import pyarrow.parquet as pq
import pytest

from corpus.executors import LocalExecutor
from corpus.ingest import IngestConfig, _load, run_ingest
from corpus.schema import DOCUMENT_SCHEMA, DROPPED_SCHEMA
from corpus.warc import WarcOpenError, read_record_at
from corpus.warc_writer import gzip_member, request_record, response_record, write_warc

# real pages of shared/data/html_llm_webkit and the markers each must show (README section 5a)
PAGES = {
    "math_stackexchange_1.html": ("https://math.stackexchange.com/questions/458323", "mathjax"),
    "math_none_mathml_1.html": ("https://en.m.wikipedia.org/wiki/Variance", "mathml"),
    "math_katex_latex_1.html": ("https://uniteasy.com/solver/cubicequation/", "katex"),
    "math_img_1.html": ("https://terrytao.wordpress.com/2010/02/lecture-12/", "latex_img"),
    "tests/math_mathjax_mock.html": ("http://mathonline.wikidot.com/monotone-sequences", "tex_delims"),
    "tests/math_zhihu_custom_tag.html": ("https://zhuanlan.zhihu.com/p/22925478480", None),
    "blog_plainspot.html": ("https://plainblogaboutpolitics.blogspot.com/", None),
}


def _read(out, name="part-00000.parquet"):
    return pq.read_table(str(out / name)).to_pylist()


@pytest.fixture(scope="module")
def html_warc(tmp_path_factory, shared_data):
    d = tmp_path_factory.mktemp("html")
    recs = [request_record("https://math.stackexchange.com/questions/458323")]
    for name, (url, _) in PAGES.items():
        body = (shared_data / "html_llm_webkit" / name).read_bytes()
        recs.append(response_record(url, body, content_type="text/html"))  # no charset: meta / utf-8
    return write_warc(d / "pages.warc.gz", recs)


@pytest.fixture(scope="module")
def html_out(tmp_path_factory, html_warc):
    out = tmp_path_factory.mktemp("out") / "ingest"
    run_ingest([str(html_warc)], str(out), IngestConfig(), LocalExecutor(1))
    return out


def test_real_math_pages_markers_lang_offsets(html_out, html_warc):
    rows = {r["url"]: r for r in _read(html_out)}
    for url, fam in PAGES.values():
        assert url in rows, url
        r = rows[url]
        if fam:
            assert r[f"math_{fam}"] > 0, (url, fam)
        html = read_record_at(r["warc_path"], r["warc_offset"], r["warc_length"])
        assert "<html" in html.lower()
    assert rows["https://zhuanlan.zhihu.com/p/22925478480"]["lang"] == "zh"
    assert rows["https://math.stackexchange.com/questions/458323"]["lang"] == "en"
    assert rows["https://math.stackexchange.com/questions/458323"]["domain"] == "stackexchange.com"
    assert rows["https://math.stackexchange.com/questions/458323"]["host"] == "math.stackexchange.com"
    blog = rows["https://plainblogaboutpolitics.blogspot.com/"]
    assert sum(blog[f"math_{f}"] for f in ("mathjax", "katex", "mathml", "latex_img")) == 0
    assert all(link.startswith(("http://", "https://")) for r in rows.values() for link in r["out_links"])
    assert any(r["out_links"] for r in rows.values())
    assert all(r["n_tokens"] > 50 for r in rows.values())
    stats = json.loads((html_out / "_done" / "part-00000.json").read_text())
    assert stats["kept"] == len(PAGES) and stats["skipped"] == {"request": 1}


def test_output_readable_by_datasets_polars_duckdb(html_out):
    import datasets
    import duckdb
    import polars as pl

    path = str(html_out / "part-00000.parquet")
    ds = datasets.load_dataset("parquet", data_files=path, split="train")
    assert len(ds) == len(PAGES) and set(DOCUMENT_SCHEMA.names) <= set(ds.column_names)
    df = pl.read_parquet(path)
    assert df.height == len(PAGES) and df["warc_offset"].min() >= 0
    n = duckdb.sql(f"select count(*) from read_parquet('{path}') where lang in ('en','zh')").fetchall()[0][0]
    assert n == len(PAGES)
    assert pq.read_schema(path).names == DOCUMENT_SCHEMA.names
    assert pq.read_schema(str(html_out / "dropped" / "part-00000.parquet")).names == DROPPED_SCHEMA.names


def test_real_common_crawl_warcs(tmp_path, shared_data):
    files = [
        shared_data / "warc_resiliparse/warcfile.warc.gz",
        shared_data / "warc_cc_whirlwind/whirlwind.warc.gz",
        shared_data / "warc_warcio/example.warc.gz",
        shared_data / "warc_warcio/example-iana.org-chunked.warc",
    ]
    out = tmp_path / "ingest"
    summary = run_ingest([str(f) for f in files], str(out), IngestConfig(langs=[]), LocalExecutor(1))
    assert summary["shards"] == 4
    assert summary["skipped"]["revisit"] == 1 and summary["skipped"]["request"] == 21
    assert summary["responses"] == 16 + 1 + 1 + 1
    # every response is accounted for: kept or dropped with a reason
    assert summary["kept"] + sum(summary["dropped"].values()) == summary["responses"]
    docs = [r for i in range(4) for r in _read(out, f"part-{i:05d}.parquet")]
    langs = {r["lang"] for r in docs}
    assert {"zh", "ru"} <= langs  # gb2312 and windows-1251 pages decoded and identified
    ids = [r["id"] for r in docs]
    assert len(set(ids)) == len(ids)
    for r in docs[:5]:
        assert read_record_at(r["warc_path"], r["warc_offset"], r["warc_length"])
    assert (out / "_done" / "_stage.json").exists()


def test_whole_stream_gzip_warc_gives_the_same_documents(tmp_path, html_warc):
    """The same WARC gzipped per record and as one stream: the same documents, and each re-read
    from its row (`warc_record_offset` set only for the stream)."""
    stream = tmp_path / "stream.warc.gz"
    stream.write_bytes(gzip.compress(gzip.decompress(html_warc.read_bytes())))
    rows = {}
    for name, path in (("members", html_warc), ("stream", stream)):
        run_ingest([str(path)], str(tmp_path / name), IngestConfig(), LocalExecutor(1))
        rows[name] = _read(tmp_path / name)
    strip = ("warc_path", "warc_offset", "warc_length", "warc_record_offset")
    assert [{k: v for k, v in r.items() if k not in strip} for r in rows["stream"]] == [
        {k: v for k, v in r.items() if k not in strip} for r in rows["members"]
    ]
    assert all(r["warc_record_offset"] is None for r in rows["members"])
    by_url = {
        r["url"]: read_record_at(r["warc_path"], r["warc_offset"], r["warc_length"]) for r in rows["members"]
    }
    for r in rows["stream"]:
        assert r["warc_offset"] == 0 and r["warc_record_offset"] > 0
        html = read_record_at(r["warc_path"], r["warc_offset"], r["warc_length"], r["warc_record_offset"])
        assert html == by_url[r["url"]]


def test_deterministic_and_resumable(tmp_path, html_warc, shared_data):
    inputs = [str(html_warc), str(shared_data / "warc_cmoncrawl/mini.warc.gz")]
    a, b = tmp_path / "a", tmp_path / "b"
    run_ingest(inputs, str(a), IngestConfig(), LocalExecutor(2))
    run_ingest(inputs, str(b), IngestConfig(), LocalExecutor(1))
    for name in ("part-00000.parquet", "part-00001.parquet", "dropped/part-00000.parquet"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    # a rerun skips finished inputs (the shard is not rewritten)
    before = (a / "part-00000.parquet").stat().st_mtime_ns
    run_ingest(inputs, str(a), IngestConfig(), LocalExecutor(1))
    assert (a / "part-00000.parquet").stat().st_mtime_ns == before
    with pytest.raises(ValueError, match="other inputs"):
        run_ingest([str(shared_data / "warc_jwarc/cc.warc.gz")], str(a), IngestConfig(), LocalExecutor(1))


def _good(i: int) -> bytes:
    text = f"Page {i}. " + "The quick brown fox jumps over the lazy dog while we study algebra. " * 6
    return response_record(f"http://good.example/{i}", f"<html><body><p>{text}</p></body></html>".encode())


@pytest.mark.parametrize("extractor", ["scan", "resiliparse"])
def test_bad_inputs_never_crash(tmp_path, extractor):
    big = b"<html><body><p>" + b"word " * (10 << 20) + b"</p></body></html>"  # a 50 MB page
    deep = b"<html><body>" + b"<div>" * 100_000 + b"x" + b"</div>" * 100_000 + b"</body></html>"
    wrong_charset = ("<html><body><p>" + "Café crème brûlée, déjà vu. " * 20 + "</p></body></html>").encode(
        "cp1252"
    )
    members = [
        gzip_member(_good(0)),
        gzip_member(
            response_record("http://bad.example/img", b"\x89PNG\r\n\x1a\n" + b"\x00" * 500, "image/png")
        ),
        gzip_member(response_record("http://bad.example/empty", b"")),
        gzip_member(_good(1)),
        b"\x00\x01garbage between records" * 20,
        gzip_member(response_record("http://bad.example/big", big)),
        gzip_member(_good(2)),
        gzip_member(response_record("http://bad.example/deep", deep)),
        gzip_member(_good(3)),
        gzip_member(
            response_record("http://bad.example/len", b"<html>short</html>", content_length_delta=30)
        ),
        gzip_member(response_record("http://fr.example/cp1252", wrong_charset, "text/html; charset=utf-8")),
        gzip_member(response_record("http://nocharset.example/", _good(9).split(b"\r\n\r\n", 2)[2], None)),
        gzip_member(_good(4)),
    ]
    data = b"".join(members)
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(data + gzip_member(_good(5))[:-30])  # and a truncated tail
    notwarc = tmp_path / "notwarc.warc"
    notwarc.write_bytes(b"<html>just a page</html>\n" * 50)
    out = tmp_path / "ingest"
    cfg = IngestConfig(
        langs=[], extract_timeout_s=1.0, max_page_bytes=10 << 20, min_text_chars=100, extractor=extractor
    )
    summary = run_ingest([str(bad), str(notwarc)], str(out), cfg, LocalExecutor(1))
    docs = _read(out)
    urls = [r["url"] for r in docs]
    assert urls[:4] + urls[-1:] == [f"http://good.example/{i}" for i in range(5)]
    assert "http://fr.example/cp1252" in urls and "http://nocharset.example/" in urls
    fr = next(r for r in docs if r["url"] == "http://fr.example/cp1252")
    assert "Café crème" in fr["text"] and fr["lang"] == "fr"
    d = json.loads((out / "_done" / "part-00000.json").read_text())["dropped"]
    # 100,000 nested <div>s: lexbor goes super-linear and is cut off; the scan reads them in
    # linear time (a fixed-depth stack) and finds only "x"
    deep_reason = "extract_timeout" if extractor == "resiliparse" else "text_too_short"
    for reason in (
        "not_html",
        "empty_body",
        "garbage_bytes",
        "too_large",
        deep_reason,
        "bad_content_length",
        "truncated_gzip",
    ):
        assert d.get(reason) == 1, (reason, d)
    assert summary["dropped"]["garbage_bytes"] == 2  # plus the not-a-WARC file: one garbage stretch
    dropped = {r["url"]: r["reason"] for r in _read(out, "dropped/part-00000.parquet")}
    assert (
        dropped["http://bad.example/big"] == "too_large" and dropped["http://bad.example/deep"] == deep_reason
    )
    assert _read(out, "part-00001.parquet") == []


def test_scan_over_its_time_limit_is_counted(tmp_path):
    """The scan runs in-process but under the same limit: checked every 64 KB of input, an
    overrun is a counted `extract_timeout` and the pages around it are kept."""
    long_page = b"<html><body>" + b"<p>many words here</p>" * 400_000 + b"</body></html>"  # 9 MB
    warc = write_warc(
        tmp_path / "long.warc.gz", [_good(0), response_record("http://long.example/", long_page), _good(1)]
    )
    out = tmp_path / "o"
    run_ingest([str(warc)], str(out), IngestConfig(langs=[], extract_timeout_s=1e-6), LocalExecutor(1))
    assert [r["url"] for r in _read(out)] == ["http://good.example/0", "http://good.example/1"]
    assert {r["url"]: r["reason"] for r in _read(out, "dropped/part-00000.parquet")} == {
        "http://long.example/": "extract_timeout"
    }


def test_unopenable_input_error_names_file(tmp_path):
    with pytest.raises(WarcOpenError, match="missing.warc.gz"):
        run_ingest([str(tmp_path / "missing.warc.gz")], str(tmp_path / "o"), IngestConfig(), LocalExecutor(1))


def test_language_filter_and_config_overrides(tmp_path, html_warc):
    cfg = _load(None, ("langs=[zh]", "min_text_chars=50"))
    assert cfg.langs == ["zh"] and cfg.min_text_chars == 50
    out = tmp_path / "zh"
    run_ingest([str(html_warc)], str(out), cfg, LocalExecutor(1))
    assert [r["lang"] for r in _read(out)] == ["zh"]
    reasons = {r["reason"] for r in _read(out, "dropped/part-00000.parquet")}
    assert reasons == {"lang_not_kept"}


def test_cli(tmp_path, html_warc):
    from click.testing import CliRunner

    from corpus.cli import main

    listing = tmp_path / "warc.paths.gz"
    listing.write_bytes(gzip.compress(str(html_warc).encode() + b"\n"))
    res = CliRunner().invoke(
        main, ["corpus", "ingest", str(listing), "--out", str(tmp_path / "o"), "--workers", "1"]
    )
    assert res.exit_code == 0, res.output
    assert f"{len(PAGES)} documents kept" in res.output
    assert json.loads((tmp_path / "o" / "ingest_config.json").read_text())["langs"] == ["en", "zh"]
