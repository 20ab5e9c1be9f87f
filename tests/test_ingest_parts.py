"""Unit tests of the ingest building blocks: markers, links, charsets, tokens, URLs, language ID."""

from __future__ import annotations

import pytest

from corpus.charset import decode_html
from corpus.language import LanguageModelMissing, detect_languages, load_model
from corpus.markers import math_markers, out_links
from corpus.tokens import count_tokens
from corpus.urls import domain_of, host_of


def test_markers_families():
    html = (
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>'
        '<script type="math/tex">x^2</script><span class="katex">a</span>'
        "<math><mi>x</mi></math><img src='https://s0.wp.com/latex.php?latex=x' alt='x'>"
        "<p>$$a+b$$ and \\(x\\) and $x^2$ and `x` <span class='amath'>x</span></p>"
    )
    m = math_markers(html)
    assert m == {"mathjax": 2, "katex": 1, "mathml": 1, "latex_img": 1, "tex_delims": 3, "asciimath": 1}


def test_dollar_prices_are_not_tex(shared_data):
    assert math_markers("<p>He earned $60 million and $5 more, US$3.</p>")["tex_delims"] == 0
    html = (shared_data / "html_llm_webkit/tests/math_dollar.html").read_text(errors="replace")
    m = math_markers(html)
    assert m["tex_delims"] == 0 and m["mathjax"] == 0


def test_out_links_resolve_and_dedupe():
    html = '<a href="/q/1#x">a</a><a href="/q/1">b</a><a href=\'https://other.org/p\'>c</a><a href="mailto:x@y">m</a>'
    assert out_links(html, "https://math.example.com/questions/9") == [
        "https://math.example.com/q/1",
        "https://other.org/p",
    ]
    assert len(out_links("".join(f'<a href="/p{i}">' for i in range(50)), "http://a.b/", limit=10)) == 10


def test_charset_order():
    gbk = "<html><head><meta charset='gb2312'></head><body>数学问题</body></html>".encode("gbk")
    assert decode_html(gbk)[0].endswith("数学问题</body></html>")
    assert decode_html(gbk)[1] == "meta:gbk"
    assert decode_html("Grüße".encode(), "iso-8859-1")[1].startswith("http:")  # decodes; trusted
    text, how = decode_html("Grüße aus Köln, schöne Straße".encode("cp1252"), "utf-8")  # lying header
    assert text == "Grüße aus Köln, schöne Straße" and how.startswith("detected:")
    assert decode_html(b"\xef\xbb\xbfhello")[0] == "hello"


def test_tokens():
    assert count_tokens("") == 0
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("我们学习数学") == 6
    # x ^ 2 + y_1 = \\ frac { a } { b }: 14 (underscore is a word character)
    assert count_tokens("x^2 + y_1 = \\frac{a}{b}") == 14


def test_tokens_table_equals_regex(shared_data):
    """The table count equals the token pattern's match count: random text over ASCII, the BMP,
    CJK ranges and astral planes (which take the regex), lone surrogates, and real pages."""
    import random

    from corpus.tokens import _TOKEN

    rng = random.Random(0)
    pools = [(0, 127), (0, 0xFFFF), (0x3000, 0xA000), (0xD800, 0xDFFF), (0, 0x10FFFF)]
    texts = [
        "".join(chr(rng.randint(*rng.choice(pools))) for _ in range(rng.randint(1, 60))) for _ in range(5000)
    ]
    texts += [p.read_text("utf-8", "replace") for p in sorted(shared_data.glob("html_llm_webkit/*.html"))]
    for text in texts:
        n = count_tokens(text)
        assert n == len(_TOKEN.findall(text)) and type(n) is int, ascii(text[:80])


def test_urls():
    assert host_of("HTTPS://Math.StackExchange.com:443/q/1") == "math.stackexchange.com"
    assert domain_of("https://math.stackexchange.com/q") == "stackexchange.com"
    assert domain_of("http://foo.bbc.co.uk/x") == "bbc.co.uk"
    assert domain_of("http://127.0.0.1:8080/") == "127.0.0.1"
    assert domain_of("not a url") is None and host_of("http://[bad") is None


