"""Evaluation harness: extraction, pass@k, gold solutions as outputs, the tiny model end to end, re-scoring."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus.benchmarks import load_benchmark
from corpus.cli import main
from training.evaluation import prompts as P
from training.evaluation.harness import score_predictions, score_records
from training.evaluation.scoring import extract_choice, extract_prediction, pass_at_k, summarize
from training.evaluation.verify import Verifier

# name -> path under shared/data: every benchmark the harness knows, on its real test file
BENCH_FILES = {
    "gsm8k": "gsm8k/test.jsonl",
    "math": "math/test.jsonl.gz",
    "math500": "math/math500_test.jsonl",
    "cmath": "cmath/cmath_test.jsonl",
    "mgsm-zh": "mgsm/mgsm_zh.tsv",
    "mmlu-stem": "deepseek_math_eval/mmlu_stem_test.jsonl",
    "sat": "deepseek_math_eval/sat_test.jsonl",
    "ocw": "deepseek_math_eval/ocw_test.jsonl",
    "agieval-gaokao-mathqa": "agieval/gaokao-mathqa.jsonl",
    "agieval-gaokao-mathcloze": "agieval/gaokao-mathcloze.jsonl",
    "agieval-sat-math": "agieval/sat-math.jsonl",
    "agieval-math": "agieval/math.jsonl",
}


@pytest.fixture(scope="module")
def verifier():
    with Verifier(workers=2) as v:
        yield v


# --- extraction and estimators ---------------------------------------------------------------------


def test_extract_number_math_choice():
    assert extract_prediction("so 3 + 4 = 7.\nThe answer is 1,207.", "number") == "1207"
    assert extract_prediction("3 × 6 = 18，50 - 18 = 32。答案是 32。", "number") == "32"
    assert extract_prediction("blah\n#### 55", "number") == "55"
    assert extract_prediction("no statement, but 12 then 15", "number") == "15"
    assert extract_prediction(r"thus $\boxed{\frac{3}{28}}$.", "math") == r"\frac{3}{28}"
    assert extract_prediction("The final answer is $x^2+1$. I hope it is correct.", "math") == "x^2+1"
    assert extract_prediction("nothing stated 42", "math") is None
    assert extract_choice("so it must be C. The answer is (C).") == "C"
    assert extract_choice(r"the option is $\boxed{B}$") == "B"
    assert extract_choice("因为……答案是 (D)。") == "D"
    assert extract_choice("I think (A) or maybe (B)") == "B"
    assert extract_choice("no letter here") is None


def test_pass_at_k_unbiased():
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 10, 5) == 1.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    # 1 - C(2,2)/C(4,2) = 1 - 1/6
    assert pass_at_k(4, 2, 2) == pytest.approx(5 / 6)
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 3)


def test_majority_vote_and_breakdown(shared_data, verifier):
    items = load_benchmark("math500", shared_data / BENCH_FILES["math500"], limit=3)
    wrong = r"\boxed{123456}"
    gold = [rf"\boxed{{{it.answer}}}" for it in items]
    outputs = [[gold[0], wrong, gold[0]], [wrong, wrong, gold[1]], [wrong, gold[2], gold[2]]]
    summary, records = score_records(items, outputs, verifier, ks=(1, 3))
    assert summary["accuracy"] == pytest.approx(1 / 3)  # first sample
    assert summary["maj@3"] == pytest.approx(2 / 3)
    assert summary["pass@3"] == pytest.approx(1.0)
    assert summary["pass@1"] == pytest.approx((2 / 3 + 1 / 3 + 2 / 3) / 3)
    assert set(summary["breakdown"]) == {"type", "level"}
    assert records[1]["majority_correct"] is False


# --- gold solutions as model outputs (real test sets) ------------------------------------------------


def gold_figures(items, verifier, seed: int = 0) -> dict:
    """Gold solutions scored as outputs; shuffled gold solutions; how often shuffled golds truly agree."""
    sols = [[it.solution] for it in items]
    gold_acc = score_records(items, sols, verifier)[0]["accuracy"]
    perm = list(range(len(items)))
    random.Random(seed).shuffle(perm)
    shuffled_acc = score_records(items, [sols[j] for j in perm], verifier)[0]["accuracy"]
    agree = verifier.check([items[j].answer for j in perm], [it.answer for it in items])
    return {
        "gold": gold_acc,
        "shuffled": shuffled_acc,
        "coincide": sum(r.correct for r in agree) / len(items),
    }


@pytest.mark.parametrize(("name", "limit"), [("gsm8k", None), ("math500", 150)])
def test_gold_solutions_score_and_shuffled_do_not(shared_data, verifier, name, limit):
    items = load_benchmark(name, shared_data / BENCH_FILES[name], limit=limit)
    fig = gold_figures(items, verifier)
    assert fig["gold"] >= 0.995, fig
    assert fig["shuffled"] <= fig["coincide"] + 0.01, fig


@pytest.mark.slow
@pytest.mark.parametrize("name", ["gsm8k", "math", "math500"])
def test_gold_solutions_full_test_sets(shared_data, verifier, name):
    items = load_benchmark(name, shared_data / BENCH_FILES[name])
    assert len(items) in (1319, 5000, 500)
    fig = gold_figures(items, verifier)
    assert fig["gold"] >= 0.995, fig
    assert fig["shuffled"] <= fig["coincide"] + 0.01, fig


# --- prompts ---------------------------------------------------------------------------------------


def test_fewshot_prompts_never_use_the_test_split(shared_data):
    test = str(shared_data / BENCH_FILES["gsm8k"])
    items = load_benchmark("gsm8k", test, limit=5)
    ex = P.exemplars_for("gsm8k", test_path=test)  # the train file beside the test file
    assert len(ex) == 8
    train_qs = {it.question for it in load_benchmark("gsm8k", shared_data / "gsm8k/train.jsonl.gz")}
    assert all(e.question in train_qs for e in ex)
    assert all("<<" not in e.cot and e.cot.rstrip().endswith(".") and "The answer is" in e.cot for e in ex)
    assert ex == P.exemplars_for("gsm8k", test_path=test)  # fixed seed
    prompt = P.fewshot_prompt(items[0], ex)
    assert prompt.count("Question: ") == 9 and prompt.endswith(items[0].question.strip() + "\nAnswer:")
    with pytest.raises(ValueError, match="test file itself"):
        P.draw_exemplars("gsm8k", 8, source=test, test_path=test)
    for name in P.FORMATS:
        if P.FORMATS[name].exemplars != "split":
            assert len(P.exemplars_for(name)) == P.FORMATS[name].shots


# --- the tiny model end to end -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, shared_data) -> Path:
    from training.tiny_model import make_tiny

    texts = [
        f"{it.question}\n{it.solution}"
        for it in load_benchmark("gsm8k", shared_data / "gsm8k/train.jsonl.gz", limit=200)
    ]
    texts += [it.question for it in load_benchmark("cmath", shared_data / "cmath/cmath_dev.jsonl", limit=200)]
    return make_tiny(
        tmp_path_factory.mktemp("tiny"), texts, vocab_size=600, hidden_size=32, layers=2, heads=2
    )


def test_tiny_model_end_to_end_every_benchmark(tiny_model, shared_data, tmp_path):
    out = tmp_path / "report"
    args = [
        "eval",
        str(tiny_model),
        "--limit",
        "20",
        "--max-new-tokens",
        "4",
        "--batch-size",
        "20",
        "--out",
        str(out),
    ]
    for name, rel in BENCH_FILES.items():
        args += ["-b", f"{name}={shared_data / rel}"]
    res = CliRunner().invoke(main, args, catch_exceptions=False)  # `eval MODEL` == `eval run MODEL`
    assert res.exit_code == 0, res.output
    report = json.loads((out / "results.json").read_text())
    assert set(report["benchmarks"]) == set(BENCH_FILES)
    for name, summary in report["benchmarks"].items():
        assert summary["items"] == 20, name
        assert 0.0 <= summary["accuracy"] <= 0.2, (name, summary)  # random weights: near zero
        preds = [
            json.loads(line) for line in (out / "predictions" / f"{name}.jsonl").read_text().splitlines()
        ]
        assert len(preds) == 20 and all("output" in p and "prompt" in p for p in preds)
    assert "| gsm8k | 20 |" in (out / "results.md").read_text()
    assert set(report["benchmarks"]["math"]["breakdown"]) == {"type", "level"}

    # re-scoring the saved predictions gives the run's numbers
    pred = out / "predictions" / "cmath.jsonl"
    res = CliRunner().invoke(
        main,
        [
            "eval",
            "score",
            "-b",
            f"cmath={shared_data / BENCH_FILES['cmath']}",
            "--predictions",
            str(pred),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    scored = json.loads(res.output)
    assert scored["accuracy"] == report["benchmarks"]["cmath"]["accuracy"]
    assert scored["items"] == 20 and scored["missing"] == 1098 - 20


def test_zeroshot_and_sampling(tiny_model, shared_data, tmp_path):
    out = tmp_path / "zs"
    res = CliRunner().invoke(
        main,
        [
            "eval",
            "run",
            str(tiny_model),
            "-b",
            f"gsm8k={shared_data / BENCH_FILES['gsm8k']}",
            "--limit",
            "3",
            "--mode",
            "zeroshot",
            "--max-new-tokens",
            "3",
            "--samples",
            "4",
            "--pass-k",
            "2",
            "--out",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "results.json").read_text())["benchmarks"]["gsm8k"]
    assert summary["samples"] == 4 and "maj@4" in summary and "pass@2" in summary
    rec = json.loads((out / "predictions" / "gsm8k.jsonl").read_text().splitlines()[0])
    assert len(rec["outputs"]) == 4
    assert rec["prompt"].startswith("User: ") and P.ZERO_SHOT_INSTRUCTION in rec["prompt"]


def test_score_gold_predictions_and_bad_input(shared_data, tmp_path):
    path = shared_data / BENCH_FILES["gsm8k"]
    items = load_benchmark("gsm8k", path, limit=30)
    pred = tmp_path / "p.jsonl"
    pred.write_text(
        "".join(json.dumps({"id": i, "output": it.solution}) + "\n" for i, it in enumerate(items))
    )
    summary = score_predictions("gsm8k", str(path), pred)
    assert summary["accuracy"] == 1.0 and summary["items"] == 30 and summary["missing"] == 1319 - 30
    pred.write_text(json.dumps({"id": 99999, "output": "1"}) + "\n")
    res = CliRunner().invoke(main, ["eval", "score", "-b", f"gsm8k={path}", "--predictions", str(pred)])
    assert res.exit_code != 0 and "not an item" in res.output
    pred.write_text("{not json\n")
    res = CliRunner().invoke(main, ["eval", "score", "-b", f"gsm8k={path}", "--predictions", str(pred)])
    assert res.exit_code != 0 and "not JSON" in res.output


def test_summary_of_nothing():
    assert summarize([])["accuracy"] is None


@pytest.mark.slow  # ~20 s on 2 cores: lm-eval's start-up dominates
def test_lm_eval_bridge_offline(tiny_model, shared_data, tmp_path):
    """MMLU-STEM through lm-eval on a local file (hub tasks need the network; the bridge is the same)."""
    pytest.importorskip("lm_eval")
    from training.evaluation.lm_eval_bridge import run_lm_eval

    (tmp_path / "local_mmlu.yaml").write_text(
        "task: local_mmlu_stem\ndataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {shared_data / BENCH_FILES['mmlu-stem']}\n"
        "test_split: test\noutput_type: multiple_choice\n"
        'doc_to_text: "{{question}}\\nA. {{options[0]}}\\nB. {{options[1]}}\\nC. {{options[2]}}\\nD. {{options[3]}}\\nAnswer:"\n'
        'doc_to_choice: ["A", "B", "C", "D"]\n'
        "doc_to_target: \"{{['A','B','C','D'].index(answer)}}\"\n"
        "metric_list:\n  - metric: acc\n    aggregation: mean\n    higher_is_better: true\n"
    )
    res = run_lm_eval(str(tiny_model), ["local_mmlu_stem"], limit=4, batch_size=4, include_path=str(tmp_path))
    assert res["local_mmlu_stem"]["sample_len"] == 4
    assert 0.0 <= res["local_mmlu_stem"]["acc"] <= 1.0
