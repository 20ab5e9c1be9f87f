"""Math-preserving extraction: each markup family on hand-made snippets and on real pages."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from benchmarks.bench_extract import typed_formulas
from corpus.extract import ExtractConfig, extract_math
from corpus.extract.asciimath import asciimath_to_latex


def _page(body: str, head: str = "") -> str:
    filler = (
        "<p>" + "This paragraph gives the page enough ordinary prose to count as main content. " * 3 + "</p>"
    )
    return f"<html><head><title>t</title>{head}</head><body><article>{filler}{body}{filler}</article></body></html>"


def test_mathjax_script_inline_and_display():
    r = extract_math(
        _page(
            '<p>Let <script type="math/tex">x^2</script> be.</p>'
            '<p><script type="math/tex; mode=display">\\int_0^1 f</script></p>'
        )
    )
    assert "$x^2$" in r.text
    assert re.search(r"^\$\$\\int_0\^1 f\$\$$", r.text, re.M)
    assert r.counts["mathjax"] == 2


def test_mathjax_v2_rendered_output_is_dropped_in_favour_of_source():
    html = _page(
        '<p>So <span class="MathJax_Preview">x2</span><span class="MathJax">GLYPHS</span>'
        '<script type="math/tex">x^2</script> holds.</p>'
    )
    r = extract_math(html)
    assert "$x^2$" in r.text and "GLYPHS" not in r.text


def test_katex_annotation():
    html = _page(
        '<p>Value <span class="katex"><span class="katex-mathml"><math><semantics><mrow><mi>a</mi></mrow>'
        '<annotation encoding="application/x-tex">\\alpha+1</annotation></semantics></math></span>'
        '<span class="katex-html" aria-hidden="true">α+1</span></span> here.</p>'
    )
    r = extract_math(html)
    assert "$\\alpha+1$" in r.text and "α+1" not in r.text
    assert r.counts["katex"] == 1


def test_mathml_hidden_annotation_alttext_and_conversion():
    html = _page(
        '<p>A <span style="display:none"><math alttext="y"><semantics><mi>y</mi>'
        '<annotation encoding="application/x-tex">\\beta</annotation></semantics></math></span> B '
        '<math alttext="\\gamma"><mi>γ</mi></math> C '
        "<math><mfrac><mn>1</mn><msqrt><mi>x</mi></msqrt></mfrac></math>.</p>"
    )
    r = extract_math(html)
    assert "$\\beta$" in r.text  # hidden MathML survives
    assert "$\\gamma$" in r.text  # alttext
    assert "$\\frac{1}{\\sqrt{x}}$" in r.text  # conversion
    assert r.counts["mathml"] == 3


def test_mjx_container_assistive_mathml():
    html = _page(
        '<p>Then <mjx-container class="MathJax" jax="CHTML"><mjx-math>junk</mjx-math>'
        "<mjx-assistive-mml><math><msup><mi>e</mi><mi>x</mi></msup></math></mjx-assistive-mml>"
        "</mjx-container>.</p>"
    )
    r = extract_math(html)
    assert "${e}^{x}$" in r.text and "junk" not in r.text
    assert r.counts["mathjax"] == 1


def test_latex_images():
    html = _page(
        '<p>Take <img src="https://s0.wp.com/latex.php?latex=%5Cpi&bg=ffffff" alt="\\pi" class="latex"> '
        'and <img src="https://latex.codecogs.com/gif.latex?e" alt="e^{i\\pi}">, '
        'not <img src="/cat.png" alt="a cat"></p>'
    )
    r = extract_math(html)
    assert "$\\pi$" in r.text and "$e^{i\\pi}$" in r.text and "cat" not in r.text
    assert r.counts["latex_img"] == 2


def test_raw_delimiters_with_page_config():
    head = "<script>MathJax.Hub.Config({tex2jax: {inlineMath: [['$','$']]}});</script>"
    html = _page(
        "<p>Let $n$ be odd and \\(k\\) even; then $$a^n+1$$ and \\[b^2\\] and [tex]c_1[/tex].</p>", head
    )
    r = extract_math(html)
    for f in ("$n$", "$k$", "$$a^n+1$$", "$$b^2$$", "$c_1$"):
        assert f in r.text, f
    assert r.counts["tex_delims"] == 5


def test_dollar_amounts_are_not_math():
    html = _page(
        "<p>They will pay him $60 million over 3 years, and $5 for a coffee; fees were $3.50 and $4.</p>"
    )
    r = extract_math(html)
    assert r.n_formulas == 0
    assert "$60 million" in r.text


def test_single_dollars_without_config_need_tex_content():
    r = extract_math(_page("<p>Costs $5 and $10 each, while $x^2+1$ is a polynomial.</p>"))
    assert r.counts["tex_delims"] == 1 and "$x^2+1$" in r.text


def test_asciimath():
    head = '<script src="https://cdn.example.org/MathJax.js?config=AM_CHTML"></script>'
    r = extract_math(_page("<p>See `sqrt(x)/2` now.</p>", head))
    assert "$\\frac{\\sqrt{x}}{2}$" in r.text and r.counts["asciimath"] == 1
    assert asciimath_to_latex("alpha in RR") == "\\alpha \\in \\mathbb{R}"


def test_markdown_structure():
    html = _page(
        "<h2>Section</h2><ul><li>one</li><li>two</li></ul><pre>code $x$ here</pre>"
        "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>"
    )
    r = extract_math(html)
    assert "## Section" in r.text
    assert "```\ncode $x$ here\n```" in r.text and r.n_formulas == 0  # no math inside code
    assert "| a | b |" in r.text and "| 1 | 2 |" in r.text


@pytest.mark.parametrize(
    "html",
    [
        b"",
        "",
        "<div>" * 100_000 + "deep" + "</div>" * 10,
        "<p " + "a" * 2_000_000 + "=1>huge attribute</p>",
        b"\xff\xfe\x00<\x00h\x00t\x00m\x00l\x00>garbage\x80\x81\x82",
        "<html><body><p>unclosed <b><i><math><mi>x" * 200,
        "<p>forged \ue0000\ue001 token $$" + "a" * 100_000,
        "<math>" + "<mrow>" * 5_000 + "<mi>x</mi>",
    ],
)
def test_hostile_html_never_crashes(html):
    r = extract_math(html, config=ExtractConfig(timeout_s=20))
    assert isinstance(r.text, str)
    assert r.ok or r.reason


def test_timeout_returns_reason():
    html = _page("<p>" + "$x^2$ " * 20_000 + "</p>")
    r = extract_math(html, config=ExtractConfig(timeout_s=0.001))
    assert not r.ok and r.reason == "timeout"


# --- real pages -------------------------------------------------------------------------------------


def _truth_formulas(shared_data, name):
    d = json.loads(
        gzip.decompress((shared_data / "html_llm_webkit" / "groundtruth" / f"{name}.jsonl.gz").read_bytes())
    )
    return typed_formulas(d["content_list"])


def _recall(formulas, text):
    flat = re.sub(r"\s+", "", text)
    return sum(re.sub(r"\s+", "", f) in flat for f in formulas) / len(formulas)


@pytest.mark.parametrize(
    "name,family,min_recall",
    [
        ("math_mathjax_latex_4", "tex_delims", 0.95),  # Stack Exchange, MathJax `$` config
        ("math_katex_latex_1", "tex_delims", 0.95),  # KaTeX auto-render source
        ("math_none_mathml_1", "mathml", 0.95),  # Wikipedia, MathML in display:none spans
        ("math_img_1", "latex_img", 0.95),  # WordPress latex.php images
    ],
)
def test_real_pages_formula_recall(shared_data, name, family, min_recall):
    html = (shared_data / "html_llm_webkit" / f"{name}.html").read_bytes()
    r = extract_math(html)
    assert r.ok and r.counts[family] > 0
    assert _recall(_truth_formulas(shared_data, name), r.text) >= min_recall


def test_real_stackexchange_keeps_question_and_answers(shared_data):
    r = extract_math((shared_data / "html_llm_webkit" / "math_stackexchange_1.html").read_bytes())
    assert "Is $83^{27} + 1$ prime?" in r.text
    assert "Seriously non-prime!" in r.text  # a late answer
    assert r.text.count("share|cite|improve this answer") >= 8


def test_real_rendered_mathjax_v3(shared_data):
    r = extract_math((shared_data / "html_readability" / "mathjax.source.html").read_bytes())
    assert r.counts["mathjax"] >= 10 and "mjx" not in r.text


def test_real_wikipedia_tsne_annotations(shared_data):
    r = extract_math((shared_data / "html_trafilatura" / "math" / "en.wikipedia.org.tsne.html").read_bytes())
    assert r.counts["mathml"] == 34 and "p_{ij}" in r.text


@pytest.mark.parametrize(
    "rel",
    [
        "html_llm_webkit/blog_plainspot.html",
        "html_llm_webkit/tests/math_dollar.html",
        "html_readability/wikipedia.source.html",
        "html_readability/bbc-1.source.html",
        "html_readability/nytimes-1.source.html",
    ],
)
def test_real_non_math_pages_have_no_formulas(shared_data, rel):
    r = extract_math((shared_data / rel).read_bytes())
    assert r.ok and r.n_formulas == 0


def test_real_non_math_trafilatura_cache(shared_data):
    files = sorted((shared_data / "html_trafilatura" / "nonmath").glob("*.html.gz"))
    assert files
    found = {f.name: extract_math(gzip.decompress(f.read_bytes())).n_formulas for f in files}
    assert not {k: v for k, v in found.items() if v}


def test_cli_on_warc_and_html(shared_data):
    from click.testing import CliRunner

    from corpus.cli import main

    res = CliRunner().invoke(
        main, ["corpus", "extract", "--limit", "2", str(shared_data / "warc_dolma" / "sample-0000.warc.gz")]
    )
    assert res.exit_code == 0, res.output
    assert res.output.count("### http") == 2
    res = CliRunner().invoke(
        main,
        [
            "corpus",
            "extract",
            "--json",
            str(shared_data / "html_trafilatura" / "math" / "en.wikipedia.org.tsne.html"),
        ],
    )
    assert json.loads(res.output)["counts"]["mathml"] == 34