def test_domains_match_tldextract(shared_data):
    """The registered domain equals tldextract's (its bundled list, ICANN section) on every host
    named in the shared WARCs and HTML pages, plus the PSL's awkward cases (wildcards, exceptions,
    IDN, private suffixes, unknown TLDs, IPs, empty labels)."""
    import gzip
    import re

    tldextract = pytest.importorskip("tldextract")
    from corpus.urls import domain_of_host

    ext = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    hosts = {
        "127.0.0.1", "localhost", "a.b.corp", "x.github.io", "foo.blogspot.com", "a.s3.amazonaws.com",
        "www.ck", "a.www.ck", "b.a.ck", "bar.foo.kawasaki.jp", "city.kawasaki.jp", "www.city.kawasaki.jp",
        "xn--fiqs8s", "a.xn--fiqs8s", "foo.中国", "例子.测试", "co.uk", "uk", "a..b.com", ".b.co.uk", "1.2.3.4.5",
    }  # fmt: skip
    files = [*shared_data.glob("warc_*/*.warc*"), *shared_data.glob("html_*/**/*.html*")]
    for p in files:
        data = p.read_bytes()
        if p.suffix == ".gz":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError):
                continue
        for m in re.finditer(rb"https?://([^/\s\"'<>:?#]+)", data):
            host = host_of("http://" + m.group(1).decode("utf-8", "replace") + "/")
            if host:
                hosts.add(host)
    assert len(hosts) > 500
    for host in sorted(hosts):
        e = ext(host)
        want = f"{e.domain}.{e.suffix}" if e.domain and e.suffix else host
        assert domain_of_host(host) == want, host


def test_language_batch():
    res = detect_languages(
        ["This is an English sentence about numbers.", "", "这是一个关于数学的中文句子。\n第二行"]
    )
    assert res[0][0] == "en" and res[0][1] > 0.5
    assert res[1] == ("und", 0.0)
    assert res[2][0] == "zh"


def test_language_model_missing(monkeypatch, tmp_path):
    import corpus.language as lang

    monkeypatch.setattr(lang, "_MODEL", None)
    monkeypatch.setenv("MATHMINE_LID_MODEL", str(tmp_path / "nope.ftz"))
    with pytest.raises(LanguageModelMissing, match="make install"):
        load_model()


def test_markers_and_links_same_on_bytes_and_str(shared_data):
    for name in ("math_stackexchange_1.html", "math_none_mathml_1.html", "tests/math_zhihu_custom_tag.html"):
        raw = (shared_data / "html_llm_webkit" / name).read_bytes()
        text = raw.decode("utf-8", "replace")
        assert math_markers(raw) == math_markers(text), name
        assert out_links(raw, "https://x.example/a/") == out_links(text, "https://x.example/a/"), name


def _markers_by_pattern(raw: bytes) -> dict[str, int]:
    """The plain definition: every pattern of corpus.markers scanned on its own."""
    import corpus.markers as mk

    out = {fam: sum(len(p.findall(raw)) for p in ps) for fam, ps in mk._BPATTERNS.items()}
    out["tex_delims"] += sum(
        1
        for inner in mk._BINLINE_DOLLAR.findall(raw)
        if not inner[:1].isspace() and not inner[-1:].isspace() and mk._BTEXLIKE.search(inner)
    )
    return out


def test_fast_markers_equal_pattern_by_pattern(shared_data):
    """Both fast paths (Hyperscan gates, and the sre gates used without Hyperscan) give the plain
    pattern-by-pattern counts."""
    import gzip
    import random

    from corpus.markers import _HS_DB, _math_markers_sre

    assert _HS_DB is not None, "hyperscan is a dependency; the fast path must be the one tested"

    pages = [p for p in shared_data.glob("html_*/**/*") if p.suffix in (".html", ".htm", ".gz")]
    assert len(pages) > 20
    for p in pages:
        raw = p.read_bytes()
        raw = gzip.decompress(raw) if p.suffix == ".gz" else raw
        assert math_markers(raw) == _markers_by_pattern(raw) == _math_markers_sre(raw), p.name
    # adversarial fragments: delimiters at the length limits, overlapping openers, mixed case
    rng = random.Random(0)
    parts = [
        b"\\(",
        b"\\)",
        b"\\[",
        b"\\]",
        b"$$",
        b"$",
        b"x",
        b"\\frac",
        b"<MATH>",
        b"<Math ",
        b"<script src='MathJax.js'>",
        b"<IMG class='LaTeX' ",
        b">",
        b"katex ",
        b" amath'",
        b"ASCIIMathML",
        b"<img src='latex.codecogs.com/png' ",
        b'<img class="mwe-math-fallback-image-inline" ',
        b"\\begin{align*}",
        b"a" * 1999,
        b"b" * 4000,
        b"\n",
        b"'",
        b'"',
        b"<mjx-container ",
        b" MathJax_Display'",
        b'<script type="math/tex">',
        b"<m:math>",
        b"a^b",
        b" = ",
        b"_",
        b"math/asciimath",
        b"katex.min.css",
        b"$a=b$",
        b"$x^2$",
        b"$\\alpha$",
    ]
    for _ in range(500):
        raw = b"".join(rng.choice(parts) for _ in range(rng.randint(1, 40)))
        assert math_markers(raw) == _markers_by_pattern(raw) == _math_markers_sre(raw), raw[:200]
