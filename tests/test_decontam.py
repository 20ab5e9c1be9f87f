"""Decontamination on real data: real benchmark items (../shared/data) planted into real web pages.

Every benchmark text is planted verbatim and with changes of case, whitespace, punctuation, line
breaks and LaTeX spacing; all must be caught. The same pages without them, and real math pages,
must all be kept. Items held out of the index that share no 10-gram with it (checked by brute force
over token tuples, independently of the hashing) must be kept.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pyarrow as pa
import pytest

from corpus import shards
from corpus.benchmarks import BenchmarkItem, load_benchmark
from corpus.decontam.config import DecontamConfig
from corpus.decontam.index import BenchmarkIndex, build_index
from corpus.decontam.informative import informative_windows
from corpus.decontam.matcher import remove_segments, scan_text
from corpus.decontam.normalize import gram_tokens, normalize, token_regex, tokenize
from corpus.decontam.report import read_report
from corpus.decontam.stage import run_decontaminate
from corpus.executors import LocalExecutor
from corpus.schema import DOCUMENT_SCHEMA, conform
from corpus.tokens import count_tokens

# Benchmark name -> file under shared/data. agieval-math and math500 are left out of the planted
# set: they are subsets of MATH, so a hit may rightly be credited to the MATH copy of the item.
FILES = {
    "gsm8k": "gsm8k/test.jsonl",
    "math": "math/test.jsonl.gz",
    "cmath": "cmath/cmath_test.jsonl",
    "agieval-gaokao-mathqa": "agieval/gaokao-mathqa.jsonl",
    "agieval-gaokao-mathcloze": "agieval/gaokao-mathcloze.jsonl",
    "agieval-sat-math": "agieval/sat-math.jsonl",
    "mgsm-zh": "deepseek_math_eval/mgsm_zh.jsonl",
    "mmlu-stem": "deepseek_math_eval/mmlu_stem_test.jsonl",
    "ocw": "deepseek_math_eval/ocw_test.jsonl",
    "sat": "deepseek_math_eval/sat_test.jsonl",
}
PER_BENCHMARK = 6  # items planted per benchmark and variant


@pytest.fixture(scope="module")
def items(shared_data: Path) -> dict[str, list[BenchmarkItem]]:
    return {name: load_benchmark(name, shared_data / rel) for name, rel in FILES.items()}


@pytest.fixture(scope="module")
def index(items) -> BenchmarkIndex:
    cfg = DecontamConfig(benchmarks=list(FILES))
    return build_index(cfg, [it for name in FILES for it in items[name]])


@pytest.fixture(scope="module")
def pages(shared_data: Path) -> list[str]:
    """Real web text: DCLM documents (both files) and Dolma CC documents."""
    import gzip

    texts = [
        json.loads(line)["text"]
        for f in sorted((shared_data / "web_text_dclm").glob("*.jsonl"))
        for line in f.read_text().splitlines()
        if line.strip()
    ]
    for f in sorted((shared_data / "web_text_dolma").glob("*.gz")):
        with gzip.open(f, "rt") as fh:
            texts += [json.loads(line)["text"] for line in fh if line.strip()]
    return texts


@pytest.fixture(scope="module")
def math_pages(shared_data: Path) -> list[str]:
    """Real math web pages (Stack Exchange, Wikipedia with MathML, MathJax demos, a Chinese zhihu page)."""
    from resiliparse.extract.html2text import extract_plain_text

    files = sorted((shared_data / "html_llm_webkit").glob("math_*.html"))
    files += sorted((shared_data / "html_llm_webkit" / "tests").glob("math_*.html"))
    return [extract_plain_text(f.read_text(errors="replace"), main_content=False) for f in files]


def plant(page: str, text: str, rng: random.Random) -> str:
    """`text` inserted between two lines of `page` (or at its end)."""
    lines = page.split("\n")
    at = rng.randint(0, len(lines))
    return "\n".join(lines[:at] + [text] + lines[at:])


def _zh(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def variants(text: str, rng: random.Random) -> dict[str, str]:
    """The text copied with other case, spacing, punctuation, line breaks and LaTeX spacing."""
    words = text.split()
    out = {
        "verbatim": text,
        "case": text.upper() if rng.random() < 0.5 else text.title(),
        "whitespace": re.sub(r"\s+", lambda m: rng.choice(["  ", "\t", " \u00a0", "   "]), text),
        "punctuation": re.sub(
            r"(?<!\d)[.,](?!\d)|[;:?!()\[\]$]",  # not decimal points: they change the number
            lambda m: rng.choice(["", " ", ";", " - "]),
            text,
        ),
        "line_breaks": "\n".join(" ".join(words[i : i + 7]) for i in range(0, len(words), 7)),
        "latex_spacing": re.sub(r"=", r"\\,=\\quad ", text)
        .replace("^2", "^{2}")
        .replace("\\frac", "\\dfrac"),
    }
    if _zh(
        text
    ):  # Chinese: spaces between characters, half-width punctuation, wrapped lines, full-width digits
        out["whitespace"] = re.sub(
            r"([\u4e00-\u9fff])", lambda m: rng.choice([" ", "  ", "\u3000"]) + m.group(1), text
        )
        out["punctuation"] = text.translate(str.maketrans("，。？：；（）", ",.?:;()"))
        out["line_breaks"] = "\n".join(text[i : i + 15] for i in range(0, len(text), 15))
        out["case"] = text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return out


def _long_texts(item: BenchmarkItem, n: int) -> list[str]:
    return [t for t in (item.question, item.solution) if t and len(tokenize(t)) >= n]


def test_normalisation_makes_copies_equal():
    same = [r"$x^2+\frac{1}{2}$", r"$x^{2} + \dfrac12$", "X² + \\tfrac{1}{2}", r"x^{2}\,+\quad\frac{1}{2}"]
    assert len({tuple(tokenize(s)) for s in same}) == 1
    assert tokenize(r"5\text{ cm}, \mathbb{R}, ℝ, \left(1,000\right)") == ["5", "cm", "r", "r", "1000"]
    assert tokenize("妈咪买了3盒茶叶，一盒") == ["妈", "咪", "买", "了", "3", "盒", "茶", "叶", "一", "盒"]
    assert tokenize("Janet’s ducks") == tokenize("JANET'S  ducks") == ["janet", "s", "ducks"]
    assert tokenize("ab c", "char") == ["a", "b", "c"]
    with pytest.raises(ValueError, match="gram unit"):
        tokenize("x", "syllable")


def test_fast_tokeniser_equals_the_reference_regex(items, pages, math_pages):
    texts = pages + math_pages + [t for b in items for it in items[b][:200] for t in it.texts()]
    for unit in ("auto", "word", "char"):
        for t in texts:
            norm = normalize(t)
            assert [x.decode() for x in gram_tokens(norm, unit)] == token_regex(unit).findall(norm), t[:200]


@pytest.mark.parametrize("bench", list(FILES))
def test_planted_items_are_caught_in_every_variant(bench, items, index, pages):
    rng = random.Random(bench)
    pool = [it for it in items[bench] if _long_texts(it, index.n)]
    chosen = rng.sample(pool, min(PER_BENCHMARK, len(pool)))
    assert chosen, bench
    by_key = {(it.benchmark, it.id): it for b in items for it in items[b]}
    for it in chosen:
        for text in _long_texts(it, index.n):
            for kind, variant in variants(text, rng).items():
                page = plant(rng.choice(pages), variant, rng)
                matches = scan_text(page, index)
                assert matches, f"{bench} item {it.id} not caught ({kind}): {variant[:200]!r}"
                assert bench in {m.benchmark for m in matches}, (kind, matches[:3])
                # The reverse map names an item that really holds the matched text (the planted one,
                # or another that shares it, e.g. OCW subproblems that repeat earlier parts).
                for m in matches:
                    owner = by_key[m.benchmark, m.item]
                    first = " ".join(m.text.split()[: index.n]) if m.rule == "ngram" else m.text
                    assert first in " ".join(tokenize("\n".join(owner.texts()))), (kind, m)


def test_short_benchmark_texts_are_exact_matched(items, index, pages):
    rng = random.Random(3)
    short = [it for it in items["math"] if 3 <= len(tokenize(it.question)) < index.n]
    assert len(short) > 100  # MATH has 337 such questions
    for it in rng.sample(short, 25):
        q = it.question
        for kind in ("verbatim", "case", "whitespace", "punctuation"):
            page = plant(rng.choice(pages), variants(q, rng)[kind], rng)
            matches = [m for m in scan_text(page, index) if m.rule == "exact"]
            assert any(m.item == it.id for m in matches), (kind, q)
    # Only whole texts on token boundaries count: a prefix, or the text glued to other digits, does not.
    q = next(it.question for it in short if tokenize(it.question)[-1].isdigit())
    toks = tokenize(q)
    assert not any(m.rule == "exact" for m in scan_text(" ".join(toks[:-1]), index))
    assert not any(m.rule == "exact" for m in scan_text(" ".join(toks) + "7", index))


def test_real_pages_without_benchmark_text_are_all_kept(index, pages, math_pages):
    assert len(pages) > 700 and len(math_pages) >= 10
    flagged = [(i, scan_text(p, index)[:2]) for i, p in enumerate(pages + math_pages) if scan_text(p, index)]
    assert flagged == []


def test_literal_rule_is_a_setting(items):
    """min_informative_tokens=0 indexes every 10-gram (the paper's literal rule): a countdown found in
    a MATH solution then matches, with the default filter it does not."""
    math = items["math"]
    literal = build_index(DecontamConfig(benchmarks=["math"], min_informative_tokens=0), math)
    default = build_index(DecontamConfig(benchmarks=["math"]), math)
    assert literal.meta["grams"] > default.meta["grams"]
    page = "Launch sequence: 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, liftoff!"
    assert scan_text(page, literal) and not scan_text(page, default)


def test_same_topic_items_sharing_no_ngram_are_kept(items, pages):
    """Index half of the MATH items of each subject; plant the other half. The index's verdict must
    equal a brute-force check over token tuples: caught exactly when an indexed 10-gram is shared."""
    cfg = DecontamConfig(benchmarks=["math"])
    math = [it for it in items["math"] if it.meta.get("type") in ("Algebra", "Geometry", "Number Theory")]
    indexed, held_out = math[0::2], math[1::2][:300]
    index = build_index(cfg, indexed)
    grams = set()
    for it in indexed:
        for text in (it.question, it.solution):
            toks = tokenize(text)
            if len(toks) >= cfg.n:
                ok = informative_windows(toks, cfg.n) >= cfg.min_informative_tokens
                grams |= {tuple(toks[i : i + cfg.n]) for i in range(len(toks) - cfg.n + 1) if ok[i]}
    rng = random.Random(11)
    kept = 0
    for it in held_out:
        text = f"{it.question}\n{it.solution}"
        toks = tokenize(text)
        shares = any(tuple(toks[i : i + cfg.n]) in grams for i in range(len(toks) - cfg.n + 1))
        caught = any(m.rule == "ngram" for m in scan_text(plant(rng.choice(pages), text, rng), index))
        assert caught == shares, (it.id, it.question[:100])
        kept += not caught
    assert kept > 0.8 * len(held_out)  # most same-topic problems share no 10-gram


def _doc_table(texts: list[str], prefix: str) -> pa.Table:
    return conform(
        pa.table(
            {
                "id": [f"{prefix}-{i}" for i in range(len(texts))],
                "text": texts,
                "url": [f"https://example.org/{prefix}/{i}" for i in range(len(texts))],
            }
        ),
        DOCUMENT_SCHEMA,
    )


@pytest.fixture
def run_input(tmp_path: Path, items, pages, shared_data: Path):
    """Two shards of 30 real pages each; pages 3 and 17 of the first carry a GSM8K question and a
    CMATH question, page 5 of the second an OCW solution. Returns (in_dir, planted ids, cfg)."""
    rng = random.Random(5)
    a, b = list(pages[:30]), list(pages[30:60])
    planted = {
        "s0-3": ("gsm8k", items["gsm8k"][10]),
        "s0-17": ("cmath", items["cmath"][7]),
        "s1-5": ("ocw", items["ocw"][3]),
    }
    a[3] = plant(a[3], items["gsm8k"][10].question, rng)
    a[17] = plant(a[17], items["cmath"][7].question, rng)
    b[5] = plant(b[5], items["ocw"][3].solution, rng)
    in_dir = tmp_path / "in"
    shards.write_table(_doc_table(a, "s0"), str(in_dir / "part-00000.parquet"))
    shards.write_table(_doc_table(b, "s1"), str(in_dir / "part-00001.parquet"))
    cfg = DecontamConfig(
        benchmarks=[f"{n}={shared_data / FILES[n]}" for n in ("gsm8k", "cmath", "ocw", "sat")]
    )
    return in_dir, planted, cfg


def test_stage_drops_contaminated_pages_and_reports_them(tmp_path, run_input):
    in_dir, planted, cfg = run_input
    out = tmp_path / "out"
    stats = run_decontaminate(str(in_dir), str(out), cfg, LocalExecutor(1))
    assert stats["records_in"] == 60 and stats["kept"] == 57 and stats["dropped"] == {"contaminated": 3}
    assert stats["by_benchmark"] == {"gsm8k": 1, "cmath": 1, "ocw": 1}
    kept = pa.concat_tables([shards.read_table(p) for p in shards.list_shards(str(out))])
    assert kept.num_rows == 57 and not set(planted) & set(kept.column("id").to_pylist())
    assert kept.schema.names[: len(DOCUMENT_SCHEMA)] == DOCUMENT_SCHEMA.names
    dropped = pa.concat_tables([shards.read_table(p) for p in shards.list_shards(str(out / "dropped"))])
    rows = {r["id"]: r for r in dropped.to_pylist()}
    assert set(rows) == set(planted)
    for doc_id, (bench, item) in planted.items():
        assert rows[doc_id]["reason"] == "contaminated"
        assert (rows[doc_id]["contam_benchmark"], rows[doc_id]["contam_item"]) == (bench, item.id)
        assert rows[doc_id]["contam_match"] in " ".join(tokenize(item.question + "\n" + item.solution))
    report = read_report(str(out))
    assert {r["id"]: (r["benchmark"], r["item"]) for r in report} == {
        k: (b, i.id) for k, (b, i) in planted.items()
    }
    assert shards.stage_complete(str(out))
    # A rerun resumes from the completion records and gives the same totals.
    again = run_decontaminate(str(in_dir), str(out), cfg, LocalExecutor(1))
    assert again["by_benchmark"] == stats["by_benchmark"] and again["kept"] == 57
    # Other settings must not be mixed into the same output folder.
    with pytest.raises(ValueError, match="other decontamination settings"):
        run_decontaminate(
            str(in_dir), str(out), DecontamConfig(benchmarks=cfg.benchmarks, n=13), LocalExecutor(1)
        )


def test_segment_scope_removes_only_the_matching_lines(tmp_path, run_input, items):
    in_dir, planted, cfg = run_input
    cfg.scope = "segment"
    out = tmp_path / "seg"
    stats = run_decontaminate(str(in_dir), str(out), cfg, LocalExecutor(1))
    assert stats["kept"] == 60 and stats["trimmed"] == 3 and stats["contaminated"] == 3
    kept = {r["id"]: r for p in shards.list_shards(str(out)) for r in shards.read_table(p).to_pylist()}
    index = build_index(cfg)
    for doc_id in planted:
        assert kept[doc_id]["contam_segments_removed"] >= 1
        assert not scan_text(kept[doc_id]["text"], index)  # nothing of the item is left
        assert kept[doc_id]["n_tokens"] == count_tokens(kept[doc_id]["text"])  # counts the text kept
    assert kept["s0-0"]["contam_segments_removed"] == 0
    # A page made only of benchmark text has nothing left and is dropped.
    q = items["gsm8k"][10].question
    rest, matches, n = remove_segments(q.replace(". ", ".\n"), index)
    assert matches and rest.strip() == "" and n == q.replace(". ", ".\n").count("\n") + 1


def test_cli(tmp_path, run_input, monkeypatch):
    from click.testing import CliRunner

    from corpus import executors
    from corpus.cli import main

    closed = []

    class Recording(executors.LocalExecutor):
        def close(self) -> None:
            closed.append(True)
            super().close()

    monkeypatch.setattr(executors, "make_executor", lambda kind, workers=None: Recording(workers))
    in_dir, _, cfg = run_input
    args = ["corpus", "decontaminate", str(in_dir), "--out", str(tmp_path / "cli"), "--workers", "1"]
    for b in cfg.benchmarks:
        args += ["--benchmark", b]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "3 dropped" in res.output and '"gsm8k": 1' in res.output
    assert closed == [True]  # the executor's workers are released
    bad = CliRunner().invoke(main, [*args[:5], "--benchmark", "nosuch=x.jsonl"])
    assert bad.exit_code == 2 and "unknown benchmark" in bad.output
