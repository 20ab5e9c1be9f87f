"""Math-preserving extraction: formula recall, word recall and speed against trafilatura and Resiliparse.

Pages (all from ../shared/data):
- html_llm_webkit/*.html with ground truth groundtruth/<name>.jsonl.gz: formulas are the
  `equation-interline` blocks and `equation-inline` spans of `content_list`; words are those of `content`
  outside `$…$`/`$$…$$`.
- html_readability/mathjax: the MathJax v3 "MathML input, HTML output" demo saved after rendering. It is
  the same demo page as html_llm_webkit/math_mathjax_mathml_1 (same title and text), so that page's
  ground truth is used.
- html_trafilatura/math/en.wikipedia.org.tsne.html: no upstream ground truth; its formulas are the
  `annotation[encoding=application/x-tex]` texts of the page's MathML and its words are the text of the
  article's `<p>`/`<li>`/`<dd>` elements with math removed, both read with lxml (not with our code).
- Non-math pages (must yield no formula): blog_plainspot, tests/math_dollar.html, html_readability
  wikipedia/bbc-1/nytimes-1, html_trafilatura/nonmath/*.html.gz.

A formula counts as found when its whitespace-free LaTeX occurs in the whitespace-free output. Word
recall is multiset recall of lower-cased alphanumeric words. The family of a page is the markup its
formulas come in (PAGE_FAMILY). Speed: pages/s of one process over all pages (math and non-math),
each tool in turn in the same run, `--repeat` passes.

Run: python -m benchmarks extract [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import lxml.html
import trafilatura
from resiliparse.extract.html2text import extract_plain_text

from benchmarks.common import fix_threads, print_table, timed, write_result
from corpus.extract import extract_math

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
if not DATA.exists():
    DATA = Path("/work/shared/data")

# page -> markup family of its formulas
PAGE_FAMILY = {
    "math_stackexchange_1": "mathjax",
    "math_mathjax_latex_1": "mathjax",
    "math_mathjax_latex_2": "mathjax",
    "math_mathjax_latex_3": "mathjax",
    "math_mathjax_latex_4": "mathjax",
    "math_mathjax_mathml_1": "mathml",
    "math_none_mathml_1": "mathml",
    "math_katex_latex_1": "katex",
    "math_img_1": "latex_img",
    "readability/mathjax": "mathjax",
    "trafilatura/tsne": "mathml",
}
_WORD = re.compile(r"[^\W_]+")
_MATH_SPAN = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.S)


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _lenient(s: str) -> str:
    """Notation-insensitive form: also ignores `\\left`/`\\right`, braces and `\\mathrm` wrappers, which
    MathML->LaTeX converters (ours and the one behind the ground truth) emit differently."""
    s = re.sub(r"\\(?:left|right|mathrm|displaystyle)(?![A-Za-z])|[{}\s]", "", s)
    return s


def _words(text: str) -> Counter:
    return Counter(w.lower() for w in _WORD.findall(text))


def typed_formulas(content_list) -> list[str]:
    """The formulas of llm-webkit ground truth's typed blocks (display and inline equations)."""
    out: list[str] = []

    def walk(x):
        if isinstance(x, dict):
            if x.get("type") == "equation-interline":
                out.append(x["content"]["math_content"])
            elif x.get("t") == "equation-inline":
                out.append(x["c"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(content_list)
    return out


def _webkit_truth(name: str) -> tuple[list[str], str]:
    d = json.loads(
        gzip.decompress((DATA / "html_llm_webkit" / "groundtruth" / f"{name}.jsonl.gz").read_bytes())
    )
    formulas = typed_formulas(d["content_list"])
    # formulas the upstream annotators left inside table/list text (e.g. Stack Exchange comments)
    typed = {_norm(f) for f in formulas}
    for m in _MATH_SPAN.finditer(d["content"]):
        body = m.group(0).strip("$")
        if _norm(body) and _norm(body) not in typed:
            formulas.append(body)
    return [f for f in formulas if _norm(f)], _MATH_SPAN.sub(" ", d["content"])


def _tsne_truth(html: str) -> tuple[list[str], str]:
    root = lxml.html.fromstring(html)
    formulas = [a.text or "" for a in root.iter("annotation") if a.get("encoding") == "application/x-tex"]
    for m in list(root.iter("math")):
        m.getparent().remove(m)
    body = root.find_class("mw-parser-output")[0]
    text = "\n".join(e.text_content() for e in body.iter("p", "li", "dd"))
    return [f for f in formulas if _norm(f)], text


def load_pages() -> tuple[list[dict], list[dict]]:
    math_pages, negatives = [], []
    for name in PAGE_FAMILY:
        if "/" in name:
            continue
        formulas, text = _webkit_truth(name)
        html = (DATA / "html_llm_webkit" / f"{name}.html").read_bytes()
        math_pages.append({"name": name, "html": html, "formulas": formulas, "text": text})
    formulas, text = _webkit_truth("math_mathjax_mathml_1")
    html = (DATA / "html_readability" / "mathjax.source.html").read_bytes()
    math_pages.append({"name": "readability/mathjax", "html": html, "formulas": formulas, "text": text})
    html = (DATA / "html_trafilatura" / "math" / "en.wikipedia.org.tsne.html").read_bytes()
    formulas, text = _tsne_truth(html.decode("utf-8"))
    math_pages.append({"name": "trafilatura/tsne", "html": html, "formulas": formulas, "text": text})

    neg_files = [
        DATA / "html_llm_webkit" / "blog_plainspot.html",
        DATA / "html_llm_webkit" / "tests" / "math_dollar.html",
        *(DATA / "html_readability" / f"{n}.source.html" for n in ("wikipedia", "bbc-1", "nytimes-1")),
    ]
    for f in neg_files:
        negatives.append({"name": f.name, "html": f.read_bytes()})
    for f in sorted((DATA / "html_trafilatura" / "nonmath").glob("*.html.gz")):
        negatives.append({"name": "nonmath/" + f.name, "html": gzip.decompress(f.read_bytes())})
    return math_pages, negatives


def run_ours(html: bytes) -> str:
    return extract_math(html).text


def run_trafilatura(html: bytes) -> str:
    return trafilatura.extract(html) or ""


def run_resiliparse(html: bytes) -> str:
    from corpus.extract.decode import decode_html

    return extract_plain_text(decode_html(html), main_content=True)


TOOLS = {"mathmine": run_ours, "trafilatura": run_trafilatura, "resiliparse": run_resiliparse}


def score(page: dict, out: str, lenient: bool = False) -> tuple[int, int, float]:
    norm = _lenient if lenient else _norm
    flat = norm(out)
    found = sum(1 for f in page["formulas"] if norm(f) in flat)
    truth_words, out_words = _words(page["text"]), _words(out)
    total = sum(truth_words.values())
    hit = sum(min(c, out_words[w]) for w, c in truth_words.items())
    return found, len(page["formulas"]), hit / total if total else 1.0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="passes over all pages for the speed figure")
    args = ap.parse_known_args(argv)[0]
    fix_threads(1)
    math_pages, negatives = load_pages()

    per_page, fam = [], defaultdict(lambda: defaultdict(lambda: [0, 0]))
    words = defaultdict(list)
    for p in math_pages:
        row = {"page": p["name"], "family": PAGE_FAMILY[p["name"]], "formulas": len(p["formulas"])}
        for tool, fn in TOOLS.items():
            out = fn(p["html"])
            found, total, wr = score(p, out)
            row[f"{tool}_formula_recall"] = round(found / total, 3) if total else 1.0
            row[f"{tool}_word_recall"] = round(wr, 3)
            fam[tool][PAGE_FAMILY[p["name"]]][0] += found
            fam[tool][PAGE_FAMILY[p["name"]]][1] += total
            fam[tool]["overall"][0] += found
            fam[tool]["overall"][1] += total
            words[tool].append(wr)
            if tool == "mathmine":
                lfound = score(p, out, lenient=True)[0]
                row["mathmine_lenient_recall"] = round(lfound / total, 3) if total else 1.0
                fam["mathmine_lenient"][PAGE_FAMILY[p["name"]]][0] += lfound
                fam["mathmine_lenient"]["overall"][0] += lfound
        per_page.append(row)
    print_table(per_page, "per page: formula recall and word recall")

    families = sorted({PAGE_FAMILY[p["name"]] for p in math_pages}) + ["overall"]
    fam_rows = []
    for f in families:
        row = {"family": f, "formulas": fam["mathmine"][f][1]}
        for tool in TOOLS:
            found, total = fam[tool][f]
            row[f"{tool}_formula_recall"] = round(found / total, 3) if total else 1.0
        row["mathmine_lenient_recall"] = round(fam["mathmine_lenient"][f][0] / row["formulas"], 3)
        fam_rows.append(row)
    print_table(fam_rows, "per family: formula recall")
    word_rows = [{"tool": t, "mean_word_recall": round(sum(v) / len(v), 3)} for t, v in words.items()]
    print_table(word_rows, "mean word recall over math pages")

    neg_rows = []
    for p in negatives:
        r = extract_math(p["html"])
        neg_rows.append({"page": p["name"], "formulas_found": r.n_formulas, "ok": r.ok, "chars": len(r.text)})
    false_pages = [r for r in neg_rows if r["formulas_found"]]
    print_table(
        false_pages or [{"page": "(none)", "formulas_found": 0, "ok": True, "chars": 0}],
        f"non-math pages with formulas found (of {len(neg_rows)})",
    )

    pages = [p["html"] for p in math_pages + negatives]
    speed_rows = []
    for tool, fn in TOOLS.items():
        fn(pages[0])  # warm up imports and caches
        with timed() as t:
            start = time.process_time()
            for _ in range(args.repeat):
                for h in pages:
                    fn(h)
            cpu = time.process_time() - start
        n = len(pages) * args.repeat
        speed_rows.append(
            {
                "tool": tool,
                "pages": n,
                "wall_s": round(t.seconds, 2),
                "cpu_s": round(cpu, 2),
                "pages_per_cpu_s": round(n / cpu, 1),
                "other_cpu_%": t.other_cpu_after,
            }
        )
    base = next(r for r in speed_rows if r["tool"] == "trafilatura")["pages_per_cpu_s"]
    for r in speed_rows:
        r["vs_trafilatura"] = round(r["pages_per_cpu_s"] / base, 2)
    print_table(speed_rows, "speed (one process; pages per CPU-second = pages/s per core)")

    path = write_result(
        "extract",
        {
            "per_page": per_page,
            "per_family": fam_rows,
            "word_recall": word_rows,
            "negatives": neg_rows,
            "speed": speed_rows,
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
