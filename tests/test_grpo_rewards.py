"""Answer extraction, math-verify checking (worker processes, timeout, bad gold) and GRPO rewards,
on real GSM8K / MATH-500 rows from ../shared/data."""

import gzip
import json

import pytest

from training.evaluation.verify import Verifier, check_solutions, extract_answer
from training.grpo.rewards import answer_rewards, equation_reward, format_reward, step_rewards


def _jsonl(path, n):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        return [json.loads(line) for line, _ in zip(f, range(n))]


def test_gsm8k_reference_solutions_verify_against_their_gold(shared_data):
    from corpus.benchmarks import gsm8k_answer

    rows = _jsonl(shared_data / "gsm8k" / "test.jsonl", 40)
    with Verifier() as v:
        res = check_solutions(
            [r["answer"] for r in rows], [gsm8k_answer(r["answer"]) for r in rows], "gsm8k", v
        )
        assert all(r.correct for r in res)
        # A shifted answer is wrong.
        wrong = check_solutions(
            [r["answer"] for r in rows[1:]], [gsm8k_answer(r["answer"]) for r in rows[:-1]], "gsm8k", v
        )
        assert sum(r.correct for r in wrong) < 5


def test_math500_boxed_solutions_verify_with_math_verify(shared_data):
    rows = _jsonl(shared_data / "math" / "math500_test.jsonl", 12)
    with Verifier(timeout=30) as v:
        res = check_solutions([r["solution"] for r in rows], [r["answer"] for r in rows], "boxed", v)
    assert sum(r.correct for r in res) >= 11  # MATH's own solutions box an equivalent of the answer


def test_equivalent_forms_and_bad_gold():
    with Verifier(timeout=30) as v:
        res = v.check([r"\frac{1}{2}", "0.5", "85", "85", None], ["0.5", r"\frac12", "85.0", "", "3"])
    assert [r.correct for r in res] == [True, True, True, False, False]
    assert res[3].status == "gold_unparsable"
    assert res[4].status == "no_answer"


def test_timeout_is_reported_and_pool_recovers():
    v = Verifier(timeout=0.0)  # no answer can be checked in 0 s, even by a started worker
    try:
        res = v.check([r"\sqrt{2}"], [r"\sqrt{2}"])
        assert res[0].status == "timeout" and not res[0].correct
        v.timeout = 60
        assert v.check([r"\sqrt{2}"], [r"\sqrt{2}"])[0].correct
    finally:
        v.close()


def test_extract_answer_kinds():
    assert extract_answer("a\n#### 1,234", "gsm8k") == "1234"
    assert extract_answer(r"\boxed{x^2}", "auto") == "x^2"
    assert extract_answer("so 12 then 15", "last_number") == "15"
    with pytest.raises(ValueError):
        extract_answer("x", "nope")


def test_rewards_are_pure_and_count_statuses():
    rewards, statuses = answer_rewards(["7 + 8 = 15\n#### 15", "#### 14", "no answer"], ["15", "15", "15"])
    assert rewards == [1.0, 0.0, 0.0]
    assert statuses == ["ok", "wrong", "no_answer"]
    assert format_reward("#### 3") == 1.0 and format_reward("3") == 0.0
    assert equation_reward("12 * 3 = 36") == 1.0 and equation_reward("12 * 3 = 35") == 0.0


def test_step_rewards_mark_wrong_step_and_outcome():
    text = "7 + 8 = 15\n3 + 4 + 1 = 7\n#### 75"
    steps = step_rewards(text, outcome=0.0)
    assert [r for _, r in steps] == [1.0, 0.0, 0.0]
    assert steps[-1][0] == len(text)
